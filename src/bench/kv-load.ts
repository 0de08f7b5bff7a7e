// Closed-loop load on a running KV cluster through DsClient: throughput and latency, wall clock.
import { DsClient } from "../client/ds-client.ts";
import { appSetup } from "../cluster/app-setup.ts";
import { loadClusterConfig } from "../cluster/config.ts";
import { readPids } from "../cluster/launcher.ts";
import { clockTicks, procCpuMs } from "./real-backend.ts";

/**
 * `node --import tsx src/bench/kv-load.ts CONFIG [CLIENTS] [IN_FLIGHT] [SECONDS]`: creates 64
 * keys, then keeps CLIENTS × IN_FLIGHT puts outstanding for SECONDS and prints one JSON line
 * (commands per second, p50 and p99 latency in ms). The cluster must run the kv app. When the
 * cluster was started by `dssmr up` (its `pids.json` lies beside the config), the line also gives
 * each replica's CPU time per command over the run (ms, user + system, from /proc) and this
 * process's own, so that a change's cost can be told apart from the machine's noise.
 */
async function main(argv: readonly string[]): Promise<void> {
  const [file, clientsArg = "8", inflightArg = "8", secondsArg = "10"] = argv;
  if (file === undefined)
    throw new Error("usage: kv-load.ts CONFIG [CLIENTS] [IN_FLIGHT] [SECONDS]");
  const loaded = loadClusterConfig(file);
  const setup = appSetup(loaded.config);
  if (setup.kind !== "kv") throw new Error("kv-load needs a cluster running the kv app");
  const clients = await Promise.all(
    Array.from({ length: Number(clientsArg) }, () =>
      DsClient.connect(loaded, setup.app, { lanes: 1 }),
    ),
  );
  const first = clients[0]!;
  for (let k = 0; k < 64; k++) {
    await first.execute({ type: "create", key: `k${k}`, value: "0" }, { timeoutMs: 20_000 });
  }
  const pids = Object.entries(readPids(loaded.dir)?.replicas ?? {});
  const cpu = (): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [id, pid] of pids) out[id] = procCpuMs(pid, clockTicks()) ?? Number.NaN;
    const self = process.cpuUsage();
    out.client = (self.user + self.system) / 1000;
    return out;
  };
  const cpuFrom = cpu();
  const inflight = Number(inflightArg);
  const end = Date.now() + Number(secondsArg) * 1000;
  const started = Date.now();
  const latencies: number[] = [];
  await Promise.all(
    clients.flatMap((c, ci) =>
      Array.from({ length: inflight }, async (_, j) => {
        for (let i = 0; Date.now() < end; i++) {
          const t0 = performance.now();
          const key = `k${(ci * inflight + j + i) % 64}`;
          await c.execute({ type: "put", key, value: String(i) }, { timeoutMs: 10_000 });
          latencies.push(performance.now() - t0);
        }
      }),
    ),
  );
  const seconds = (Date.now() - started) / 1000;
  const cpuTo = cpu();
  const cpuMsPerCmd: Record<string, number> = {};
  for (const [k, v] of Object.entries(cpuTo)) {
    cpuMsPerCmd[k] = Number(((v - (cpuFrom[k] ?? 0)) / latencies.length).toFixed(4));
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.floor(latencies.length * q)] ?? 0;
  process.stdout.write(
    `${JSON.stringify({
      commandsPerSecond: Math.round(latencies.length / seconds),
      p50Ms: Number(at(0.5).toFixed(2)),
      p99Ms: Number(at(0.99).toFixed(2)),
      commands: latencies.length,
      cpuMsPerCmd,
    })}\n`,
  );
  for (const c of clients) await c.close();
}

await main(process.argv.slice(2));
