// A rolling restart in the core (`ctl restart NAME --rolling`, or a reload of a
// table with instances and a readiness check): the copies are replaced one at
// a time, the next only once the one before is ready again; the first that
// fails stops the roll, and the reply says so. Start-first (the default): a
// copy's new process starts aside, beside the old one, which is stopped once
// the new one is ready; stop-first: the copy is restarted in place.
import { describe, expect, test } from "bun:test";
import { marshal, unmarshal } from "../../src/core/marshal.ts";
import { slotOfName } from "../../src/core/reconfigure.ts";
import { statusOf } from "../../src/core/status.ts";
import { handoverSpecs, initialState, step, timerOf } from "../../src/core/step.ts";
import type { Effect, Event, ServerSpec, State } from "../../src/core/types.ts";

const SETTINGS = { intervalMs: 1000, stopTimeoutMs: 5000, alarmMs: 0 };
const copy = (k: number, rolling: "start-first" | "stop-first" = "stop-first"): ServerSpec =>
  ({ argv: ["srv"], name: `web.${k}`, group: "web", ready: { kind: "log", pattern: "up" }, readyTimeoutMs: 3000, ...(rolling === "stop-first" ? { rolling } : {}) });

/** Drives the core as the shell does: spawns get pids at once; a stop signal ends the process at once. */
class Driver {
  state: State;
  now = 0;
  pid = 100;
  readonly effects: Effect[] = [];
  /** A stop signal ends the process at once (false: it lingers until the test says). */
  endOnKill = true;
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
        if (x.type === "kill" && x.group && this.endOnKill) queue.push({ type: "exited", at: this.now, pid: x.pid, status: { kind: "signal", signal: x.signal } });
      }
    }
    this.effects.push(...out);
    return out;
  }
  pidOf(i: number): number {
    const l = this.state.servers.at(i)?.life;
    return l?.kind === "alive" ? l.pid : -1;
  }
  /** The slot of the new process a rolling restart started aside (-1: none). */
  aside(): number {
    return this.state.servers.findIndex((s) => s.replaces !== undefined);
  }
  /** The copies that serve: alive, ready, no stop order (by name). */
  serving(): string[] {
    return this.state.servers.flatMap((s) => (s.replaces === undefined && s.retired !== true && s.life.kind === "alive" && s.life.ready && s.life.stop === null ? [s.spec.name] : []));
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

function threeReady(rolling: "start-first" | "stop-first" = "stop-first"): Driver {
  const d = new Driver([copy(1, rolling), copy(2, rolling), copy(3, rolling)]);
  for (const i of [0, 1, 2]) d.up(i);
  expect([0, 1, 2].map((i) => d.ready(i))).toEqual([true, true, true]);
  return d;
}

describe("rolling restart, stop-first (rolling = \"stop-first\")", () => {
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

describe("rolling restart, start-first (the default)", () => {
  test("each copy's new process starts beside the old one, takes its place once ready, and only then is the old one stopped; every copy serves throughout", () => {
    const d = threeReady("start-first");
    const old = [d.pidOf(0), d.pidOf(1), d.pidOf(2)];
    for (const [k, i] of [0, 1, 2].entries()) {
      const fx = k === 0 ? d.roll([0, 1, 2]) : d.effects.slice(-1);
      if (k === 0) expect(kills(fx)).toEqual([]);
      const aside = d.aside();
      expect(aside).toBeGreaterThanOrEqual(3);
      expect(d.state.servers.at(aside)?.replaces).toBe(i);
      // The copy's old process still serves: every copy is in service while the new one starts.
      expect(d.serving()).toEqual(["web.1", "web.2", "web.3"]);
      expect(d.pidOf(i)).toBe(old[i] as number);
      const fresh = d.pidOf(aside);
      const up = d.up(aside);
      expect(kills(up)).toEqual([old[i] ?? 0]);
      // It took the copy's place (slot, name), and the old one, moved aside, is gone.
      expect(d.pidOf(i)).toBe(fresh);
      expect(d.ready(i)).toBe(true);
      expect(d.serving()).toEqual(["web.1", "web.2", "web.3"]);
      if (k < 2) expect(replies(up)).toEqual([]);
      else expect(replies(up)).toEqual([{ ok: true, message: "rolled 'web': web.1, web.2, web.3 restarted one at a time, each ready again" }]);
    }
    expect(d.state.roll).toBeUndefined();
    expect(d.state.servers.length).toBe(6);
    // A second roll uses the slots aside again: no slot is added.
    d.roll([0, 1, 2]);
    for (let k = 0; k < 3; k++) d.up(d.aside());
    expect(d.state.servers.length).toBe(6);
    expect(d.state.census.alive).toBe(3);
  });

  test("the next copy begins, and the answer comes, only once the old process moved aside has ended", () => {
    const d = new Driver([copy(1, "start-first"), copy(2, "start-first")]);
    d.up(0);
    d.up(1);
    const old = [d.pidOf(0), d.pidOf(1)];
    d.endOnKill = false;
    d.roll([0, 1]);
    const aside = d.aside();
    const names = () => statusOf(d.state, d.now).servers.map((x) => x.name);
    const asides = () => statusOf(d.state, d.now).servers.map((x) => x.aside);
    expect(names()).toEqual(["web.1", "web.2", "web.1 (new)"]);
    expect(asides()).toEqual([null, null, "new"]);
    const up = d.up(aside);
    expect(kills(up)).toEqual([old[0] ?? 0]);
    expect(names()).toEqual(["web.1", "web.2", "web.1 (old)"]);
    expect(asides()).toEqual([null, null, "old"]);
    // web.1's old process is still stopping: web.2 is not touched yet.
    expect(d.aside()).toBe(-1);
    expect(d.state.roll?.draining).toBe(aside);
    d.now += 100;
    const ended = d.feed({ type: "exited", at: d.now, pid: old[0] ?? 0, status: { kind: "signal", signal: 15 } });
    expect(d.aside()).toBeGreaterThan(aside);
    expect(ended.some((x) => x.type === "spawn")).toBe(true);
    d.up(d.aside());
    d.now += 100;
    const last = d.feed({ type: "exited", at: d.now, pid: old[1] ?? 0, status: { kind: "signal", signal: 15 } });
    expect(replies(last)).toEqual([{ ok: true, message: "rolled 'web': web.1, web.2 restarted one at a time, each ready again" }]);
  });

  test("a shutdown while the old process of the last copy is stopping: the answer counts that copy as restarted", () => {
    const d = new Driver([copy(1, "start-first")]);
    d.up(0);
    d.endOnKill = false;
    d.roll([0]);
    d.up(d.aside());
    const fx = d.feed({ type: "terminate", at: d.now, signal: 15 });
    expect(replies(fx)).toEqual([{ ok: false, message: "rolling restart of 'web' stopped while the old process of its last copy was stopping: lazarus is shutting down; web.1 restarted" }]);
  });

  test("a new process that is not ready in time is stopped and forgotten: the copy keeps its old process, untouched, and the reply says so", () => {
    const d = threeReady("start-first");
    const old = [d.pidOf(0), d.pidOf(1), d.pidOf(2)];
    d.roll([0, 1, 2]);
    d.up(d.aside());
    const aside = d.aside();
    const fresh = d.pidOf(aside);
    d.now += 3000;
    const fx = d.feed({ type: "timer", at: d.now, timer: timerOf("ready", aside) });
    expect(replies(fx)).toEqual([{
      ok: false,
      message: `rolling restart of 'web' stopped at 'web.2': its new process (pid ${fresh}) did not become ready: it is being stopped; web.1 restarted, web.3 left running as it was`,
    }]);
    expect(kills(fx)).toEqual([fresh]);
    expect([d.pidOf(1), d.pidOf(2)]).toEqual([old[1] ?? 0, old[2] ?? 0]);
    expect(kills(d.effects)).not.toContain(old[1]);
    expect(d.serving()).toEqual(["web.1", "web.2", "web.3"]);
    expect(d.aside()).toBe(-1);
    expect(d.state.roll).toBeUndefined();
  });

  test("a new process that crashes before it is ready is forgotten, not respawned", () => {
    const d = threeReady("start-first");
    d.roll([0, 1, 2]);
    const aside = d.aside();
    const fresh = d.pidOf(aside);
    d.now += 2000;
    const fx = d.feed({ type: "exited", at: d.now, pid: fresh, status: { kind: "code", code: 1 } });
    expect(replies(fx).map((r) => r.ok)).toEqual([false]);
    expect(fx.filter((x) => x.type === "spawn")).toEqual([]);
    expect(d.state.servers.at(aside)?.life.kind).toBe("cremated");
    expect(d.serving()).toEqual(["web.1", "web.2", "web.3"]);
  });

  test("the copy's old process ends while its new one starts: the new one aside is given up, and the copy's own restart is what the roll waits for", () => {
    const d = threeReady("start-first");
    const old0 = d.pidOf(0);
    d.roll([0, 1, 2]);
    const aside = d.aside();
    const given = d.pidOf(aside);
    d.now += 2000;
    const fx = d.feed({ type: "exited", at: d.now, pid: old0, status: { kind: "code", code: 1 } });
    expect(kills(fx)).toContain(given);
    expect(d.aside()).toBe(-1);
    const respawned = d.pidOf(0);
    expect(respawned).not.toBe(old0);
    const next = d.up(0);
    expect(replies(next)).toEqual([]);
    expect(d.state.roll?.current).toBe(1);
  });

  test("a re-exec ends the roll with an answer; the new process aside is stopped, and the re-exec waits for its end", () => {
    const d = new Driver([copy(1, "start-first"), copy(2, "start-first")]);
    d.up(0);
    d.up(1);
    d.roll([0, 1]);
    const aside = d.aside();
    const fresh = d.pidOf(aside);
    // Its stop signal does not end it at once here (a signal the driver does not act on).
    const fx = d.feed({ type: "reexec", at: d.now });
    expect(replies(fx)).toEqual([{ ok: false, message: "rolling restart of 'web' stopped at 'web.1': lazarus re-execs, which ends a rolling restart; none restarted, web.2 left running as it was" }]);
    expect(kills(fx)).toEqual([fresh]);
    const ex = fx.find((x) => x.type === "reexec");
    expect(ex).toBeDefined();
    if (ex?.type === "reexec") expect(ex.handover.servers.length).toBe(2);
  });

  test("a reload that changes a table with instances and a readiness check replaces its copies start-first; other changed servers restart at once", () => {
    const other: ServerSpec = { argv: ["other"], name: "other" };
    const d = new Driver([copy(1, "start-first"), copy(2, "start-first"), other]);
    d.up(0);
    d.up(1);
    const old = [d.pidOf(0), d.pidOf(1), d.pidOf(2)];
    d.now += 10;
    const specs = [copy(1, "start-first"), copy(2, "start-first"), other].map((s) => ({ ...s, argv: [...s.argv, "--v2"] }));
    const fx = d.feed({ type: "reconfigure", at: d.now, id: 5, settings: SETTINGS, servers: specs });
    // "other" is restarted at once; the copies are not signalled, and web.1's new process starts aside with the new argv.
    expect(kills(fx)).toEqual([old[2] ?? 0]);
    const spawns = fx.flatMap((x) => (x.type === "spawn" ? [{ server: x.server, argv: x.argv }] : []));
    expect(spawns).toContainEqual({ server: d.aside() === -1 ? -1 : d.aside(), argv: ["srv", "--v2"] });
    expect(replies(fx)).toEqual([{ ok: true, message: "reloaded: 0 added, 3 changed (web.1, web.2, other), 0 removed, 0 unchanged; a rolling restart of 'web' replaces its copies one at a time (its end is logged)" }]);
    d.up(d.aside());
    expect(d.pidOf(1)).toBe(old[1] as number);
    d.up(d.aside());
    expect(d.state.roll).toBeUndefined();
    expect([0, 1].map((i) => d.state.servers.at(i)?.spec.argv)).toEqual([["srv", "--v2"], ["srv", "--v2"]]);
    expect([0, 1].every((i) => d.ready(i) && d.pidOf(i) !== old[i])).toBe(true);
    expect(d.state.servers.some((s) => s.next !== undefined)).toBe(false);
  });

  test("a reload's roll does not replace again a copy that took its new spec meanwhile (it was restarted for another reason)", () => {
    const d = new Driver([copy(1, "start-first"), copy(2, "start-first")]);
    d.up(0);
    d.up(1);
    d.now += 10;
    const v2 = [copy(1, "start-first"), copy(2, "start-first")].map((s) => ({ ...s, argv: ["srv", "--v2"] }));
    d.feed({ type: "reconfigure", at: d.now, id: 5, settings: SETTINGS, servers: v2 });
    // While web.1 is replaced, web.2's old process crashes (after its interval) and is respawned: with its new spec.
    d.now += 2000;
    const respawn = d.feed({ type: "exited", at: d.now, pid: d.pidOf(1), status: { kind: "code", code: 1 } });
    expect(respawn.filter((x) => x.type === "spawn").map((x) => x.type === "spawn" && x.argv)).toEqual([["srv", "--v2"]]);
    d.up(1);
    const fresh = d.pidOf(1);
    // web.1's new process is ready: the roll is done without a new process for web.2.
    const done = d.up(d.aside());
    expect(done.filter((x) => x.type === "spawn")).toEqual([]);
    expect(d.state.roll).toBeUndefined();
    expect(d.pidOf(1)).toBe(fresh);
    expect(d.effects.some((x) => x.type === "log" && x.record.text.startsWith("rolling restart of 'web' done: 2 instances"))).toBe(true);
  });

  test("a new process aside is no server of its own: a command for its index is refused, and its name finds the copy", () => {
    const d = threeReady("start-first");
    d.roll([0, 1, 2]);
    const aside = d.aside();
    d.now += 10;
    const fx = d.feed({ type: "control", at: d.now, id: 21, command: { op: "stop", server: aside } });
    expect(replies(fx)).toEqual([{ ok: false, message: `no such server: ${aside}` }]);
    expect(d.state.servers.at(aside)?.life.kind).toBe("alive");
    expect(slotOfName(d.state.servers, "web.1")).toBe(0);
  });

  test("a reload during a roll ends the roll first (the reply says so)", () => {
    const d = threeReady("start-first");
    d.roll([0, 1, 2]);
    d.now += 10;
    const fx = d.feed({ type: "reconfigure", at: d.now, id: 5, settings: SETTINGS, servers: [copy(1, "start-first"), copy(2, "start-first"), copy(3, "start-first")] });
    expect(replies(fx).map((r) => r.message)).toEqual([
      "rolling restart of 'web' stopped at 'web.1': a reload came; none restarted, web.2, web.3 left running as they were",
      "reloaded: 0 added, 0 changed, 0 removed, 3 unchanged",
    ]);
    expect(d.serving()).toEqual(["web.1", "web.2", "web.3"]);
  });
});

describe("rolling restart: a new process aside whose spawn fails after the roll ended", () => {
  test("is forgotten, not left buried (lazarus would wait for a revive of a server nobody can name)", () => {
    const spec: ServerSpec = { argv: ["srv"], name: "web.1", group: "web", ready: { kind: "log", pattern: "up" } };
    let state = initialState(SETTINGS, [spec]);
    const feed = (e: Event) => { const r = step(state, e); state = r.state; return r.effects; };
    feed({ type: "start", at: 0, handover: null });
    feed({ type: "spawned", at: 0, server: 0, pid: 100 });
    feed({ type: "output-match", at: 1, pid: 100 });
    feed({ type: "control", at: 10, id: 1, command: { op: "roll", name: "web", servers: [0] } });
    expect(state.servers.at(1)?.life.kind).toBe("starting");
    // A reload ends the roll while the spawn aside is in flight; then the spawn fails.
    feed({ type: "reconfigure", at: 20, id: 2, settings: SETTINGS, servers: [spec] });
    feed({ type: "spawn-failed", at: 30, server: 1, error: "ENOENT" });
    expect(state.servers.at(1)?.life.kind).toBe("cremated");
    expect(state.census.buried).toBe(0);
    expect(state.servers.at(0)?.life.kind).toBe("alive");
  });
});

test("a copy that waited for a dependency ready as of the step the roll reaches it: its start is what the roll waits for (it used to stop the roll: 'web.2 waits for  to be ready')", () => {
  // Seen in the property harness (a stop-first roll; a copy that depends on the one before it): web.2 crashed while
  // web.1 was being restarted and waited for it; web.1's new process became ready, and in that same step the roll
  // reached web.2, still waiting (settle starts waiting servers after it advances the roll), and asked for its restart:
  // refused with an empty list of what it waits for, and the roll stopped there.
  const web1: ServerSpec = { ...copy(1), rolling: "stop-first" };
  const web2: ServerSpec = { ...copy(2), rolling: "stop-first", dependsOn: [0] };
  const d = new Driver([web1, web2]);
  d.feed({ type: "output-match", at: 0, pid: 100 });
  d.feed({ type: "output-match", at: 0, pid: 101 });
  expect([d.ready(0), d.ready(1)]).toEqual([true, true]);
  d.now = 5000;
  d.feed({ type: "control", at: 5000, id: 9, command: { op: "roll", name: "web", servers: [0, 1] } });
  const fresh1 = d.pidOf(0);
  expect(fresh1).toBe(102);
  // web.2 crashes (after a long life: respawned), and waits for web.1, not ready yet.
  d.now = 6000;
  d.feed({ type: "exited", at: 6000, pid: 101, status: { kind: "code", code: 1 } });
  expect(d.state.servers.at(1)?.life.kind).toBe("waiting");
  // web.1's new process is ready: the roll goes on to web.2, which starts now.
  const fx = d.feed({ type: "output-match", at: 6001, pid: fresh1 });
  expect(fx.filter((x) => x.type === "reply")).toEqual([]);
  expect(d.state.roll?.current).toBe(1);
  const fresh2 = d.pidOf(1);
  expect(fresh2).toBe(103);
  const end = d.feed({ type: "output-match", at: 6002, pid: fresh2 });
  expect(end.filter((x) => x.type === "reply")).toEqual([{ type: "reply", id: 9, ok: true, message: "rolled 'web': web.1, web.2 restarted one at a time, each ready again" }]);
});

test("a new process aside that asks to fail (READY=1 and WATCHDOG=trigger in one datagram) stops the roll; the old one serves on", () => {
  const notifyCopy = (k: number): ServerSpec => ({ ...copy(k, "start-first"), ready: { kind: "notify" } });
  const d = new Driver([notifyCopy(1), notifyCopy(2)]);
  d.endOnKill = false;
  for (const i of [0, 1]) d.feed({ type: "notify", at: 0, pid: d.pidOf(i), ready: true, watchdog: false, status: null });
  const old = d.pidOf(0);
  d.roll([0, 1]);
  const aside = d.aside();
  const fresh = d.pidOf(aside);
  d.now += 10;
  const fx = d.feed({ type: "notify", at: d.now, pid: fresh, ready: true, watchdog: false, status: null, trigger: true });
  expect(kills(fx)).toEqual([fresh]);
  expect(d.pidOf(0)).toBe(old);
  expect(d.serving()).toEqual(["web.1", "web.2"]);
  const said = fx.flatMap((x) => (x.type === "log" ? [x.record.text] : []));
  expect(said).toContain("'srv' asked to be treated as failed (WATCHDOG=trigger): stopping it.");
  expect(said.some((t) => t.includes("removed by a reload"))).toBe(false);
  expect(replies(fx)).toEqual([{ ok: false, message: expect.stringContaining("rolling restart of 'web' stopped at 'web.1'") }]);
});

test("a new process aside given up is said to be given up, not removed by a reload (also when given up while it starts)", () => {
  const d = new Driver([copy(1, "start-first"), copy(2, "start-first")]);
  d.endOnKill = false;
  for (const i of [0, 1]) d.up(i);
  d.roll([0, 1]);
  const aside = d.aside();
  const fresh = d.pidOf(aside);
  d.now += 4000; // not ready within its ready_timeout (3 s)
  const fx = d.feed({ type: "timer", at: d.now, timer: timerOf("ready", aside) });
  const said = fx.flatMap((x) => (x.type === "log" ? [x.record.text] : []));
  expect(kills(fx)).toEqual([fresh]);
  expect(said.some((t) => t.includes("removed by a reload"))).toBe(false);
});

test("a new process aside given up while its spawn was on its way is said to be given up once it runs, and stopped", () => {
  let st = initialState(SETTINGS, [copy(1, "start-first"), copy(2, "start-first")]);
  const said: string[] = [];
  const feed = (e: Event): readonly Effect[] => {
    const r = step(st, e);
    st = r.state;
    said.push(...r.effects.flatMap((x) => (x.type === "log" ? [x.record.text] : [])));
    return r.effects;
  };
  feed({ type: "start", at: 0, handover: null });
  feed({ type: "spawned", at: 0, server: 0, pid: 100 });
  feed({ type: "spawned", at: 0, server: 1, pid: 101 });
  feed({ type: "output-match", at: 1, pid: 100 });
  feed({ type: "output-match", at: 1, pid: 101 });
  const rolled = feed({ type: "control", at: 10, id: 9, command: { op: "roll", name: "web", servers: [0, 1] } });
  const spawn = rolled.find((x) => x.type === "spawn");
  expect(spawn).toBeDefined();
  const aside = spawn?.type === "spawn" ? spawn.server : -1;
  // web.1 is stopped by an operator while its new process's spawn is on its way: the roll stops, the new one is given up.
  feed({ type: "control", at: 20, id: 10, command: { op: "stop", server: 0 } });
  said.length = 0;
  const fx = feed({ type: "spawned", at: 30, server: aside, pid: 102 });
  expect(fx.some((x) => x.type === "kill" && x.pid === 102)).toBe(true);
  expect(said).toEqual(["'srv' started with pid 102.", "'srv' (pid 102), the new process of a rolling restart, is given up: stopping it."]);
});

describe("a reload or a scale while a reload's rolling restart is under way (found by two operators reloading the same edit at once)", () => {
  const v2 = (k: number) => ({ ...copy(k, "start-first"), argv: ["srv", "--v2"] });
  function reloadingTo(specs: ServerSpec[], d: Driver, id: number): Effect[] {
    d.now += 10;
    return d.feed({ type: "reconfigure", at: d.now, id, settings: SETTINGS, servers: specs });
  }

  test("the same files read again carry the change on: the copies the ended roll did not reach are changed, and replaced one at a time", () => {
    const d = threeReady("start-first");
    const old = [d.pidOf(0), d.pidOf(1), d.pidOf(2)];
    reloadingTo([v2(1), v2(2), v2(3)], d, 5);
    expect(d.aside()).toBeGreaterThanOrEqual(3);
    // The second operator's reload of the same files ends the roll (its new process aside given up)...
    const fx = reloadingTo([v2(1), v2(2), v2(3)], d, 6);
    // ...and begins it again: it used to say "0 changed, 3 unchanged" and leave every copy on its old process for good.
    expect(replies(fx).map((r) => r.message)).toEqual([
      "reloaded: 0 added, 3 changed (web.1, web.2, web.3), 0 removed, 0 unchanged; a rolling restart of 'web' replaces its copies one at a time (its end is logged)",
    ]);
    expect(d.state.roll?.reload).toBe(true);
    for (let k = 0; k < 3; k++) d.up(d.aside());
    expect(d.state.roll).toBeUndefined();
    expect([0, 1, 2].map((i) => d.state.servers.at(i)?.spec.argv)).toEqual([["srv", "--v2"], ["srv", "--v2"], ["srv", "--v2"]]);
    expect([0, 1, 2].every((i) => d.ready(i) && d.pidOf(i) !== old[i])).toBe(true);
    expect(d.state.servers.some((s) => s.next !== undefined)).toBe(false);
    expect(statusOf(d.state, d.now).servers.filter((s) => s.pendingSpec)).toEqual([]);
  });

  test("files changed back leave the copies the roll did not reach alone (they run what the files say): their pending spec goes", () => {
    const d = threeReady("start-first");
    const old = [d.pidOf(0), d.pidOf(1), d.pidOf(2)];
    reloadingTo([v2(1), v2(2), v2(3)], d, 5);
    d.up(d.aside());
    // web.1 runs --v2 now; web.2 and web.3 their old process, --v2 pending. The edit is undone.
    const fx = reloadingTo([copy(1, "start-first"), copy(2, "start-first"), copy(3, "start-first")], d, 6);
    expect(replies(fx).map((r) => r.message)).toEqual([
      "reloaded: 0 added, 1 changed (web.1), 0 removed, 2 unchanged; a rolling restart of 'web' replaces its copies one at a time (its end is logged)",
    ]);
    d.up(d.aside());
    expect(d.state.roll).toBeUndefined();
    // web.2 and web.3 were never signalled: the same processes, their pending spec gone.
    expect(kills(d.effects).filter((p) => p === old[1] || p === old[2])).toEqual([]);
    expect([1, 2].map((i) => d.pidOf(i))).toEqual([old[1] as number, old[2] as number]);
    expect(d.state.servers.some((s) => s.next !== undefined)).toBe(false);
    expect([0, 1, 2].map((i) => d.state.servers.at(i)?.spec.argv)).toEqual([["srv"], ["srv"], ["srv"]]);
  });

  test("a scale that ends a reload's roll carries it on for the copies it keeps", () => {
    const d = threeReady("start-first");
    reloadingTo([v2(1), v2(2), v2(3)], d, 5);
    d.now += 10;
    const fx = d.feed({ type: "reconfigure", at: d.now, id: 6, settings: SETTINGS, servers: [v2(1), v2(2)], scale: { name: "web", count: 2 } });
    expect(replies(fx).map((r) => r.message)).toEqual([
      "scaled 'web' to 2: 0 added, 2 changed (web.1, web.2), 1 removed (web.3), 0 unchanged; a rolling restart of 'web' replaces its copies one at a time (its end is logged)",
    ]);
    for (let k = 0; k < 2; k++) d.up(d.aside());
    expect(d.state.roll).toBeUndefined();
    expect([0, 1].map((i) => d.state.servers.at(i)?.spec.argv)).toEqual([["srv", "--v2"], ["srv", "--v2"]]);
    expect(d.state.servers.some((s) => s.next !== undefined)).toBe(false);
  });
});

test("a re-exec during a rolling reload: the copies it did not replace keep their old process in the new image, under the spec it runs, the new one pending (they were taken for replaced: the status showed the new command, and a reload found them unchanged)", () => {
  const v2 = (k: number) => ({ ...copy(k, "start-first"), argv: ["srv", "--v2"] });
  const d = threeReady("start-first");
  const old = [d.pidOf(0), d.pidOf(1), d.pidOf(2)];
  d.now += 10;
  d.feed({ type: "reconfigure", at: d.now, id: 5, settings: SETTINGS, servers: [v2(1), v2(2), v2(3)] });
  d.now += 10;
  const fx = d.feed({ type: "reexec", at: d.now });
  const exec = fx.find((e): e is Extract<Effect, { type: "reexec" }> => e.type === "reexec");
  expect(exec).toBeDefined();
  const text = marshal(exec!.handover, handoverSpecs(d.state));
  const plan = [v2(1), v2(2), v2(3)];
  const back = unmarshal(text, plan);
  if (!back.ok) throw new Error(back.error);
  let st = initialState(SETTINGS, plan);
  const take = step(st, { type: "start", at: d.now + 5, handover: back.handover });
  st = take.state;
  expect(take.effects.filter((e) => e.type === "adopt").map((e) => e.type === "adopt" && e.pid)).toEqual(old);
  const rows = statusOf(st, d.now + 5).servers;
  expect(rows.map((r) => [r.name, r.command, r.pendingSpec])).toEqual([
    ["web.1", ["srv"], true], ["web.2", ["srv"], true], ["web.3", ["srv"], true],
  ]);
  // The same files read again: changed, replaced one at a time.
  const again = step(st, { type: "reconfigure", at: d.now + 10, id: 6, settings: SETTINGS, servers: plan });
  expect(again.effects.flatMap((e) => (e.type === "reply" ? [e.message] : []))).toEqual([
    "reloaded: 0 added, 3 changed (web.1, web.2, web.3), 0 removed, 0 unchanged; a rolling restart of 'web' replaces its copies one at a time (its end is logged)",
  ]);
  expect(again.effects.filter((e) => e.type === "spawn").map((e) => e.type === "spawn" && e.argv)).toEqual([["srv", "--v2"]]);
});

test("a re-exec during a rolling reload hands the spec an old process runs across with its dependencies by name: files changed back find it unchanged in the new image", () => {
  // Slot 0 is a server the reload removed (its slot stays, empty): the handover's indices are not the slots.
  const gone: ServerSpec = { argv: ["gone"], name: "gone" };
  const db: ServerSpec = { argv: ["db"], name: "db" };
  const v1 = (k: number): ServerSpec => ({ ...copy(k, "start-first"), dependsOn: [1] });
  const v2 = (k: number): ServerSpec => ({ ...v1(k), argv: ["srv", "--v2"] });
  const d = new Driver([gone, db, v1(1), v1(2)]);
  d.up(2);
  d.up(3);
  d.now += 10;
  // (the new specs' dependencies are indices into the reload's own list)
  const reloaded = [db, { ...v2(1), dependsOn: [0] }, { ...v2(2), dependsOn: [0] }];
  d.feed({ type: "reconfigure", at: d.now, id: 5, settings: SETTINGS, servers: reloaded });
  expect(d.state.servers.at(0)?.life.kind).toBe("cremated");
  d.now += 10;
  const fx = d.feed({ type: "reexec", at: d.now });
  const exec = fx.find((e): e is Extract<Effect, { type: "reexec" }> => e.type === "reexec");
  if (exec === undefined) throw new Error("no re-exec");
  const back = unmarshal(marshal(exec.handover, handoverSpecs(d.state)), reloaded);
  if (!back.ok) throw new Error(back.error);
  let st = initialState(SETTINGS, reloaded);
  st = step(st, { type: "start", at: d.now + 5, handover: back.handover }).state;
  expect(st.servers.at(2)?.spec.dependsOn).toEqual([0]);
  const reverted = [db, { ...v1(1), dependsOn: [0] }, { ...v1(2), dependsOn: [0] }];
  const r = step(st, { type: "reconfigure", at: d.now + 10, id: 6, settings: SETTINGS, servers: reverted });
  expect(r.effects.flatMap((e) => (e.type === "reply" ? [e.message] : []))).toEqual(["reloaded: 0 added, 0 changed, 0 removed, 3 unchanged"]);
  expect(r.effects.filter((e) => e.type === "spawn" || e.type === "kill")).toEqual([]);
});

test("a roll that stops says the copies it did not reach were left running only when they run (copies waiting for a dependency were 'left running as they were')", () => {
  const db: ServerSpec = { argv: ["db"], name: "db", ready: { kind: "log", pattern: "up" } };
  const d = new Driver([db, { ...copy(1), dependsOn: [0] }, { ...copy(2), dependsOn: [0] }]);
  expect([1, 2].map((i) => d.state.servers.at(i)?.life.kind)).toEqual(["waiting", "waiting"]);
  const fx = d.roll([1, 2]);
  expect(replies(fx)).toEqual([{ ok: false, message: "rolling restart of 'web' stopped at 'web.1': web.1 waits for db to be ready; none restarted, web.2 left as it was" }]);
});
