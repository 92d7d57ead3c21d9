// The HTTP application core: every route, every refusal, and the headers every
// answer carries. Requests are made up; the snapshot comes from the real core.
import { expect, test } from "bun:test";
import { replyOk } from "../../src/control/protocol.ts";
import { statusOf } from "../../src/core/status.ts";
import { actionResponse, createApp, type HttpRequest, type HttpResult, isLoopbackHost, SECURITY_HEADERS } from "../../src/http/app.ts";
import { tokenChecker } from "../../src/http/auth.ts";
import { HTTP_LIMITS } from "../../src/http/limits.ts";
import { FakeSupervisor, ManualClock } from "../helpers/fake-supervisor.ts";
import { parsePrometheus } from "../helpers/prom-parse.ts";

const TOKEN = "s3cret-token-0123456789abcdef";

function setup(opts: { token?: string | null; hosts?: "loopback" | "any" } = {}) {
  const clock = new ManualClock();
  const sup = new FakeSupervisor([{ name: "web", argv: ["web", "--port=80"] }, { name: "db/primary", argv: ["db"] }], clock, { pid: 777 });
  sup.start();
  const token = opts.token === undefined ? TOKEN : opts.token;
  const app = createApp({ checkToken: token === null ? null : tokenChecker(token), hosts: opts.hosts ?? "loopback" });
  let measured = 0;
  const call = (method: string, url: string, headers: Record<string, string> | [string, string][] = {}): HttpResult => {
    const list = Array.isArray(headers) ? headers : Object.entries(headers);
    const withHost = list.some(([k]) => k.toLowerCase() === "host") ? list : [["host", "127.0.0.1:9100"] as [string, string], ...list];
    const req: HttpRequest = { method, url: url.startsWith("/") ? `http://127.0.0.1:9100${url}` : url, headers: withHost };
    const r = app(req, { snapshot: () => sup.snapshot(), clock: { now: clock.now(), wall: 1.8e12 }, stats: null });
    if (r.kind !== "build") return r;
    // As the adapter does: the process's metrics measured when asked for, the build started, then stepped to its end.
    if (r.measure) measured++;
    const b = r.start({ now: clock.now(), wall: 1.8e12 }, null);
    const chunks: string[] = [];
    do chunks.push(b.step(Number.POSITIVE_INFINITY, () => false)); while (!b.done);
    return { kind: "response", status: 200, headers: r.headers, body: chunks.join("") };
  };
  return { clock, sup, call, measured: () => measured };
}

function response(r: HttpResult) {
  if (r.kind !== "response") throw new Error(`expected a response, got ${r.kind}`);
  return r;
}

function body(r: HttpResult): Record<string, unknown> {
  return JSON.parse(response(r).body) as Record<string, unknown>;
}

test("GET /metrics: Prometheus text, measured only when asked for", () => {
  const { call, measured } = setup();
  expect(measured()).toBe(0);
  const r = response(call("GET", "/metrics"));
  expect(r.status).toBe(200);
  expect(r.headers["Content-Type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
  expect(parsePrometheus(r.body).has("lazarus_server_up")).toBe(true);
  expect(measured()).toBe(1);
});

test("GET /api/status: the control socket's answer to status, at the time of the request", () => {
  const { call, sup, clock } = setup();
  clock.advance(1234);
  const r = response(call("GET", "/api/status"));
  expect(r.status).toBe(200);
  expect(r.headers["Content-Type"]).toBe("application/json; charset=utf-8");
  // What src/shell/supervisor.ts answers to {"cmd":"status"} (and `ctl --json status` prints).
  const socket = replyOk(null, { status: { pid: 777, version: "0.1.0", ...statusOf(sup.state, clock.now()) } });
  expect(JSON.parse(r.body)).toEqual(JSON.parse(socket));
  expect((body(r).status as { servers: { uptime: number }[] }).servers[0]?.uptime).toBe(1234);
});

test("GET /healthz: 200 when all is well, 503 naming the buried server", () => {
  const { call, sup, clock } = setup();
  let r = response(call("GET", "/healthz"));
  expect(r.status).toBe(200);
  expect(body(r).ok).toBe(true);
  clock.advance(10);
  sup.crash("web", { signal: 11 }); // lived 10 ms, less than the interval (1 s): buried
  r = response(call("GET", "/healthz"));
  expect(r.status).toBe(503);
  expect(body(r).servers).toEqual([{ server: "web", state: "buried", reason: "buried (waiting for a revive)" }]);
});

test("GET /livez answers ok; HEAD works wherever GET does, without a body", () => {
  const { call } = setup();
  expect(response(call("GET", "/livez"))).toMatchObject({ status: 200, body: "ok\n" });
  for (const path of ["/livez", "/metrics", "/healthz", "/api/status", "/", "/app.js", "/events"]) {
    const r = response(call("HEAD", path));
    expect(r.status).toBe(200);
    expect(r.body).toBe("");
  }
});

test("GET /: the page, its script and style as separate files under a strict CSP, no inline script or style", () => {
  const { call } = setup();
  const page = response(call("GET", "/"));
  expect(page.headers["Content-Type"]).toBe("text/html; charset=utf-8");
  expect(page.headers["Content-Security-Policy"]).toContain("script-src 'self'");
  expect(page.headers["Content-Security-Policy"]).not.toContain("unsafe-inline");
  expect(page.body).toContain('<script src="/app.js" defer></script>');
  expect(page.body).toContain('<link rel="stylesheet" href="/app.css">');
  expect(page.body).not.toMatch(/<script>|<script [^>]*>[^<]|<style|\sstyle=|\son[a-z]+=/i);
  expect(response(call("GET", "/app.js")).headers["Content-Type"]).toBe("text/javascript; charset=utf-8");
  expect(response(call("GET", "/app.css")).headers["Content-Type"]).toBe("text/css; charset=utf-8");
  expect(response(call("GET", "/favicon.svg")).headers["Content-Type"]).toBe("image/svg+xml");
});

test("assets carry an ETag and answer 304 to If-None-Match", () => {
  const { call } = setup();
  const first = response(call("GET", "/app.js"));
  const etag = first.headers.ETag as string;
  expect(etag).toMatch(/^"[\w-]+"$/);
  const again = response(call("GET", "/app.js", { "If-None-Match": `"other", ${etag}` }));
  expect(again.status).toBe(304);
  expect(again.body).toBe("");
  expect(response(call("GET", "/app.js", { "If-None-Match": '"other"' })).status).toBe(200);
});

test("every answer carries the security headers and no cookie", () => {
  const { call } = setup();
  const all = [
    call("GET", "/"), call("GET", "/metrics"), call("GET", "/nope"), call("POST", "/metrics"), call("GET", "/healthz"),
    call("POST", "/api/servers/web/restart"), call("GET", `/${"x".repeat(3000)}`), call("GET", "/", { host: "evil.example" }),
  ];
  for (const r of all) {
    const h = r.kind === "events" ? r.headers : response(r).headers;
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(h[k]).toBe(v);
    expect(Object.keys(h).map((k) => k.toLowerCase())).not.toContain("set-cookie");
  }
});

test("GET /events opens a stream (the adapter's), with the stream's headers", () => {
  const { call } = setup();
  const r = call("GET", "/events");
  expect(r.kind).toBe("events");
  if (r.kind === "events") expect(r.headers["Content-Type"]).toBe("text/event-stream; charset=utf-8");
});

test("404 for an unknown path, 405 with Allow for a known one with another method", () => {
  const { call } = setup();
  expect(response(call("GET", "/metrics/")).status).toBe(404);
  expect(response(call("GET", "/api/servers/web")).status).toBe(404);
  expect(response(call("POST", "/api/servers/web/explode", { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
  for (const m of ["POST", "PUT", "DELETE", "OPTIONS", "TRACE"]) {
    const r = response(call(m, "/metrics"));
    expect(r.status).toBe(405);
    expect(r.headers.Allow).toBe("GET, HEAD");
  }
  // No state-changing GET: an action path answers GET with 405, and nothing happens.
  const r = response(call("GET", "/api/servers/web/restart", { authorization: `Bearer ${TOKEN}` }));
  expect(r.status).toBe(405);
  expect(r.headers.Allow).toBe("POST");
});

test("oversized requests: 414 for a long URL, 431 for too many or too large headers, 413 for a declared body, 411 for a chunked one", () => {
  const { call } = setup();
  expect(response(call("GET", `/metrics?${"q".repeat(HTTP_LIMITS.MAX_URL_BYTES)}`)).status).toBe(414);
  expect(response(call("GET", `/metrics?${"q".repeat(HTTP_LIMITS.MAX_URL_BYTES - 20)}`)).status).toBe(200);
  const many = Array.from({ length: HTTP_LIMITS.MAX_HEADERS }, (_, i) => [`x-h${i}`, "1"] as [string, string]);
  expect(response(call("GET", "/metrics", many)).status).toBe(431);
  expect(response(call("GET", "/metrics", { "x-big": "b".repeat(HTTP_LIMITS.MAX_HEADER_BYTES) })).status).toBe(431);
  expect(response(call("POST", "/api/servers/web/restart", { "content-length": String(HTTP_LIMITS.MAX_BODY_BYTES + 1), authorization: `Bearer ${TOKEN}` })).status).toBe(413);
  expect(response(call("POST", "/api/servers/web/restart", { "content-length": "-1" })).status).toBe(413);
  expect(response(call("POST", "/api/servers/web/restart", { "transfer-encoding": "chunked", authorization: `Bearer ${TOKEN}` })).status).toBe(411);
});

test("400 without a Host; on loopback, 403 for a Host that is not a loopback name (DNS rebinding)", () => {
  const { call } = setup();
  expect(response(call("GET", "/metrics", [["host", ""]])).status).toBe(400);
  expect(response(call("GET", "/metrics", { host: "attacker.example:9100" })).status).toBe(403);
  for (const h of ["localhost:9100", "127.0.0.1", "127.1.2.3:80", "[::1]:9100", "LOCALHOST"]) expect(response(call("GET", "/metrics", { host: h })).status).toBe(200);
  expect(["localhost.evil.com", "127.0.0.1.nip.io", "[::2]", "0.0.0.0"].map(isLoopbackHost)).toEqual([false, false, false, false]);
  // Listening on every interface (--http=0.0.0.0:PORT), any Host is served.
  const open = setup({ hosts: "any" });
  expect(response(open.call("GET", "/metrics", { host: "lazarus.internal:9100" })).status).toBe(200);
});

test("actions: 403 when there is no token file, whatever is sent", () => {
  const { call } = setup({ token: null });
  const r = response(call("POST", "/api/servers/web/restart", { authorization: `Bearer ${TOKEN}` }));
  expect(r.status).toBe(403);
  expect(body(r).error).toContain("--http-token-file");
});

test("actions: 401 without a token, with a malformed one, with a wrong one; each with WWW-Authenticate", () => {
  const { call, sup } = setup();
  const before = sup.events;
  const cases: [Record<string, string>, string][] = [
    [{}, 'Bearer realm="lazarus"'],
    [{ authorization: `Basic ${btoa("a:b")}` }, 'Bearer realm="lazarus", error="invalid_request"'],
    [{ authorization: "Bearer" }, 'Bearer realm="lazarus", error="invalid_request"'],
    [{ authorization: "Bearer a b" }, 'Bearer realm="lazarus", error="invalid_request"'],
    [{ authorization: "Bearer tok<script>" }, 'Bearer realm="lazarus", error="invalid_request"'],
    [{ authorization: `Bearer ${"x".repeat(5000)}` }, 'Bearer realm="lazarus", error="invalid_request"'],
    [{ authorization: `Bearer ${TOKEN}x` }, 'Bearer realm="lazarus", error="invalid_token"'],
    [{ authorization: `Bearer ${TOKEN.slice(0, -1)}` }, 'Bearer realm="lazarus", error="invalid_token"'],
    [{ authorization: "Bearer wrong" }, 'Bearer realm="lazarus", error="invalid_token"'],
  ];
  for (const [headers, challenge] of cases) {
    const r = response(call("POST", "/api/servers/web/restart", headers));
    expect(r.status).toBe(401);
    expect(r.headers["WWW-Authenticate"]).toBe(challenge);
    expect(body(r).ok).toBe(false);
  }
  expect(sup.events).toBe(before); // nothing reached the core
});

test("actions with the token: data for the shell, by name (percent-encoded) or index; 404 for no such server", () => {
  const { call } = setup();
  const auth = { authorization: `bearer ${TOKEN}` }; // the scheme is case-insensitive
  expect(call("POST", "/api/servers/web/restart", auth)).toEqual({ kind: "action", action: { op: "restart", server: 0, name: "web" } });
  expect(call("POST", "/api/servers/db%2Fprimary/stop", auth)).toEqual({ kind: "action", action: { op: "stop", server: 1, name: "db/primary" } });
  expect(call("POST", "/api/servers/1/start", auth)).toEqual({ kind: "action", action: { op: "start", server: 1, name: "db/primary" } });
  expect(call("POST", "/api/servers/web/revive", auth)).toEqual({ kind: "action", action: { op: "revive", server: 0, name: "web" } });
  expect(response(call("POST", "/api/servers/nobody/restart", auth)).status).toBe(404);
  expect(response(call("POST", "/api/servers/7/restart", auth)).status).toBe(404);
  expect(response(call("POST", "/api/servers/%E0%A4%A/restart", auth)).status).toBe(400);
  // Unauthenticated, an unknown server is a 401 like any other: nothing is told before the token.
  expect(response(call("POST", "/api/servers/nobody/restart")).status).toBe(401);
});

test("actions from another site are refused even with the token", () => {
  const { call } = setup();
  const auth = { authorization: `Bearer ${TOKEN}` };
  expect(response(call("POST", "/api/servers/web/restart", { ...auth, origin: "http://evil.example" })).status).toBe(403);
  expect(response(call("POST", "/api/servers/web/restart", { ...auth, "sec-fetch-site": "cross-site" })).status).toBe(403);
  expect(call("POST", "/api/servers/web/restart", { ...auth, origin: "http://127.0.0.1:9100", "sec-fetch-site": "same-origin" }).kind).toBe("action");
});

test("the core's reply becomes the answer: 200, 409 when refused, 503 on no answer or too many", () => {
  const a = { op: "restart", server: 0, name: "web" } as const;
  expect(response(actionResponse(a, { ok: true, message: "restarting web" }))).toMatchObject({ status: 200 });
  expect(body(actionResponse(a, { ok: true, message: "restarting web" }))).toEqual({ ok: true, action: a, message: "restarting web" });
  expect(response(actionResponse(a, { ok: false, message: "web is not buried" })).status).toBe(409);
  expect(body(actionResponse(a, { ok: false, message: "web is not buried" })).error).toBe("web is not buried");
  expect(response(actionResponse(a, { ok: "timeout" })).status).toBe(503);
  expect(response(actionResponse(a, { ok: "busy" })).headers["Retry-After"]).toBe("1");
});

test("a request target that is not a path is refused; dot segments are not resolved", () => {
  const { call } = setup();
  expect(response(call("GET", "http://127.0.0.1:9100")).status).toBe(200); // the page
  expect(response(call("GET", "/x/../metrics")).status).toBe(404);
  expect(response(call("GET", "*")).status).toBe(400);
});
