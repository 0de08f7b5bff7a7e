// The replica bundle: built from the sources, and it runs (without tsx).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { removeOldBundles, replicaNodeArgs } from "./bundle.ts";

describe("replicaNodeArgs", () => {
  it("builds a plain JavaScript bundle of the replica entry point that node runs as is", async () => {
    const args = await replicaNodeArgs();
    const file = args.at(-1)!;
    expect(file).toMatch(/replica-[0-9a-f]{16}\.mjs$/);
    expect(existsSync(file)).toBe(true);
    expect(args).not.toContain("--import"); // no tsx loader
    // Without flags the entry point prints its usage and exits 2: proof that the bundle loads.
    const run = spawnSync(process.execPath, [...args], { encoding: "utf8", timeout: 20_000 });
    expect(run.stderr).toContain("usage: node-main.ts --config FILE --id ID");
    expect(run.status).not.toBe(0);
    // The same sources give the same file.
    expect(await replicaNodeArgs()).toEqual(args);
  });
  it("removes other bundles unused for a day, and keeps recent ones and the current one", () => {
    // On a scratch folder: the live cache is in use by other tests' clusters.
    const dir = mkdtempSync(join(tmpdir(), "dssmr-bundles-"));
    try {
      const name = (c: string) => join(dir, `replica-${c.repeat(16)}.mjs`);
      const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
      for (const f of [name("a"), name("b"), name("c"), join(dir, "other.txt")]) {
        writeFileSync(f, "//");
        if (f !== name("b")) utimesSync(f, twoDaysAgo, twoDaysAgo);
      }
      removeOldBundles(dir, name("c"));
      expect(readdirSync(dir).sort()).toEqual(
        ["other.txt", `replica-${"b".repeat(16)}.mjs`, `replica-${"c".repeat(16)}.mjs`].sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
