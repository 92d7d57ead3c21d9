// The status page's files: HTML, script, style and icon, kept as real files in
// assets/ and embedded as text at build time (Bun's `with { type: "text" }`
// imports, so `bun build --compile` carries them too). The script and the style
// are separate files because the page's Content-Security-Policy forbids inline
// script and style. Each has an ETag (a hash of its text) for revalidation.
import APP_CSS from "./assets/app.css" with { type: "text" };
import APP_JS from "./assets/app.js" with { type: "text" };
import FAVICON from "./assets/favicon.svg" with { type: "text" };
import INDEX_HTML from "./assets/index.html" with { type: "text" };

export interface Asset {
  readonly type: string;
  readonly body: string;
  readonly etag: string;
}

function asset(type: string, body: string): Asset {
  // Bun's own hasher: node:crypto would cost lazarus about 7 MiB of memory for this (and auth.ts's) digest alone.
  return { type, body, etag: `"${new Bun.CryptoHasher("sha256").update(body).digest("base64url").slice(0, 22)}"` };
}

export const ASSETS: Readonly<Record<string, Asset>> = {
  "/": asset("text/html; charset=utf-8", INDEX_HTML),
  "/app.js": asset("text/javascript; charset=utf-8", APP_JS),
  "/app.css": asset("text/css; charset=utf-8", APP_CSS),
  "/favicon.svg": asset("image/svg+xml", FAVICON),
};
