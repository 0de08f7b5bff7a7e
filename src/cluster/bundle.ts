// Builds the replica entry point into one JavaScript file, so that replica processes run without tsx.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
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
export function replicaNodeArgs(): Promise<readonly string[]> {
  cached ??= makeBundle().catch((err: unknown) => {
    process.emitWarning(`dssmr: running replicas through tsx (no bundle: ${String(err)})`);
    return ["--import", TSX, NODE_MAIN];
  });
  return cached;
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
  }
  return [file];
}
