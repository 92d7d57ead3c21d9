// The Bun.serve adapter over real HTTP on loopback, in front of a FakeSupervisor
// (the real core with made-up OS answers): routes, actions with and without the
// token, live updates, and every limit the transport enforces.
import { afterEach, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { SIGABRT } from "../../src/core/signals.ts";
import { HTTP_LIMITS } from "../../src/http/limits.ts";
import { metricsText } from "../../src/http/metrics.ts";
import type { ProcessMetrics } from "../../src/http/snapshot.ts";
import type { PageView } from "../../src/http/view.ts";
import { serveHttp } from "../../src/os/http-server.ts";
import { FakeSupervisor, ManualClock, VirtualClock } from "../helpers/fake-supervisor.ts";
import { type FakeEndpoint, serveFake, TEST_TOKEN } from "../helpers/http-fake.ts";
import { parsePrometheus, sample } from "../helpers/prom-parse.ts";
import { SseClient } from "../helpers/sse-client.ts";

const SERVERS = [
  { name: "web", argv: ["web"], intervalMs: 0 },
  { name: "worker", argv: ["worker"], intervalMs: 3_600_000 },
];
const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };

const open: FakeEndpoint[] = [];
const sse: SseClient[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of sse.splice(0)) c.close();
  for (const f of open.splice(0)) f.http.close();
  for (const f of cleanups.splice(0)) f();
});

function fake(opts: Parameters<typeof serveFake>[1] = {}, servers: Parameters<typeof serveFake>[0] = SERVERS): FakeEndpoint {
  const f = serveFake(servers, opts);
  open.push(f);
  return f;
}

async function events(f: FakeEndpoint): Promise<SseClient> {
  const c = await SseClient.open(`${f.url}/events`);
  sse.push(c);
  return c;
}

async function metrics(f: FakeEndpoint) {
  const r = await fetch(`${f.url}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheus(await r.text());
}

/** Wait for a condition the endpoint reaches by itself (a closed stream noticed, a sweep), checking every 20 ms. */
async function until(cond: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > limitMs) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** One raw HTTP exchange: send `text`, read until the server closes (or `limitMs`). */
function raw(port: number, text: string, limitMs = 30_000): Promise<{ response: string; closed: boolean }> {
  return new Promise((resolve) => {
    let response = "";
    const s: Socket = connect(port, "127.0.0.1", () => s.write(text));
    const t = setTimeout(() => { s.destroy(); resolve({ response, closed: false }); }, limitMs);
    s.on("data", (d) => { response += d.toString("latin1"); });
    s.on("close", () => { clearTimeout(t); resolve({ response, closed: true }); });
    s.on("error", () => {});
  });
}

test("it serves the page, its assets, metrics, health, liveness and status over HTTP", async () => {
  const f = fake();
  const page = await fetch(`${f.url}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
  expect(page.headers.get("x-content-type-options")).toBe("nosniff");
  expect(page.headers.get("set-cookie")).toBeNull();
  expect(await page.text()).toContain("<title>lazarus</title>");
  expect((await fetch(`${f.url}/app.js`)).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  const m = await metrics(f);
  expect(sample(m, "lazarus_server_up", { server: "web" })).toBe(1);
  expect(sample(m, "process_open_fds")).toBeGreaterThan(0);
  expect(sample(m, "process_resident_memory_bytes")).toBeGreaterThan(0);
  expect((await fetch(`${f.url}/livez`)).status).toBe(200);
  expect((await fetch(`${f.url}/healthz`)).status).toBe(200);
  const status = await (await fetch(`${f.url}/api/status`)).json() as { ok: boolean; status: { servers: { name: string }[] } };
  expect(status.ok).toBe(true);
  expect(status.status.servers.map((s) => s.name)).toEqual(["web", "worker"]);
  expect(f.http.stats().responses[200]).toBeGreaterThanOrEqual(6);
});

test("restarts_total grows by one per respawn; /healthz turns 503 when a server is buried and 200 after a revive", async () => {
  const f = fake();
  for (let k = 1; k <= 3; k++) {
    f.sup.crash("web", { code: 1 }); // interval 0: respawned
    expect(sample(await metrics(f), "lazarus_server_restarts_total", { server: "web" })).toBe(k);
  }
  f.sup.crash("worker", { signal: SIGABRT }); // interval 1 h: buried
  let h = await fetch(`${f.url}/healthz`);
  expect(h.status).toBe(503);
  expect(await h.json()).toMatchObject({ ok: false, servers: [{ server: "worker", state: "buried" }] });
  const r = await fetch(`${f.url}/api/servers/worker/revive`, { method: "POST", headers: AUTH });
  expect(r.status).toBe(200);
  expect(await r.json()).toEqual({ ok: true, action: { op: "revive", server: 1, name: "worker" }, message: "revived worker" });
  h = await fetch(`${f.url}/healthz`);
  expect(h.status).toBe(200);
});

test("actions without the token, or with a wrong or malformed one, are refused with 401 and change nothing", async () => {
  const f = fake();
  const before = { events: f.sup.events, pid: f.sup.pid("web") };
  const attempts: Record<string, string>[] = [{}, { authorization: "Bearer wrong-token-wrong-token" }, { authorization: `Basic ${TEST_TOKEN}` }, { authorization: "Bearer a b c" }];
  for (const headers of attempts) {
    const r = await fetch(`${f.url}/api/servers/web/restart`, { method: "POST", headers });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toStartWith("Bearer");
  }
  const g = await fetch(`${f.url}/api/servers/web/restart`, { headers: AUTH });
  expect(g.status).toBe(405);
  expect(f.sup.actions).toEqual([]);
  expect({ events: f.sup.events, pid: f.sup.pid("web") }).toEqual(before);
  expect(sample(await metrics(f), "lazarus_server_restarts_total", { server: "web" })).toBe(0);
  // With the token it goes through.
  const ok = await fetch(`${f.url}/api/servers/web/restart`, { method: "POST", headers: AUTH });
  expect(ok.status).toBe(200);
  expect(f.sup.actions).toEqual([{ op: "restart", server: 0, name: "web" }]);
  expect(f.sup.pid("web")).not.toBe(before.pid);
});

test("read-only (no token file): actions are refused with 403 and the page view says so", async () => {
  const f = fake({ token: null });
  const r = await fetch(`${f.url}/api/servers/web/restart`, { method: "POST", headers: AUTH });
  expect(r.status).toBe(403);
  expect(f.sup.actions).toEqual([]);
  const c = await events(f);
  expect((await c.until<PageView>(() => true)).readOnly).toBe(true);
});

test("the core's refusal is a 409; an action nobody answers is a 503 after the timeout; too many at once are a 503", async () => {
  const f = fake();
  const r = await fetch(`${f.url}/api/servers/web/revive`, { method: "POST", headers: AUTH });
  expect(r.status).toBe(409);
  expect(((await r.json()) as { error: string }).error).toContain("is not buried");

  const pending: ((ok: boolean, m: string) => void)[] = [];
  const g = fake({ onAction: (_a, respond) => { pending.push(respond); }, limits: { ACTION_TIMEOUT_MS: 300, MAX_ACTIONS_IN_FLIGHT: 1 } });
  const first = fetch(`${g.url}/api/servers/web/stop`, { method: "POST", headers: AUTH });
  await until(() => pending.length === 1, "the action to reach the handler");
  const second = await fetch(`${g.url}/api/servers/web/stop`, { method: "POST", headers: AUTH });
  expect(second.status).toBe(503);
  expect(second.headers.get("retry-after")).toBe("1");
  const timedOut = await first;
  expect(timedOut.status).toBe(503);
  expect(((await timedOut.json()) as { error: string }).error).toContain("did not answer in time");
  pending[0]?.(true, "too late"); // a late answer is ignored
  expect(g.http.stats().refused["actions-in-flight"]).toBe(1);
});

test("a live page gets the state at once and every change after it; a burst of changes is coalesced", async () => {
  const f = fake();
  const c = await events(f);
  const first = await c.until<PageView>(() => true);
  expect(first.servers.map((s) => [s.name, s.state])).toEqual([["web", "alive"], ["worker", "alive"]]);
  f.sup.crash("worker", { code: 3 });
  const buried = await c.until<PageView>((v) => v.servers[1]?.state === "buried");
  expect(buried.servers[1]?.lastExit).toBe("code 3");
  for (let k = 0; k < 200; k++) f.sup.crash("web", { code: 1 }); // 200 changes in one go
  const seen: number[] = [];
  for (;;) {
    const m = await c.nextMessage();
    if (m === null) throw new Error("the stream ended");
    seen.push(Number(m.id));
    const v = JSON.parse(m.data) as PageView;
    if (v.servers[0]?.restarts === 200) {
      expect(v.servers[0]?.crashes).toBe(200);
      break;
    }
  }
  // The burst came as one view (views are built at most once per SSE_MIN_INTERVAL_MS), numbered after the others.
  expect(seen).toEqual([3]);
});

test("views for the live pages are spaced by what they cost: building them takes at most WORK_MS_PER_SECOND of each second", async () => {
  // Each view "takes" 100 ms to build (its snapshot moves the endpoint's clock on): as a view of a thousand servers
  // with their output lines does (17 MB of JSON, 150 to 500 ms, measured). With servers that write all the time, the
  // views were built back to back, every 250 ms: the loop did little else. A quarter of each second here: 400 ms apart.
  const clock = new VirtualClock();
  const sup = new FakeSupervisor(SERVERS, clock);
  sup.start();
  const starts: number[] = [];
  const http = serveHttp({
    address: { hostname: "127.0.0.1", port: 0, loopback: true }, token: null, now: clock.now, wallTime: () => Date.now(), onAction: sup.onAction,
    limits: { ...HTTP_LIMITS, WORK_MS_PER_SECOND: 250 },
    snapshot: () => {
      starts.push(clock.now());
      clock.advance(100);
      return sup.snapshot();
    },
  });
  if (typeof http === "string") throw new Error(http);
  cleanups.push(() => http.close());
  const c = await SseClient.open(`${http.url}/events`);
  sse.push(c);
  expect(await c.nextMessage()).not.toBeNull();
  for (let k = 0; k < 3; k++) {
    http.changed(); // at once after the last view: as servers that write all the time
    expect(await c.nextMessage()).not.toBeNull();
  }
  const gaps = starts.slice(1).map((t, k) => t - (starts[k] as number));
  expect(gaps).toHaveLength(3);
  for (const g of gaps) expect(g).toBeGreaterThanOrEqual(399);
});

test("a view is built a server per turn of the loop here: between its pieces a server crashes and is respawned, and a page that opens joins it", async () => {
  // A view of a thousand servers with their output lines is 17 MB: built in one go it held the loop that reaps and
  // respawns for 50 to 250 ms. Here VIEW_SLICE_BYTES of 1 makes each server a piece of its own, and the test turns
  // the loop's wheel itself (defer), doing between two pieces what the loop would do: a crash and its respawn, a page.
  const servers = Array.from({ length: 20 }, (_, i) => ({ name: `s${i}`, argv: ["x"], intervalMs: 0 }));
  const clock = new VirtualClock();
  const sup = new FakeSupervisor(servers, clock, { seesOutput: servers.map((s) => s.name) });
  sup.start();
  for (const s of servers) sup.output(s.name, "out", `${s.name} is up`);
  let snapshots = 0;
  let turn: "test" | "loop" = "test";
  const pieces: (() => void)[] = [];
  const http = serveHttp({
    address: { hostname: "127.0.0.1", port: 0, loopback: true }, token: null, now: clock.now, wallTime: () => Date.now(), onAction: sup.onAction,
    limits: { ...HTTP_LIMITS, VIEW_SLICE_BYTES: 1 },
    snapshot: () => {
      snapshots++;
      return sup.snapshot();
    },
    defer: (next) => (turn === "test" ? pieces.push(next) : setImmediate(next)),
  });
  if (typeof http === "string") throw new Error(http);
  cleanups.push(() => http.close());
  sup.onChange(() => http.changed());
  const c = await SseClient.open(`${http.url}/events`); // its view's first piece is built in its answer
  sse.push(c);
  let built = 0;
  const piece = () => {
    (pieces.shift() as () => void)();
    built++;
  };
  for (let k = 0; k < 5; k++) piece();
  const pid = sup.pid("s3");
  sup.crash("s3", { code: 1 }); // reaped and respawned by the core while the view is half built
  expect(sup.pid("s3")).not.toBe(pid);
  const d = await SseClient.open(`${http.url}/events`); // no view yet: it joins the one being built
  sse.push(d);
  while (pieces.length > 0) piece();
  expect(built).toBe(19);
  const first = await c.until<PageView>(() => true);
  expect(await d.until<PageView>(() => true)).toEqual(first);
  expect(snapshots).toBe(1);
  // The view is the state as of its snapshot, whole: s3 before its crash. The crash is in the next one.
  expect(first.servers.map((s) => s.restarts)).toEqual(servers.map(() => 0));
  expect(first.servers[19]?.output).toEqual([{ stream: "out", text: "s19 is up" }]);
  turn = "loop";
  const next = await c.until<PageView>((v) => v.servers[3]?.restarts === 1);
  expect(next.servers[3]).toMatchObject({ pid: sup.pid("s3"), lastExit: "code 1", crashes: 1 });
  expect(snapshots).toBe(2);
});

test("/metrics and /api/status of a big fleet are built and sent a step per turn of the loop: between steps a server crashes and is respawned, the answer is its snapshot's, byte for byte", async () => {
  // One go, /metrics of a thousand servers held the loop that reaps and respawns for 10 to 30 ms. Here the test turns
  // the loop's wheel itself (defer), doing between two steps what the loop would do: a crash and its respawn.
  const servers = Array.from({ length: 200 }, (_, i) => ({ name: `s${i}`, argv: ["x"], intervalMs: 0 }));
  const clock = new ManualClock();
  const sup = new FakeSupervisor(servers, clock);
  sup.start();
  clock.advance(1234.5);
  const PROC = { cpuSeconds: 2.5, residentBytes: 1e8, virtualBytes: 2e9, openFds: 40, maxFds: 1024 };
  let snapshots = 0;
  let turn: "test" | "loop" = "test";
  const pieces: (() => void)[] = [];
  let wake: (() => void) | null = null;
  const http = serveHttp({
    address: { hostname: "127.0.0.1", port: 0, loopback: true }, token: null, now: clock.now, wallTime: () => 1.8e12, onAction: sup.onAction,
    limits: { ...HTTP_LIMITS, ANSWER_SLICE_CHARS: 1024 },
    measure: () => PROC,
    snapshot: () => {
      snapshots++;
      return sup.snapshot();
    },
    defer: (next) => {
      if (turn === "loop") return void setImmediate(next);
      pieces.push(next);
      wake?.();
    },
  });
  if (typeof http === "string") throw new Error(http);
  cleanups.push(() => http.close());
  const answers: Record<string, (now: number) => string> = {
    "/metrics": (now) => metricsText(sup.snapshot(), { now, wall: 1.8e12 }, PROC, http.stats()),
    "/api/status": (now) => `${JSON.stringify({ ok: true, status: sup.snapshot().status(now) })}\n`,
  };
  for (const [path, expected] of Object.entries(answers)) {
    turn = "test";
    const want = expected(clock.now()); // the snapshot the answer will be built from, and the endpoint's figures then
    const s0 = snapshots;
    let got: string | null = null;
    const body = fetch(`${http.url}${path}`).then(async (r) => {
      expect(r.status).toBe(200);
      got = await r.text();
    });
    let steps = 0;
    while (got === null) {
      await Promise.race([body, pieces.length > 0 ? null : new Promise<void>((r) => { wake = r; })]);
      wake = null;
      const next = pieces.shift();
      if (next === undefined) continue;
      next();
      steps++;
      if (steps === 3) {
        const pid = sup.pid("s7");
        sup.crash("s7", { code: 1 }); // reaped and respawned while the answer is half built
        expect(sup.pid("s7")).not.toBe(pid);
      }
    }
    await body;
    expect(got as unknown as string).toBe(want);
    // Steps of ANSWER_SLICE_CHARS (1024) and at most a server's part more (its 7 lines of lazarus_server_state), the first in the request's own turn.
    expect(steps).toBeGreaterThanOrEqual(Math.floor(want.length / (1024 + 400)) - 1);
    expect(steps).toBeGreaterThan(20);
    expect(snapshots).toBe(s0 + 1);
    // The crash is in the next answer.
    turn = "loop";
    const want2 = expected(clock.now());
    expect(await (await fetch(`${http.url}${path}`)).text()).toBe(want2);
    expect(want2).not.toBe(want);
  }
});

test("a client that stops reading an answer holds one chunk of it, and is cut off after ANSWER_STALL_MS (counted); at most MAX_ANSWERS_IN_FLIGHT at once", async () => {
  // Long names make /metrics of 1500 servers some 18 MB: far more than the sockets' buffers hold (4 to 5 MB here) for
  // a client that does not read.
  const servers = Array.from({ length: 1500 }, (_, i) => ({ name: `${i}-${"n".repeat(1000)}`, argv: ["x"] }));
  const clock = new VirtualClock();
  const sup = new FakeSupervisor(servers, clock);
  sup.start();
  let steps = 0;
  const http = serveHttp({
    address: { hostname: "127.0.0.1", port: 0, loopback: true }, token: null, now: clock.now, wallTime: () => Date.now(), onAction: sup.onAction,
    // (1.5 s: the answers this test does read, and the one it cancels, must never look stalled, even on a loaded machine)
    limits: { ...HTTP_LIMITS, ANSWER_STALL_MS: 1500, MAX_ANSWERS_IN_FLIGHT: 1, WORK_BURST_MS: 1e9 },
    snapshot: () => sup.snapshot(),
    defer: (next) => {
      steps++;
      setImmediate(next);
    },
  });
  if (typeof http === "string") throw new Error(http);
  cleanups.push(() => http.close());
  const size = (await (await fetch(`${http.url}/metrics`)).arrayBuffer()).byteLength;
  const whole = steps;
  expect(size).toBeGreaterThan(16_000_000);
  expect(whole).toBeGreaterThanOrEqual(Math.floor(size / (HTTP_LIMITS.ANSWER_SLICE_CHARS + 8000)) - 1);
  let closed = false;
  let taken = 0;
  const s = connect(http.port, "127.0.0.1", () => s.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  s.on("close", () => { closed = true; });
  s.on("error", () => {});
  s.on("data", (d) => { taken += d.length; });
  s.pause(); // never reads
  // While it is in flight, the next is refused.
  await until(() => steps > whole, "the stalled answer to begin");
  const busy = await fetch(`${http.url}/metrics`);
  expect({ status: busy.status, retryAfter: busy.headers.get("retry-after") }).toEqual({ status: 503, retryAfter: "1" });
  expect(http.stats().refused).toEqual({ answers: 1 });
  await until(() => (http.stats().dropped?.stalled ?? 0) === 1, "the stalled answer to be cut off");
  // It was not built ahead of what the socket took: a part of it only.
  expect(steps - whole).toBeLessThan(whole / 2);
  s.resume();
  await until(() => closed, "the stalled connection to end");
  expect(taken).toBeLessThan(size);
  // Its place is free again; and one that goes away in the middle frees it too.
  expect((await fetch(`${http.url}/metrics`)).status).toBe(200);
  const gone = await fetch(`${http.url}/metrics`);
  const reader = gone.body?.getReader();
  await reader?.read();
  await reader?.cancel();
  const answered = async () => {
    const r = await fetch(`${http.url}/api/status`);
    await r.arrayBuffer();
    return r.status === 200;
  };
  for (let k = 0; !(await answered()); k++) {
    if (k > 100) throw new Error("the place was never given back");
    await Bun.sleep(20); // the cancel reaches the endpoint when Bun notices the closed stream
  }
  expect(http.stats().dropped).toEqual({ stalled: 1 });
  const m = parsePrometheus(await (await fetch(`${http.url}/metrics`)).text());
  expect(sample(m, "lazarus_http_dropped_total", { reason: "stalled" })).toBe(1);
  expect(sample(m, "lazarus_http_refused_total", { reason: "answers" })).toBeGreaterThanOrEqual(1);
});

test("answers waiting for the process's figures (read off the loop) have their place among MAX_ANSWERS_IN_FLIGHT", async () => {
  const clock = new VirtualClock();
  const sup = new FakeSupervisor(SERVERS, clock);
  sup.start();
  const waiting: ((p: ProcessMetrics | null) => void)[] = [];
  const http = serveHttp({
    address: { hostname: "127.0.0.1", port: 0, loopback: true }, token: null, now: clock.now, wallTime: () => Date.now(), onAction: sup.onAction,
    limits: { ...HTTP_LIMITS, MAX_ANSWERS_IN_FLIGHT: 2 },
    measure: () => new Promise((resolve) => waiting.push(resolve)),
    snapshot: () => sup.snapshot(),
  });
  if (typeof http === "string") throw new Error(http);
  cleanups.push(() => http.close());
  const two = [fetch(`${http.url}/metrics`), fetch(`${http.url}/metrics`)];
  await until(() => waiting.length === 2, "both to wait for the figures");
  expect((await fetch(`${http.url}/metrics`)).status).toBe(503);
  expect((await fetch(`${http.url}/api/status`)).status).toBe(503);
  for (const w of waiting.splice(0)) w({ cpuSeconds: 7, residentBytes: null, virtualBytes: null, openFds: null, maxFds: null });
  for (const r of await Promise.all(two)) {
    expect(r.status).toBe(200);
    expect(sample(parsePrometheus(await r.text()), "process_cpu_seconds_total")).toBe(7);
  }
  expect((await fetch(`${http.url}/api/status`)).status).toBe(200);
  expect(http.stats().refused).toEqual({ answers: 2 });
});

test("a page that opens gets the newest view if it is less than a second old, else one built for it, with the same id when nothing changed", async () => {
  const f = fake();
  let snapshots = 0;
  const real = f.sup.snapshot.bind(f.sup);
  f.sup.snapshot = () => {
    snapshots++;
    return real();
  };
  const a = await events(f);
  const va = await a.nextMessage();
  expect({ id: va?.id, snapshots }).toEqual({ id: "1", snapshots: 1 });
  const b = await events(f);
  expect({ id: (await b.nextMessage())?.id, snapshots }).toEqual({ id: "1", snapshots: 1 });
  f.clock.advance(1000);
  const c = await events(f);
  const vc = await c.nextMessage();
  expect({ id: vc?.id, snapshots }).toEqual({ id: "1", snapshots: 2 });
  const uptime = (m: typeof va) => (JSON.parse(m?.data ?? "") as PageView).uptime;
  expect(uptime(vc)).toBeGreaterThanOrEqual(uptime(va) + 1000); // its ages as of now
  // The pages that had view 1 are not sent it again: the next they get is the next change's.
  f.sup.crash("web", { code: 1 });
  for (const p of [a, b, c]) {
    const m = await p.nextMessage();
    expect(m?.id).toBe("2");
    expect((JSON.parse(m?.data ?? "") as PageView).servers[0]?.restarts).toBe(1);
  }
});

test("views are spaced by what sending them to the pages costs too", async () => {
  // Built from what did not change, a view of a thousand servers costs little to build, and was then built every
  // SSE_MIN_INTERVAL_MS however many pages it went to: 17 MB to each, about 0.2 ms per MiB of lazarus's loop. Here a
  // view of some 800 bytes "costs" about 150 ms per page to send, and the views' share of the loop is all of it.
  const f = fake({ limits: { WORK_MS_PER_SECOND: 1000, SSE_MIN_INTERVAL_MS: 1, SSE_SEND_MS_PER_MIB: (150 * 1048576) / 800 } });
  const starts: number[] = [];
  const real = f.sup.snapshot.bind(f.sup);
  f.sup.snapshot = () => {
    starts.push(f.clock.now());
    return real();
  };
  const a = await events(f);
  const first = await a.nextMessage();
  const bytes = Buffer.byteLength(`event: snapshot\nid: ${first?.id}\ndata: ${first?.data}\n\n`);
  const b = await events(f);
  expect((await b.nextMessage())?.id).toBe("1");
  for (let k = 0; k < 3; k++) {
    f.http.changed();
    expect(await a.nextMessage()).not.toBeNull();
    expect(await b.nextMessage()).not.toBeNull();
  }
  // Views 3 and 4 each waited for the last one to be sent to both pages (view 2 followed view 1 at once: no page had
  // had a view when view 1 was made; a page's first view is charged as its answer).
  const gaps = starts.slice(2).map((t, k) => t - (starts[k + 1] as number));
  expect(gaps).toHaveLength(2);
  for (const g of gaps) expect(g).toBeGreaterThanOrEqual(0.9 * 2 * ((bytes / 800) * 150)); // views differ by a few bytes
});

test("a page's first view is charged as its answer, sending included: pages that open again and again are refused as busy", async () => {
  // Given the newest view, a page that opened cost nothing but its sending, which went uncounted: pages opened back to
  // back were each sent 17 MB, hundreds of MB a second. Here sending a view to a page "costs" about 600 ms.
  const f = fake({ limits: { SSE_SEND_MS_PER_MIB: (600 * 1048576) / 800 } });
  const a = await events(f);
  expect((await a.nextMessage())?.id).toBe("1"); // 600 of 250 ms: 350 owed, paid back at 100 ms a second
  const b = await fetch(`${f.url}/events`);
  expect(b.status).toBe(429);
  await b.arrayBuffer();
  expect(f.http.stats().refused).toEqual({ busy: 1 });
});

test("at most MAX_SSE_CLIENTS live pages; the next is refused with 503 and counted; a closed one frees its place", async () => {
  const f = fake({ limits: { MAX_SSE_CLIENTS: 3 } });
  const clients = await Promise.all([1, 2, 3].map(() => events(f)));
  for (const c of clients) expect(c.response.status).toBe(200);
  const refused = await fetch(`${f.url}/events`);
  expect(refused.status).toBe(503);
  expect(refused.headers.get("retry-after")).toBe("2");
  expect(f.http.stats()).toMatchObject({ sseClients: 3, refused: { "sse-clients": 1 } });
  clients[0]?.close();
  await until(() => f.http.stats().sseClients === 2, "the closed stream to be noticed");
  const again = await events(f);
  expect(again.response.status).toBe(200);
  expect(sample(await metrics(f), "lazarus_http_sse_clients")).toBe(3);
});

test("hundreds of event streams at once: the cap holds, the rest are refused, the endpoint keeps answering", async () => {
  const f = fake({ limits: { MAX_SSE_CLIENTS: 64, RATE_BURST: 10_000, RATE_PER_SECOND: 10_000 } });
  const aborts: AbortController[] = [];
  const results = await Promise.all(Array.from({ length: 400 }, async () => {
    const a = new AbortController();
    aborts.push(a);
    return (await fetch(`${f.url}/events`, { signal: a.signal })).status;
  }));
  expect(results.filter((s) => s === 200).length).toBe(64);
  expect(results.filter((s) => s === 503).length).toBe(336);
  expect((await fetch(`${f.url}/livez`)).status).toBe(200);
  f.sup.crash("web", { code: 1 }); // a view for 64 clients
  expect((await fetch(`${f.url}/healthz`)).status).toBe(200);
  for (const a of aborts) a.abort();
  await until(() => f.http.stats().sseClients === 0, "every stream to be closed");
});

test("heartbeat comments keep a quiet stream awake; a stream older than SSE_MAX_AGE_MS is ended (the browser reconnects)", async () => {
  const f = fake({ limits: { SSE_HEARTBEAT_MS: 1 } });
  const c = await events(f);
  expect(await c.next()).toEqual({ kind: "retry", ms: HTTP_LIMITS.SSE_RETRY_MS });
  expect((await c.next())?.kind).toBe("message");
  expect(await c.next()).toEqual({ kind: "comment", text: "keep-alive" });
  const g = fake({ limits: { SSE_MAX_AGE_MS: 1 } });
  const d = await events(g);
  expect(await d.nextMessage()).not.toBeNull();
  expect(await d.nextMessage()).toBeNull(); // ended by the endpoint
  await until(() => g.http.stats().sseClients === 0, "the ended stream to be forgotten");
});

test("a client that stops reading holds one view at most, and is dropped once it has taken nothing for SSE_STALL_MS", async () => {
  // Big views (about 1 MB each) fill the socket's buffers quickly.
  const servers = Array.from({ length: 64 }, (_, i) => ({ name: `s${i}`, argv: ["x"] }));
  const f = fake({ limits: { SSE_STALL_MS: 300 }, fake: { seesOutput: servers.map((s) => s.name) } }, servers);
  for (const s of servers) for (let k = 0; k < 40; k++) f.sup.history.noteOutput(f.sup.index(s.name), "out", `${k} ${"x".repeat(400)}`);
  let closed = false;
  const s = connect(f.http.port, "127.0.0.1", () => s.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  s.on("close", () => { closed = true; });
  s.on("error", () => {});
  s.pause(); // never reads
  await until(() => f.http.stats().sseClients === 1, "the stream to open");
  let changes = 0;
  while (f.http.stats().sseClients > 0) {
    f.sup.output("s0", "out", `change ${changes++}`);
    await Bun.sleep(300); // a change, and the view it makes, every 300 ms: the load this test makes
    if (changes > 300) throw new Error("the stalled client was never dropped");
  }
  expect(f.http.stats().dropped).toEqual({ "sse-stalled": 1 });
  // Dropped: once the client reads again, it gets what the kernel held, then the end of the connection.
  s.resume();
  s.on("data", () => {});
  await until(() => closed, "the stalled connection to end");
  expect((await fetch(`${f.url}/livez`)).status).toBe(200);
});

test("the request rate is bounded: beyond the burst, 429 with Retry-After, before any work", async () => {
  const f = fake({ limits: { RATE_BURST: 5, RATE_PER_SECOND: 0.001 } });
  const statuses: number[] = [];
  for (let k = 0; k < 7; k++) statuses.push((await fetch(`${f.url}/livez`)).status);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  expect(f.http.stats().refused.rate).toBe(2);
  const r = await fetch(`${f.url}/metrics`);
  expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
});

test("the time spent answering is bounded: costly answers beyond the budget are refused with 429 (reason busy) before any work, until it is paid back", async () => {
  // Each snapshot "takes" 60 ms of the loop (on the endpoint's clock, which moves only when told): as a
  // /metrics or /api/status of a thousand servers does. Allowed were 400 at once, holding the loop for seconds.
  const clock = new ManualClock();
  const sup = new FakeSupervisor(SERVERS, clock);
  sup.start();
  const http = serveHttp({
    address: { hostname: "127.0.0.1", port: 0, loopback: true }, token: null, now: clock.now, wallTime: () => Date.now(), onAction: sup.onAction,
    snapshot: () => {
      clock.advance(60);
      return sup.snapshot();
    },
  });
  if (typeof http === "string") throw new Error(http);
  cleanups.push(() => http.close());
  const statuses: number[] = [];
  for (let k = 0; k < 8; k++) statuses.push((await fetch(`${http.url}/api/status`)).status);
  // 250 ms at once, 100 ms of each second paid back (6 ms during each answer itself): 250, 196, 142, 88, 34 left
  // before each of the first five; then 20 ms owed.
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  const busy = await fetch(`${http.url}/livez`);
  expect({ status: busy.status, retryAfter: busy.headers.get("retry-after") }).toEqual({ status: 429, retryAfter: "1" });
  expect(((await busy.json()) as { error: string }).error).toBe(`lazarus is busy: answering took more than ${HTTP_LIMITS.WORK_MS_PER_SECOND} ms of each second`);
  expect(http.stats().refused).toEqual({ busy: 4 });
  clock.advance(1000); // 100 ms paid back: 80 left, enough for two more
  const after: number[] = [];
  for (let k = 0; k < 3; k++) after.push((await fetch(`${http.url}/api/status`)).status);
  expect(after).toEqual([200, 200, 429]);
});

test("oversized requests: 413 for a body (411 for a chunked one), 414 for a URL, 431 for headers; a foreign Host is refused on loopback", async () => {
  const f = fake();
  const big = await fetch(`${f.url}/api/servers/web/restart`, { method: "POST", headers: AUTH, body: "x".repeat(HTTP_LIMITS.MAX_BODY_BYTES + 1) });
  expect(big.status).toBe(413);
  expect(f.sup.actions).toEqual([]);
  const chunked = await raw(f.http.port, `POST /api/servers/web/restart HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2000\r\n${"y".repeat(0x2000)}\r\n0\r\n\r\n`);
  expect(chunked.response).toStartWith("HTTP/1.1 411");
  expect((await fetch(`${f.url}/metrics?${"q".repeat(HTTP_LIMITS.MAX_URL_BYTES)}`)).status).toBe(414);
  const headers: Record<string, string> = {};
  for (let i = 0; i < 100; i++) headers[`x-h${i}`] = "1";
  expect((await fetch(`${f.url}/metrics`, { headers })).status).toBe(431);
  expect((await fetch(`${f.url}/metrics`, { headers: { "x-big": "b".repeat(20_000) } })).status).toBe(431);
  const foreign = await raw(f.http.port, "GET /api/status HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n");
  expect(foreign.response).toStartWith("HTTP/1.1 403");
  expect(f.sup.actions).toEqual([]);
});

test("a request head that never completes is cut off by the transport", async () => {
  const f = fake();
  const slow = await raw(f.http.port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  expect(slow).toEqual({ response: "", closed: true });
  expect((await fetch(`${f.url}/livez`)).status).toBe(200);
});

test("a failure inside answers 500 and is reported, not thrown", async () => {
  const f = fake();
  const real = f.sup.snapshot.bind(f.sup);
  f.sup.snapshot = () => ({ ...real(), status: () => { throw new Error("boom"); } });
  const r = await fetch(`${f.url}/api/status`);
  expect(r.status).toBe(500);
  expect((await fetch(`${f.url}/api/status`)).status).toBe(500);
  expect(f.problems).toEqual(["http: answering GET failed: boom"]); // the second within 10 s is counted, not said
});

test("a snapshot that fails while a view is built for the live pages is reported, and the endpoint goes on", async () => {
  const f = fake();
  const c = await events(f);
  expect(await c.nextMessage()).not.toBeNull();
  const real = f.sup.snapshot.bind(f.sup);
  f.sup.snapshot = () => { throw new Error("no state"); };
  f.http.changed(); // the view is built in a timer: a throw there would reach the event loop
  await until(() => f.problems.length > 0, "the failure to be reported");
  expect(f.problems).toEqual(["http: a view for the live pages failed: no state"]);
  expect((await fetch(`${f.url}/events`)).status).toBe(200); // the last view is less than a second old: it is given
  f.clock.advance(1000);
  expect((await fetch(`${f.url}/events`)).status).toBe(500); // older: one is built for the page, and fails
  expect((await fetch(`${f.url}/livez`)).status).toBe(200);
  f.sup.snapshot = real;
  f.sup.crash("web", { code: 1 });
  expect((await c.until<PageView>((v) => v.servers[0]?.restarts === 1)).servers[0]?.state).toBe("alive");
});

test("listening on a port in use is an error line; close() ends the streams and the listener", async () => {
  const f = fake();
  const again = serveHttp({
    address: { hostname: "127.0.0.1", port: f.http.port, loopback: true }, token: null, snapshot: () => f.sup.snapshot(),
    now: f.clock.now, wallTime: Date.now, onAction: () => {},
  });
  expect(typeof again).toBe("string");
  expect(again as string).toMatch(/^cannot listen on 127\.0\.0\.1:\d+ for --http: .*(EADDRINUSE|in use)/i);
  const c = await events(f);
  expect(await c.nextMessage()).not.toBeNull();
  f.http.close();
  expect(await c.nextMessage()).toBeNull();
  await expect(fetch(`${f.url}/livez`)).rejects.toThrow();
});
