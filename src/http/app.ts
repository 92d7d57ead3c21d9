// The HTTP application: a pure function from a request (and the supervisor's
// snapshot, the clock, what the adapter measured) to what to answer. No I/O:
// the adapter (src/os/http-server.ts) turns Bun's requests into HttpRequest and
// the result back into a response, opens the SSE streams and carries actions
// to the core.
//
//   GET  /                                  the status page (HTML; its script and style are /app.js, /app.css)
//   GET  /app.js, /app.css, /favicon.svg    the page's static assets (ETag, 304 on If-None-Match)
//   GET  /metrics                           Prometheus text format 0.0.4 (metrics.ts), built a few servers per step
//   GET  /healthz                           200 {"ok":true,…} / 503 {"ok":false,…naming what is not} (health.ts)
//   GET  /livez                             200 "ok": whoever answers, answers from the loop that supervises
//   GET  /api/status                        the JSON of `lazarus ctl --json status`, built a few servers per step
//   GET  /events                            text/event-stream of page views (view.ts); the adapter streams it
//   POST /api/servers/NAME/OP               OP: restart stop start revive; NAME a name or an index;
//                                           needs `Authorization: Bearer TOKEN`; becomes an action for the core
// HEAD works wherever GET does. No cookies are ever set or read; no GET changes anything.
// /metrics and /api/status are answered with a build (answer.ts): the adapter takes the
// snapshot when it starts it, and streams it a step per turn of the loop.
//
// Refusals: 400 a malformed request (no Host, a bad percent-escape), 401 no, a
// malformed or a wrong token (with WWW-Authenticate), 403 actions off (no token
// file), a Host that is not loopback while listening on loopback (DNS rebinding),
// a cross-site Origin; 404 no such route or server, 405 a known path with another
// method (with Allow), 411 a chunked body (no body is read: only a declared
// Content-Length can be checked), 413 a declared body over MAX_BODY_BYTES, 414 a URL over
// MAX_URL_BYTES, 431 headers over MAX_HEADERS or MAX_HEADER_BYTES. The limits are
// in limits.ts.
import { type Credentials, readAuthorization } from "./auth.ts";
import { type AnswerBuild, JsonBuild } from "./answer.ts";
import { health } from "./health.ts";
import { HTTP_LIMITS, type HttpLimits } from "./limits.ts";
import { metricsBuild } from "./metrics.ts";
import { ASSETS, type Asset } from "./page.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";
import type { Clock, HttpSnapshot, HttpStats, ProcessMetrics } from "./snapshot.ts";

export interface HttpRequest {
  readonly method: string;
  /** The URL as the transport gives it: absolute (`http://host:port/path?query`) or origin-form (`/path?query`). */
  readonly url: string;
  /** Every header line, names in any case (Bun's Headers iterate lower-cased). */
  readonly headers: Iterable<readonly [string, string]>;
}

export const ACTION_OPS = ["restart", "stop", "start", "revive"] as const;
export type ActionOp = (typeof ACTION_OPS)[number];

/** An action for the core: the shell turns it into the control command {op, server: index}. */
export interface HttpAction {
  readonly op: ActionOp;
  readonly server: number;
  readonly name: string;
}

export type HttpResult =
  | { readonly kind: "response"; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string }
  /** Open a text/event-stream of page views with these headers (the adapter owns the stream). */
  | { readonly kind: "events"; readonly headers: Readonly<Record<string, string>> }
  /**
   * Answer 200 with these headers and the body `start` builds, a step at a time
   * (answer.ts): started with the clock then and, when `measure`, the process's
   * metrics measured before (the adapter reads them without holding the loop).
   */
  | { readonly kind: "build"; readonly headers: Readonly<Record<string, string>>; readonly measure: boolean; readonly start: (clock: Clock, proc: ProcessMetrics | null) => AnswerBuild }
  /** Carry out this action and answer with `actionResponse` of the core's reply. */
  | { readonly kind: "action"; readonly action: HttpAction };

export interface AppConfig {
  /** Checks a bearer token (auth.ts tokenChecker); null: no token file, actions are refused (read-only). */
  readonly checkToken: ((guess: string) => boolean) | null;
  /** "loopback": the endpoint listens on a loopback address and accepts only loopback Host names. */
  readonly hosts: "loopback" | "any";
  readonly limits?: HttpLimits;
}

export interface RequestContext {
  /** The supervisor's state now; called only by the routes that need it, once (for a build: when it is started). */
  readonly snapshot: () => HttpSnapshot;
  readonly clock: Clock;
  readonly stats: HttpStats | null;
}

/** Headers every answer carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const JSON_TYPE = "application/json; charset=utf-8";
const TEXT_TYPE = "text/plain; charset=utf-8";

const GET_ROUTES = new Set(["/", "/metrics", "/healthz", "/livez", "/api/status", "/events", ...Object.keys(ASSETS)]);
const ACTION_PATH = /^\/api\/servers\/([^/]+)\/([^/]+)$/;

function respond(status: number, type: string, body: string, extra: Record<string, string> = {}, head = false): HttpResult {
  return { kind: "response", status, headers: { ...SECURITY_HEADERS, "Content-Type": type, "Cache-Control": "no-store", ...extra }, body: head ? "" : body };
}

function build(type: string, measure: boolean, start: (clock: Clock, proc: ProcessMetrics | null) => AnswerBuild): HttpResult {
  return { kind: "build", headers: { ...SECURITY_HEADERS, "Content-Type": type, "Cache-Control": "no-store" }, measure, start };
}

function json(status: number, value: unknown, extra: Record<string, string> = {}, head = false): HttpResult {
  return respond(status, JSON_TYPE, `${JSON.stringify(value)}\n`, extra, head);
}

function refuse(status: number, error: string, extra: Record<string, string> = {}): HttpResult {
  return json(status, { ok: false, error }, extra);
}

/** Is this Host header's host part a loopback name or address? */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  const name = h.startsWith("[") ? h.slice(0, h.indexOf("]") + 1) : h.replace(/:\d*$/, "");
  return name === "localhost" || name === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** Split an absolute or origin-form URL into its path and query, without normalising (a `..` stays a `..`). */
function target(url: string): { path: string; query: string } | null {
  let rest = url;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(rest);
  if (scheme !== null) rest = rest.slice(scheme[0].length);
  if (rest === "") rest = "/";
  if (!rest.startsWith("/")) return null;
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  return q < 0 ? { path: rest, query: "" } : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

export function createApp(config: AppConfig): (req: HttpRequest, ctx: RequestContext) => HttpResult {
  const limits = config.limits ?? HTTP_LIMITS;
  return (req, ctx) => handle(req, ctx, config, limits);
}

function handle(req: HttpRequest, ctx: RequestContext, config: AppConfig, limits: HttpLimits): HttpResult {
  // Headers first: their number and size, then the ones we read.
  const headers = new Map<string, string>();
  let count = 0;
  let bytes = 0;
  for (const [name, value] of req.headers) {
    count++;
    bytes += name.length + value.length;
    if (count > limits.MAX_HEADERS || bytes > limits.MAX_HEADER_BYTES) {
      return refuse(431, `request headers over the limit (${limits.MAX_HEADERS} headers, ${limits.MAX_HEADER_BYTES} bytes)`, { Connection: "close" });
    }
    const key = name.toLowerCase();
    const had = headers.get(key);
    headers.set(key, had === undefined ? value : `${had}, ${value}`);
  }
  const t = target(req.url);
  if (t === null) return refuse(400, "a request target must be a path");
  if (t.path.length + t.query.length + 1 > limits.MAX_URL_BYTES) return refuse(414, `the URL is longer than ${limits.MAX_URL_BYTES} bytes`);
  const host = headers.get("host");
  if (host === undefined || host === "") return refuse(400, "no Host header");
  if (config.hosts === "loopback" && !isLoopbackHost(host)) {
    return refuse(403, "this endpoint listens on loopback and answers only to localhost, 127.0.0.1 or [::1] (a foreign Host is how DNS rebinding reaches it)");
  }
  // Nothing here reads a body: a chunked one would not be bounded by Bun (it counts only what is read).
  if (headers.has("transfer-encoding")) return refuse(411, `send a request body with Content-Length (at most ${limits.MAX_BODY_BYTES} bytes), not chunked`, { Connection: "close" });
  const length = headers.get("content-length");
  if (length !== undefined && (!/^\d{1,15}$/.test(length.trim()) || Number(length) > limits.MAX_BODY_BYTES)) {
    return refuse(413, `a request body may hold at most ${limits.MAX_BODY_BYTES} bytes`, { Connection: "close" });
  }
  const method = req.method.toUpperCase();
  const get = method === "GET" || method === "HEAD";
  const head = method === "HEAD";

  if (GET_ROUTES.has(t.path)) {
    if (!get) return refuse(405, `${t.path} answers GET and HEAD only`, { Allow: "GET, HEAD" });
    return route(t.path, head, headers, ctx);
  }
  const m = ACTION_PATH.exec(t.path);
  if (m !== null && (ACTION_OPS as readonly string[]).includes(m[2] as string)) {
    if (method !== "POST") return refuse(405, "actions are POST requests", { Allow: "POST" });
    return action(m[1] as string, m[2] as ActionOp, headers, ctx, config);
  }
  return refuse(404, `no such resource: ${t.path.slice(0, 100)}`);
}

function route(path: string, head: boolean, headers: Map<string, string>, ctx: RequestContext): HttpResult {
  const clock = ctx.clock;
  switch (path) {
    case "/metrics":
      if (head) return respond(200, PROMETHEUS_CONTENT_TYPE, "", {}, true);
      return build(PROMETHEUS_CONTENT_TYPE, true, (at, proc) => metricsBuild(ctx.snapshot(), at, proc, ctx.stats));
    case "/healthz": {
      const h = health(ctx.snapshot());
      return json(h.ok ? 200 : 503, h, {}, head);
    }
    case "/livez":
      return respond(200, TEXT_TYPE, "ok\n", {}, head);
    case "/api/status":
      if (head) return respond(200, JSON_TYPE, "", {}, true);
      return build(JSON_TYPE, false, (at) => new JsonBuild({ ok: true, status: ctx.snapshot().status(at.now) }, "\n"));
    case "/events":
      if (head) return respond(200, "text/event-stream; charset=utf-8", "", {}, true);
      return { kind: "events", headers: { ...SECURITY_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no" } };
    default: {
      const asset = ASSETS[path] as Asset | undefined;
      if (asset === undefined) return refuse(404, "no such resource"); // not reached: GET_ROUTES lists the assets
      const etag = headers.get("if-none-match");
      const cache = { ETag: asset.etag, "Cache-Control": "no-cache" };
      if (etag !== undefined && etag.split(",").some((e) => e.trim() === asset.etag)) {
        return { kind: "response", status: 304, headers: { ...SECURITY_HEADERS, ...cache }, body: "" };
      }
      return respond(200, asset.type, asset.body, cache, head);
    }
  }
}

function unauthorized(c: Exclude<Credentials, { kind: "bearer" }> | { kind: "wrong" }): HttpResult {
  switch (c.kind) {
    case "none":
      return refuse(401, "this action needs 'Authorization: Bearer TOKEN' (the token of --http-token-file)", { "WWW-Authenticate": 'Bearer realm="lazarus"' });
    case "malformed":
      return refuse(401, c.why, { "WWW-Authenticate": 'Bearer realm="lazarus", error="invalid_request"' });
    case "wrong":
      return refuse(401, "wrong token", { "WWW-Authenticate": 'Bearer realm="lazarus", error="invalid_token"' });
  }
}

function action(rawName: string, op: ActionOp, headers: Map<string, string>, ctx: RequestContext, config: AppConfig): HttpResult {
  if (config.checkToken === null) return refuse(403, "actions are off: lazarus was started without --http-token-file");
  // A browser names the page's origin; a foreign one is refused even with a token.
  const site = headers.get("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") return refuse(403, `a cross-site request (Sec-Fetch-Site: ${site.slice(0, 20)})`);
  const origin = headers.get("origin");
  if (origin !== undefined && origin !== "null") {
    const o = /^[a-z][a-z0-9+.-]*:\/\/([^/]+)$/i.exec(origin);
    if (o === null || (o[1] as string).toLowerCase() !== (headers.get("host") ?? "").toLowerCase()) return refuse(403, "a request from another origin");
  }
  const cred = readAuthorization(headers.get("authorization") ?? null);
  if (cred.kind !== "bearer") return unauthorized(cred);
  if (!config.checkToken(cred.token)) return unauthorized({ kind: "wrong" });
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    return refuse(400, "a bad percent-escape in the server's name");
  }
  const servers = ctx.snapshot().servers;
  const s = /^\d+$/.test(name) ? servers.find((x) => x.index === Number(name)) : servers.find((x) => x.name === name);
  if (s === undefined) return refuse(404, `no server named ${JSON.stringify(name.slice(0, 64))}`);
  return { kind: "action", action: { op, server: s.index, name: s.name } };
}

/** What the core answered to an action, as the HTTP answer: 200, 409 (refused: not in a state for it), 503 (no answer in time, or too busy). */
export type ActionReply =
  | { readonly ok: true; readonly message: string }
  | { readonly ok: false; readonly message: string }
  | { readonly ok: "timeout" }
  | { readonly ok: "busy" };

export function actionResponse(action: HttpAction, reply: ActionReply): HttpResult {
  switch (reply.ok) {
    case true: return json(200, { ok: true, action, message: reply.message });
    case false: return json(409, { ok: false, action, error: reply.message });
    case "timeout": return json(503, { ok: false, action, error: "lazarus did not answer in time" });
    case "busy": return json(503, { ok: false, action, error: "too many actions at once; try again" }, { "Retry-After": "1" });
  }
}

/** The answers the adapter gives itself, before the app sees a request. */
export function tooMany(reason: string, retryAfterSeconds: number): HttpResult {
  return refuse(429, reason, { "Retry-After": String(retryAfterSeconds) });
}

export function unavailable(reason: string, retryAfterSeconds: number): HttpResult {
  return refuse(503, reason, { "Retry-After": String(retryAfterSeconds) });
}
