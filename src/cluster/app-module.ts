// Applications as modules: resolving `app` of cluster.json to a file, loading its PartitionedApp, its identity.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { PartitionedApp } from "../core/dssmr/app.ts";
import type { Mode, PartitionId } from "../core/dssmr/types.ts";
import { DssmrError } from "../core/errors.ts";

/** The applications built into dssmr; any other `app` value names a module. */
export const BUILTIN_APPS = ["chirper", "kv"] as const;
/** A built-in application's name. */
export type BuiltinApp = (typeof BUILTIN_APPS)[number];

/** True when `spec` names a built-in application rather than a module. */
export const isBuiltinApp = (spec: string): spec is BuiltinApp =>
  (BUILTIN_APPS as readonly string[]).includes(spec);

/**
 * An application module cannot be found, loaded, or does not export a PartitionedApp. A
 * configuration problem: the CLI exits 2, a replica does not start.
 */
export class AppModuleError extends DssmrError {
  constructor(message: string) {
    super("E_APP_MODULE", message);
  }
}

/** What a factory export is called with: the deployment it will run in. */
export interface AppContext {
  readonly mode: Mode;
  readonly partitions: readonly PartitionId[];
}

/** A PartitionedApp loaded from a module, with where it came from. */
export interface LoadedAppModule {
  readonly app: PartitionedApp<unknown, unknown, unknown>;
  /** The module's entry file, absolute. */
  readonly file: string;
  /**
   * `name@hash`: the app's name and the first 16 hex digits of the SHA-256 of the entry file's
   * contents. Replicas and clients send it in their handshake; a difference is refused.
   */
  readonly identity: string;
}

/** A path (relative `./…`, `../…`, or absolute), as opposed to a package name. */
const isPath = (spec: string): boolean =>
  spec.startsWith("./") || spec.startsWith("../") || spec === "." || isAbsolute(spec);

/**
 * The entry file of module `spec`: a path relative to `dir` (the config file's folder) or
 * absolute, or a package name resolved from `dir` (its `node_modules`, then the ones above).
 */
export function resolveAppModule(spec: string, dir: string): string {
  if (isPath(spec)) {
    const file = resolve(dir, spec);
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      // Reported below, with the folder the path was taken relative to.
    }
    if (!isFile) {
      throw new AppModuleError(
        `app module ${JSON.stringify(spec)} not found: no file ${file} (a relative path is taken from the config file's folder, ${dir})`,
      );
    }
    return file;
  }
  try {
    // A package name: Node's resolution from the config's folder (package "exports" honoured).
    return createRequire(join(dir, "noop.js")).resolve(spec);
  } catch (err) {
    throw new AppModuleError(
      `app ${JSON.stringify(spec)}: not chirper or kv, and no package of that name is installed from ${dir} (${(err as Error).message.split("\n")[0]}); a module path must start with ./, ../ or /`,
    );
  }
}

/**
 * How `dssmr up --app SPEC`, given in `cwd`, is written into a config in `configDir`: built-in
 * names and package names as they are, a path relative to the config's folder (so that the
 * folder and the module can move together), with a leading `./` or `../`.
 */
export function appSpecForConfig(spec: string, cwd: string, configDir: string): string {
  if (isBuiltinApp(spec) || !isPath(spec)) return spec;
  const rel = relative(resolve(configDir), resolve(cwd, spec));
  if (isAbsolute(rel)) return rel; // another drive
  const posix = rel.split(sep).join("/");
  return posix.startsWith("../") ? posix : `./${posix}`;
}

const FUNCTIONS = [
  "classify",
  "variables",
  "execute",
  "initial",
  "created",
  "deleted",
  "rejected",
  "place",
  "validate",
] as const;

/** Why `value` is not a PartitionedApp, or null when it is one (by its shape). */
export function notAnApp(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return `got ${typeof value}, not an object`;
  const v = value as Record<string, unknown>;
  if (typeof v.name !== "string" || v.name === "" || v.name.length > 100) {
    return "its `name` must be a string of 1..100 characters";
  }
  if (/[@\s]/.test(v.name))
    return `its name ${JSON.stringify(v.name)} must not contain @ or spaces`;
  const missing = FUNCTIONS.filter((f) => typeof v[f] !== "function");
  if (missing.length > 0) return `it has no function ${missing.join(", ")}`;
  if (v.learnKey !== undefined && typeof v.learnKey !== "function") {
    return "its `learnKey` must be a function when present";
  }
  return null;
}

/** TypeScript sources go through tsx's loader; JavaScript is imported as it is. */
const TS_FILE = /\.(c|m)?tsx?$/;

async function importFile(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (!TS_FILE.test(file)) return (await import(url)) as Record<string, unknown>;
  // tsImport works whether or not this process runs under tsx (a replica runs a plain bundle).
  const { tsImport } = await import("tsx/esm/api");
  return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
}

/** Identity of an app object, when it was loaded here or built by app-setup (DsClient reads it). */
const identities = new WeakMap<object, string>();

/** Records the identity `app` goes by in handshakes. */
export function setAppIdentity(app: object, identity: string): void {
  identities.set(app, identity);
}

/** The identity `app` goes by in handshakes, or undefined for one built elsewhere. */
export function appIdentityOf(app: object): string | undefined {
  return identities.get(app);
}

/** Modules loaded in this process, by file, content hash and context: load each once. */
const loadedModules = new Map<string, Promise<LoadedAppModule>>();

/**
 * Loads the application module `spec` (see resolveAppModule). It must export a PartitionedApp
 * as its default export or as `app`, or a factory of one (a function called with the
 * deployment, possibly async). Throws AppModuleError naming the file and what is wrong.
 */
export async function loadAppModule(
  spec: string,
  dir: string,
  ctx: AppContext,
): Promise<LoadedAppModule> {
  const file = resolveAppModule(spec, dir);
  let hash: string;
  try {
    hash = createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 16);
  } catch (err) {
    throw new AppModuleError(`cannot read app module ${file}: ${(err as Error).message}`);
  }
  const key = `${file}\0${hash}\0${ctx.mode}\0${ctx.partitions.join(",")}`;
  let loading = loadedModules.get(key);
  if (loading === undefined) {
    loading = load(file, hash, ctx);
    loadedModules.set(key, loading);
    // A failure is not cached: the user fixes the file and tries again in the same process.
    loading.catch(() => loadedModules.delete(key));
  }
  return loading;
}

/**
 * The export that holds the app: `default`, else `app`. A TypeScript file outside an ESM package
 * loads as CommonJS, whose namespace's `default` is the whole `module.exports`: look in there too.
 */
function exportOf(mod: Record<string, unknown>): unknown {
  const d = mod.default;
  if (typeof d === "function" || (d !== undefined && notAnApp(d) === null)) return d;
  if (mod.app !== undefined) return mod.app;
  if (typeof d === "object" && d !== null) {
    const cjs = d as Record<string, unknown>;
    if (cjs.default !== undefined) return cjs.default;
    if (cjs.app !== undefined) return cjs.app;
  }
  return d;
}

async function load(file: string, hash: string, ctx: AppContext): Promise<LoadedAppModule> {
  let mod: Record<string, unknown>;
  try {
    mod = await importFile(file);
  } catch (err) {
    throw new AppModuleError(`cannot load app module ${file}: ${(err as Error).message}`);
  }
  const exported = exportOf(mod);
  const looksEmpty =
    typeof exported === "object" &&
    exported !== null &&
    !("name" in exported) &&
    !("classify" in exported);
  if (exported === undefined || looksEmpty) {
    throw new AppModuleError(
      `app module ${file} has no default export and no export named \`app\` (export a PartitionedApp, or a function returning one)`,
    );
  }
  let app: unknown = exported;
  if (typeof exported === "function") {
    try {
      app = await (exported as (c: AppContext) => unknown)(ctx);
    } catch (err) {
      throw new AppModuleError(`app module ${file}: its factory threw: ${(err as Error).message}`);
    }
  }
  const why = notAnApp(app);
  if (why !== null) {
    throw new AppModuleError(`app module ${file} does not export a PartitionedApp: ${why}`);
  }
  const typed = app as PartitionedApp<unknown, unknown, unknown>;
  const identity = `${typed.name}@${hash}`;
  setAppIdentity(typed, identity);
  return { app: typed, file, identity };
}
