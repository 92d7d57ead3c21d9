// The status page of a real lazarus (bun run src/main.ts --http=…) in headless
// Chromium: every server shown with its output, a real crash shown live, a
// restart from the page with the token done by the real core. (status-page.test.ts
// covers the page's details against a fake supervisor.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { findChromium, launchChromium } from "../helpers/chromium.ts";
import { perTest, type Run, SERVER } from "../helpers/run.ts";

const chromium = findChromium();
const { start, tempDir } = perTest({ tmp: "lazarus-page-" });
const TOKEN = "page-token-0123456789abcdefghij";

if (chromium.path === null) {
  test(`the page of a real lazarus in a browser: not run, ${chromium.reason}`, () => {
    console.log(`test/browser: ${chromium.reason}`);
    expect(chromium.reason).toContain("Chromium not found");
    expect(process.env.LAZARUS_REQUIRE_BROWSER ?? "").not.toBe("1");
  });
} else {
  const path = chromium.path;
  describe("the status page of a real lazarus in Chromium", () => {
    let browser: Browser;
    beforeAll(async () => { browser = await launchChromium(path); });
    afterAll(async () => { await browser?.close(); });

    async function supervisor(): Promise<{ r: Run; url: string }> {
      const dir = tempDir();
      writeFileSync(join(dir, "token"), `${TOKEN}\n`);
      writeFileSync(join(dir, "lazarus.toml"), [
        "interval = 1", "", "[servers.web]", `cmd = ["${SERVER}", "--chatter=2"]`, "",
        "[servers.worker]", `cmd = ["${SERVER}"]`, "", "[servers.batch]", `cmd = ["${SERVER}", "--life=0.1"]`, "",
      ].join("\n"));
      const r = start(["--control=none", "--http=127.0.0.1:0", "--http-token-file=token"], { cwd: dir });
      const line = await r.waitFor(/HTTP endpoint at (http:\/\/\S+)\.$/);
      await r.waitFor("'batch' exited normally");
      return { r, url: /HTTP endpoint at (http:\/\/\S+)\.$/.exec(line)?.[1] as string };
    }

    async function open(url: string): Promise<{ page: Page; errors: string[] }> {
      const page = await (await browser.newContext()).newPage();
      const errors: string[] = [];
      page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${url}/`);
      await page.waitForSelector("tr.server[data-server=batch][data-state=cremated]");
      return { page, errors };
    }

    test("every server, its output, a crash shown live, and a restart from the page", async () => {
      const { r, url } = await supervisor();
      const { page, errors } = await open(url);
      expect(await page.locator("tr.server td.name").allTextContents()).toEqual(["web", "worker", "batch"]);
      expect(await page.locator('tr.server[data-server="worker"]').getAttribute("data-state")).toBe("alive");
      await page.locator('tr.output[data-server="web"] summary').click();
      await page.locator('tr.output[data-server="web"] pre', { hasText: "server-1-x" }).waitFor();

      // A real crash: the worker lived longer than the interval, so it is respawned; the page shows a restart.
      const worker = Number(await page.locator('tr.server[data-server="worker"] td.pid').textContent());
      const t0 = performance.now();
      process.kill(worker, "SIGSEGV");
      await page.locator('tr.server[data-server="worker"] td.restarts', { hasText: /^1$/ }).waitFor({ timeout: 30_000 });
      console.log(`the page showed the respawn ${(performance.now() - t0).toFixed(0)} ms after the crash`);
      expect(await page.locator('tr.server[data-server="worker"] td.lastexit').textContent()).toBe("SIGSEGV");

      // A restart from the page, with the token: the real core stops and starts it.
      const web = await page.locator('tr.server[data-server="web"] td.pid').textContent();
      await page.locator("#token").fill(TOKEN);
      await page.locator('tr.server[data-server="web"] button[data-op="restart"]').click();
      await page.locator("#message", { hasText: "restart web: restarting web" }).waitFor();
      await r.waitFor("restart of 'web' requested.");
      await page.locator('tr.server[data-server="web"] td.restarts', { hasText: /^1$/ }).waitFor({ timeout: 30_000 });
      expect(await page.locator('tr.server[data-server="web"] td.pid').textContent()).not.toBe(web);
      expect(errors).toEqual([]);
      r.signal("SIGTERM");
      expect((await r.ended()).code).toBe(0);
    });
  });
}
