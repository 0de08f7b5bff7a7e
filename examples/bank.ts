// A complete DS-SMR application: bank accounts with transfers; tested in the simulator, runnable on a real cluster.
import type { PartitionedApp } from "../src/core/dssmr/app.ts";
import type { PartitionId } from "../src/core/dssmr/types.ts";
import {
  type Model,
  type Rng,
  type SimulateAppOptions,
  simulateApp,
} from "../src/testing/simulate-app.ts";

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

const isAccount = (v: unknown): v is string =>
  typeof v === "string" && v.length > 0 && v.length <= 64;
const isAmount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** Why `cmd` (from outside: `dssmr call`, a client) is not a bank command, or null. */
function validateBank(cmd: unknown): string | null {
  if (typeof cmd !== "object" || cmd === null) return "not a bank command (expected an object)";
  const c = cmd as Record<string, unknown>;
  switch (c.type) {
    case "open":
    case "balance":
      return isAccount(c.account) ? null : "account: expected a name of 1..64 characters";
    case "deposit":
      if (!isAccount(c.account)) return "account: expected a name of 1..64 characters";
      return isAmount(c.amount) ? null : "amount: expected a positive integer";
    case "transfer":
      if (!isAccount(c.from) || !isAccount(c.to)) {
        return "from, to: expected names of 1..64 characters";
      }
      // A transfer to itself would read one balance twice and write it twice: refuse it.
      if (c.from === c.to) return "from and to must be different accounts";
      return isAmount(c.amount) ? null : "amount: expected a positive integer";
    default:
      return `type: expected open, deposit, transfer or balance, got ${JSON.stringify(c.type)}`;
  }
}

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
  validate: validateBank,
};

/** What a cluster loads: `dssmr up --app ./examples/bank.ts` (or `"app"` in cluster.json). */
export default bank;

type Accounts = ReadonlyMap<string, number>;

/**
 * The bank's specification, written apart from the app: what one unpartitioned bank answers.
 * An access to an account that does not exist is answered by the system (`unknown: NAME`,
 * the first missing one in `variables` order), as is opening one that exists.
 */
export function bankModel(initial: Accounts): Model<Accounts, BankCmd, BankResult> {
  const step = (s: Accounts, cmd: BankCmd): [Accounts, BankResult] => {
    const missing = (cmd.type === "transfer" ? [cmd.from, cmd.to] : [cmd.account]).find(
      (a) => !s.has(a),
    );
    switch (cmd.type) {
      case "open":
        return s.has(cmd.account)
          ? [s, { ok: false, error: `exists: ${cmd.account}` }]
          : [new Map(s).set(cmd.account, 0), { ok: true, balance: 0 }];
      case "balance":
        return [
          s,
          missing
            ? { ok: false, error: `unknown: ${missing}` }
            : { ok: true, balance: s.get(cmd.account)! },
        ];
      case "deposit": {
        if (missing) return [s, { ok: false, error: `unknown: ${missing}` }];
        const balance = s.get(cmd.account)! + cmd.amount;
        return [new Map(s).set(cmd.account, balance), { ok: true, balance }];
      }
      case "transfer": {
        if (missing) return [s, { ok: false, error: `unknown: ${missing}` }];
        const from = s.get(cmd.from)!;
        if (from < cmd.amount) return [s, { ok: false, error: "insufficient funds" }];
        const next = new Map(s).set(cmd.from, from - cmd.amount);
        return [next.set(cmd.to, s.get(cmd.to)! + cmd.amount), { ok: true }];
      }
    }
  };
  return {
    init: () => initial,
    step(state, cmd, output) {
      const [next, expected] = step(state, cmd);
      if (output === undefined) return next; // never answered: it may or may not have run
      return JSON.stringify(expected) === JSON.stringify(output) ? next : undefined;
    },
    key: (state) => JSON.stringify([...state].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/** Ten accounts of 100 at boot; clients transfer between random pairs and read balances. */
export const bankSimulation: SimulateAppOptions<BankCmd, BankResult, Balance, Accounts> = {
  app: bank,
  initial: Array.from({ length: 10 }, (_, i) => [`acct${i}`, 100] as const),
  next(rng: Rng): BankCmd {
    const a = `acct${rng.int(10)}`;
    const b = `acct${rng.int(10)}`;
    if (a !== b && rng.chance(0.6))
      return { type: "transfer", from: a, to: b, amount: 1 + rng.int(20) };
    return rng.chance(0.5)
      ? { type: "balance", account: a }
      : { type: "deposit", account: a, amount: 5 };
  },
  model: bankModel,
};

/** Runs the bank on 4 partitions under every kind of fault, one seed; the report of simulateApp. */
export function runBank(seed = 1) {
  return simulateApp({ ...bankSimulation, seeds: [seed], partitions: 4, faults: "all" });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = simulateApp({ ...bankSimulation, seeds: 5, partitions: 4, print: true });
  process.exitCode = r.ok ? 0 : 1;
}
