// The status page in a real headless browser (Debian's Chromium, driven by
// playwright-core) against the real endpoint serving a FakeSupervisor (the real
// core with made-up OS answers) that changes while the page is open.
//
// Waits are selectors (a string predicate would need eval, which the page's CSP
// forbids, as it should); code run in the page is a string (the project's
// TypeScript has no DOM types). Without Chromium this file runs one test that says so (and fails when
// LAZARUS_REQUIRE_BROWSER=1, as .ci/run sets it after installing Chromium).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { type FakeEndpoint, serveFake, TEST_TOKEN } from "../helpers/http-fake.ts";
import { findChromium, launchChromium } from "../helpers/chromium.ts";

const chromium = findChromium();

const SERVERS = [
  { name: "web", argv: ["bun", "run", "server.ts"], intervalMs: 0 },
  { name: "worker", argv: ["worker"], intervalMs: 3_600_000 },
  { name: "cron", argv: ["cron"], autostart: false },
];

interface Watched {
  readonly page: Page;
  readonly errors: string[];
}

/** A page that records console errors, uncaught exceptions and CSP violations. */
async function watched(browser: Browser, url: string): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(`console ${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  // Runs before the page's own script, outside its CSP: every violation is kept.
  await page.addInitScript({
    content: `window.__csp = [];
      document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`,
  });
  await page.goto(url);
  return { page, errors };
}

async function violations(page: Page): Promise<string[]> {
  return page.evaluate("window.__csp") as Promise<string[]>;
}

const rowState = (page: Page, name: string) => page.locator(`tr.server[data-server="${name}"]`).getAttribute("data-state");
const cell = (page: Page, name: string, cls: string) => page.locator(`tr.server[data-server="${name}"] td.${cls}`).textContent();

if (chromium.path === null) {
  test(`status page in a browser: not run, ${chromium.reason}`, () => {
    console.log(`test/browser: ${chromium.reason}`);
    expect(chromium.reason).toContain("Chromium not found");
    // CI installs Chromium first (.ci/run): there, its absence is a failure.
    expect(process.env.LAZARUS_REQUIRE_BROWSER ?? "").not.toBe("1");
  });
} else {
  const path = chromium.path;
  describe("the status page in Chromium", () => {
    let browser: Browser;
    let f: FakeEndpoint;
    let w: Watched;

    beforeAll(async () => {
      browser = await launchChromium(path);
      f = serveFake(SERVERS, { fake: { seesOutput: ["web"] } });
      f.sup.output("web", "out", "listening on :8080");
      f.sup.output("web", "err", "warning: <b>not html</b>");
      w = await watched(browser, `${f.url}/`);
      await w.page.waitForSelector("tr.server[data-server=cron]");
    });
    afterAll(async () => {
      await browser?.close();
      f?.http.close();
    });

    test("it loads without console errors or CSP violations and shows every server", async () => {
      const page = w.page;
      expect(await page.locator("tr.server").count()).toBe(3);
      expect(await page.locator("tr.server td.name").allTextContents()).toEqual(["web", "worker", "cron"]);
      expect(await rowState(page, "web")).toBe("alive");
      expect(await rowState(page, "cron")).toBe("unborn");
      expect(await cell(page, "web", "pid")).toBe(String(f.sup.pid("web")));
      expect(await page.locator("#conn").textContent()).toBe("live");
      expect(await page.locator("#summary").textContent()).toContain("2 of 3 servers alive");
      // Output is shown as text, never as markup.
      await page.locator('tr.output[data-server="web"] summary').click();
      expect(await page.locator('tr.output[data-server="web"] pre').textContent()).toBe("listening on :8080\nwarning: <b>not html</b>\n");
      expect(await page.locator('tr.output[data-server="web"] pre b').count()).toBe(0);
      expect(await page.locator("#auth").isVisible()).toBe(true);
      expect(w.errors).toEqual([]);
      expect(await violations(page)).toEqual([]);
    });

    test("a crash is pushed to the open page: no reload, no poll", async () => {
      const page = w.page;
      const t0 = performance.now();
      f.sup.crash("worker", { signal: 11 }); // interval 1 h: buried
      // The page fetches nothing by itself (it renders again from what it has every 10 s):
      // the only way the new state reaches it is the event stream. How fast is reported, not asserted.
      await page.waitForSelector('tr.server[data-server="worker"][data-state="buried"]', { timeout: 10_000 });
      console.log(`the page showed the crash after ${(performance.now() - t0).toFixed(0)} ms`);
      expect(await page.locator("#conn").textContent()).toBe("live");
      expect(await cell(page, "worker", "lastexit")).toBe("SIGSEGV");
      expect(await page.locator('tr.server[data-server="worker"] svg.timeline rect.k-buried').count()).toBe(1);
      expect(await page.locator('tr.server[data-server="worker"] button').allTextContents()).toEqual(["revive", "start"]);
      expect(w.errors).toEqual([]);
    });

    test("a restart with the token reaches the supervisor; without the token it is refused and nothing happens", async () => {
      const page = w.page;
      const pid = f.sup.pid("web");
      await page.locator("#token").fill(TEST_TOKEN);
      await page.locator('tr.server[data-server="web"] button[data-op="restart"]').click();
      await page.locator("#message", { hasText: /^restart web:/ }).waitFor();
      expect(await page.locator("#message").textContent()).toBe("restart web: restarting web");
      expect(f.sup.actions).toEqual([{ op: "restart", server: 0, name: "web" }]);
      expect(f.sup.pid("web")).not.toBe(pid);
      await page.locator('tr.server[data-server="web"] td.restarts', { hasText: /^1$/ }).waitFor();

      await page.locator("#token").fill("");
      await page.locator('tr.server[data-server="web"] button[data-op="stop"]').click();
      await page.locator("#message", { hasText: "refused" }).waitFor();
      expect(await page.locator("#message").textContent()).toStartWith("stop web refused (401): this action needs 'Authorization: Bearer TOKEN'");
      expect(f.sup.actions.length).toBe(1);
      expect(await rowState(page, "web")).toBe("alive");
      // The browser logs the refused request as a failed resource: that, and nothing else.
      expect(w.errors.filter((e) => !e.includes("401"))).toEqual([]);
      expect(w.errors.length).toBe(1);
      // The token was never kept anywhere but the page's memory.
      expect(await page.evaluate("[document.cookie, localStorage.length, sessionStorage.length]")).toEqual(["", 0, 0]);
      expect(await page.context().cookies()).toEqual([]);
      expect(await violations(page)).toEqual([]);
    });

    test("read-only (no token file): no token field, no buttons", async () => {
      const g = serveFake(SERVERS, { token: null });
      try {
        const r = await watched(browser, `${g.url}/`);
        await r.page.waitForSelector("tr.server[data-server=cron]");
        expect(await r.page.locator("td.actions button").count()).toBe(0);
        expect(await r.page.locator("#auth").isVisible()).toBe(false);
        expect(await r.page.locator("#readonly").isVisible()).toBe(true);
        expect(r.errors).toEqual([]);
        expect(await violations(r.page)).toEqual([]);
        await r.page.context().close();
      } finally {
        g.http.close();
      }
    });
  });
}
