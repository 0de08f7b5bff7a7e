// The `dssmr sim` command: exit statuses, JSON summary, history output and usage errors.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

describe("dssmr sim", () => {
  it("exits 0 with a JSON summary as the last line", async () => {
    const r = await cli("sim", "--seeds", "2", "--ops", "50", "--faults", "all", "--json");
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.out.at(-1)!);
    expect(summary).toMatchObject({ seeds: 2, ops: 100, violations: 0, firstFailingSeed: null });
  });

  it("exits 1 on a violation and prints a replay command that reproduces it", async () => {
    const r = await cli("sim", "--seeds", "40", "--faults", "all", "--bug", "stale-read", "--json");
    expect(r.status).toBe(1);
    const summary = JSON.parse(r.out.at(-1)!);
    expect(summary.violations).toBeGreaterThan(0);
    expect(summary.replay).toMatch(/^npx dssmr sim --seed \d+ /);
    const replay = summary.replay.replace(/^npx dssmr /, "").split(" ");
    const again = await cli(...replay, "--json");
    expect(again.status).toBe(1);
    expect(JSON.parse(again.out.at(-1)!).firstFailingSeed).toBe(summary.firstFailingSeed);
  });

  it("writes the history as JSON lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dssmr-"));
    const file = join(dir, "h.jsonl");
    const r = await cli("sim", "--seed", "3", "--ops", "30", "--history-out", file);
    expect(r.status).toBe(0);
    const lines = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(30);
    expect(lines[0]).toHaveProperty("client");
    expect(lines[0]).toHaveProperty("operation");
    expect(lines[0]).toHaveProperty("invokedAt");
    expect(lines[0]).toHaveProperty("incomplete", false);
  });

  it.each([
    [["sim", "--bogus"]],
    [["sim", "--seeds", "x"]],
    [["sim", "--seeds", "0"]],
    [["sim", "--faults", "earthquake"]],
    [["sim", "--bug", "nope"]],
    [["nosuchcommand"]],
  ])("exits 2 with a clear message on bad usage: %j", async (argv) => {
    const r = await cli(...argv);
    expect(r.status).toBe(2);
    expect(r.err.join("\n")).toMatch(/error/i);
  });

  it("runs as a real process through bin/dssmr.js", () => {
    const out = execFileSync(
      process.execPath,
      ["bin/dssmr.js", "sim", "--seed", "5", "--ops", "20", "--json"],
      {
        encoding: "utf8",
      },
    );
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toMatchObject({ violations: 0 });
    const bad = spawnSync(process.execPath, ["bin/dssmr.js", "sim", "--nope"], {
      encoding: "utf8",
    });
    expect(bad.status).toBe(2);
  });
});
