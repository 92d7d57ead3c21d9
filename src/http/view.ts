// What the status page shows, as one JSON document (the `snapshot` event of
// GET /events), and the server-sent-events framing. Times become ages relative
// to `now` ("ago", "uptime" in ms) so the page needs no clock of ours; it ages
// them itself from the moment a message arrives.
//
// The stream: `retry: MS` once, then `event: snapshot` + `id: N` + `data: VIEW`
// per update (always the whole view: a client that missed some gets the latest,
// never a diff it cannot apply), and `: keep-alive` comments in between.
//
// pageView + snapshotMessage say what a view's message is. The endpoint builds
// the very same bytes with a ViewBuild, a few servers at a time (a view of a
// thousand servers with their output lines is 17 MB: built in one go, it held
// the loop that supervises for 50 to 250 ms), keeping in a ViewCache the JSON of
// each server's output lines, which History gives as the same array for as
// long as they do not change.
import type { Ms } from "../core/types.ts";
import { exitKey } from "./history.ts";
import { uptimeMs } from "./metrics.ts";
import type { HttpSnapshot, OutputLine, ServerSnapshot, ServerState, TimelineEvent, TimelineKind } from "./snapshot.ts";

export interface ServerView {
  readonly index: number;
  readonly name: string;
  readonly state: ServerState;
  readonly stopping: boolean;
  readonly autostart: boolean;
  readonly ready: boolean | null;
  readonly pid: number | null;
  /** ms since its current start, null when not running. */
  readonly uptime: number | null;
  readonly restarts: number;
  readonly crashes: number;
  readonly buried: number;
  /** "code 3", "SIGSEGV", "unknown", or null. */
  readonly lastExit: string | null;
  /** ms ago, oldest first. */
  readonly timeline: readonly { readonly ago: number; readonly kind: TimelineKind; readonly detail: string }[];
  readonly output: readonly OutputLine[] | null;
}

export interface PageView {
  readonly version: string;
  readonly pid: number;
  readonly phase: string;
  /** ms since lazarus started. */
  readonly uptime: number;
  /** No token file: actions are refused, the page shows none. */
  readonly readOnly: boolean;
  /** The timeline's span, ms. */
  readonly window: number;
  readonly servers: readonly ServerView[];
}

export function pageView(snap: HttpSnapshot, now: Ms, readOnly: boolean, windowMs: number): PageView {
  const sv = snap.supervisor;
  return {
    version: sv.version,
    pid: sv.pid,
    phase: sv.phase,
    uptime: Math.max(0, now - sv.startedAt),
    readOnly,
    window: windowMs,
    servers: snap.servers.map((s): ServerView => ({
      index: s.index,
      name: s.name,
      state: s.state,
      stopping: s.stopping,
      autostart: s.autostart,
      ready: s.ready,
      pid: s.pid,
      uptime: s.state === "alive" ? uptimeMs(s, now) : null,
      restarts: s.restarts,
      crashes: s.crashes.reduce((n, c) => n + c.count, 0),
      buried: s.buried,
      lastExit: s.lastExit === null ? null : exitKey(s.lastExit),
      timeline: s.timeline.filter((e) => now - e.at <= windowMs).map((e) => ({ ago: Math.max(0, now - e.at), kind: e.kind, detail: e.detail })),
      output: s.output,
    })),
  };
}

/** One SSE message; `data` may hold line feeds (each line becomes a `data:` field). */
export function sseMessage(event: string, data: string, id?: number): string {
  if (/[\r\n]/.test(event)) throw new Error("an SSE event name is one line");
  const lines = data.split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join("\n");
  return `event: ${event}\n${id === undefined ? "" : `id: ${id}\n`}${lines}\n\n`;
}

/** The first bytes of a stream: how long the browser waits before reconnecting. */
export function sseRetry(ms: number): string {
  return `retry: ${Math.round(ms)}\n\n`;
}

/** A comment line: keeps the connection (and proxies) awake, ignored by EventSource. */
export const SSE_HEARTBEAT = ": keep-alive\n\n";

/** The `snapshot` message of a view. */
export function snapshotMessage(view: PageView, id: number): string {
  return sseMessage("snapshot", JSON.stringify(view), id);
}

const encoder = new TextEncoder();
const NULL_BYTES = encoder.encode("null");

/**
 * What views built of each server's output lines and timeline events, by the
 * identity of what History gave for them (the same array, the same event, for
 * as long as they do not change): a quiet server's 40 lines of 400 characters
 * are escaped as JSON and encoded once, not once per view. Entries go with the
 * arrays and events they were made of (weak keys).
 */
export class ViewCache {
  private readonly outputs = new WeakMap<readonly OutputLine[], Uint8Array>();
  private readonly events = new WeakMap<TimelineEvent, string>();
  /** Output lines made into JSON, and taken as they were from an earlier view (for tests and the bench). */
  made = 0;
  reused = 0;

  /** `"output":…` of a row, as bytes. */
  output(lines: readonly OutputLine[] | null): Uint8Array {
    if (lines === null) return NULL_BYTES;
    const had = this.outputs.get(lines);
    if (had !== undefined) {
      this.reused++;
      return had;
    }
    this.made++;
    const made = encoder.encode(JSON.stringify(lines));
    this.outputs.set(lines, made);
    return made;
  }

  /** A timeline event's JSON after its age: `,"kind":…,"detail":…}`. */
  event(e: TimelineEvent): string {
    let tail = this.events.get(e);
    if (tail === undefined) {
      tail = `,"kind":${JSON.stringify(e.kind)},"detail":${JSON.stringify(e.detail)}}`;
      this.events.set(e, tail);
    }
    return tail;
  }
}

/** A number as JSON.stringify writes it. */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : "null");

/**
 * One view's `snapshot` message, built a few servers at a time: exactly the
 * bytes of snapshotMessage(pageView(snap, now, readOnly, windowMs), id), as
 * chunks. The snapshot is taken before: every row is as of `now`, however many
 * turns of the loop the build spans.
 */
export class ViewBuild {
  /** The message so far, one chunk per step. */
  readonly chunks: Uint8Array[] = [];
  private next = 0;
  private finished = false;

  constructor(
    private readonly snap: HttpSnapshot,
    private readonly now: Ms,
    private readonly readOnly: boolean,
    private readonly windowMs: number,
    readonly id: number,
    private readonly cache: ViewCache,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  /**
   * Build the next chunk: servers until it holds at least `maxBytes` or
   * `enough()` says so (asked after each server; at least one server per
   * step). True when the message is complete.
   */
  step(maxBytes: number, enough: () => boolean): boolean {
    if (this.finished) return true;
    const servers = this.snap.servers;
    const parts: Uint8Array[] = [];
    let size = 0;
    let text = this.next === 0 ? this.head() : "";
    const flush = () => {
      if (text === "") return;
      const b = encoder.encode(text);
      parts.push(b);
      size += b.length;
      text = "";
    };
    while (this.next < servers.length) {
      const s = servers[this.next] as ServerSnapshot;
      text += `${this.next === 0 ? "" : ","}${this.row(s)},"output":`;
      flush();
      const out = this.cache.output(s.output);
      parts.push(out);
      size += out.length;
      text = "}";
      this.next++;
      if (size >= maxBytes || enough()) break;
    }
    if (this.next >= servers.length) {
      text += "]}\n\n";
      this.finished = true;
    }
    flush();
    const chunk = parts.length === 1 ? (parts[0] as Uint8Array) : new Uint8Array(size);
    if (parts.length !== 1) {
      let at = 0;
      for (const p of parts) {
        chunk.set(p, at);
        at += p.length;
      }
    }
    this.chunks.push(chunk);
    return this.finished;
  }

  /** `event: snapshot`, the id, and the view's JSON up to its first server. */
  private head(): string {
    const sv = this.snap.supervisor;
    const top = JSON.stringify({
      version: sv.version, pid: sv.pid, phase: sv.phase, uptime: Math.max(0, this.now - sv.startedAt),
      readOnly: this.readOnly, window: this.windowMs, servers: [],
    });
    return `event: snapshot\nid: ${this.id}\ndata: ${top.slice(0, -2)}`;
  }

  /** A server's row as pageView makes it, up to its output. */
  private row(s: ServerSnapshot): string {
    const now = this.now;
    const fixed = JSON.stringify({
      index: s.index, name: s.name, state: s.state, stopping: s.stopping, autostart: s.autostart, ready: s.ready, pid: s.pid,
      uptime: s.state === "alive" ? uptimeMs(s, now) : null, restarts: s.restarts, crashes: s.crashes.reduce((n, c) => n + c.count, 0),
      buried: s.buried, lastExit: s.lastExit === null ? null : exitKey(s.lastExit),
    });
    let timeline = "";
    for (const e of s.timeline) {
      if (!(now - e.at <= this.windowMs)) continue;
      timeline += `${timeline === "" ? "" : ","}{"ago":${num(Math.max(0, now - e.at))}${this.cache.event(e)}`;
    }
    return `${fixed.slice(0, -1)},"timeline":[${timeline}]`;
  }
}
