// The core must stay deterministic: no hidden randomness or clocks that the linter cannot see.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") ? [p] : [];
  });
}

const forbidden = [
  /Math\.random/,
  /\bDate\b/,
  /\bperformance\./,
  /\bsetTimeout\b/,
  /\bprocess\./,
  /\bawait\b/,
  /\bPromise\b/,
];

describe("core purity", () => {
  const files = sources("src/core");
  it("finds the core sources", () => {
    expect(files.length).toBeGreaterThan(3);
  });
  it.each(files)("%s uses no clock, randomness, I/O or promises", (file) => {
    const text = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)) // comments may name what is forbidden
      .join("\n");
    for (const pattern of forbidden)
      expect(text, `${file} matches ${pattern}`).not.toMatch(pattern);
  });
});
