// Test helper: Debian's chromium under playwright-core, console and page errors collected, screenshots.
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/** Where Debian's chromium package installs the browser (`.ci/run` installs it when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Why browser tests cannot run here, or null when they can. Without chromium they are skipped
 * on a developer's machine but must fail in CI, where `.ci/run` installs it.
 */
export function browserSkipReason(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `${CHROMIUM} is missing (install it with: apt-get install -y chromium)`;
  if (process.env.CI) throw new Error(`browser tests must run in CI, but ${reason}`);
  return reason;
}

/**
 * Starts headless chromium. Playwright gives every launch a fresh, empty profile directory (its
 * own --user-data-dir); the flags keep chromium off the network, which is closed here.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-quic",
      "--disable-sync",
    ],
  });
}

/** Console errors and uncaught page errors of the pages being watched. */
export class PageErrors {
  readonly errors: string[] = [];
  private readonly expected: RegExp[] = [];

  /**
   * Lets exactly one coming console error that matches `pattern` pass (chromium logs every
   * 4xx answer, so a test that provokes one on purpose says so first).
   */
  expectOne(pattern: RegExp): void {
    this.expected.push(pattern);
  }

  /** Records every console error and page error of `page`. */
  watch(page: Page, label: string): void {
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      const text = `${msg.text()} (${msg.location().url})`;
      const i = this.expected.findIndex((p) => p.test(text));
      if (i >= 0) this.expected.splice(i, 1);
      else this.errors.push(`${label} console: ${text}`);
    });
    page.on("pageerror", (err) => this.errors.push(`${label} page error: ${err.message}`));
  }
}

/** The folder screenshots go to: $SCREENSHOT_DIR, or a fixed folder under the system temp dir. */
export function screenshotDir(): string {
  const dir = process.env.SCREENSHOT_DIR ?? join(tmpdir(), "dssmr-screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}
