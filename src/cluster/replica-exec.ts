// Runs one replica as a child process from the replica bundle, passing signals through and its exit status back.
import { spawn } from "node:child_process";
import { replicaNodeArgs } from "./bundle.ts";

/**
 * Runs `node BUNDLE --config FILE --id ID --log-level LEVEL --exit-with-parent` with this
 * process's output streams, until it exits; resolves with its exit status (128 + the signal's number if a signal
 * ended it). SIGINT and SIGTERM sent to this process are passed on, so Ctrl-C and a service
 * manager's stop reach the replica, which stops gracefully. Used by `dssmr node`: the CLI runs
 * through tsx, and a replica runs faster from the bundle (see bundle.ts).
 */
export async function execReplica(
  configFile: string,
  id: number,
  logLevel: string,
): Promise<number> {
  const args = await replicaNodeArgs();
  const child = spawn(
    process.execPath,
    [
      ...args,
      "--config",
      configFile,
      "--id",
      String(id),
      "--log-level",
      logLevel,
      "--exit-with-parent",
    ],
    // Standard input is a pipe from this process: if this process dies, even by SIGKILL, the
    // pipe closes and the replica stops (`--exit-with-parent`) instead of running orphaned.
    { stdio: ["pipe", "inherit", "inherit"] },
  );
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        if (code !== null) resolve(code);
        else resolve(128 + (signal === "SIGKILL" ? 9 : signal === "SIGINT" ? 2 : 15));
      });
    });
  } finally {
    child.stdin?.destroy(); // an open pipe would keep this process alive
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
