// A rolling restart in the core (`ctl restart NAME --rolling`): the copies are
// restarted one at a time, the next only once the one before is ready again;
// the first that fails stops the roll, and the reply says so.
import { describe, expect, test } from "bun:test";
import { initialState, step, timerOf } from "../../src/core/step.ts";
import type { Effect, Event, ServerSpec, State } from "../../src/core/types.ts";

const SETTINGS = { intervalMs: 1000, stopTimeoutMs: 5000, alarmMs: 0 };
const copy = (k: number): ServerSpec => ({ argv: ["srv"], name: `web.${k}`, ready: { kind: "log", pattern: "up" }, readyTimeoutMs: 3000 });

/** Drives the core as the shell does: spawns get pids at once; a stop signal ends the process at once. */
class Driver {
  state: State;
  now = 0;
  pid = 100;
  readonly effects: Effect[] = [];
  constructor(specs: ServerSpec[]) {
    this.state = initialState(SETTINGS, specs);
    this.feed({ type: "start", at: 0, handover: null });
  }
  feed(e: Event): Effect[] {
    const out: Effect[] = [];
    const queue = [e];
    for (let ev = queue.shift(); ev !== undefined; ev = queue.shift()) {
      const r = step(this.state, ev);
      this.state = r.state;
      for (const x of r.effects) {
        out.push(x);
        if (x.type === "spawn") queue.push({ type: "spawned", at: this.now, server: x.server, pid: this.pid++ });
        if (x.type === "kill" && x.group) queue.push({ type: "exited", at: this.now, pid: x.pid, status: { kind: "signal", signal: x.signal } });
      }
    }
    this.effects.push(...out);
    return out;
  }
  pidOf(i: number): number {
    const l = this.state.servers.at(i)?.life;
    return l?.kind === "alive" ? l.pid : -1;
  }
  ready(i: number): boolean {
    const l = this.state.servers.at(i)?.life;
    return l?.kind === "alive" && l.ready;
  }
  /** Its output matched the readiness pattern. */
  up(i: number): Effect[] {
    this.now += 10;
    return this.feed({ type: "output-match", at: this.now, pid: this.pidOf(i) });
  }
  roll(servers: number[], id = 9): Effect[] {
    this.now += 10;
    return this.feed({ type: "control", at: this.now, id, command: { op: "roll", name: "web", servers } });
  }
}

const replies = (fx: readonly Effect[]) => fx.flatMap((x) => (x.type === "reply" ? [{ ok: x.ok, message: x.message }] : []));
const kills = (fx: readonly Effect[]) => fx.flatMap((x) => (x.type === "kill" ? [x.pid] : []));

function threeReady(): Driver {
  const d = new Driver([copy(1), copy(2), copy(3)]);
  for (const i of [0, 1, 2]) d.up(i);
  expect([0, 1, 2].map((i) => d.ready(i))).toEqual([true, true, true]);
  return d;
}

describe("rolling restart", () => {
  test("one copy at a time: the next is stopped only once the one before is ready again; the reply comes at the end", () => {
    const d = threeReady();
    const old = [d.pidOf(0), d.pidOf(1), d.pidOf(2)] as const;
    const first = d.roll([0, 1, 2]);
    expect(kills(first)).toEqual([old[0]]);
    expect(replies(first)).toEqual([]);
    // web.1's new process runs but is not ready: web.2 keeps its old one, untouched.
    expect(d.pidOf(0)).not.toBe(old[0]);
    expect(d.ready(0)).toBe(false);
    expect(d.pidOf(1)).toBe(old[1]);
    const second = d.up(0);
    expect(kills(second)).toEqual([old[1]]);
    expect(d.pidOf(2)).toBe(old[2]);
    expect(replies(second)).toEqual([]);
    expect(kills(d.up(1))).toEqual([old[2]]);
    const last = d.up(2);
    expect(replies(last)).toEqual([{ ok: true, message: "rolled 'web': web.1, web.2, web.3 restarted one at a time, each ready again" }]);
    expect(d.state.roll).toBeUndefined();
    expect([0, 1, 2].every((i) => d.ready(i) && d.pidOf(i) !== old[i])).toBe(true);
  });

  test("a copy that does not become ready in time stops the roll there: the later copies keep their old processes, and the reply says so", () => {
    const d = threeReady();
    const old = [d.pidOf(0), d.pidOf(1), d.pidOf(2)] as const;
    d.roll([0, 1, 2]);
    d.up(0);
    const fresh = d.pidOf(1);
    d.now += 3000;
    const fx = d.feed({ type: "timer", at: d.now, timer: timerOf("ready", 1) });
    expect(replies(fx)).toEqual([{
      ok: false,
      message: `rolling restart of 'web' stopped at 'web.2': its new process (pid ${fresh}) did not become ready: it is being stopped; web.1 restarted, web.3 left running as it was`,
    }]);
    expect(d.pidOf(2)).toBe(old[2]);
    expect(kills(d.effects.slice(d.effects.indexOf(fx[0] as Effect)))).not.toContain(old[2]);
    expect(d.state.roll).toBeUndefined();
  });

  test("a new process that ends before it is ready stops the roll", () => {
    const d = threeReady();
    d.roll([0, 1, 2]);
    const fresh = d.pidOf(0);
    d.now += 2000;
    const fx = d.feed({ type: "exited", at: d.now, pid: fresh, status: { kind: "code", code: 1 } });
    expect(replies(fx)).toEqual([{
      ok: false,
      message: `rolling restart of 'web' stopped at 'web.1': its new process (pid ${fresh}) ended before it was ready; none restarted, web.2, web.3 left running as they were`,
    }]);
  });

  test("one roll at a time; a shutdown ends it with an answer; servers without readiness roll at once", () => {
    const d = threeReady();
    d.roll([0, 1, 2]);
    expect(replies(d.roll([0, 1, 2], 10))).toEqual([{ ok: false, message: "a rolling restart of 'web' is under way: wait for its end" }]);
    const fx = d.feed({ type: "terminate", at: d.now, signal: 15 });
    expect(replies(fx)).toEqual([{ ok: false, message: "rolling restart of 'web' stopped at 'web.1': lazarus is shutting down; none restarted, web.2, web.3 left running as they were" }]);

    const plain = new Driver([{ argv: ["a"], name: "a.1" }, { argv: ["a"], name: "a.2" }]);
    const before = [plain.pidOf(0), plain.pidOf(1)];
    const all = plain.roll([0, 1]);
    expect(kills(all)).toEqual(before);
    expect(replies(all)).toEqual([{ ok: true, message: "rolled 'web': a.1, a.2 restarted one at a time, each ready again" }]);
  });
});
