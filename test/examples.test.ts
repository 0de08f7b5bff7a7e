// The README's example application, tested as a user would test theirs: simulateApp over seeds and faults.
import { describe, expect, it } from "vitest";
import { type BankCmd, bank, bankSimulation, runBank } from "../examples/bank.ts";
import type { PartitionedApp } from "../src/core/dssmr/app.ts";
import { simulateApp } from "../src/testing/simulate-app.ts";

describe("examples/bank.ts", () => {
  it("is linearizable against its own model, with one owner per account, under every fault", () => {
    // The pattern for any app: its options (app, boot state, workload, model), then seeds.
    const report = simulateApp({ ...bankSimulation, seeds: 8, partitions: 4, faults: "all" });
    expect(report.failures).toEqual([]);
    expect(report.stats.commandsCompleted).toBe(8 * 200);
    expect(report.stats.moves).toBeGreaterThan(0);
    expect(report.stats.faultsInjected).toBeGreaterThan(0);
  });

  it("also runs the S-SMR fallback correctly (every multi-partition command falls back)", () => {
    const report = simulateApp({ ...bankSimulation, seeds: 2, retryThreshold: 0 });
    expect(report.failures).toEqual([]);
    expect(report.stats.fallbacks).toBeGreaterThan(0);
  });

  it("runs one seed as `npx tsx examples/bank.ts` does", () => {
    const r = runBank(1);
    expect(r.ok).toBe(true);
    expect(r.seeds).toEqual([1]);
  });

  it("catches a bug in the app and names the seed that replays it", () => {
    // A deposit that reports the old balance: the model says otherwise.
    const buggy: PartitionedApp<BankCmd, ReturnType<typeof bank.execute>, number> = {
      ...bank,
      execute(cmd, view, ctx) {
        const r = bank.execute(cmd, view, ctx);
        return cmd.type === "deposit" && r.ok ? { ok: true, balance: r.balance! - cmd.amount } : r;
      },
    };
    const lines: string[] = [];
    const report = simulateApp({
      ...bankSimulation,
      app: buggy,
      seeds: [3, 4],
      faults: "none",
      print: (l) => lines.push(l),
    });
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => f.seed)).toEqual([3, 4]);
    expect(report.failures[0]!.violations.join("\n")).toMatch(/^linearizability: /m);
    expect(report.failures[0]!.replay).toBe("simulateApp({ ...sameOptions, seeds: [3] })");
    expect(lines.at(-1)).toBe("bank: 2 of 2 seed(s) failed: 3, 4");
    // Deterministic: the same seed fails the same way again.
    const again = simulateApp({ ...bankSimulation, app: buggy, seeds: [3], faults: "none" });
    expect(again.failures[0]!.violations).toEqual(report.failures[0]!.violations);
  });

  it("refuses a workload that generates commands the app rejects, naming it", () => {
    expect(() =>
      simulateApp({
        ...bankSimulation,
        next: (): BankCmd => ({ type: "transfer", from: "acct1", to: "acct1", amount: 1 }),
        seeds: 1,
      }),
    ).toThrow(/bank.validate rejects \(from and to must be different accounts\)/);
  });

  it("checks against the app's own code when no model is given", () => {
    const { model: _mine, ...rest } = bankSimulation;
    const report = simulateApp({ ...rest, seeds: 2, faults: "crash" });
    expect(report.failures).toEqual([]);
  });
});
