// `bun run screenshot`: docs/images/status-page.png, the status page in Debian's
// Chromium in front of a FakeSupervisor (the real core, made-up OS) with an hour
// of history: crashes, a crash loop buried, clean exits, stops, output.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { findChromium, launchChromium } from "../helpers/chromium.ts";
import { BUSY_OUTPUT, BUSY_SERVERS, busyHistory, serveFake, TEST_TOKEN } from "../helpers/http-fake.ts";

const out = process.argv[2] ?? join(import.meta.dir, "../../docs/images/status-page.png");
const chromium = findChromium();
if (chromium.path === null) {
  console.error(`screenshot: ${chromium.reason}`);
  process.exit(1);
}
const f = serveFake(BUSY_SERVERS, { fake: { seesOutput: BUSY_OUTPUT }, prepare: busyHistory });
const browser = await launchChromium(chromium.path);
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
  await page.goto(`${f.url}/`);
  await page.waitForSelector(`tr.server[data-server="${BUSY_SERVERS.at(-1)?.name}"]`);
  await page.locator('tr.output[data-server="worker"] summary').click();
  await page.locator("#token").fill(TEST_TOKEN);
  await page.locator('tr.server[data-server="api"] button[data-op="restart"]').click();
  await page.locator("#message", { hasText: "restart api" }).waitFor();
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`screenshot: ${out}`);
} finally {
  await browser.close();
  f.http.close();
}
