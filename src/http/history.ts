// What the core's state does not keep but the endpoint shows: per server its
// crashes by kind, its burials, a timeline of the last hour, and the last lines
// of its output. Pure and bounded: the shell feeds it every log record the core
// emits (`noteRecord`) and every output line it writes (`noteOutput`), with the
// monotonic time; nothing here reads a clock. It lives in the image's memory: a
// re-exec starts it afresh (Prometheus takes a counter that goes back to 0 as a
// reset; `restarts` comes from the core and survives).
//
// Bounds, per server: MAX_CRASH_KINDS distinct crash labels (later kinds are
// counted as kind "unknown"), MAX_TIMELINE_EVENTS events (the oldest dropped),
// MAX_OUTPUT_LINES lines of MAX_OUTPUT_LINE_CHARS characters (longer ones cut,
// control characters but tab replaced).
import type { LogRecord, Ms } from "../core/types.ts";
import { HTTP_LIMITS, type HttpLimits } from "./limits.ts";
import type { ExitInfo, OutputLine, TimelineEvent, TimelineKind } from "./snapshot.ts";

interface PerServer {
  readonly crashes: Map<string, { exit: ExitInfo; count: number }>;
  buried: number;
  /** A ring: `events[(head + i) % cap]`. */
  readonly events: TimelineEvent[];
  eventsHead: number;
  readonly output: OutputLine[];
  outputHead: number;
  /** What `of` gave last, kept until the next change (null: changed since): unchanged parts keep their identity. */
  seen: Seen | null;
}

interface Seen {
  crashes: readonly { readonly exit: ExitInfo; readonly count: number }[] | null;
  /** The whole timeline, oldest first. */
  events: readonly TimelineEvent[] | null;
  /** `events` cut to a window, and the window starts it holds for: any `from` with `lo < from <= hi`. */
  timeline: readonly TimelineEvent[] | null;
  lo: number;
  hi: number;
  output: readonly OutputLine[] | null;
}

export interface ServerHistory {
  readonly crashes: readonly { readonly exit: ExitInfo; readonly count: number }[];
  readonly buried: number;
  readonly timeline: readonly TimelineEvent[];
  readonly output: readonly OutputLine[];
}

/** The label key of an exit (one counter each). */
export function exitKey(e: ExitInfo): string {
  switch (e.kind) {
    case "exit": return `code ${e.code}`;
    case "signal": return e.signal;
    case "unknown": return "unknown";
  }
}

/** The exit a log record carries (its `code` or `signal` field); `unknown` when it has neither. */
export function exitOfRecord(r: Pick<LogRecord, "code" | "signal">): ExitInfo {
  if (typeof r.code === "number") return { kind: "exit", code: r.code };
  if (typeof r.signal === "string") return { kind: "signal", signal: r.signal };
  return { kind: "unknown" };
}

export class History {
  private readonly servers: PerServer[] = [];

  constructor(servers: number, private readonly limits: HttpLimits = HTTP_LIMITS) {
    this.track(servers);
  }

  /** Keep a history for this many servers (a reload appends servers). */
  track(servers: number): void {
    while (this.servers.length < servers) this.servers.push({ crashes: new Map(), buried: 0, events: [], eventsHead: 0, output: [], outputHead: 0, seen: null });
  }

  /**
   * One record of the core's log, as the shell performs the `log` effect:
   * `spawned` is a start, `respawn` and `buried` after an exit a crash (a
   * `buried` one a burial too), `spawn-failed` a burial, `cremated` a clean exit,
   * `stopped` an operator's or a shutdown's stop. Other records change nothing.
   */
  noteRecord(r: LogRecord, at: Ms): void {
    const s = r.server === undefined ? undefined : this.servers[r.server];
    if (s === undefined) return;
    switch (r.event) {
      case "spawned":
        return this.event(s, at, "start", r.pid === undefined ? "" : `pid ${r.pid}`);
      case "respawn":
        this.crash(s, exitOfRecord(r));
        return this.event(s, at, "crash", exitKey(exitOfRecord(r)));
      case "buried":
        this.crash(s, exitOfRecord(r));
        s.buried++;
        return this.event(s, at, "buried", `${exitKey(exitOfRecord(r))}, crashed too fast`);
      case "spawn-failed":
        s.buried++;
        return this.event(s, at, "buried", "could not be started");
      case "cremated":
        return this.event(s, at, "exit", "exited normally");
      case "stopped":
        return this.event(s, at, "stopped", r.code === undefined && r.signal === undefined ? "" : exitKey(exitOfRecord(r)));
      default:
        return;
    }
  }

  /** One line a server wrote (without its newline). */
  noteOutput(server: number, stream: "out" | "err", line: string): void {
    const s = this.servers[server];
    if (s === undefined) return;
    const text = cleanLine(line, this.limits.MAX_OUTPUT_LINE_CHARS);
    if (s.seen !== null) s.seen.output = null;
    const cap = this.limits.MAX_OUTPUT_LINES;
    if (s.output.length < cap) s.output.push({ stream, text });
    else {
      s.output[s.outputHead] = { stream, text };
      s.outputHead = (s.outputHead + 1) % cap;
    }
  }

  /**
   * A server's history: its timeline cut to the window before `now`, oldest first.
   * What did not change since the last call is given again as the same arrays (a
   * view keeps what it built of them by their identity: view.ts ViewCache), so
   * a thousand servers' histories cost nothing to read while they are quiet.
   */
  of(server: number, now: Ms): ServerHistory {
    const s = this.servers[server];
    if (s === undefined) return { crashes: [], buried: 0, timeline: [], output: [] };
    const from = now - this.limits.TIMELINE_WINDOW_MS;
    const seen = (s.seen ??= { crashes: null, events: null, timeline: null, lo: 0, hi: 0, output: null });
    seen.crashes ??= [...s.crashes.values()].map((c) => ({ exit: c.exit, count: c.count }));
    seen.output ??= ring(s.output, s.outputHead);
    const events = (seen.events ??= ring(s.events, s.eventsHead));
    if (seen.timeline === null || !(seen.lo < from && from <= seen.hi)) {
      // The same events are in the window for every `from` above the latest one out and at most the earliest one in.
      let lo = Number.NEGATIVE_INFINITY;
      let hi = Number.POSITIVE_INFINITY;
      for (const e of events) {
        if (e.at < from) lo = Math.max(lo, e.at);
        else hi = Math.min(hi, e.at);
      }
      seen.timeline = lo === Number.NEGATIVE_INFINITY ? events : events.filter((e) => e.at >= from);
      seen.lo = lo;
      seen.hi = hi;
    }
    return { crashes: seen.crashes, buried: s.buried, timeline: seen.timeline, output: seen.output };
  }

  private crash(s: PerServer, exit: ExitInfo): void {
    if (s.seen !== null) s.seen.crashes = null;
    let key = exitKey(exit);
    if (!s.crashes.has(key) && s.crashes.size >= this.limits.MAX_CRASH_KINDS) {
      exit = { kind: "unknown" };
      key = exitKey(exit);
    }
    const c = s.crashes.get(key);
    if (c === undefined) s.crashes.set(key, { exit, count: 1 });
    else c.count++;
  }

  private event(s: PerServer, at: Ms, kind: TimelineKind, detail: string): void {
    if (s.seen !== null) {
      s.seen.events = null;
      s.seen.timeline = null;
    }
    const cap = this.limits.MAX_TIMELINE_EVENTS;
    const e: TimelineEvent = { at, kind, detail };
    if (s.events.length < cap) s.events.push(e);
    else {
      s.events[s.eventsHead] = e;
      s.eventsHead = (s.eventsHead + 1) % cap;
    }
  }
}

function ring<T>(items: readonly T[], head: number): T[] {
  return head === 0 ? [...items] : [...items.slice(head), ...items.slice(0, head)];
}

/**
 * A line fit to show: terminal colour and cursor sequences (CSI) removed, other
 * control characters (but tab) as U+FFFD, cut to `max` characters with an ellipsis.
 */
export function cleanLine(line: string, max: number): string {
  const clean = line.slice(0, 4 * max)
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, "")
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, "\ufffd");
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}
