// Builds the replica entry point into one JavaScript file, so that replica processes run without tsx.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const NODE_MAIN = fileURLToPath(new URL("./node-main.ts", import.meta.url));
/** The package root: bundles go under its node_modules so that their imports resolve there. */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** tsx's loader, resolved from this package: the fallback when no bundle can be made. */
const TSX = import.meta.resolve("tsx");

let cached: Promise<readonly string[]> | null = null;

/**
 * The Node arguments that run one replica (`node ARGS --config FILE --id ID`): a bundle of
 * `node-main.ts` and everything it imports from this package (npm packages stay imports).
 *
 * Why not tsx, as the CLI uses: tsx compiles with esbuild's `keepNames`, which wraps every named
 * closure in a `__name` call (an `Object.defineProperty`) each time it is created, and compiles
 * about a hundred modules at every start. In a replica under load that cost about a tenth of its
 * CPU time (docs/performance.md). The bundle is built once per content (named by its hash, so
 * concurrent launchers and stale copies never clash). It carries an inline source map, used only
 * when asked (`NODE_OPTIONS=--enable-source-maps` makes stack traces name the TypeScript lines;
 * it is off by default because it cost about 5% of the throughput here). If the bundle cannot
 * be built or written, replicas fall back to tsx: slower, same behaviour.
 */
export async function replicaNodeArgs(): Promise<readonly string[]> {
  if (cached !== null) {
    const args = await cached;
    const file = args.at(-1)!;
    // Another launcher's clean-up may have removed it (see removeOldBundles): build it again.
    if (file === NODE_MAIN || existsSync(file)) return args;
    cached = null;
  }
  cached ??= makeBundle().catch((err: unknown) => {
    process.emitWarning(`dssmr: running replicas through tsx (no bundle: ${String(err)})`);
    return ["--import", TSX, NODE_MAIN];
  });
  return cached;
}

/** Bundles not written or used for this long are removed when a new one is made. */
const OLD_BUNDLE_MS = 24 * 60 * 60 * 1000;

/**
 * Removes other bundles of the cache not touched for a day, so that editing the sources does not
 * pile up copies (each about 600 KB). A launcher still running from one rebuilds it on its next
 * start of a replica (`replicaNodeArgs` checks that its file exists). Best effort.
 */
export function removeOldBundles(dir: string, keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === keep || !/^replica-[0-9a-f]{16}\.mjs$/.test(name)) continue;
    try {
      if (now - statSync(path).mtimeMs > OLD_BUNDLE_MS) unlinkSync(path);
    } catch {
      // Gone already, or not ours to remove: leave it.
    }
  }
}

async function makeBundle(): Promise<readonly string[]> {
  const out = await build({
    entryPoints: [NODE_MAIN],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    write: false,
    logLevel: "silent",
  });
  const code = out.outputFiles[0]?.contents;
  if (code === undefined) throw new Error("esbuild produced no output");
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 16);
  // Under the package's node_modules, so that the bundle's package imports resolve there (a
  // read-only install throws here, and replicas fall back to tsx).
  const dir = join(ROOT, "node_modules", ".cache", "dssmr");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `replica-${hash}.mjs`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
    removeOldBundles(dir, file);
  } else {
    // Mark it as in use, so that another launcher's clean-up keeps it.
    const now = new Date();
    utimesSync(file, now, now);
  }
  return [file];
}
