// Planted bugs: faulty variants of the reducer, each a small, plausible
// mistake. The properties must catch every one of them within their default
// budget (mutants.test.ts); a property that catches none is not a property.
//
// Each variant wraps the real `step` and bends its input or output, so the
// production reducer carries no fault switches.
import { SIGINT, SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import { spawnArgv } from "../../src/core/argv.ts";
import { unreadyDependencies } from "../../src/core/deps.ts";
import { reconfigure, summaryText } from "../../src/core/reconfigure.ts";
import { handoverOf, step } from "../../src/core/step.ts";
import { Vec } from "../../src/core/vec.ts";
import type { Effect, Event, Handover, ReloadSummary, Server, State, StepResult } from "../../src/core/types.ts";
import type { StepFn } from "./check.ts";

/** The state with server i replaced (and the census that goes with it). */
function withServer(state: State, i: number, server: Server): State {
  const servers = state.servers.set(i, server);
  const census = { unborn: 0, waiting: 0, starting: 0, alive: 0, backoff: 0, buried: 0, cremated: 0 };
  for (const s of servers) census[s.life.kind]++;
  return { ...state, servers, census };
}

function serverOfPid(state: State, pid: number): number {
  return state.servers.findIndex((s) => s.life.kind === "alive" && s.life.pid === pid);
}

export const MUTANTS: Readonly<Record<string, StepFn>> = {
  /** A clean exit cremates, and then the server is started again anyway. */
  "respawn a cremated server": (state, event) => {
    const r = step(state, event);
    if (event.type !== "exited" || r.state.phase.kind !== "running") return r;
    const i = serverOfPid(state, event.pid);
    const s = r.state.servers.at(i);
    if (s === undefined || s.life.kind !== "cremated") return r;
    return { state: withServer(r.state, i, { ...s, life: { kind: "starting" }, spawns: s.spawns + 1 }), effects: [...r.effects, { type: "spawn", server: i, argv: spawnArgv(s.spec, s.spawns) }] };
  },

  /** Buries at lived <= interval instead of lived < interval. */
  "bury at <= instead of <": (state, event) => {
    if (event.type !== "exited") return step(state, event);
    const i = serverOfPid(state, event.pid);
    const s = state.servers.at(i);
    if (s === undefined || s.life.kind !== "alive") return step(state, event);
    const interval = s.spec.intervalMs ?? state.settings.intervalMs;
    const lived = event.at - s.life.since;
    // Pretend the boundary case lived a hair less.
    return step(state, lived === interval ? { ...event, at: event.at - 0.5 } : event);
  },

  /** Respawns with the argv as given: --initial-spawn is never replaced. */
  "forget --respawn": (state, event) => {
    const r = step(state, event);
    const effects = r.effects.map((e): Effect => (e.type === "spawn" ? { ...e, argv: r.state.servers.at(e.server)!.spec.argv } : e));
    return { state: r.state, effects };
  },

  /** A revive also restarts servers that are alive. */
  "revive a server that is alive": (state, event) => {
    const r = step(state, event);
    if (event.type !== "revive" || state.phase.kind !== "running") return r;
    const extra: Effect[] = [];
    state.servers.forEach((s, i) => {
      if (s.life.kind === "alive") extra.push({ type: "spawn", server: i, argv: spawnArgv(s.spec, s.spawns) });
    });
    return { state: r.state, effects: [...r.effects, ...extra] };
  },

  /** During shutdown an abnormal exit is still respawned. */
  "spawn during shutdown": (state, event) => {
    if (event.type !== "exited" || state.phase.kind !== "stopping") return step(state, event);
    const i = serverOfPid(state, event.pid);
    const r = step(state, event);
    const s = r.state.servers.at(i);
    if (s === undefined || event.status.kind === "code" && event.status.code === 0) return r;
    return { state: withServer(r.state, i, { ...s, life: { kind: "starting" }, spawns: s.spawns + 1 }), effects: [...r.effects, { type: "spawn", server: i, argv: spawnArgv(s.spec, s.spawns) }] };
  },

  /** A revive asked for before start is forgotten (and not handed across a re-exec). */
  "lose a pending revive": (state, event) => {
    if (event.type === "start") return step({ ...state, pendingRevive: false }, event);
    return step(state, event);
  },

  /** Counts live servers twice: with one cremated and one still "counted", it never exits. */
  "double-count live servers": (state, event) => {
    const r = step(state, event);
    const exit = r.effects.some((e) => e.type === "exit");
    const wasRunning = state.phase.kind === "running";
    const cremated = r.state.servers.filter((s) => s.life.kind === "cremated").length;
    if (!exit || !wasRunning || cremated < 2) return r;
    // believes one of them is still alive: no exit
    return { state: { ...r.state, phase: { kind: "running" } }, effects: r.effects.filter((e) => e.type !== "exit") };
  },

  /** SIGINT is taken for a crash. */
  "treat SIGINT as a crash": (state, event) => {
    if (event.type === "exited" && event.status.kind === "signal" && event.status.signal === SIGINT) {
      return step(state, { ...event, status: { kind: "code", code: 130 } });
    }
    return step(state, event);
  },

  /** The stop timeout fires, but SIGKILL is never sent. */
  "never escalate to SIGKILL": (state, event) => {
    const r = step(state, event);
    if (event.type !== "timer") return r;
    return { state: r.state, effects: r.effects.filter((e) => !(e.type === "kill" && e.signal === SIGKILL)) };
  },

  /** An exit of an unknown pid buries the first alive server. */
  "blame an unknown pid on a server": (state, event) => {
    if (event.type !== "exited" || serverOfPid(state, event.pid) >= 0) return step(state, event);
    const first = state.servers.find((s) => s.life.kind === "alive");
    if (first === undefined || first.life.kind !== "alive") return step(state, event);
    return step(state, { ...event, pid: first.life.pid });
  },

  /** The re-exec hands over buried servers as cremated. */
  "re-exec cremates the buried": (state, event) => {
    const r = step(state, event);
    return {
      state: r.state,
      effects: r.effects.map((e): Effect => e.type !== "reexec" ? e : {
        ...e,
        handover: { ...e.handover, servers: e.handover.servers.map((s) => (s.kind === "buried" ? { kind: "cremated", spawns: s.spawns, lastExit: s.lastExit, since: s.since, why: "stopped" } : s)) },
      }),
    };
  },
};

/** Further planted bugs (issue 12): what a re-exec hands across, and when a child found ended at the take-over died. */
Object.assign(MUTANTS, {
  /** The handover forgets every server's last exit. */
  "lose the last exits across a re-exec": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    return {
      state: r.state,
      effects: r.effects.map((e): Effect => e.type !== "reexec" ? e : { ...e, handover: { ...e.handover, servers: e.handover.servers.map((s) => ({ ...s, lastExit: null })) } }),
    };
  },
  /** A child found ended at the take-over is timed when it was reaped, not at the exec. */
  "time a death during the exec at its reaping": (state: State, event: Event): StepResult => {
    if (event.type !== "exited" || event.atTakeover !== true) return step(state, event);
    const { atTakeover: _, ...plain } = event;
    return step(state, plain);
  },
});

/** Further planted bugs (issue 17): deadlines, the alarm, shutdown and re-exec, remnants, take-over. */
function withoutEffects(r: StepResult, drop: (e: Effect) => boolean): StepResult {
  return { state: r.state, effects: r.effects.filter((e) => !drop(e)) };
}

function handingAcross(r: StepResult, bend: (h: Handover) => Handover): StepResult {
  return { state: r.state, effects: r.effects.map((e): Effect => (e.type === "reexec" ? { ...e, handover: bend(e.handover) } : e)) };
}

Object.assign(MUTANTS, {
  /** SIGUSR1 during a shutdown is carried out: the new image forgets the shutdown and revives the buried. */
  "honour a re-exec during a shutdown": (state: State, event: Event): StepResult => {
    if (event.type !== "reexec" || state.phase.kind !== "stopping") return step(state, event);
    return step({ ...state, phase: { kind: "running" } }, event);
  },
  /** --alarm is never armed. */
  "never arm the alarm": (state: State, event: Event): StepResult =>
    withoutEffects(step(state, event), (e) => e.type === "arm" && e.timer === "alarm"),
  /** The alarm's deadline is not handed across a re-exec. */
  "lose the alarm across a re-exec": (state: State, event: Event): StepResult =>
    handingAcross(step(state, event), (h) => ({ ...h, alarmAt: null })),
  /** A stop order in progress (and its SIGKILL deadline) is not handed across a re-exec. */
  "drop a stop order across a re-exec": (state: State, event: Event): StepResult =>
    handingAcross(step(state, event), (h) => ({ ...h, servers: h.servers.map((s) => (s.kind === "alive" ? { ...s, stop: null } : s)) })),
  /** What is left of the group of a server that ended by itself is never sent SIGTERM. */
  "never signal a crashed server's remnants": (state: State, event: Event): StepResult =>
    withoutEffects(step(state, event), (e) => e.type === "kill-remnants" && e.signal === SIGTERM),
  /** What is left of the group of a server that ended by itself gets SIGTERM only: no SIGKILL is ever due (as before). */
  "leftover group never SIGKILLed": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    return { state: { ...r.state, leftovers: [] }, effects: r.effects.filter((e) => !((e.type === "arm" || e.type === "disarm") && e.timer === "leftovers")) };
  },
  /** The SIGKILL of what is left of an ended server's group is due at the global --stop-timeout, not at the server's own. */
  "leftover kill armed with the global stop timeout instead of the server's": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    const old = new Set(state.leftovers);
    if (r.state.leftovers.every((l) => old.has(l))) return r;
    const leftovers = r.state.leftovers.map((l) => (old.has(l) ? l : { ...l, at: event.at + r.state.settings.stopTimeoutMs })).sort((a, b) => a.at - b.at);
    const effects = r.effects.filter((e) => !(e.type === "arm" && e.timer === "leftovers"));
    const first = leftovers[0];
    if (first !== undefined && first.at !== state.leftovers[0]?.at) effects.push({ type: "arm", timer: "leftovers", at: first.at });
    return { state: { ...r.state, leftovers }, effects };
  },
  /** A server's own stop_timeout is ignored: the global --stop-timeout is used. */
  "ignore a server's own stop timeout": (state: State, event: Event): StepResult => {
    const specs = state.servers.map((s) => s.spec);
    const plain = Vec.of(state.servers.map((s) => {
      const { stopTimeoutMs: _, ...spec } = s.spec;
      return { ...s, spec };
    }));
    const r = step({ ...state, servers: plain }, event);
    return { state: { ...r.state, servers: Vec.of(r.state.servers.map((s, i) => ({ ...s, spec: specs[i]! }))) }, effects: r.effects };
  },
  /** A second terminate says it stops waiting, but sends no SIGKILL. */
  "no SIGKILL on a second terminate": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    const terminate = event.type === "terminate" || (event.type === "control" && event.command.op === "shutdown");
    if (!terminate || state.phase.kind !== "stopping") return r;
    return withoutEffects(r, (e) => e.type === "kill" && e.signal === SIGKILL);
  },
  /** The alarm fires and says so, but sends no SIGKILL. */
  "no SIGKILL at the alarm": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "timer" || event.timer !== "alarm") return r;
    return withoutEffects(r, (e) => e.type === "kill" && e.signal === SIGKILL);
  },
  /** The new image does not adopt the children it takes over. */
  "drop adopt after a re-exec": (state: State, event: Event): StepResult =>
    withoutEffects(step(state, event), (e) => e.type === "adopt"),
  /** A re-exec is carried out at once, even while a spawn's result is on its way. */
  "re-exec while a spawn is in flight": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "reexec" || !r.state.pendingReexec || r.state.phase.kind !== "running") return r;
    return { state: { ...r.state, pendingReexec: false }, effects: [...r.effects, { type: "reexec", handover: handoverOf(r.state, event.at) }] };
  },
});

export type MutantName = keyof typeof MUTANTS;
export type { Event };

/** Further planted bugs (issue 14): readiness, start order, health, backoff, restart policies, sd_notify, re-exec. */
function withSpecs(state: State, event: Event, bend: (s: Server) => Server["spec"]): StepResult {
  const specs = state.servers.map((s) => s.spec);
  const bent = state.servers.map(bend);
  const r = step({ ...state, servers: Vec.of(state.servers.map((s, i) => ({ ...s, spec: bent[i]! }))) }, event);
  // (only a spec it bent is given back: a reload's new spec, or a rolling restart's new slot aside, stays as the step made it)
  return { state: { ...r.state, servers: Vec.of(r.state.servers.map((s, i) => (s.spec === bent[i] ? { ...s, spec: specs[i]! } : s))) }, effects: r.effects };
}

Object.assign(MUTANTS, {
  /** depends_on is not looked at when spawning: a dependent starts before its dependency is ready. */
  "start a dependent before its dependency is ready": (state: State, event: Event): StepResult =>
    withSpecs(state, event, ({ spec }) => {
      const { dependsOn: _, ...rest } = spec;
      return rest;
    }),
  /** A shutdown stops everything at once: dependencies before their dependents are gone. */
  "stop dependencies before dependents at shutdown": (state: State, event: Event): StepResult => {
    const r = step({ ...state, dependents: state.dependents.map(() => []) }, event);
    return { state: { ...r.state, dependents: state.dependents }, effects: r.effects };
  },
  /** A passing health probe does not reset the failure streak. */
  "a health failure streak not reset by a passing probe": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "probe-result" || event.purpose !== "health" || !event.ok) return r;
    const b = state.servers.at(event.server);
    const s = r.state.servers.at(event.server);
    if (b === undefined || s === undefined || s.healthFails !== 0 || b.healthFails === 0) return r;
    return { state: { ...r.state, servers: r.state.servers.set(event.server, { ...s, healthFails: b.healthFails }) }, effects: r.effects };
  },
  /** A probe cut short by lazarus (a failed re-exec) is taken for a failed one: it counts toward unhealthy. */
  "an interrupted probe counted as a failure": (state: State, event: Event): StepResult =>
    event.type === "probe-interrupted" ? step(state, { type: "probe-result", at: event.at, server: event.server, pid: event.pid, purpose: event.purpose, ok: false, reason: event.reason }) : step(state, event),
  /** A life of at least the interval does not reset the backoff count. */
  "backoff count not reset by a long life": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "exited") return r;
    const i = serverOfPid(state, event.pid);
    const b = state.servers.at(i);
    const s = r.state.servers.at(i);
    if (b === undefined || s === undefined || b.retries === 0 || s.retries !== 0) return r;
    return { state: { ...r.state, servers: r.state.servers.set(i, { ...s, retries: b.retries }) }, effects: r.effects };
  },
  /** The backoff delay doubles without its cap. */
  "backoff delay not capped at max": (state: State, event: Event): StepResult =>
    withSpecs(state, event, ({ spec }) => (spec.backoff === undefined ? spec : { ...spec, backoff: { ...spec.backoff, maxMs: Number.MAX_SAFE_INTEGER } })),
  /** A stop order leaves the probe timer armed, and the probe goes out when it fires. */
  "a probe sent to a server being stopped": (state: State, event: Event): StepResult => {
    if (event.type === "timer" && event.timer.startsWith("probe:")) {
      const i = Number(event.timer.slice(6));
      const s = state.servers.at(i);
      if (s?.life.kind === "alive" && s.life.stop !== null && !s.probing) {
        const r = step({ ...state, servers: state.servers.set(i, { ...s, life: { ...s.life, stop: null } }) }, event);
        const after = r.state.servers.at(i)!;
        return { state: { ...r.state, servers: r.state.servers.set(i, { ...after, life: s.life }) }, effects: r.effects };
      }
    }
    return withoutEffects(step(state, event), (e) => e.type === "disarm" && e.timer.startsWith("probe:"));
  },
  /** restart = "always" is taken for "on-failure": a clean end is not followed by a start. */
  "restart = always ignored for clean exits": (state: State, event: Event): StepResult =>
    withSpecs(state, event, ({ spec }) => (spec.restart === "always" ? { ...spec, restart: "on-failure" } : spec)),
  /** restart = "never" is taken for "on-failure": a crash is respawned. */
  "restart = never ignored": (state: State, event: Event): StepResult =>
    withSpecs(state, event, ({ spec }) => (spec.restart === "never" ? { ...spec, restart: "on-failure" } : spec)),
  /** READY=1 is sent as soon as lazarus has started its servers, ready or not. */
  "READY=1 sent before every server is ready": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "start" || event.handover !== null || state.settings.systemd === undefined || r.state.systemd.ready) return r;
    return { state: { ...r.state, systemd: { ...r.state.systemd, ready: true } }, effects: [...r.effects, { type: "sd-notify", text: "READY=1" }] };
  },
  /** The backoff counts are not handed across a re-exec. */
  "retries not carried across a re-exec": (state: State, event: Event): StepResult =>
    handingAcross(step(state, event), (h) => ({ ...h, servers: h.servers.map(({ retries: _, ...s }) => s) })),
  /** A failed start (ready_timeout) ends in cremation instead of being judged as a crash. */
  "a failed start not judged as a crash": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "timer" || !event.timer.startsWith("ready:")) return r;
    const i = Number(event.timer.slice(6));
    const s = r.state.servers.at(i);
    if (s?.life.kind !== "alive" || s.life.stop?.then !== "fail") return r;
    return { state: { ...r.state, servers: r.state.servers.set(i, { ...s, life: { ...s.life, stop: { ...s.life.stop, then: "cremate" } } }) }, effects: r.effects };
  },
  /** WATCHDOG=1 from a server does not push its watchdog back. */
  "a server's WATCHDOG=1 ignored": (state: State, event: Event): StepResult =>
    step(state, event.type === "notify" ? { ...event, watchdog: false } : event),
  /** WATCHDOG=trigger from a server changes nothing. */
  "WATCHDOG=trigger ignored": (state: State, event: Event): StepResult =>
    step(state, event.type === "notify" && event.trigger === true ? { ...event, trigger: false } : event),
  /** WATCHDOG=trigger restarts the server like a failed health check: its end is not judged as a crash (a restart loop). */
  "WATCHDOG=trigger taken for a restart": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "notify" || event.trigger !== true) return r;
    const i = r.state.servers.findIndex((s) => s.life.kind === "alive" && s.life.pid === event.pid);
    const s = r.state.servers.at(i);
    if (s?.life.kind !== "alive" || s.life.stop?.then !== "fail") return r;
    return { state: { ...r.state, servers: r.state.servers.set(i, { ...s, life: { ...s.life, stop: { ...s.life.stop, then: "start" } } }) }, effects: r.effects };
  },
});

/**
 * Issue 23: a busy loop at one instant. A stop timer that fires at its deadline after the SIGKILL was sent already (a
 * second terminate, the alarm) is armed again for that very instant: nothing the model checks changes (a stop timer may
 * outlive its SIGKILL), but the shell fires it again at once, for ever. Caught by the harness's step bound (busy.ts),
 * with a message that names the busy loop.
 */
export const BUSY_MUTANT = "arm a stop timer again at the instant it fires after its SIGKILL";
Object.assign(MUTANTS, {
  [BUSY_MUTANT]: (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "timer" || !event.timer.startsWith("stop:")) return r;
    const l = state.servers.at(Number(event.timer.slice(5)))?.life;
    if (l?.kind !== "alive" || l.stop === null || !l.stop.killed || l.stop.deadline !== event.at) return r;
    return { state: r.state, effects: [...r.effects, { type: "arm", timer: event.timer, at: event.at }] };
  },
});

/**
 * Issue 23: a busy loop at one instant without timers, for the harnesses that answer every spawn at once (reload and
 * scale properties): the spawn is retried when it succeeded (the test of its result inverted), so each spawn's result
 * asks for another spawn, for ever. Not one of MUTANTS: check.ts's model catches it at the first extra spawn; it is
 * for the harnesses without a model of the spawns, whose step bound must catch it (busy.ts).
 */
export const spawnAgainWhenSpawned = (state: State, event: Event): StepResult => {
  const r = step(state, event);
  if (event.type !== "spawned") return r;
  const s = r.state.servers.at(event.server);
  if (s === undefined) return r;
  return { state: r.state, effects: [...r.effects, { type: "spawn", server: event.server, argv: spawnArgv(s.spec, s.spawns) }] };
};

/**
 * Planted bugs in reloads that add or remove servers and in `ctl scale` (the property harness generates both): each is
 * caught by a check that names it (check.ts: invariants `reload` and `scale`).
 */
Object.assign(MUTANTS, {
  /** A server a reload removes is marked removed, but its process is never stopped (no stop order, no signal). */
  "a removed server's process is never stopped": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    let servers = r.state.servers;
    const spared = new Set<number>();
    r.state.servers.forEach((s, i) => {
      const b = state.servers.at(i);
      const l = s.life;
      const removedNow = b !== undefined && b.replaces === undefined && (b.retired !== true || b.life.kind === "starting");
      const stoppedNow = l.kind === "alive" && l.stop !== null && !(b?.life.kind === "alive" && b.life.stop !== null);
      if (s.retired === true && removedNow && stoppedNow && l.kind === "alive") {
        servers = servers.set(i, { ...s, life: { ...l, stop: null } });
        spared.add(i);
      }
    });
    if (spared.size === 0) return r;
    const effects = r.effects.filter((e) => !((e.type === "kill" || (e.type === "arm" && e.timer.startsWith("stop:"))) && spared.has(e.type === "kill" ? e.server : Number(e.timer.slice(5)))));
    return { state: { ...r.state, servers }, effects };
  },
  /** A scale down keeps the highest-numbered copies and stops the lowest (the kept names matched to the last copies). */
  "scale down stops the lowest-numbered copies": (state: State, event: Event): StepResult => {
    if (event.type !== "reconfigure" || event.scale === undefined) return step(state, event);
    const { name, count } = event.scale;
    const copies = state.servers.toArray().flatMap((s, i) => (s.spec.group === name && s.retired !== true && s.replaces === undefined ? [i] : []))
      .sort((a, b) => Number(/\d+$/.exec(state.servers.at(a)!.spec.name)?.[0]) - Number(/\d+$/.exec(state.servers.at(b)!.spec.name)?.[0]));
    if (copies.length <= count) return step(state, event);
    // Each copy's slot takes the spec of its mirror (NAME.1's slot is NAME.M's), so the names kept are the last slots'.
    const specs = copies.map((i) => state.servers.at(i)!.spec);
    let servers = state.servers;
    copies.forEach((i, k) => { servers = servers.set(i, { ...state.servers.at(i)!, spec: specs[copies.length - 1 - k]! }); });
    return step({ ...state, servers }, event);
  },
  /**
   * A reload compares a copy that keeps its old process with its new spec pending (a rolling reload's copy not yet
   * replaced) with that pending spec, not with what its process runs: a second reload of the same files ends the
   * roll and finds the copies unchanged, so they run their old process for good (found on a real supervisor: two
   * operators reloading the same edit at once).
   */
  "a reload ends a rolling reload and leaves its copies on their old process": (state: State, event: Event): StepResult => {
    if (event.type !== "reconfigure") return step(state, event);
    const keeps = new Map<number, Server>();
    let bent = state.servers;
    state.servers.forEach((s, i) => {
      if (s.next !== undefined && s.life.kind === "alive" && s.life.stop === null) {
        keeps.set(i, s);
        bent = bent.set(i, { ...s, spec: s.next });
      }
    });
    if (keeps.size === 0) return step(state, event);
    const r = step({ ...state, servers: bent }, event);
    let servers = r.state.servers;
    for (const [i, s] of keeps) {
      const a = servers.at(i);
      if (a?.life.kind !== "alive" || s.life.kind !== "alive" || a.life.pid !== s.life.pid) continue;
      servers = servers.set(i, { ...a, spec: s.spec, next: a.next ?? a.spec });
    }
    return { state: { ...r.state, servers }, effects: r.effects };
  },
  /**
   * A re-exec hands a rolling reload's copy that keeps its old process across without the spec that process runs: the
   * new image runs it under the configuration's spec, as if it had been replaced (the status shows the new command, a
   * reload finds it unchanged: it runs its old process for good). Found on a real supervisor: SIGUSR1 during a
   * rolling reload.
   */
  "the spec a rolling reload's old process runs lost across a re-exec": (state: State, event: Event): StepResult =>
    handingAcross(step(state, event), (h) => ({ ...h, servers: h.servers.map((s) => (s.kind === "alive" ? (({ runs: _, ...rest }) => rest)(s) : s)) })),
  /**
   * A server a reload (or a scale) adds in the seat of a removed server's process that still stops starts at once, as
   * lazarus did: two processes of one name run at once (a copy whose port is derived from LAZARUS_INSTANCE crash-loops).
   * Found by a review, reproduced on a real supervisor: `ctl scale web 1` then `ctl scale web 3` at once.
   */
  "a server added in the seat of a process still stopping starts at once": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "reconfigure" || r.state.phase.kind !== "running") return r;
    let out = r.state;
    const effects = [...r.effects];
    r.state.servers.forEach((s, i) => {
      if (s.behind === undefined || s.life.kind !== "waiting" || unreadyDependencies(r.state.servers, i).length > 0) return;
      const { behind: _, ...rest } = s;
      out = withServer(out, i, { ...rest, life: { kind: "starting" }, spawns: s.spawns + 1 });
      effects.push({ type: "spawn", server: i, argv: spawnArgv(s.spec, s.spawns) });
    });
    return { state: out, effects };
  },
});

/** Planted bugs in spawns that fail for want of a resource (EAGAIN: the harness tells the core `short`, as BunPort does). */
Object.assign(MUTANTS, {
  /** Every failed spawn buries, as before: a server that could not start for want of a free process waits for an operator. */
  "bury a server whose spawn failed for want of a resource": (state: State, event: Event): StepResult => {
    if (event.type !== "spawn-failed" || event.short !== true) return step(state, event);
    const { short: _, ...plain } = event;
    return step(state, plain);
  },
  /** Tried again every second for as long as it fails, the delay never growing. */
  "a spawn short of a resource tried again every second": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "spawn-failed" || event.short !== true) return r;
    const s = r.state.servers.at(event.server);
    if (s === undefined || s.life.kind !== "backoff" || s.life.short === undefined) return r;
    const until = event.at + 1000;
    const timer = `backoff:${event.server}`;
    const effects = r.effects.map((e): Effect => (e.type === "arm" && e.timer === timer ? { ...e, at: until } : e));
    return { state: withServer(r.state, event.server, { ...s, life: { ...s.life, until } }), effects };
  },
});

/** Planted bugs in `ctl scale NAME 0` (docs/spec.md, "Scale"). */
Object.assign(MUTANTS, {
  /** A table held at 0 copies is forgotten: lazarus with nothing else left to run exits, and no later scale can run it again. */
  "a table scaled to 0 lets lazarus exit": (state: State, event: Event): StepResult => {
    const { scaledToZero: _, ...settings } = state.settings;
    const r = step({ ...state, settings }, event.type === "reconfigure" ? { ...event, settings: { ...event.settings, scaledToZero: [] } } : event);
    // (the state keeps saying which tables are held: only the decision to exit is bent)
    return { ...r, state: { ...r.state, settings: { ...r.state.settings, ...(event.type === "reconfigure" ? { scaledToZero: event.settings.scaledToZero } : state.settings.scaledToZero === undefined ? {} : { scaledToZero: state.settings.scaledToZero }) } } };
  },
});

/** The tables held at 0 copies before or after a reconfigure event, as step.ts gives reconfigure(). */
function zeroOf(state: State, event: Extract<Event, { type: "reconfigure" }>): Set<string> {
  return new Set([...(state.settings.scaledToZero ?? []), ...(event.settings.scaledToZero ?? [])]);
}

/** Planted bugs in a reload's change of policy only (docs/spec.md, "Reload": updated in place). */
Object.assign(MUTANTS, {
  /** Every change restarts, as before: a server whose stop timeout or health check alone changed is stopped and started again. */
  "a policy-only change restarts the process": (state: State, event: Event): StepResult => {
    if (event.type !== "reconfigure" || state.phase.kind !== "running") return step(state, event);
    // (what the core runs made to differ in how it is launched: every change is then one that restarts)
    let bent = state;
    for (const c of reconfigure(state.servers, event.servers, zeroOf(state, event)).changes) {
      const s = state.servers.at(c.slot);
      // (a plain server's: a table's copy with a readiness check would be replaced by a rolling reload, one at a time;
      // and one whose process runs: the bug is that process restarted, not what the reload says of one that does not run)
      if (c.kind === "updated" && s !== undefined && s.spec.group === undefined && s.life.kind === "alive") bent = withServer(bent, c.slot, { ...s, spec: { ...s.spec, launch: `${s.spec.launch ?? ""}+` } });
    }
    return step(bent, event);
  },
  /** A health check changed in place keeps the old check's schedule (its probe timer, and the answer of a probe in flight). */
  "an in-place health change keeps the old probe schedule": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "reconfigure" || state.phase.kind !== "running") return r;
    const touched = new Set(reconfigure(state.servers, event.servers, zeroOf(state, event)).changes.flatMap((c) => (c.kind === "updated" ? [`probe:${c.slot}`] : [])));
    let out = r.state;
    out.servers.forEach((s, i) => {
      if (s.staleProbe === undefined) return;
      const { staleProbe: _, ...rest } = s;
      out = withServer(out, i, rest);
    });
    return { state: out, effects: r.effects.filter((e) => !((e.type === "arm" || e.type === "disarm") && touched.has(e.timer))) };
  },
  /**
   * The regression of "policy-only changes apply in place": a server the reload itself starts (unborn, its autostart
   * turned on; waiting, its dependencies changed) is said updated in place, not changed, and `ctl reload --wait` does
   * not wait for it. (The reload does the same; only its answer and its log record say otherwise.)
   */
  "a server a reload starts is summarised as updated": (state: State, event: Event): StepResult => {
    const r = step(state, event);
    if (event.type !== "reconfigure" || state.phase.kind !== "running") return r;
    const updated = new Set(reconfigure(state.servers, event.servers, zeroOf(state, event)).changes.flatMap((c) => (c.kind === "updated" ? [state.servers.at(c.slot)?.spec.name ?? ""] : [])));
    const bend = (s: ReloadSummary): ReloadSummary => {
      const moved = s.changed.filter((n) => updated.has(n));
      if (moved.length === 0) return s;
      return { ...s, changed: s.changed.filter((n) => !updated.has(n)), unchanged: [...s.unchanged, ...moved], updated: [...(s.updated ?? []), ...moved] };
    };
    const words = (s: ReloadSummary | undefined, text: string) => s === undefined ? text : text.replace(summaryText(s), summaryText(bend(s)));
    return {
      state: r.state,
      effects: r.effects.map((e): Effect =>
        e.type === "reply" && e.reload !== undefined ? { ...e, reload: bend(e.reload), message: words(e.reload, e.message) }
        : e.type === "log" && e.record.reload !== undefined ? { ...e, record: { ...e.record, reload: bend(e.record.reload), text: words(e.record.reload, e.record.text) } }
        : e),
    };
  },
});
