// The `dssmr` command line: parses arguments and dispatches to the subcommands.
import { Command, CommanderError, Option } from "commander";
import { DssmrError, InputError } from "../core/errors.ts";
import { registerCallCommand } from "./call-command.ts";
import { registerChaosCommand } from "./chaos-command.ts";
import { registerChirperCommand } from "./chirper-command.ts";
import { registerDashboardCommand } from "./dashboard-command.ts";
import { registerKvCommand } from "./kv-command.ts";
import { registerNodeCommand } from "./node-command.ts";
import { parseIntFlag } from "./parse.ts";
import { registerRespCommand } from "./resp-command.ts";
import { type CommandIo, parseBug, parseLayer, runSimCommand } from "./sim-command.ts";
import { registerStatusCommand } from "./status-command.ts";
import { registerUpCommand } from "./up-command.ts";

const defaultIo: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Exit status for bad usage (unknown flag, bad value). */
export const EXIT_USAGE = 2;

/**
 * The `--paper` defaults that `dssmr bench --help` shows, copied from bench-command.ts's
 * `paperBenchDefaults` (a test checks they agree): bench-command.ts pulls in the charting
 * library, so it is loaded only when `bench` runs.
 */
export const PAPER_HELP_DEFAULTS = { users: "2000", clientsPerPartition: "64" } as const;

/** Flags (commander's camel-case keys) that only the Chirper experiment of `dssmr bench` has. */
const CHIRPER_FLAGS = [
  "backend",
  "workload",
  "mode",
  "systems",
  "partitions",
  "locality",
  "cross",
  "users",
  "clients",
  "clientsPerPartition",
  "duration",
  "window",
  "warmup",
  "policy",
  "memory",
  "retryThreshold",
  "seed",
  "series",
  "tag",
] as const;

/** Runs the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: readonly string[], io: CommandIo = defaultIo): Promise<number> {
  let status = 0;
  const program = new Command("dssmr")
    .description("Dynamic Scalable State Machine Replication")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
    })
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("sim")
    .description(
      "run seeds of a simulated cluster under faults and check safety, liveness and linearizability",
    )
    .option(
      "--layer <layer>",
      "consensus (one KV group), multicast (many groups) or dssmr (oracle + partitions)",
      "consensus",
    )
    .option("--seed <n>", "first seed (alone: run just this seed)", "1")
    .option("--seeds <n>", "number of consecutive seeds to run", "1")
    .option(
      "--faults <spec>",
      "none | crash | partition | all | a comma list of crash,partition,oneway,drop,duplicate",
      "none",
    )
    .option("--ops <n>", "client operations (multicast messages) per seed", "200")
    .option("--groups <n>", "groups, for --layer multicast", "4")
    .option("--partitions <n>", "partitions, for --layer dssmr", "2")
    .option("--mode <mode>", "dssmr or ssmr, for --layer dssmr", "dssmr")
    .option(
      "--policy <policy>",
      "most (default) or random (the paper): where DS-SMR gathers variables",
      "most",
    )
    .option("--replicas <n>", "replicas per group", "3")
    .option("--clients <n>", "concurrent clients (default 5 for consensus, 4 for multicast)")
    .addOption(
      new Option(
        "--bug <name>",
        "build with a deliberate bug: stale-read, early-ack (consensus); early-delivery (multicast); skip-retry, ignore-claims, move-no-wait (dssmr)",
      ),
    )
    .option(
      "--history-out <file>",
      "write the history (first failing seed, else the last) as JSON lines",
    )
    .option("--json", "make the last line of stdout a JSON summary", false)
    .action((raw: Record<string, string | boolean | undefined>) => {
      const layer = parseLayer(String(raw.layer));
      const defaultClients = layer === "consensus" ? "5" : "4";
      const mode = String(raw.mode);
      if (mode !== "dssmr" && mode !== "ssmr") {
        throw new InputError(`--mode: unknown mode "${mode}"; use dssmr or ssmr`);
      }
      const policy = String(raw.policy);
      if (policy !== "random" && policy !== "most") {
        throw new InputError(`--policy: unknown policy "${policy}"; use random or most`);
      }
      status = runSimCommand(
        {
          layer,
          seed: parseIntFlag("--seed", String(raw.seed), 0, 2 ** 32 - 1),
          seeds: parseIntFlag("--seeds", String(raw.seeds), 1, 1_000_000),
          faults: String(raw.faults),
          ops: parseIntFlag("--ops", String(raw.ops), 1, 10_000_000),
          groups: parseIntFlag("--groups", String(raw.groups), 1, 64),
          partitions: parseIntFlag("--partitions", String(raw.partitions), 1, 64),
          mode,
          policy,
          replicas: parseIntFlag("--replicas", String(raw.replicas), 1, 15),
          clients: parseIntFlag("--clients", String(raw.clients ?? defaultClients), 1, 10_000),
          bug: raw.bug === undefined ? null : parseBug(layer, String(raw.bug)),
          historyOut: raw.historyOut === undefined ? null : String(raw.historyOut),
          json: raw.json === true,
        },
        io,
      );
    });

  program
    .command("bench")
    .description(
      "benchmarks: the paper's Chirper experiment, DS-SMR vs S-SMR (--backend sim|real, --mode, …; or --paper), or the consensus and multicast baselines (--layer)",
    )
    .option("--layer <layer>", "baselines: consensus (default), multicast or all")
    .option("--quick", "baselines: small sizes, for a smoke test", false)
    .option("--json", "print JSON (Chirper: the last line of stdout is { results: [...] })", false)
    .option("--paper", "the Chirper experiment with every default (simulated)", false)
    .option("--backend <name>", "sim (simulated time, default) or real (replica processes)")
    .option("--workload <list>", "comma list of timeline,post,follow,mix, or all (default all)")
    .option("--mode <list>", "comma list of dssmr,ssmr (default both)")
    .option("--systems <list>", "alias of --mode")
    .option("--partitions <list>", "partition counts (default 1,2,4,8)")
    .option("--locality <kind>", "strong (default) or weak")
    .option("--cross <fraction>", "with --locality weak, share of cross-community edges (0.2)")
    .option(
      "--users <n>",
      `users in the social graph (default ${PAPER_HELP_DEFAULTS.users}; real: 10000)`,
    )
    .option(
      "--clients <n>",
      `closed-loop clients per partition (default ${PAPER_HELP_DEFAULTS.clientsPerPartition})`,
    )
    .option("--clients-per-partition <n>", "alias of --clients")
    .option("--duration <ms>", "length of each run (default 2000 simulated ms; real: 11000 ms)")
    .option("--window <ms>", "width of the time-series windows (default duration/20; real: 1000)")
    .option("--warmup <fraction>", "share of the windows excluded as warm-up (0.4; real: 0.3)")
    .option("--policy <policy>", "where DS-SMR gathers variables: most (default) or random")
    .option("--memory", "real: in-memory Raft logs, no fsync (default: WAL with fsync)")
    .option("--retry-threshold <n>", "retries before the S-SMR fallback (default 3)")
    .option("--seed <n>", "seed of the runs and the graph (default 1)")
    .option("--series", "print every run's time series")
    .option("--out <dir>", "directory for JSON, CSV, Markdown and charts (default bench/results)")
    .option("--no-out", "write no files")
    .option(
      "--tag <name>",
      "prefix of the files written (default bench-sim, bench-real-disk|memory)",
    )
    .option("--no-charts", "skip the SVG and PNG charts")
    .action(async (raw: Record<string, string | boolean | undefined>) => {
      const { parseBenchLayer, parsePaperBenchOptions, runBenchCommand, runPaperBenchCommand } =
        await import("./bench-command.ts");
      const str = (k: string): string | undefined =>
        typeof raw[k] === "string" ? (raw[k] as string) : undefined;
      // Any flag of the Chirper experiment selects it; --layer selects the baselines.
      const chirper =
        raw.paper === true ||
        CHIRPER_FLAGS.some((k) => raw[k] !== undefined) ||
        raw.out !== undefined ||
        raw.charts === false;
      if (chirper && raw.layer !== undefined) {
        throw new InputError(
          "--layer runs the consensus/multicast baselines; it does not combine with the Chirper experiment's flags",
        );
      }
      if (chirper) {
        const opts = parsePaperBenchOptions({
          paper: raw.paper === true,
          backend: str("backend"),
          workload: str("workload"),
          partitions: str("partitions"),
          systems: str("systems"),
          mode: str("mode"),
          users: str("users"),
          duration: str("duration"),
          window: str("window"),
          warmup: str("warmup"),
          clientsPerPartition: str("clientsPerPartition"),
          clients: str("clients"),
          locality: str("locality"),
          cross: str("cross"),
          policy: str("policy"),
          retryThreshold: str("retryThreshold"),
          seed: str("seed"),
          memory: raw.memory === true,
          json: raw.json === true,
          series: raw.series === true,
          out: raw.out === false ? false : str("out"),
          tag: str("tag"),
          charts: raw.charts !== false,
          command: `dssmr ${argv.join(" ")}`,
        });
        // A progress bar only on a terminal (never in CI, never into a captured io).
        const tty = io === defaultIo && process.stderr.isTTY === true ? process.stderr : null;
        status = await runPaperBenchCommand(opts, io, tty);
        return;
      }
      status = runBenchCommand(
        {
          quick: raw.quick === true,
          json: raw.json === true,
          layer: parseBenchLayer(str("layer") ?? "consensus"),
        },
        io,
      );
    });

  // The real cluster: start it, run a replica, talk to it, inspect it.
  const setStatus = (s: number): void => {
    status = s;
  };
  registerUpCommand(program, io, setStatus);
  registerDashboardCommand(program, io, setStatus);
  registerNodeCommand(program, io, setStatus);
  registerChirperCommand(program, io, setStatus);
  registerKvCommand(program, io, setStatus);
  registerCallCommand(program, io, setStatus);
  registerRespCommand(program, io, setStatus);
  registerStatusCommand(program, io, setStatus);
  registerChaosCommand(program, io, setStatus);

  try {
    await program.parseAsync([...argv], { from: "user" });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every other parse error is bad usage.
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (e instanceof DssmrError && e.code === "E_INPUT") {
      io.err(`error: ${e.message}`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
