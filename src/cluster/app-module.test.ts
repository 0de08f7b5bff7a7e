// Loading applications from modules: resolution, export shapes, factories, identities, and clear errors.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupId } from "../core/ids.ts";
import {
  AppModuleError,
  appIdentityOf,
  appSpecForConfig,
  loadAppModule,
  notAnApp,
  resolveAppModule,
} from "./app-module.ts";
import { loadAppSetup } from "./app-setup.ts";
import { parseClusterConfig } from "./config.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const BANK = join(ROOT, "examples/bank.ts");
const ctx = { mode: "dssmr" as const, partitions: [groupId(1), groupId(2)] };

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dssmr-app-module-"));
});
afterAll(async () => {
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

/** A module in the scratch folder that re-exports the bank in some shape. */
const write = async (name: string, body: string): Promise<string> => {
  await writeFile(join(dir, name), body);
  return `./${name}`;
};

describe("app modules", () => {
  it("loads the bank example by a path relative to the config's folder, with name@hash", async () => {
    const rel = appSpecForConfig("./examples/bank.ts", ROOT, join(ROOT, "dssmr-data"));
    expect(rel).toBe("../examples/bank.ts");
    const m = await loadAppModule(rel, join(ROOT, "dssmr-data"), ctx);
    expect(m.file).toBe(BANK);
    expect(m.app.name).toBe("bank");
    expect(m.identity).toMatch(/^bank@[0-9a-f]{16}$/);
    expect(appIdentityOf(m.app)).toBe(m.identity);
    // Absolute paths and built-in names pass through.
    expect(appSpecForConfig(BANK, "/", dir)).toMatch(/bank\.ts$/);
    expect(appSpecForConfig("kv", ROOT, dir)).toBe("kv");
    expect(appSpecForConfig("some-package", ROOT, dir)).toBe("some-package");
  });

  it("takes a named `app` export and a factory, which sees the deployment", async () => {
    const named = await write("named.ts", `export { bank as app } from ${JSON.stringify(BANK)};\n`);
    expect((await loadAppModule(named, dir, ctx)).app.name).toBe("bank");
    const factory = await write(
      "factory.mjs",
      `import { pathToFileURL } from "node:url";
export default async ({ partitions }) => {
  const { bank } = await import("tsx/esm/api").then((t) => t.tsImport(${JSON.stringify(BANK)}, import.meta.url));
  return { ...bank, name: "bank" + partitions.length };
};
`,
    );
    const m = await loadAppModule(factory, dir, ctx);
    expect(m.app.name).toBe("bank2");
    expect(m.identity).toMatch(/^bank2@/);
  });

  it("changes identity when the module's contents change", async () => {
    const spec = await write("v.ts", `export { bank as default } from ${JSON.stringify(BANK)};\n`);
    const a = await loadAppModule(spec, dir, ctx);
    await write("v.ts", `export { bank as default } from ${JSON.stringify(BANK)}; // v2\n`);
    const b = await loadAppModule(spec, dir, ctx);
    expect(a.identity).not.toBe(b.identity);
    expect(a.identity.split("@")[0]).toBe(b.identity.split("@")[0]);
  });

  it("says clearly what is wrong with a module", async () => {
    const fail = (spec: string) => loadAppModule(spec, dir, ctx);
    await expect(fail("./missing.ts")).rejects.toThrow(/not found: no file .*missing\.ts/);
    await expect(fail("./missing.ts")).rejects.toBeInstanceOf(AppModuleError);
    await expect(fail("no-such-package-xyz")).rejects.toThrow(
      /no package of that name.*must start with \.\/, \.\.\/ or \//,
    );
    const empty = await write("empty.ts", "export const x = 1;\n");
    await expect(fail(empty)).rejects.toThrow(/no default export and no export named `app`/);
    const half = await write("half.mjs", 'export default { name: "half", classify() {} };\n');
    await expect(fail(half)).rejects.toThrow(
      /does not export a PartitionedApp: it has no function variables, execute/,
    );
    const broken = await write("broken.ts", "export default ;;; {\n");
    await expect(fail(broken)).rejects.toThrow(/cannot load app module .*broken\.ts/);
    expect(notAnApp({ name: "a b" })).toMatch(/must not contain @ or spaces/);
  });

  it("is what loadAppSetup gives for a config naming a module; built-ins keep their names", async () => {
    const raw = {
      app: "../examples/bank.ts",
      groups: [
        { id: 0, replicas: [{ id: 1, host: "127.0.0.1", port: 7001, dataDir: "a" }] },
        { id: 1, replicas: [{ id: 2, host: "127.0.0.1", port: 7002, dataDir: "b" }] },
      ],
    };
    const at = join(ROOT, "dssmr-data");
    const setup = await loadAppSetup({ config: parseClusterConfig(raw), file: null, dir: at });
    expect(setup.kind).toBe("module");
    expect(setup.identity).toMatch(/^bank@/);
    const kv = await loadAppSetup({
      config: parseClusterConfig({ ...raw, app: "kv" }),
      file: null,
      dir: at,
    });
    expect(kv.kind).toBe("kv");
    expect(kv.identity).toBe("kv");
    expect(resolveAppModule("../examples/bank.ts", at)).toBe(BANK);
  });
});
