// What the status page shows, as one JSON document (the `snapshot` event of
// GET /events), and the server-sent-events framing. Times become ages relative
// to `now` ("ago", "uptime" in ms) so the page needs no clock of ours; it ages
// them itself from the moment a message arrives.
//
// The stream: `retry: MS` once, then `event: snapshot` + `id: N` + `data: VIEW`
// per update (always the whole view: a client that missed some gets the latest,
// never a diff it cannot apply), and `: keep-alive` comments in between.
import type { Ms } from "../core/types.ts";
import { exitKey } from "./history.ts";
import { uptimeMs } from "./metrics.ts";
import type { HttpSnapshot, OutputLine, ServerState, TimelineKind } from "./snapshot.ts";

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
