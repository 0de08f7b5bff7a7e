// Test your app before you deploy it: any PartitionedApp in the deterministic DS-SMR simulator, seeds × faults, checked.

import { plainEqual } from "../apps/plain-equal.ts";
import { runSequential } from "../apps/sequential.ts";
import type { Operation } from "../check/history.ts";
import type { Model } from "../check/model.ts";
import type { PartitionedApp } from "../core/dssmr/app.ts";
import type { DestinationPolicy } from "../core/dssmr/policy.ts";
import type { Mode, PartitionId, VarId } from "../core/dssmr/types.ts";
import { InputError } from "../core/errors.ts";
import { type DsWorkload, defaultDsSimOptions, runDsSimulation } from "../sim/ds-sim.ts";
import { type FaultKind, faultKinds, parseFaults } from "../sim/faults.ts";
import type { Rng } from "../sim/rng.ts";

export type { Model } from "../check/model.ts";
export type { Rng } from "../sim/rng.ts";

/** Boot variables: `[variable, value]` pairs, or a function of the seed placing them itself. */
export type InitialVariables<Val> =
  | readonly (readonly [VarId, Val])[]
  | ((
      partitions: readonly PartitionId[],
      rng: Rng,
    ) => readonly (readonly [VarId, PartitionId, Val])[]);

/** What to simulate; only `app` and `next` are required. */
export interface SimulateAppOptions<Cmd, Res, Val, S = unknown> {
  /** The application under test. */
  readonly app: PartitionedApp<Cmd, Res, Val>;
  /**
   * Variables that exist at boot. As pairs, each starts in a partition drawn from the seed (not
   * where `place` would put it), so that commands over several of them make DS-SMR move them.
   * Default: none (the workload creates what it uses).
   */
  readonly initial?: InitialVariables<Val>;
  /**
   * Client `client`'s next command. Draw every random choice from `rng`: a run is then a pure
   * function of its seed, and a failing seed replays exactly. Written inline, annotate its
   * return type (`next: (rng): BankCmd => …`): TypeScript infers the command type from `app`
   * through its parameters, and would widen an inline literal's `type: "transfer"` to string.
   */
  next(rng: Rng, client: number): Cmd;
  /**
   * The sequential specification the client history must be linearizable against: a Model, or
   * a function building one from the variables a seed booted with. Default: appModel, the
   * app's own code run on one map, which checks that the partitioned system behaves as one copy
   * of the app would (moves, retries, fallbacks, faults), not that the app itself is right:
   * give a model of your own for that.
   */
  readonly model?: Model<S, Cmd, Res> | ((initial: ReadonlyMap<VarId, Val>) => Model<S, Cmd, Res>);
  /** How many seeds (consecutive, from `seed`), or which ones. Default 10. */
  readonly seeds?: number | readonly number[];
  /** First seed when `seeds` is a count. Default 1. */
  readonly seed?: number;
  /**
   * Faults injected while clients run (then healed): `none`, `crash`, `partition`, `all`, a
   * comma list as `dssmr sim --faults` takes, or an array of kinds. Default `all`: crashes and
   * restarts, partitions, one-way cuts, dropped and duplicated messages.
   */
  readonly faults?: string | readonly FaultKind[];
  /** Partitions (plus the oracle in dssmr mode). Default 2. */
  readonly partitions?: number;
  /** Replicas per group. Default 3. */
  readonly replicas?: number;
  /** Concurrent clients. Default 4. */
  readonly clients?: number;
  /** Commands per seed, over all clients. Default 200. */
  readonly ops?: number;
  /** `dssmr` (the default) or `ssmr` (static partitioning by `place`). */
  readonly mode?: Mode;
  /** DS-SMR retries before the S-SMR fallback. Default the proxy's (3); 0 exercises the fallback. */
  readonly retryThreshold?: number;
  /** Where multi-partition commands gather their variables. Default `most`. */
  readonly policy?: DestinationPolicy;
  /** Print one line per seed (true: console.log) and every violation of a failing one. */
  readonly print?: boolean | ((line: string) => void);
}

/** One failing seed. */
export interface SeedFailure {
  readonly seed: number;
  /** Consensus, multicast, ownership, liveness and linearizability violations, in words. */
  readonly violations: readonly string[];
  /** How to run exactly this seed again. */
  readonly replay: string;
}

/** What a simulation found. */
export interface SimulateAppReport<Cmd = unknown, Res = unknown> {
  /** True when no seed failed. */
  readonly ok: boolean;
  /** The seeds run, in order. */
  readonly seeds: readonly number[];
  readonly failures: readonly SeedFailure[];
  /** Counters summed over the seeds. */
  readonly stats: {
    readonly commandsCompleted: number;
    readonly moves: number;
    readonly retries: number;
    readonly fallbacks: number;
    readonly faultsInjected: number;
  };
  /** The client history of the last seed run (call and return times are simulated ms). */
  readonly lastHistory: readonly Operation<Cmd, Res>[];
}

/**
 * The application's own meaning as a sequential model: every command run by `runSequential`
 * on one map of all variables (the oracle's rules for create, delete and unknown variables,
 * then `execute`), results compared as plain data. `ctx.time` is 0 here: an app whose results
 * depend on it needs a model of its own.
 */
export function appModel<Cmd, Res, Val>(
  app: PartitionedApp<Cmd, Res, Val>,
  initial: Iterable<readonly [VarId, Val]> = [],
): Model<ReadonlyMap<VarId, Val>, Cmd, Res> {
  const start = [...initial];
  return {
    init: () => new Map(start),
    step(state, input, output) {
      const next = new Map(state);
      const expected = runSequential(app, next, input);
      return output === undefined || plainEqual(expected, output) ? next : undefined;
    },
    key: (state) => JSON.stringify([...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

const seedList = (seeds: number | readonly number[] | undefined, first: number): number[] => {
  if (typeof seeds !== "number") return seeds === undefined ? seedList(10, first) : [...seeds];
  if (!Number.isInteger(seeds) || seeds < 1) {
    throw new InputError(`seeds: expected a positive integer or a list of seeds, got ${seeds}`);
  }
  return Array.from({ length: seeds }, (_, i) => first + i);
};

const faultSet = (faults: string | readonly FaultKind[] | undefined): Set<FaultKind> => {
  if (faults === undefined) return new Set(faultKinds);
  if (typeof faults === "string") return parseFaults(faults);
  return parseFaults(faults.length === 0 ? "none" : faults.join(","));
};

/**
 * Runs `opts.app` in the deterministic simulator, once per seed: the oracle and partitions as
 * groups of replicas with Raft, clients with the real client proxy issuing `opts.next`'s
 * commands, the seed's faults. Each seed checks consensus in every group, atomic multicast
 * order, ownership (once quiet, every variable held by exactly one partition, where the oracle
 * says), liveness, and the linearizability of the client history against `opts.model`.
 * Returns the failing seeds with their violations and how to replay each; never throws for a
 * violation (the caller asserts `report.ok`).
 *
 * ```ts
 * const report = simulateApp({ app: bank, next: (rng) => randomBankCommand(rng), seeds: 20 });
 * expect(report.failures).toEqual([]);
 * ```
 */
export function simulateApp<Cmd, Res, Val, S = unknown>(
  opts: SimulateAppOptions<Cmd, Res, Val, S>,
): SimulateAppReport<Cmd, Res> {
  const seeds = seedList(opts.seeds, opts.seed ?? 1);
  const faults = faultSet(opts.faults);
  const print =
    opts.print === true
      ? (line: string) => console.log(line)
      : typeof opts.print === "function"
        ? opts.print
        : null;
  const boot = opts.initial ?? [];
  const place: (
    p: readonly PartitionId[],
    rng: Rng,
  ) => readonly (readonly [VarId, PartitionId, Val])[] =
    typeof boot === "function"
      ? boot
      : (p, rng) => boot.map(([v, val]) => [v, rng.pick(p), val] as const);
  const buildModel = (vars: ReadonlyMap<VarId, Val>): Model<S, Cmd, Res> => {
    const m = opts.model;
    if (m === undefined) return appModel(opts.app, vars) as unknown as Model<S, Cmd, Res>;
    return typeof m === "function" ? m(vars) : m;
  };
  // The model of the seed being run: built from the variables it booted with, which the
  // simulator draws from the seed before the first command.
  let current: Model<S, Cmd, Res> | null = null;
  const model = (): Model<S, Cmd, Res> => {
    if (current === null) throw new InputError("the simulator checked before booting");
    return current;
  };
  const seedModel: Model<unknown, Cmd, Res> = {
    init: () => model().init(),
    step: (state, input, output) => model().step(state as S, input, output),
    key: (state) => model().key(state as S),
    partition: (ops) => model().partition?.(ops) ?? [ops.slice()],
    describe: (input, output) =>
      model().describe?.(input, output) ??
      `${JSON.stringify(input)} -> ${output === undefined ? "?" : JSON.stringify(output)}`,
  };
  const workload: DsWorkload<Cmd, Res, Val> = {
    app: opts.app,
    initial(partitions, rng) {
      const vars = place(partitions, rng);
      current = buildModel(new Map(vars.map(([v, , val]) => [v, val] as const)));
      return vars;
    },
    next(rng, client) {
      const cmd = opts.next(rng, client);
      // The simulator's clients submit without validating (its own workloads never err).
      const why = opts.app.validate(cmd);
      if (why !== null) {
        throw new InputError(
          `next() gave client ${client} a command ${opts.app.name}.validate rejects (${why}): ${JSON.stringify(cmd)}`,
        );
      }
      return cmd;
    },
    model: seedModel,
  };
  const base = {
    ...defaultDsSimOptions,
    faults,
    partitions: opts.partitions ?? 2,
    replicas: opts.replicas ?? defaultDsSimOptions.replicas,
    clients: opts.clients ?? defaultDsSimOptions.clients,
    ops: opts.ops ?? defaultDsSimOptions.ops,
    mode: opts.mode ?? defaultDsSimOptions.mode,
    retryThreshold: opts.retryThreshold ?? defaultDsSimOptions.retryThreshold,
    policy: opts.policy ?? defaultDsSimOptions.policy,
  };
  const failures: SeedFailure[] = [];
  const stats = { commandsCompleted: 0, moves: 0, retries: 0, fallbacks: 0, faultsInjected: 0 };
  let lastHistory: readonly Operation<Cmd, Res>[] = [];
  for (const seed of seeds) {
    current = null;
    let r: ReturnType<typeof runDsSimulation<Cmd, Res, Val>>;
    try {
      r = runDsSimulation({ ...base, seed }, workload);
    } catch (err) {
      // The app (or the workload) threw inside the simulated system: a failure of this seed.
      if (err instanceof InputError) throw err;
      const failure: SeedFailure = {
        seed,
        violations: [
          `exception: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        ],
        replay: `simulateApp({ ...sameOptions, seeds: [${seed}] })`,
      };
      failures.push(failure);
      print?.(`seed ${seed}: threw; replay: ${failure.replay}\n  ${failure.violations[0]}`);
      continue;
    }
    stats.commandsCompleted += r.stats.commandsCompleted;
    stats.moves += r.stats.moves;
    stats.retries += r.stats.retries;
    stats.fallbacks += r.stats.fallbacks;
    stats.faultsInjected += r.stats.faultsInjected;
    lastHistory = r.history;
    const line = `seed ${seed}: ${r.stats.commandsCompleted} commands, ${r.stats.moves} moves, ${r.stats.retries} retries, ${r.stats.fallbacks} fallbacks, ${r.stats.faultsInjected} faults`;
    if (r.violations.length === 0) {
      print?.(`${line}: ok`);
      continue;
    }
    const failure: SeedFailure = {
      seed,
      violations: r.violations,
      replay: `simulateApp({ ...sameOptions, seeds: [${seed}] })`,
    };
    failures.push(failure);
    if (print !== null) {
      print(`${line}: ${r.violations.length} violation(s); replay: ${failure.replay}`);
      for (const v of r.violations) print(`  ${v}`);
    }
  }
  if (print !== null) {
    print(
      failures.length === 0
        ? `${opts.app.name}: ${seeds.length} seed(s), no violation`
        : `${opts.app.name}: ${failures.length} of ${seeds.length} seed(s) failed: ${failures.map((f) => f.seed).join(", ")}`,
    );
  }
  return { ok: failures.length === 0, seeds, failures, stats, lastHistory };
}
