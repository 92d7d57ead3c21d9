// The transition table of docs/spec.md, walked row by row on the real core: the
// documented rows are exactly the cells of src/core/table.ts; for every row, a
// server is put in that situation by real events, the input is fed, and the
// situation it ends in and the effects it gets (in order) are the row's. Every
// cell the table leaves empty is walked too: that input changes nothing for
// that server (an operator gets a refusal).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SIGHUP, signalName } from "../../src/core/signals.ts";
import { INPUTS, type Input, SITUATIONS, type Situation, situationOf, TABLE } from "../../src/core/table.ts";
import type { ControlCommand, Effect, Event, ExitStatus, Server, ServerSpec, Settings } from "../../src/core/types.ts";
import { Driver, specs } from "../helpers/driver.ts";
import { ROOT } from "../helpers/run.ts";

interface Row {
  readonly situation: Situation;
  readonly input: Input;
  readonly action: string;
  readonly becomes: Situation;
  readonly effects: string;
}

/** The rows between the table markers of docs/spec.md. */
function documentedRows(): Row[] {
  const text = readFileSync(join(ROOT, "docs/spec.md"), "utf8");
  const block = /<!-- table:begin -->\n([\s\S]*?)<!-- table:end -->/.exec(text)?.[1];
  if (block === undefined) throw new Error("docs/spec.md has no transition table between its markers");
  return block.split("\n").slice(2).filter((l) => l.startsWith("|")).map((l) => {
    const [situation, input, action, becomes, effects] = l.split("|").slice(1, -1).map((c) => c.trim()) as string[];
    return { situation, input, action, becomes, effects } as Row;
  });
}

const SETTINGS: Settings = { intervalMs: 1000, stopTimeoutMs: 5000, alarmMs: 60_000 };
const code = (c: number): ExitStatus => ({ kind: "code", code: c });

const NOTIFY = { kind: "notify" } as const;
const TCP = { kind: "tcp", host: "127.0.0.1", port: 1 } as const;

/**
 * A driver whose server 0 is in `situation` (the supervisor running), spawns
 * left unanswered unless told. Server 0's spec has what `situation` and
 * `input` need: a readiness check (unready), a dependency on server 1
 * (waiting), a backoff, restart = "never" (exit-final), a health check with a
 * probe in flight (unhealthy).
 */
function situate(situation: Situation, input?: Input): { d: Driver; t: number } {
  const [a, b] = specs(["a"], ["b"]) as [ServerSpec, ServerSpec];
  const extra: Partial<ServerSpec> = {
    ...(situation === "unready" ? { ready: NOTIFY, readyTimeoutMs: 10_000 } : {}),
    ...(situation === "waiting" ? { dependsOn: [1] } : {}),
    ...(situation === "backoff" ? { backoff: { initialMs: 1000, maxMs: 8000, retries: 3 } } : {}),
    ...(input === "exit-final" ? { restart: "never" as const } : {}),
    ...(input === "unhealthy" ? { health: { probe: TCP, intervalMs: 1000, timeoutMs: 500, retries: 1 } } : {}),
    ...(situation === "unborn" ? { autostart: false } : {}),
  };
  const d = new Driver([{ ...a, ...extra }, situation === "waiting" ? { ...b, ready: NOTIFY } : b], SETTINGS);
  d.start(0);
  d.manualSpawns = true;
  const control = (at: number, command: ControlCommand) => d.feed({ type: "control", at, id: 1, command });
  switch (situation) {
    case "unborn":
    case "waiting":
    case "unready":
      return { d, t: 2000 };
    case "alive": {
      if (input === "unhealthy") d.feed({ type: "timer", at: 1000, timer: "probe:0" }); // its health probe is in flight
      return { d, t: 2000 };
    }
    case "starting":
      d.exit(d.pid(0), code(1), 1500); // slow: respawned, its result not answered yet
      return { d, t: 1600 };
    case "stopping":
      control(100, { op: "stop", server: 0 });
      return { d, t: 2000 };
    case "killed":
      control(100, { op: "stop", server: 0 });
      d.feed({ type: "timer", at: 5100, timer: "stop:0" });
      return { d, t: 6000 };
    case "backoff":
      d.exit(d.pid(0), code(1), 500); // fast: retried at 1500
      return { d, t: 1000 };
    case "buried":
      d.exit(d.pid(0), code(1), 500);
      return { d, t: 2000 };
    case "cremated":
      d.exit(d.pid(0), code(0), 500);
      return { d, t: 2000 };
  }
}

/** The event that is `input` for server 0 at time t. */
function eventFor(d: Driver, input: Input, t: number): Event | null {
  const life = d.state.servers.at(0)!.life;
  const pid = life.kind === "alive" ? life.pid : 999_999;
  const since = life.kind === "alive" ? life.since : t;
  const control = (command: ControlCommand): Event => ({ type: "control", at: t, id: 7, command });
  switch (input) {
    case "autostart": return null; // the start itself: walked on its own below
    case "deps-ready": {
      const dep = d.state.servers.at(1)!.life;
      return { type: "notify", at: t, pid: dep.kind === "alive" ? dep.pid : 999_998, ready: true, watchdog: false, status: null };
    }
    case "spawned": return { type: "spawned", at: t, server: 0, pid: 4242 };
    case "spawn-failed": return { type: "spawn-failed", at: t, server: 0, error: "ENOENT: not found" };
    case "spawn-short": return { type: "spawn-failed", at: t, server: 0, error: "EAGAIN: resource temporarily unavailable", short: true };
    case "ready": return { type: "notify", at: t, pid, ready: true, watchdog: false, status: null };
    case "ready-timeout": return { type: "timer", at: since + 10_000, timer: "ready:0" };
    case "unhealthy": return { type: "probe-result", at: t, server: 0, pid, purpose: "health", ok: false, reason: "connection refused" };
    case "trigger": return { type: "notify", at: t, pid, ready: false, watchdog: false, status: null, trigger: true };
    case "exit-clean": return { type: "exited", at: t, pid, status: code(0) };
    case "exit-fast": return { type: "exited", at: since + 500, pid, status: code(1) };
    case "exit-slow": return { type: "exited", at: Math.max(t, since + 1500), pid, status: code(1) };
    case "exit-final": return { type: "exited", at: t, pid, status: code(1) };
    case "revive": return { type: "revive", at: t };
    case "retry": return { type: "timer", at: life.kind === "backoff" ? life.until : t, timer: "backoff:0" };
    case "shutdown": return { type: "terminate", at: t, signal: 15 };
    case "kill": return { type: "timer", at: 60_000, timer: "alarm" };
    case "deadline": {
      const stop = life.kind === "alive" ? life.stop : null;
      return { type: "timer", at: stop?.deadline ?? t, timer: "stop:0" };
    }
    case "stop": return control({ op: "stop", server: 0 });
    case "start": return control({ op: "start", server: 0 });
    case "restart": return control({ op: "restart", server: 0 });
    case "revive-one": return control({ op: "revive", server: 0 });
    case "signal": return control({ op: "signal", server: 0, signal: SIGHUP });
    case "change":
    case "remove": {
      // A reload: server 0 with another command, or without server 0 (server 1 as it is; dependsOn: indices of this list).
      const [a, b] = d.state.servers.map((s) => s.next ?? s.spec) as [ServerSpec, ServerSpec];
      const servers = input === "change" ? [{ ...a, argv: [...a.argv, "--changed"] }, b] : [b];
      return { type: "reconfigure", at: t, id: null, settings: d.state.settings, servers };
    }
    case "replaced": return null; // a rolling restart moves the old process to another slot: walked on its own below
  }
}

/** The effects about server `i` (0 unless told), in the table's words. */
function effectsOf(effects: readonly Effect[], i = 0): string {
  const mine = `:${i}`;
  return effects.flatMap((e): string[] => {
    switch (e.type) {
      case "log": return e.record.server === i ? ["log"] : [];
      case "spawn": return e.server === i ? ["spawn"] : [];
      case "kill": return e.server === i ? [`${e.group ? "kill" : "signal"} ${signalName(e.signal).slice(3)}`] : [];
      case "kill-remnants": return e.server === i ? [`remnants ${signalName(e.signal).slice(3)}`] : [];
      case "arm": return e.timer.endsWith(mine) ? [e.timer === `stop${mine}` ? "arm" : `arm ${e.timer.slice(0, -mine.length)}`] : [];
      case "disarm": return e.timer.endsWith(mine) ? [e.timer === `stop${mine}` ? "disarm" : `disarm ${e.timer.slice(0, -mine.length)}`] : [];
      case "probe": return e.server === i ? [`probe ${e.purpose}`] : [];
      case "reply": return ["reply"];
      default: return [];
    }
  }).join(", ");
}

const rows = documentedRows();

describe("the documented transition table (docs/spec.md)", () => {
  test("its rows are exactly the cells of src/core/table.ts", () => {
    const cells = SITUATIONS.flatMap((s) => INPUTS.flatMap((i) => {
      const action = TABLE[s][i];
      return action === undefined ? [] : [`${s} ${i} ${action}`];
    }));
    expect(rows.map((r) => `${r.situation} ${r.input} ${r.action}`).sort()).toEqual(cells.sort());
    expect(rows.length).toBeGreaterThan(30);
  });

  test("unborn + autostart: the first start spawns it", () => {
    const d = new Driver(specs(["a"]), SETTINGS);
    d.manualSpawns = true;
    const fx = d.start(0);
    expect(situationOf(d.state.servers.at(0)!.life, d.state.phase)).toBe("starting");
    expect(effectsOf(fx)).toBe(rows.find((r) => r.situation === "unborn" && r.input === "autostart")?.effects ?? "(no row)");
  });

  for (const row of rows.filter((r) => r.input === "replaced")) {
    test(`${row.situation} + replaced → ${row.action}: the old process, moved aside (slot 2), becomes ${row.becomes}; ${row.effects}`, () => {
      const { d, t } = situate(row.situation, row.input);
      const old = d.pid(0);
      // A rolling restart of server 0: its new process starts aside (slot 2); once it is ready, it takes slot 0's place.
      d.feed({ type: "control", at: t, id: 3, command: { op: "roll", name: "a", servers: [0] } });
      const spawned = d.feed({ type: "spawned", at: t + 10, server: 2, pid: 4242 });
      const fx = d.state.servers.at(2)?.life.kind === "alive" && row.situation === "unready"
        ? d.feed({ type: "notify", at: t + 20, pid: 4242, ready: true, watchdog: false, status: null })
        : spawned;
      const moved = d.state.servers.at(2)!;
      expect(moved.life.kind === "alive" && moved.life.pid).toBe(old);
      expect(d.pid(0)).toBe(4242);
      expect(situationOf(moved.life, d.state.phase)).toBe(row.becomes);
      // From the action's own log line on (the swap before it disarms what either slot had armed).
      const at = fx.findIndex((e) => e.type === "log" && e.record.event === "replaced");
      expect(at).toBeGreaterThanOrEqual(0);
      expect(effectsOf(fx.slice(at), 2)).toBe(row.effects);
      // The roll waits for the old process to end before it answers.
      expect(d.state.roll?.draining).toBe(2);
    });
  }

  for (const row of rows.filter((r) => r.input !== "autostart" && r.input !== "replaced")) {
    test(`${row.situation} + ${row.input} → ${row.action}: becomes ${row.becomes}; ${row.effects || "no effect"}`, () => {
      const { d, t } = situate(row.situation, row.input);
      expect(situationOf(d.state.servers.at(0)!.life, d.state.phase)).toBe(row.situation);
      const event = eventFor(d, row.input, t);
      if (event === null) throw new Error(`no event for ${row.input}`);
      const fx = d.feed(event);
      expect(situationOf(d.state.servers.at(0)!.life, d.state.phase)).toBe(row.becomes);
      expect(effectsOf(fx)).toBe(row.effects);
    });
  }

  test("every empty cell changes nothing for that server (an operator is told why)", () => {
    let walked = 0;
    for (const situation of SITUATIONS) {
      for (const input of INPUTS) {
        if (TABLE[situation][input] !== undefined || input === "autostart") continue;
        const { d, t } = situate(situation, input);
        const before = d.state.servers.at(0);
        const event = eventFor(d, input, t);
        if (event === null) continue;
        const fx = d.feed(event);
        const where = `${situation} + ${input}`;
        // A reload changes what the server is (its spec, pending spec, removal), not its life: that is what the table decides.
        const reload = input === "change" || input === "remove";
        const strip = (s: Server | undefined) => (reload && s !== undefined ? { ...s, spec: null, next: null, retired: null } : s);
        expect({ where, server: strip(d.state.servers.at(0)) }).toEqual({ where, server: strip(before) });
        const replies = fx.filter((e) => e.type === "reply");
        // (A second terminate also SIGKILLs what is left of the groups of servers that ended by themselves before: the
        // supervisor's doing, not this cell's; the situation was reached through such an end.)
        const own = input === "kill" ? fx.filter((e) => e.type !== "kill-remnants") : fx;
        expect({ where, effects: effectsOf(own) }).toEqual({ where, effects: event.type === "control" ? "reply" : "" });
        for (const r of replies) expect({ where, ok: r.type === "reply" && r.ok }).toEqual({ where, ok: false });
        walked++;
      }
    }
    expect(walked).toBeGreaterThan(40);
  });
});
