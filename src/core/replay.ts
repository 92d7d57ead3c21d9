// Replaying a JSON event log (--log-format=json) through the core: the same
// inputs must give the same records. Pure: it takes the parsed lines and
// returns a report; `lazarus replay FILE` (src/cli/replay.ts) reads the file
// and feeds it line by line (`replayer`), so a log of any size is checked in
// bounded memory: the report keeps the first REPORT_MAX mismatches and
// problems, and counts the rest.
import { initialState, step } from "./step.ts";
import type { Event, LogRecord, ServerSpec, Settings, State } from "./types.ts";
import { isObject, messageOf } from "./values.ts";

export interface Mismatch {
  /** 1-based number of the input line in the log (its position among JSON lines). */
  readonly line: number;
  readonly input: Event;
  readonly expected: readonly LogRecord[];
  readonly recorded: readonly LogRecord[];
}

export interface ReplayReport {
  readonly inputs: number;
  readonly images: number;
  /** The first REPORT_MAX mismatches. */
  readonly mismatches: readonly Mismatch[];
  /** Lines that could not be used (not a header, input or record; or an input before any header): the first REPORT_MAX. */
  readonly problems: readonly string[];
  /** How many there were in all (more than the lists hold when over REPORT_MAX). */
  readonly mismatchCount: number;
  readonly problemCount: number;
}

/** How many mismatches and problems a report lists (the others are counted). */
export const REPORT_MAX = 100;

const RECORD_KEYS = ["event", "text", "server", "name", "pid", "from", "to", "code", "signal", "dropped", "file", "lines", "delay", "retry", "reason", "reload"] as const;
const EVENT_TYPES = new Set([
  "start", "spawned", "spawn-failed", "exited", "revive", "terminate", "timer", "info", "stray-signal", "reexec", "reexec-failed", "log-dropped", "problem",
  "control", "log-file-failing", "log-file-resumed", "probe-result", "probe-interrupted", "notify", "output-match", "reconfigure", "reload-failed",
]);

/** The fields of a record that the core decides (clocks are the shell's). */
export function normaliseRecord(r: Readonly<Record<string, unknown>>): LogRecord {
  const out: Record<string, unknown> = {};
  for (const k of RECORD_KEYS) if (r[k] !== undefined) out[k] = r[k];
  return out as unknown as LogRecord;
}

export function replay(lines: readonly unknown[]): ReplayReport {
  const r = replayer();
  lines.forEach((raw, idx) => r.feed(raw, idx + 1));
  return r.report();
}

/** A replay fed one line at a time (`line`: its number, for the report); `report` ends it. */
export interface Replayer {
  feed(raw: unknown, line: number): void;
  /** A line that could not even be parsed (too long, say): a problem of the report. */
  unusable(line: number, why: string): void;
  report(): ReplayReport;
}

export function replayer(): Replayer {
  let state: State | null = null;
  let images = 0;
  let inputs = 0;
  const mismatches: Mismatch[] = [];
  const problems: string[] = [];
  let mismatchCount = 0;
  let problemCount = 0;
  /** The step being checked; its recorded records are kept up to one more than expected (enough to tell and to show). */
  let pending: { line: number; input: Event; expected: LogRecord[]; recorded: LogRecord[]; extra: boolean } | null = null;

  const problem = (text: string) => {
    if (problemCount++ < REPORT_MAX) problems.push(text);
  };
  const close = () => {
    if (pending !== null && (pending.extra || !sameRecords(pending.expected, pending.recorded))) {
      if (mismatchCount++ < REPORT_MAX) mismatches.push({ line: pending.line, input: pending.input, expected: pending.expected, recorded: pending.recorded });
    }
    pending = null;
  };

  const feed = (raw: unknown, line: number): void => {
    if (!isObject(raw)) {
      problem(`line ${line}: not a JSON object`);
      return;
    }
    if (typeof raw.lazarus === "string") {
      close();
      const settings = raw.settings as Settings;
      const servers = raw.servers as ServerSpec[];
      if (!isSettings(settings) || !Array.isArray(servers) || !servers.every(isSpec)) {
        problem(`line ${line}: header without valid settings and servers`);
        state = null;
        return;
      }
      state = initialState(settings, servers);
      images++;
      return;
    }
    if (raw.input !== undefined) {
      close();
      const input = raw.input;
      if (!isObject(input) || !EVENT_TYPES.has(input.type as string) || typeof input.at !== "number") {
        problem(`line ${line}: input is not an event`);
        return;
      }
      if (state === null) {
        problem(`line ${line}: input before any header`);
        return;
      }
      inputs++;
      let result;
      try {
        result = step(state, input as unknown as Event);
      } catch (e) {
        problem(`line ${line}: the core refused this input (${messageOf(e)})`);
        return;
      }
      state = result.state;
      const expected = result.effects.flatMap((e) => (e.type === "log" ? [normaliseRecord(e.record as unknown as Record<string, unknown>)] : []));
      pending = { line, input: input as unknown as Event, expected, recorded: [], extra: false };
      return;
    }
    if (typeof raw.event === "string" && typeof raw.text === "string") {
      // Said by the shell itself just before its exit (what it kills that no server is), never decided by the core.
      if (raw.event === "left-behind") return;
      if (pending === null) {
        problem(`line ${line}: record without an input before it`);
        return;
      }
      const p = pending as { expected: LogRecord[]; recorded: LogRecord[]; extra: boolean };
      if (p.recorded.length <= p.expected.length) p.recorded.push(normaliseRecord(raw));
      else p.extra = true;
      return;
    }
    problem(`line ${line}: neither a header, an input nor a record`);
  };

  return {
    feed,
    unusable(line, why) {
      problem(`line ${line}: ${why}`);
    },
    report() {
      close();
      return { inputs, images, mismatches: [...mismatches], problems: [...problems], mismatchCount, problemCount };
    },
  };
}

function sameRecords(a: readonly LogRecord[], b: readonly LogRecord[]): boolean {
  return a.length === b.length && a.every((r, i) => JSON.stringify(r) === JSON.stringify(b[i]));
}


function isSettings(x: unknown): x is Settings {
  return isObject(x) && typeof x.intervalMs === "number" && typeof x.stopTimeoutMs === "number" && typeof x.alarmMs === "number";
}

function isSpec(x: unknown): x is ServerSpec {
  return isObject(x) && typeof x.name === "string" && Array.isArray(x.argv) && x.argv.length > 0 && x.argv.every((w) => typeof w === "string");
}
