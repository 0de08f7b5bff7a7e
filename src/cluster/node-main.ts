// Entry script of a replica process: `node src/cluster/node-main.ts` through tsx, or its bundle (bundle.ts).
import { DssmrError } from "../core/errors.ts";
import { runNodeProcess } from "./node-process.ts";

// Flags: --config FILE, --id ID, --log-level LEVEL, and --exit-with-parent (stop when stdin closes; `dssmr up` uses
// it so that a killed launcher never leaves replicas behind). Exit status: 0 after a graceful
// stop, 1 on failure, 2 on a bad config or bad flags.

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};

const configFile = flag("--config");
const id = Number(flag("--id"));
if (configFile === undefined || !Number.isSafeInteger(id)) {
  process.stderr.write(
    "usage: node-main.ts --config FILE --id ID [--log-level LEVEL] [--exit-with-parent]\n",
  );
  process.exit(2);
}
try {
  const code = await runNodeProcess({
    config: configFile,
    id,
    exitWithParent: args.includes("--exit-with-parent"),
    logLevel: flag("--log-level") ?? "info",
  });
  process.exit(code);
} catch (err) {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof DssmrError && err.code === "E_CONFIG" ? 2 : 1);
}
