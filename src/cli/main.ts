// The `dssmr` command line: parses arguments and dispatches to the subcommands.
import { Command, CommanderError, Option } from "commander";
import { DssmrError, InputError } from "../core/errors.ts";
import { parseBenchLayer, runBenchCommand } from "./bench-command.ts";
import { parseIntFlag } from "./parse.ts";
import { type CommandIo, parseBug, parseLayer, runSimCommand } from "./sim-command.ts";

const defaultIo: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Exit status for bad usage (unknown flag, bad value). */
export const EXIT_USAGE = 2;

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
    .option("--policy <policy>", "random or most: where DS-SMR gathers variables", "random")
    .option("--replicas <n>", "replicas per group", "3")
    .option("--clients <n>", "concurrent clients (default 5 for consensus, 4 for multicast)")
    .addOption(
      new Option(
        "--bug <name>",
        "build with a deliberate bug: stale-read, early-ack (consensus); early-delivery (multicast); skip-retry (dssmr)",
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
    .description("baseline benchmarks: consensus core in-process, and the simulator")
    .option("--layer <layer>", "consensus (default), multicast or all", "consensus")
    .option("--quick", "small sizes, for a smoke test", false)
    .option("--json", "print one JSON object", false)
    .action((raw: { quick?: boolean; json?: boolean; layer?: string }) => {
      status = runBenchCommand(
        {
          quick: raw.quick === true,
          json: raw.json === true,
          layer: parseBenchLayer(String(raw.layer)),
        },
        io,
      );
    });

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
