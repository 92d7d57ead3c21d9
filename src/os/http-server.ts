// The HTTP endpoint's transport: serves the pure application (src/http/app.ts)
// through Bun.serve, owns the live page's event streams, and carries actions to
// the shell. Nothing here decides what to answer; it enforces what only the
// transport can (src/http/limits.ts has every number):
//
// - Bun: maxRequestBodySize (413 for a body over MAX_BODY_BYTES, declared or
//   chunked), idleTimeout IDLE_SECONDS for keep-alive connections; Bun itself
//   answers 431 past ~16 KiB of request head and closes a connection whose head
//   is not complete within ~10 s (measured on Bun 1.4.5).
// - A token bucket for the whole endpoint (429 with Retry-After, before any
//   work) and a smaller one for actions; at most MAX_ACTIONS_IN_FLIGHT actions
//   waiting for the core, each answered within ACTION_TIMEOUT_MS.
// - A budget of the loop's time: each request's answer is timed (on the port's
//   clock) and charged; while more than WORK_BURST_MS is owed (beyond
//   WORK_MS_PER_SECOND paid back each second), requests are refused with 429
//   before any work. So the endpoint takes at most about a tenth of the loop
//   that supervises, however costly its answers (a /metrics of a thousand
//   servers) and however many requests the rate lets in.
// - Event streams: at most MAX_SSE_CLIENTS (503 beyond). Each is a pull stream
//   that Bun reads only as fast as the socket drains (Bun 1.4.5 applies the
//   socket's backpressure to a Response(ReadableStream)): it is given a view a
//   piece per pull, and then the newest view there is: a slow client skips
//   views, it never queues them. A heartbeat comment every SSE_HEARTBEAT_MS
//   (between views), closed after SSE_MAX_AGE_MS (the browser reconnects), or
//   when it has taken nothing for SSE_STALL_MS.
// - Views are built once per change for every client together, at most once
//   per SSE_MIN_INTERVAL_MS however often the shell says it changed, and
//   spaced so that building them and sending them to the pages that have one
//   (SSE_SEND_MS_PER_MIB each) takes at most WORK_MS_PER_SECOND of each
//   second: a view of a thousand servers with their output lines is 17 MB of
//   JSON, and servers that write all the time change it all the time. A view
//   is built from one snapshot, a few servers per turn of the loop
//   (VIEW_SLICE_BYTES or VIEW_SLICE_MS, view.ts ViewBuild), so that reaping and
//   respawning go on while it is built; what did not change since the last
//   view (a server's output lines) is taken from the last (view.ts ViewCache).
//   A page that opens gets the newest view if it is less than a second old,
//   else one built for it then (joining one being built); building it and
//   sending it are charged as its answer's time.
// - /metrics and /api/status: the app answers them with a build (src/http/answer.ts), made
//   from one snapshot taken when it starts (after the process's /proc figures, read off the
//   loop: measureProcessAsync), a step per pull of the response's stream, each in a turn of
//   the loop of its own (ANSWER_SLICE_CHARS or ANSWER_SLICE_MS), timed and charged as the
//   answer's time; an answer done in one step is sent whole. At most MAX_ANSWERS_IN_FLIGHT
//   at once (503 beyond); one whose client has not taken data for ANSWER_STALL_MS, or not all
//   of it within ANSWER_MAX_MS, is cut off and counted (a sweep once a second while any is
//   being sent): each holds its snapshot and one chunk in Bun's buffer, as the stream is
//   pulled only as fast as the socket drains.
// - A handler that throws answers 500; the problem is reported (at most one
//   report per 10 s, with the count of the ones not reported).
//
// The shell: `serveHttp(options)` once, with `snapshot`, a function that gives the
// supervisor's state now (called when a request or a view needs it, no more);
// `changed()` after every change of state or new output line (cheap: it schedules
// one view for the live pages, if any); `close()` before exiting or re-executing.
import type { Server } from "bun";
import type { Ms } from "../core/types.ts";
import { type HttpAddress, formatHttpAddress } from "../http/address.ts";
import type { AnswerBuild } from "../http/answer.ts";
import { type ActionReply, actionResponse, createApp, type HttpAction, type HttpResult, tooMany, unavailable } from "../http/app.ts";
import { tokenChecker } from "../http/auth.ts";
import { HTTP_LIMITS, type HttpLimits } from "../http/limits.ts";
import { TokenBucket, WorkBudget } from "../http/rate.ts";
import type { HttpSnapshot, HttpStats, ProcessMetrics } from "../http/snapshot.ts";
import { SSE_HEARTBEAT, sseRetry, ViewBuild, ViewCache } from "../http/view.ts";
import { measureProcessAsync } from "./process-metrics.ts";

export interface HttpEndpointOptions {
  readonly address: HttpAddress;
  /** The bearer token for actions (read from --http-token-file); null: read-only. */
  readonly token: string | null;
  /** The supervisor's state now (from-core.ts snapshotOf): called per request that needs it and per view. */
  readonly snapshot: () => HttpSnapshot;
  /** The port's monotonic clock (ms), the one the snapshot's times are on. */
  readonly now: () => Ms;
  /** Wall-clock ms since the epoch. */
  readonly wallTime: () => number;
  /**
   * Carry out an action (the shell makes it the control command {op, server}
   * and calls `respond` with the core's reply, once). Not called when refused.
   */
  readonly onAction: (action: HttpAction, respond: (ok: boolean, message: string) => void) => void;
  /** The process's metrics, when /metrics is scraped; measureProcessAsync() by default (its /proc reads off the loop). */
  readonly measure?: () => ProcessMetrics | null | Promise<ProcessMetrics | null>;
  /** One line about a problem of the endpoint (a handler that threw). */
  readonly onProblem?: (text: string) => void;
  readonly limits?: HttpLimits;
  /** How a view or an answer being built gives the loop back between its pieces: setImmediate (a test's own, to see them). */
  readonly defer?: (next: () => void) => void;
}

export interface HttpEndpoint {
  /** "http://127.0.0.1:9100" (the port the kernel chose for port 0). */
  readonly url: string;
  readonly port: number;
  /** The supervisor's state changed: the live pages get a view of it within SSE_MIN_INTERVAL_MS. */
  changed(): void;
  stats(): HttpStats;
  /** Stop listening and end every stream and connection at once. */
  close(): void;
}

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array> | null;
  /** The id of the view last given to it (-1: none yet). */
  sent: number;
  /** Its first view is the build numbered this or later (builds are numbered as they complete). */
  firstBuild: number;
  /** The view it is being given, a chunk per pull, and the next chunk's index (null: none in progress). */
  view: readonly Uint8Array[] | null;
  next: number;
  /** Resolves its pending pull: it is waiting for data (null: it has some it has not taken yet). */
  wake: (() => void) | null;
  openedAt: Ms;
  /** When it last asked for data (Bun reads as the socket drains). */
  pulledAt: Ms;
  /** When it was last given anything (a view or a heartbeat). */
  fedAt: Ms;
  closed: boolean;
  /** Give its connection the ordinary idle timeout back (0 while it streams). */
  restoreTimeout: () => void;
}

/** A /metrics or /api/status being built and sent (a step per pull). */
interface Answer {
  readonly build: AnswerBuild;
  controller: ReadableStreamDefaultController<Uint8Array> | null;
  readonly openedAt: Ms;
  /** When it last asked for data; null while a step is being made for it. */
  pulledAt: Ms | null;
  closed: boolean;
}

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(SSE_HEARTBEAT);

/** Start serving; an error line when it cannot listen (address in use, not ours, …). */
export function serveHttp(o: HttpEndpointOptions): HttpEndpoint | string {
  const limits = o.limits ?? HTTP_LIMITS;
  const measure = o.measure ?? measureProcessAsync;
  const defer = o.defer ?? ((next: () => void) => void setImmediate(next));
  const readOnly = o.token === null;
  const app = createApp({ checkToken: o.token === null ? null : tokenChecker(o.token), hosts: o.address.loopback ? "loopback" : "any", limits });
  const bucket = new TokenBucket(limits.RATE_PER_SECOND, limits.RATE_BURST);
  const actionBucket = new TokenBucket(limits.ACTION_RATE_PER_SECOND, limits.ACTION_RATE_BURST);
  const work = new WorkBudget(limits.WORK_MS_PER_SECOND, limits.WORK_BURST_MS);
  const responses: Record<number, number> = {};
  const refused: Record<string, number> = {};
  const dropped: Record<string, number> = {};
  const clients = new Set<Client>();
  const answers = new Set<Answer>();
  /** Answers waiting for the process's figures before they start: they have their place among MAX_ANSWERS_IN_FLIGHT. */
  let answersMeasuring = 0;
  let answersTimer: ReturnType<typeof setInterval> | null = null;
  const snapshot = o.snapshot;
  let actionsInFlight = 0;
  let closed = false;

  // The newest view, as the chunks of its SSE message, its id, when its snapshot was taken, and its build's number.
  let version = 0;
  let message: readonly Uint8Array[] | null = null;
  /** What sending it to a page costs the loop, ms (SSE_SEND_MS_PER_MIB). */
  let sendMs = 0;
  let builtAt = Number.NEGATIVE_INFINITY;
  let builds = 0;
  /** The next view is not built before this (SSE_MIN_INTERVAL_MS after the last, or more after a costly one). */
  let buildAfter = Number.NEGATIVE_INFINITY;
  /** Changed since the last view's snapshot was taken. */
  let dirty = true;
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** The view being built, what its steps took so far, and whether that is charged as an answer's time (a page that opened). */
  let building: { build: ViewBuild; startedAt: Ms; took: number; charged: boolean } | null = null;
  const cache = new ViewCache();
  let sweepTimer: ReturnType<typeof setInterval> | null = null;

  let problemAt = Number.NEGATIVE_INFINITY;
  let unreported = 0;
  const problem = (text: string) => {
    const now = o.now();
    if (now - problemAt < 10_000) {
      unreported++;
      return;
    }
    problemAt = now;
    o.onProblem?.(`http: ${text}${unreported > 0 ? ` (and ${unreported} more not reported)` : ""}`);
    unreported = 0;
  };

  const stats = (): HttpStats => ({ responses: { ...responses }, refused: { ...refused }, dropped: { ...dropped }, sseClients: clients.size });
  const count = (status: number) => {
    responses[status] = (responses[status] ?? 0) + 1;
  };
  const refuse = (reason: string, r: HttpResult): Response => {
    refused[reason] = (refused[reason] ?? 0) + 1;
    return toResponse(r);
  };
  const toResponse = (r: HttpResult): Response => {
    if (r.kind !== "response") throw new Error(`not a response: ${r.kind}`);
    count(r.status);
    return new Response(r.status === 304 || r.body === "" ? null : r.body, { status: r.status, headers: r.headers });
  };

  /** A timer's work: whatever goes wrong is reported, never thrown into the loop that supervises. */
  const guarded = (what: string, f: () => void) => () => {
    try {
      f();
    } catch (e) {
      problem(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  /**
   * Start a view (once for everybody) from a snapshot taken now, and build its
   * first chunk; the rest follow in later turns of the loop (buildSome). A view of
   * a changed state gets the next id; one of the same state (newer ages for a page
   * that opened) the same id, so the pages that have it are not sent it again.
   * Throws when the snapshot fails: then nothing changes.
   */
  const startBuild = (charged: boolean) => {
    if (flushTimer !== null) clearTimeout(flushTimer);
    flushTimer = null;
    const now = o.now();
    const id = dirty || version === 0 ? version + 1 : version;
    const snap = snapshot();
    dirty = false;
    building = { build: new ViewBuild(snap, now, readOnly, limits.TIMELINE_WINDOW_MS, id, cache), startedAt: now, took: 0, charged };
    buildSome(now, false); // a page that opened: this step is timed with its answer
  };

  /** The next chunk of the view being built; when it is complete, it is the newest, for every client waiting for one. */
  const buildSome = (t0: Ms = o.now(), charge = true) => {
    const b = building;
    if (b === null) return;
    if (closed) {
      building = null;
      return;
    }
    let done: boolean;
    try {
      done = b.build.step(limits.VIEW_SLICE_BYTES, () => o.now() - t0 >= limits.VIEW_SLICE_MS);
    } catch (e) {
      building = null;
      dirty = true;
      throw e;
    } finally {
      const t1 = o.now();
      b.took += t1 - t0;
      if (b.charged && charge) work.charge(t1, t1 - t0);
    }
    if (!done) {
      defer(guarded("a view for the live pages", () => buildSome()));
      return;
    }
    building = null;
    message = b.build.chunks;
    version = b.build.id;
    builtAt = b.startedAt;
    builds++;
    sendMs = (message.reduce((n, c) => n + c.length, 0) / 1048576) * limits.SSE_SEND_MS_PER_MIB;
    // Its cost: building it, and sending it to the pages that had a view (a page's first is charged as its answer).
    let pages = 0;
    for (const c of clients) if (c.sent >= 0) pages++;
    buildAfter = b.startedAt + Math.max(limits.SSE_MIN_INTERVAL_MS, (b.took + pages * sendMs) * (1000 / limits.WORK_MS_PER_SECOND));
    const now = o.now();
    for (const c of clients) if (c.wake !== null) feed(c, now);
    if (dirty) schedule();
  };

  /** A view for the live pages, once the last one's cost allows (at most once per SSE_MIN_INTERVAL_MS). */
  const schedule = () => {
    if (closed || !dirty || clients.size === 0 || building !== null || flushTimer !== null) return;
    flushTimer = setTimeout(guarded("a view for the live pages", () => {
      flushTimer = null;
      startBuild(false);
    }), Math.max(0, buildAfter - o.now()));
  };

  /** Hand a chunk to a client's stream; a stream that cannot take it any more is dropped. */
  const give = (c: Client, chunk: Uint8Array, now: Ms): boolean => {
    if (c.closed || c.controller === null) return false;
    try {
      c.controller.enqueue(chunk);
    } catch {
      drop(c, false);
      return false;
    }
    c.fedAt = now;
    const w = c.wake;
    c.wake = null;
    w?.();
    return true;
  };

  /** Give a client the next chunk of the view it is being given, or the first of the newest view, if it lacks it. */
  const feed = (c: Client, now: Ms): boolean => {
    if (c.view === null) {
      if (message === null || (c.sent < 0 ? builds < c.firstBuild : c.sent >= version)) return false;
      if (c.sent < 0) work.charge(now, sendMs); // a page's first view: part of its answer
      c.view = message;
      c.next = 0;
      c.sent = version;
    }
    const chunk = c.view[c.next++] as Uint8Array;
    if (c.next >= c.view.length) c.view = null;
    return give(c, chunk, now);
  };

  const drop = (c: Client, error: boolean) => {
    if (c.closed) return;
    c.closed = true;
    clients.delete(c);
    const w = c.wake;
    c.wake = null;
    try {
      // Without this, a connection whose stream ended would never time out (Bun 1.4.5 keeps the 0).
      c.restoreTimeout();
    } catch { /* the connection is gone */ }
    try {
      // error(): the connection is aborted, even one whose reader stopped reading; close(): the response ends.
      if (error) c.controller?.error(new Error("closed by lazarus"));
      else c.controller?.close();
    } catch { /* already closed by the other side */ }
    w?.();
    if (clients.size === 0 && sweepTimer !== null) {
      clearInterval(sweepTimer);
      sweepTimer = null;
    }
  };

  /** Once a second while there are clients: heartbeats, and the old or stalled ones closed. */
  const sweep = () => {
    const now = o.now();
    for (const c of clients) {
      if (now - c.openedAt >= limits.SSE_MAX_AGE_MS) drop(c, false);
      else if (c.wake === null && now - c.pulledAt >= limits.SSE_STALL_MS) {
        dropped["sse-stalled"] = (dropped["sse-stalled"] ?? 0) + 1;
        drop(c, true);
      }
      else if (c.wake !== null && now - c.fedAt >= limits.SSE_HEARTBEAT_MS) give(c, HEARTBEAT, now);
    }
  };

  const openEvents = (headers: Readonly<Record<string, string>>, req: Request, server: Server<undefined>): Response => {
    if (clients.size >= limits.MAX_SSE_CLIENTS) {
      return refuse("sse-clients", unavailable(`too many live pages connected (${limits.MAX_SSE_CLIENTS})`, Math.ceil(limits.SSE_RETRY_MS / 1000)));
    }
    // The first view: the newest if it is less than a second old (its ages and uptimes about right), else the one
    // being built, else one built now (its first chunk in this answer, the rest in the next turns: charged as its time).
    const now = o.now();
    let firstBuild = builds;
    if (message === null || now - builtAt >= 1000) {
      firstBuild = builds + 1;
      if (building === null) {
        try {
          startBuild(true);
        } catch (e) {
          problem(`a view for a live page failed: ${e instanceof Error ? e.message : String(e)}`);
          count(500);
          return new Response("internal error\n", { status: 500, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
        }
      }
    }
    const c: Client = {
      controller: null, sent: -1, firstBuild, view: null, next: 0, wake: null, openedAt: now, pulledAt: now, fedAt: now, closed: false,
      restoreTimeout: () => server.timeout(req, limits.IDLE_SECONDS),
    };
    clients.add(c);
    schedule(); // when the state changed while no page was open
    if (sweepTimer === null) {
      sweepTimer = setInterval(guarded("the live pages' sweep", sweep), 1000);
      sweepTimer.unref?.();
    }
    server.timeout(req, 0); // heartbeats and the stall check replace the idle timeout
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        c.controller = controller;
        controller.enqueue(encoder.encode(sseRetry(limits.SSE_RETRY_MS)));
      },
      pull() {
        if (c.closed) return;
        const t = o.now();
        c.pulledAt = t;
        if (feed(c, t)) return;
        return new Promise<void>((resolve) => {
          c.wake = resolve;
        });
      },
      cancel() {
        c.restoreTimeout = () => {}; // the client went away: nothing to restore
        drop(c, false);
      },
    }, { highWaterMark: 0 });
    count(200);
    return new Response(stream, { status: 200, headers });
  };

  const runAction = (action: HttpAction): Promise<Response> | Response => {
    if (!actionBucket.take(o.now())) return refuse("action-rate", tooMany("too many actions; try again shortly", actionBucket.retryAfter()));
    if (actionsInFlight >= limits.MAX_ACTIONS_IN_FLIGHT) return refuse("actions-in-flight", actionResponse(action, { ok: "busy" }));
    actionsInFlight++;
    return new Promise<Response>((resolve) => {
      let done = false;
      const finish = (reply: ActionReply) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        actionsInFlight--;
        resolve(toResponse(actionResponse(action, reply)));
      };
      const timer = setTimeout(() => finish({ ok: "timeout" }), limits.ACTION_TIMEOUT_MS);
      try {
        o.onAction(action, (ok, msg) => finish(ok ? { ok: true, message: msg } : { ok: false, message: msg }));
      } catch (e) {
        problem(`an action failed: ${e instanceof Error ? e.message : String(e)}`);
        finish({ ok: false, message: "the action failed inside lazarus" });
      }
    });
  };

  const internalError = (): Response => {
    count(500);
    return new Response("internal error\n", { status: 500, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
  };

  /** An answer's end: its stream closed (done), or aborted (cut off, failed), and its place given back. */
  const endAnswer = (a: Answer, how: "done" | "abort") => {
    if (a.closed) return;
    a.closed = true;
    answers.delete(a);
    try {
      if (how === "abort") a.controller?.error(new Error("closed by lazarus"));
      else a.controller?.close();
    } catch { /* already closed by the other side */ }
    if (answers.size === 0 && answersTimer !== null) {
      clearInterval(answersTimer);
      answersTimer = null;
    }
  };

  /** Once a second while answers are being sent: the ones whose clients stopped reading, or read too slowly, cut off. */
  const sweepAnswers = () => {
    const now = o.now();
    for (const a of answers) {
      const reason = a.pulledAt !== null && now - a.pulledAt >= limits.ANSWER_STALL_MS ? "stalled" : now - a.openedAt >= limits.ANSWER_MAX_MS ? "slow" : null;
      if (reason === null) continue;
      dropped[reason] = (dropped[reason] ?? 0) + 1;
      endAnswer(a, "abort");
    }
  };

  /**
   * One step of a build, timed (and charged unless the request's own time covers it): its text, or its bytes to
   * stream (an answer done in one step is given to Bun as text, which costs less than encoding it here).
   */
  function stepOf(b: AnswerBuild, charge: boolean, as: "text"): string;
  function stepOf(b: AnswerBuild, charge: boolean, as: "bytes"): Uint8Array;
  function stepOf(b: AnswerBuild, charge: boolean, as: "text" | "bytes"): string | Uint8Array {
    const t0 = o.now();
    try {
      const text = b.step(limits.ANSWER_SLICE_CHARS, () => o.now() - t0 >= limits.ANSWER_SLICE_MS);
      return as === "text" ? text : encoder.encode(text);
    } finally {
      const t1 = o.now();
      if (charge) work.charge(t1, t1 - t0);
    }
  }

  /**
   * Start a build (the snapshot is taken now) and make its first step; a build done in one step is answered
   * at once, else its chunks are streamed, a step per pull in a turn of the loop of its own.
   */
  const beginBuild = (r: Extract<HttpResult, { kind: "build" }>, proc: ProcessMetrics | null, charge: boolean): Response => {
    let b: AnswerBuild;
    let first: string;
    try {
      const t0 = o.now();
      b = r.start({ now: t0, wall: o.wallTime() }, proc);
      if (charge) work.charge(o.now(), o.now() - t0);
      first = stepOf(b, charge, "text");
    } catch (e) {
      problem(`answering GET failed: ${e instanceof Error ? e.message : String(e)}`);
      return internalError();
    }
    count(200);
    if (b.done) return new Response(first, { status: 200, headers: r.headers });
    const t0 = o.now();
    const bytes = encoder.encode(first);
    if (charge) work.charge(o.now(), o.now() - t0);
    const now = o.now();
    const a: Answer = { build: b, controller: null, openedAt: now, pulledAt: now, closed: false };
    answers.add(a);
    if (answersTimer === null) {
      answersTimer = setInterval(guarded("the answers' sweep", sweepAnswers), 1000);
      answersTimer.unref?.();
    }
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        a.controller = controller;
        if (bytes.length > 0) controller.enqueue(bytes);
      },
      pull(controller) {
        if (a.closed) return;
        a.pulledAt = null;
        return new Promise<void>((resolve) => {
          defer(() => {
            try {
              if (a.closed) return;
              const chunk = stepOf(a.build, true, "bytes");
              if (chunk.length > 0) controller.enqueue(chunk);
              a.pulledAt = o.now();
              if (a.build.done) endAnswer(a, "done");
            } catch (e) {
              problem(`answering GET failed: ${e instanceof Error ? e.message : String(e)}`);
              endAnswer(a, "abort");
            } finally {
              resolve();
            }
          });
        });
      },
      cancel() {
        endAnswer(a, "done");
      },
    }, { highWaterMark: 0 });
    return new Response(stream, { status: 200, headers: r.headers });
  };

  /** /metrics or /api/status: at most MAX_ANSWERS_IN_FLIGHT at once; the process's metrics first, read off the loop. */
  const runBuild = (r: Extract<HttpResult, { kind: "build" }>): Response | Promise<Response> => {
    if (answers.size + answersMeasuring >= limits.MAX_ANSWERS_IN_FLIGHT) {
      return refuse("answers", unavailable(`too many answers being sent at once (${limits.MAX_ANSWERS_IN_FLIGHT})`, 1));
    }
    if (!r.measure) return beginBuild(r, null, false); // within the request's own time
    let measured: ProcessMetrics | null | Promise<ProcessMetrics | null>;
    try {
      measured = measure();
    } catch {
      measured = null;
    }
    if (!(measured instanceof Promise)) return beginBuild(r, measured, false);
    answersMeasuring++;
    const begin = (proc: ProcessMetrics | null): Response => {
      answersMeasuring--;
      return closed ? internalError() : beginBuild(r, proc, true);
    };
    return measured.then(begin, () => begin(null));
  };

  const answer = (req: Request, srv: Server<undefined>, now: Ms): Response | Promise<Response> => {
    let r: HttpResult;
    try {
      r = app({ method: req.method, url: req.url, headers: req.headers }, { snapshot, clock: { now, wall: o.wallTime() }, stats: stats() });
    } catch (e) {
      problem(`answering ${req.method} failed: ${e instanceof Error ? e.message : String(e)}`);
      return internalError();
    }
    switch (r.kind) {
      case "response": return toResponse(r);
      case "build": return runBuild(r);
      case "events": return openEvents(r.headers, req, srv);
      case "action": return runAction(r.action);
    }
  };

  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: o.address.hostname,
      port: o.address.port,
      reusePort: false,
      development: false,
      maxRequestBodySize: limits.MAX_BODY_BYTES,
      idleTimeout: limits.IDLE_SECONDS,
      fetch(req, srv) {
        const now = o.now();
        if (!bucket.take(now)) return refuse("rate", tooMany("too many requests", bucket.retryAfter()));
        if (!work.allows(now)) return refuse("busy", tooMany(`lazarus is busy: answering took more than ${limits.WORK_MS_PER_SECOND} ms of each second`, work.retryAfter()));
        try {
          return answer(req, srv, now);
        } finally {
          const done = o.now();
          work.charge(done, done - now);
        }
      },
      error(e) {
        problem(`the server failed: ${e.message}`);
        count(500);
        return new Response("internal error\n", { status: 500 });
      },
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    return `cannot listen on ${formatHttpAddress(o.address)} for --http: ${code === undefined ? "" : `${code}: `}${e instanceof Error ? e.message : String(e)}`;
  }
  const port = server.port ?? o.address.port;
  return {
    url: `http://${formatHttpAddress({ hostname: o.address.hostname, port })}`,
    port,
    changed() {
      dirty = true;
      schedule();
    },
    stats,
    close() {
      if (closed) return;
      closed = true;
      if (flushTimer !== null) clearTimeout(flushTimer);
      building = null;
      for (const c of [...clients]) drop(c, false);
      for (const a of [...answers]) endAnswer(a, "abort");
      server.stop(true);
    },
  };
}
