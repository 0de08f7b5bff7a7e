// The dashboard and Chirper pages in headless chromium against the fake backend: live updates, controls, posts.
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../../src/dashboard/dev-server.ts";
import { browserSkipReason, launchChromium, PageErrors, screenshotDir } from "./browser.ts";

const skip = browserSkipReason();
if (skip !== null) console.warn(`skipping browser tests: ${skip}`);

describe.skipIf(skip !== null)("dashboard in chromium (fake backend)", () => {
  let server: DevServer;
  let browser: Browser;
  const errors = new PageErrors();
  const shots = screenshotDir();

  beforeAll(async () => {
    server = await startDevServer(0, { intervalMs: 250 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    expect(errors.errors).toEqual([]);
  });

  it("loads, updates over server-sent events, runs a workload and kills a replica", async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    errors.watch(page, "dashboard");
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.textContent("#connection")).toBe("live");
    const snapshots = async () => Number(await page.locator("body").getAttribute("data-snapshots"));
    await expect.poll(snapshots).toBeGreaterThanOrEqual(3);
    expect(await page.locator("#groups article").count()).toBe(4);

    // Start a post workload from the form, using the keyboard for the last step.
    await page.selectOption("#workload-mix", "post");
    await page.fill("#workload-clients", "32");
    await page.fill("#workload-duration", "60");
    await page.focus("#workload-start");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent("#workload-state")).toContain("Running post");
    await expect.poll(() => page.textContent("#tile-completed")).not.toBe("0");
    await expect.poll(() => page.textContent("#tile-throughput")).toMatch(/\/s$/);
    await expect
      .poll(() => page.locator("#charts path.series").count(), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(6);

    // Kill replica 101 (partition 1's leader) with its button: it shows down, and someone leads.
    const row = page.locator("tr[data-replica='101']");
    await row.getByRole("button", { name: "Kill replica 101" }).click();
    await expect.poll(() => row.locator(".badge").textContent()).toBe("down");
    await expect.poll(() => page.textContent("#announcer")).toContain("101");
    const leaders = page.locator("#groups article").nth(1).locator("td.role-leader");
    await expect.poll(() => leaders.count()).toBe(1);
    const restart = row.getByRole("button", { name: "Restart replica 101" });
    await page.screenshot({ path: join(shots, "dashboard-fake-killed.png"), fullPage: true });
    await restart.click();
    await expect.poll(() => row.locator(".badge").textContent()).toBe("up");

    // Bad input from the form shows an error rather than failing silently.
    await page.fill("#workload-clients", "1000");
    await page.click("#workload-stop");
    await expect.poll(() => page.textContent("#workload-state")).toContain("No workload running");
    await page.click("#workload-start");
    expect(await page.textContent("#workload-state")).toContain("No workload running");
    await page.close();
  });

  it("shows a post on a follower's timeline on the Chirper page", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const alice = await context.newPage();
    const bob = await context.newPage();
    errors.watch(alice, "chirper alice");
    errors.watch(bob, "chirper bob");

    await alice.goto(`${server.url}/chirper`);
    await alice.fill("#signin-name", "alice");
    await alice.click("#adduser");
    await expect.poll(() => alice.textContent("#me")).toBe("alice");
    expect(await alice.isVisible("#signin-form")).toBe(false);

    // sessionStorage is per tab: bob signs in in his own tab.
    await bob.goto(`${server.url}/chirper`);
    await bob.fill("#signin-name", "nobody");
    errors.expectOne(/status of 404 .*\/api\/users\/nobody\/timeline/);
    await bob.click("#signin");
    await expect.poll(() => bob.textContent("#error")).toContain("There is no user named “nobody”");
    await bob.fill("#signin-name", "bob");
    await bob.click("#adduser");
    await expect.poll(() => bob.textContent("#me")).toBe("bob");
    await bob.fill("#follow-name", "alice");
    await bob.click("#follow");
    await expect.poll(() => bob.textContent("#status")).toBe("You follow alice.");

    await alice.fill("#post-text", "Hello from the dashboard test");
    await alice.click("#post");
    await expect.poll(() => alice.textContent("#status")).toBe("Posted.");

    // Bob's page refreshes by itself every two seconds.
    await expect
      .poll(() => bob.locator("#timeline li").allTextContents(), { timeout: 10_000 })
      .toContainEqual(expect.stringContaining("Hello from the dashboard test"));
    await bob.screenshot({ path: join(shots, "chirper-fake-timeline.png"), fullPage: true });

    await bob.click("#unfollow");
    await expect.poll(() => bob.textContent("#status")).toBe("You no longer follow alice.");
    await expect.poll(() => bob.locator("#timeline li").count()).toBe(0);

    // The name survives a reload of the tab, and signing out forgets it.
    await bob.reload();
    await expect.poll(() => bob.textContent("#me")).toBe("bob");
    await bob.click("#signout");
    expect(await bob.isVisible("#signin-form")).toBe(true);
    await context.close();
  });
});
