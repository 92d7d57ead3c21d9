// Replaying a JSON event log through the core (src/core/replay.ts): a log the
// core wrote replays with no mismatch; any change to a record (its text, a
// field such as the pid, one record dropped, even in the last step) is
// reported at the line of the input it belongs to (1-based).
import { describe, expect, test } from "bun:test";
import { normaliseRecord, replay } from "../../src/core/replay.ts";
import { initialState, step } from "../../src/core/step.ts";
import type { Event, Settings, State } from "../../src/core/types.ts";
import { code, specs } from "../helpers/driver.ts";

const SETTINGS: Settings = { intervalMs: 1000, stopTimeoutMs: 5000, alarmMs: 0 };
const SPECS = specs(["a"], ["b"]);

/** The lines a JSON log holds for these events (spawns answered at once, as the shell does). */
function logOf(events: readonly Event[]): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [{ lazarus: "0.0.0", log: 1, settings: SETTINGS, servers: SPECS }];
  let state: State = initialState(SETTINGS, SPECS);
  let pid = 100;
  const queue = [...events];
  for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
    const r = step(state, e);
    state = r.state;
    lines.push({ time: "t", mono: e.at, input: e });
    for (const fx of r.effects) {
      if (fx.type === "log") lines.push({ time: "t", mono: e.at, ...fx.record });
      if (fx.type === "spawn") queue.unshift({ type: "spawned", at: e.at, server: fx.server, pid: pid++ });
    }
  }
  return lines;
}

const EVENTS: Event[] = [
  { type: "start", at: 0, handover: null },
  { type: "exited", at: 5000, pid: 100, status: code(1) },
  { type: "exited", at: 5100, pid: 102, status: code(1) },
  { type: "terminate", at: 6000, signal: 15 },
  { type: "exited", at: 6001, pid: 101, status: code(0) },
];

describe("replay", () => {
  test("a log the core wrote replays with no mismatch", () => {
    const lines = logOf(EVENTS);
    const r = replay(lines);
    expect(r).toEqual({ inputs: 8, images: 1, mismatches: [], problems: [], mismatchCount: 0, problemCount: 0 });
  });

  test("a changed text, a changed pid, a dropped record: each reported at its input's line", () => {
    const lines = logOf(EVENTS);
    const inputBefore = (i: number) => lines.slice(0, i).findLastIndex((l) => l.input !== undefined) + 1;
    const respawn = lines.findIndex((l) => l.event === "respawn"); // a record of the first exit's step
    for (const bend of [
      (l: Record<string, unknown>) => ({ ...l, text: `${l.text}!` }),
      (l: Record<string, unknown>) => ({ ...l, pid: 999 }),
    ]) {
      const r = replay(lines.map((l, i) => (i === respawn ? bend(l) : l)));
      expect(r.mismatches.map((m) => m.line)).toEqual([inputBefore(respawn)]);
      expect(r.mismatches[0]!.expected).toContainEqual(normaliseRecord(lines[respawn]!));
    }
    // the last record of the last step dropped
    const r = replay(lines.slice(0, -1));
    expect(r.mismatches.map((m) => m.line)).toEqual([inputBefore(lines.length - 1)]);
  });

  test("what is not a log line is a problem, named by its line", () => {
    const r = replay([{ input: { type: "start", at: 0, handover: null } }, 3, { lazarus: "x" }]);
    expect(r.problems).toEqual(["line 1: input before any header", "line 2: not a JSON object", "line 3: header without valid settings and servers"]);
  });
});
