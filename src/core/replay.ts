// Replaying a JSON event log (--log-format=json) through the core: the same
// inputs must give the same records. Pure: it takes the parsed lines and
// returns a report; `lazarus replay FILE` (src/cli/replay.ts) reads the file.
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
  readonly mismatches: readonly Mismatch[];
  /** Lines that could not be used (not a header, input or record; or an input before any header). */
  readonly problems: readonly string[];
}

const RECORD_KEYS = ["event", "text", "server", "name", "pid", "from", "to", "code", "signal", "dropped", "file", "lines"] as const;
const EVENT_TYPES = new Set([
  "start", "spawned", "spawn-failed", "exited", "revive", "terminate", "timer", "info", "stray-signal", "reexec", "reexec-failed", "log-dropped", "problem",
  "control", "log-file-failing", "log-file-resumed",
]);

/** The fields of a record that the core decides (clocks are the shell's). */
export function normaliseRecord(r: Readonly<Record<string, unknown>>): LogRecord {
  const out: Record<string, unknown> = {};
  for (const k of RECORD_KEYS) if (r[k] !== undefined) out[k] = r[k];
  return out as unknown as LogRecord;
}

export function replay(lines: readonly unknown[]): ReplayReport {
  let state: State | null = null;
  let images = 0;
  let inputs = 0;
  const mismatches: Mismatch[] = [];
  const problems: string[] = [];
  let pending: { line: number; input: Event; expected: LogRecord[]; recorded: LogRecord[] } | null = null;

  const close = () => {
    if (pending !== null && !sameRecords(pending.expected, pending.recorded)) mismatches.push(pending);
    pending = null;
  };

  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (!isObject(raw)) {
      problems.push(`line ${line}: not a JSON object`);
      return;
    }
    if (typeof raw.lazarus === "string") {
      close();
      const settings = raw.settings as Settings;
      const servers = raw.servers as ServerSpec[];
      if (!isSettings(settings) || !Array.isArray(servers) || !servers.every(isSpec)) {
        problems.push(`line ${line}: header without valid settings and servers`);
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
        problems.push(`line ${line}: input is not an event`);
        return;
      }
      if (state === null) {
        problems.push(`line ${line}: input before any header`);
        return;
      }
      inputs++;
      let result;
      try {
        result = step(state, input as unknown as Event);
      } catch (e) {
        problems.push(`line ${line}: the core refused this input (${messageOf(e)})`);
        return;
      }
      state = result.state;
      const expected = result.effects.flatMap((e) => (e.type === "log" ? [normaliseRecord(e.record as unknown as Record<string, unknown>)] : []));
      pending = { line, input: input as unknown as Event, expected, recorded: [] };
      return;
    }
    if (typeof raw.event === "string" && typeof raw.text === "string") {
      if (pending === null) {
        problems.push(`line ${line}: record without an input before it`);
        return;
      }
      (pending as { recorded: LogRecord[] }).recorded.push(normaliseRecord(raw));
      return;
    }
    problems.push(`line ${line}: neither a header, an input nor a record`);
  });
  close();
  return { inputs, images, mismatches, problems };
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
