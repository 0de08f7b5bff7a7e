// A complete DS-SMR application: bank accounts with transfers, run in the deterministic simulator.
import type { PartitionedApp } from "../src/core/dssmr/app.ts";
import type { PartitionId } from "../src/core/dssmr/types.ts";
import { type DsWorkload, defaultDsSimOptions, runDsSimulation } from "../src/sim/ds-sim.ts";
import type { Rng } from "../src/sim/rng.ts";

/** Commands: open an account (creates a variable), deposit, transfer between two accounts, read. */
export type BankCmd =
  | { readonly type: "open"; readonly account: string }
  | { readonly type: "deposit"; readonly account: string; readonly amount: number }
  | {
      readonly type: "transfer";
      readonly from: string;
      readonly to: string;
      readonly amount: number;
    }
  | { readonly type: "balance"; readonly account: string };

/** Results are plain data: they travel over the network and into snapshots. */
export type BankResult =
  | { readonly ok: true; readonly balance?: number }
  | { readonly ok: false; readonly error: string };

/** One variable per account: its balance. Values must be plain data too. */
export type Balance = number;

/** The application: which variables a command touches, and what it does to them. */
export const bank: PartitionedApp<BankCmd, BankResult, Balance> = {
  name: "bank",
  classify: (cmd) =>
    cmd.type === "open" ? { kind: "create", variable: cmd.account } : { kind: "access" },
  variables: (cmd) => (cmd.type === "transfer" ? [cmd.from, cmd.to] : [cmd.account]),
  execute(cmd, view) {
    switch (cmd.type) {
      case "balance": {
        const balance = view.get(cmd.account);
        return balance === undefined
          ? { ok: false, error: "no such account" }
          : { ok: true, balance };
      }
      case "deposit": {
        const balance = view.get(cmd.account);
        if (balance === undefined) return { ok: false, error: "no such account" };
        view.set(cmd.account, balance + cmd.amount);
        return { ok: true, balance: balance + cmd.amount };
      }
      case "transfer": {
        // Both accounts are in this view: DS-SMR moved them into one partition first.
        const from = view.get(cmd.from);
        const to = view.get(cmd.to);
        if (from === undefined || to === undefined) return { ok: false, error: "no such account" };
        if (from < cmd.amount) return { ok: false, error: "insufficient funds" };
        view.set(cmd.from, from - cmd.amount);
        view.set(cmd.to, to + cmd.amount);
        return { ok: true };
      }
      case "open":
        return { ok: true }; // creation is the system's job; see initial()
    }
  },
  initial: () => 0,
  created: () => ({ ok: true, balance: 0 }),
  deleted: () => ({ ok: true }),
  rejected: (_cmd, reason, v) => ({ ok: false, error: `${reason}: ${v}` }),
  // Where the oracle places a new account: any deterministic function will do.
  place: (v: string, partitions: readonly PartitionId[]) =>
    partitions[[...v].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % partitions.length]!,
  validate(cmd: unknown) {
    if (typeof cmd !== "object" || cmd === null || !("type" in cmd)) return "not a bank command";
    return null;
  },
};

/** A workload: ten accounts at boot, clients transfer between random pairs and read balances. */
export const bankWorkload: DsWorkload<BankCmd, BankResult, Balance> = {
  app: bank,
  initial: (partitions, rng) =>
    Array.from({ length: 10 }, (_, i) => [`acct${i}`, rng.pick(partitions), 100] as const),
  next(rng: Rng): BankCmd {
    const a = `acct${rng.int(10)}`;
    const b = `acct${rng.int(10)}`;
    if (a !== b && rng.chance(0.6))
      return { type: "transfer", from: a, to: b, amount: 1 + rng.int(20) };
    return rng.chance(0.5)
      ? { type: "balance", account: a }
      : { type: "deposit", account: a, amount: 5 };
  },
};

/** Runs the bank on 4 partitions under every kind of fault; returns violations and counters. */
export function runBank(seed = 1) {
  const faults = new Set(["crash", "partition", "oneway", "drop", "duplicate"] as const);
  return runDsSimulation({ ...defaultDsSimOptions, seed, partitions: 4, faults }, bankWorkload);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = runBank();
  console.log(`violations: ${r.violations.length}`);
  console.log(
    `commands: ${r.stats.commandsCompleted}, moves: ${r.stats.moves}, retries: ${r.stats.retries}, fallbacks: ${r.stats.fallbacks}`,
  );
}
