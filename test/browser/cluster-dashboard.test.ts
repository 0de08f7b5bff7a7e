// The dashboard and Chirper page in chromium against `dssmr up` itself: the real CLI, its replica processes and HTTP port.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePorts } from "../../src/net/free-port.ts";
import { browserSkipReason, launchChromium, PageErrors, screenshotDir } from "./browser.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const BIN = join(ROOT, "bin/dssmr.js");
const skip = browserSkipReason();
const slow = { timeout: 20_000 };

describe.skipIf(skip !== null)("dashboard in chromium (dssmr up)", () => {
  let dir: string;
  let up: ChildProcess | null = null;
  let upExit: Promise<number | null> = Promise.resolve(null);
  let upOut = "";
  let url = "";
  let browser: Browser;
  const errors = new PageErrors();
  const shots = screenshotDir();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dssmr-dashboard-"));
    const [port] = await freePorts(1);
    // What a viewer runs: the demo graph starts scattered (random placement, the default).
    const child = spawn(
      process.execPath,
      [
        BIN,
        "up",
        "--data",
        join(dir, "data"),
        "--http-port",
        String(port),
        "--partitions",
        "2",
        "--replicas",
        "3",
        "--demo-users",
        "60",
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    up = child;
    upExit = new Promise((r) => child.once("exit", (code) => r(code)));
    child.stderr!.on("data", (d: Buffer) => {
      upOut += d.toString();
    });
    await new Promise<void>((ready, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`dssmr up did not come up:\n${upOut}`)),
        60_000,
      );
      child.stdout!.on("data", (d: Buffer) => {
        upOut += d.toString();
        if (upOut.includes("Ctrl-C stops the cluster")) {
          clearTimeout(timer);
          ready();
        }
      });
      void upExit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`dssmr up exited with ${code}:\n${upOut}`));
      });
    });
    const shown = /dashboard (http:\/\/\S+)\//.exec(upOut);
    if (shown === null) throw new Error(`no dashboard URL in the banner:\n${upOut}`);
    url = shown[1]!;
    expect(upOut).toContain(`chirper  ${url}/chirper`);
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (up !== null && up.exitCode === null) {
      // Ctrl-C: `up` stops its HTTP server, the dashboard's workload and every replica, then exits 0.
      up.kill("SIGINT");
      const timer = setTimeout(() => up?.kill("SIGKILL"), 20_000);
      const code = await upExit;
      clearTimeout(timer);
      expect(code, upOut).toBe(0);
      expect(upOut).toContain("stopped; the data stays");
      expect(upOut).not.toMatch(/Warning|exited unexpectedly/);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(errors.errors).toEqual([]);
  }, 60_000);

  const leaderRow = (page: Page, group: number) =>
    page.locator("#groups article").nth(group).locator("tr:has(td.role-leader)");

  it("shows the live cluster, runs a workload, and keeps serving Chirper with a leader killed", async () => {
    const dash = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    errors.watch(dash, "dashboard");
    await dash.goto(`${url}/`);
    await expect.poll(() => dash.textContent("#connection"), slow).toBe("live");
    expect(await dash.locator("#groups article").count()).toBe(3);
    for (const g of [0, 1, 2]) await expect.poll(() => leaderRow(dash, g).count(), slow).toBe(1);
    const commit = dash.locator("#groups article").nth(1).locator("tbody tr td.num").nth(1);
    const first = Number(await commit.textContent());

    // The community × partition map: 2 communities × 2 partitions holding all 60 demo users.
    const cells = dash.locator("#placement table tbody td");
    await expect.poll(() => cells.count(), slow).toBe(4);
    const users = async () => (await cells.allTextContents()).reduce((a, t) => a + Number(t), 0);
    expect(await users()).toBe(60);
    const together = async () =>
      Number(/(\d+)%/.exec((await dash.textContent("#placement-score")) ?? "")?.[1] ?? "NaN");
    const scattered = await together();
    expect(scattered).toBeLessThan(100);

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
    // DS-SMR moved users next to the people they follow: the map is closer to diagonal.
    await expect.poll(together, slow).toBeGreaterThan(scattered);
    expect(await users()).toBe(60);
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
      await page.goto(`${url}/chirper`);
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
