// Chirper's public surface: the application, its types and its helpers.
export { type ChirperOptions, chirper, createChirper } from "./chirper.ts";
export { chirperError, executeChirper } from "./execute.ts";
export { placeByInterest } from "./placement.ts";
export { insertPost, mergePosts, newerFirst, withoutAuthor } from "./posts.ts";
export * from "./types.ts";
export { validateChirper } from "./validate.ts";
