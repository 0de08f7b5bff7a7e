#!/usr/bin/env node
// Entry point of the `dssmr` command: loads the TypeScript CLI through tsx's ESM loader.
import { register } from "tsx/esm/api";

register();
// A reader that goes away (`dssmr status | head`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
