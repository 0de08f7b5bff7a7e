// The dashboard and Chirper page in chromium against a real local cluster of replica processes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChirperCmd, ChirperResult } from "../../src/apps/chirper/types.ts";
import { DsClient } from "../../src/client/ds-client.ts";
import { appSetup } from "../../src/cluster/app-setup.ts";
import { loadClusterConfig } from "../../src/cluster/config.ts";
import { LocalCluster } from "../../src/cluster/launcher.ts";
import {
  buildLocalConfig,
  defaultLocalClusterOptions,
  writeClusterConfig,
} from "../../src/cluster/local-config.ts";
import { createClusterApp } from "../../src/dashboard/cluster-app.ts";
import type { ClusterBackend } from "../../src/dashboard/cluster-backend.ts";
import { type RunningServer, serveApp } from "../../src/http/serve.ts";
import { browserSkipReason, launchChromium, PageErrors, screenshotDir } from "./browser.ts";

const skip = browserSkipReason();
const slow = { timeout: 20_000 };

describe.skipIf(skip !== null)("dashboard in chromium (local cluster)", () => {
  let dir: string;
  let cluster: LocalCluster;
  let backend: ClusterBackend;
  let client: DsClient<ChirperCmd, ChirperResult>;
  let server: RunningServer;
  let browser: Browser;
  const errors = new PageErrors();
  const shots = screenshotDir();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dssmr-dashboard-"));
    const config = await buildLocalConfig({
      ...defaultLocalClusterOptions,
      partitions: 2,
      replicas: 3,
      httpPort: null,
      metrics: false,
      demoUsers: 60,
    });
    writeClusterConfig(join(dir, "cluster.json"), config);
    const loaded = loadClusterConfig(join(dir, "cluster.json"));
    cluster = await LocalCluster.start(loaded);
    await cluster.waitReady();
    const setup = appSetup(loaded.config);
    if (setup.kind !== "chirper") throw new Error("expected a Chirper cluster");
    client = await DsClient.connect(loaded, setup.app);
    const served = createClusterApp(loaded, {
      cluster,
      client,
      seed: 1,
      dashboard: { intervalMs: 500 },
    });
    backend = served.backend;
    server = await serveApp(served.app, { port: 0 });
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await backend?.close();
    await client?.close();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(errors.errors).toEqual([]);
  }, 60_000);

  const leaderRow = (page: Page, group: number) =>
    page.locator("#groups article").nth(group).locator("tr:has(td.role-leader)");

  it("shows the live cluster, runs a workload, and keeps serving Chirper with a leader killed", async () => {
    const dash = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    errors.watch(dash, "dashboard");
    await dash.goto(`${server.url}/`);
    await expect.poll(() => dash.textContent("#connection"), slow).toBe("live");
    expect(await dash.locator("#groups article").count()).toBe(3);
    for (const g of [0, 1, 2]) await expect.poll(() => leaderRow(dash, g).count(), slow).toBe(1);
    const commit = dash.locator("#groups article").nth(1).locator("tbody tr td.num").nth(1);
    const first = Number(await commit.textContent());

    // A short workload from the dashboard: real commands, counters and charts move.
    await dash.selectOption("#workload-mix", "mix");
    await dash.fill("#workload-clients", "8");
    await dash.fill("#workload-duration", "6");
    await dash.click("#workload-start");
    await expect.poll(() => dash.textContent("#workload-state"), slow).toContain("Running mix");
    await expect.poll(async () => Number(await commit.textContent()), slow).toBeGreaterThan(first);
    await expect.poll(() => dash.textContent("#tile-throughput"), slow).toMatch(/[1-9].*\/s$/);
    await expect
      .poll(() => dash.textContent("#workload-state"), slow)
      .toContain("No workload running (last: mix");
    await dash.screenshot({ path: join(shots, "dashboard-cluster-workload.png"), fullPage: true });

    // Chirper: bob follows alice; alice's post reaches bob's timeline.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const alice = await context.newPage();
    const bob = await context.newPage();
    errors.watch(alice, "alice");
    errors.watch(bob, "bob");
    for (const [page, name] of [
      [alice, "alice"],
      [bob, "bob"],
    ] as const) {
      await page.goto(`${server.url}/chirper`);
      await page.fill("#signin-name", name);
      await page.click("#adduser");
      await expect.poll(() => page.textContent("#me"), slow).toBe(name);
    }
    await bob.fill("#follow-name", "alice");
    await bob.click("#follow");
    await expect.poll(() => bob.textContent("#status"), slow).toBe("You follow alice.");
    await alice.fill("#post-text", "First post, all replicas up");
    await alice.click("#post");
    await expect.poll(() => alice.textContent("#status"), slow).toBe("Posted.");
    const bobSees = (text: string) =>
      expect
        .poll(() => bob.locator("#timeline li").allTextContents(), slow)
        .toContainEqual(expect.stringContaining(text));
    await bobSees("First post, all replicas up");

    // Kill the leader of every partition from the dashboard: each shows down, others take over.
    const killed: string[] = [];
    for (const g of [1, 2]) {
      const row = leaderRow(dash, g);
      const id = (await row.getAttribute("data-replica"))!;
      killed.push(id);
      await row.getByRole("button", { name: `Kill replica ${id}` }).click();
      const mine = dash.locator(`tr[data-replica='${id}']`);
      await expect.poll(() => mine.locator(".badge").textContent(), slow).toBe("down");
      await expect.poll(() => leaderRow(dash, g).count(), slow).toBe(1);
    }
    await expect.poll(() => dash.textContent("#announcer"), slow).toContain("leads");
    await dash.screenshot({ path: join(shots, "dashboard-cluster-killed.png"), fullPage: true });

    // The cluster still serves: a new post reaches bob.
    await alice.fill("#post-text", "Second post, two leaders down");
    await alice.click("#post");
    await expect.poll(() => alice.textContent("#status"), slow).toBe("Posted.");
    await bobSees("Second post, two leaders down");
    await bob.screenshot({ path: join(shots, "chirper-cluster-timeline.png"), fullPage: true });

    // Restart them with their buttons: they come back up.
    for (const id of killed) {
      await dash.getByRole("button", { name: `Restart replica ${id}` }).click();
      const mine = dash.locator(`tr[data-replica='${id}']`);
      await expect.poll(() => mine.locator(".badge").textContent(), slow).toBe("up");
    }
    await context.close();
    await dash.close();
  }, 120_000);
});
