// The replica bundle: built from the sources, and it runs (without tsx).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { replicaNodeArgs } from "./bundle.ts";

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
});
