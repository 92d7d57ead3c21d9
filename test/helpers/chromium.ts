// Debian's Chromium for the browser tests, driven by playwright-core (which never
// downloads a browser of its own). The flags are the ones that work on these
// machines: no sandbox as root, no GPU, and no background networking (the
// network is closed: without them Chromium keeps trying to reach Google).
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];

/** Where Chromium is ($LAZARUS_CHROMIUM, /usr/bin/chromium, or on PATH), or why there is none. */
export function findChromium(): { path: string; reason: null } | { path: null; reason: string } {
  const env = process.env.LAZARUS_CHROMIUM;
  if (env !== undefined && env !== "") {
    return existsSync(env) ? { path: env, reason: null } : { path: null, reason: `Chromium not found at LAZARUS_CHROMIUM=${env}` };
  }
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (existsSync(p)) return { path: p, reason: null };
  const onPath = Bun.which("chromium") ?? Bun.which("chromium-browser");
  if (onPath !== null) return { path: onPath, reason: null };
  return { path: null, reason: "Chromium not found (no /usr/bin/chromium, none on PATH, LAZARUS_CHROMIUM unset): apt-get install chromium" };
}

export function launchChromium(path: string): Promise<Browser> {
  return chromium.launch({ executablePath: path, args: CHROMIUM_ARGS, headless: true });
}
