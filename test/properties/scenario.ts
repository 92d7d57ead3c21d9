// Generated scenarios for the core: a few servers, settings, and a list of
// abstract actions. An action names *which* process or timer it acts on by a
// number taken modulo what exists at that moment, so every generated list is
// valid whatever came before it, and shrinking (dropping or simplifying
// actions) keeps it valid.
import fc from "fast-check";
import { SIGABRT, SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGSEGV, SIGTERM, SIGUSR1 } from "../../src/core/signals.ts";
import type { BackoffSpec, ExitStatus, HealthSpec, ProbeSpec, ReadySpec, RestartPolicy } from "../../src/core/types.ts";

/** How long a process should have lived when it ends, relative to its interval (a hair is a microsecond). */
export type LifeChoice = "zero" | "below" | "hair-below" | "equal" | "hair-above" | "above" | "long" | "now";

/** When a timer is delivered relative to its deadline: at it, a little or much later, or early (a timer that fires early is armed again). */
export type TimerOffset = "exact" | "hair-late" | "late" | "hair-early" | "early";

/** What can happen at one moment; `together` queues several at once (so a spawn's result arrives after the rest). */
export type Simple =
  /** Process k ends now; `twice`: its end is reported twice (a duplicate report). */
  | { readonly a: "end-now"; readonly k: number; readonly status: ExitStatus; readonly twice: boolean }
  /** A report about a pid that ended and was reported before (and is not in use again). */
  | { readonly a: "stale-exit"; readonly k: number; readonly status: ExitStatus }
  | { readonly a: "revive" }
  /** A terminate; `twice`: a second one right behind it. */
  | { readonly a: "terminate"; readonly signal: number; readonly twice: boolean }
  /** An armed timer fires now (early, if it is not due yet). */
  | { readonly a: "fire-now"; readonly k: number }
  | { readonly a: "reexec"; readonly fails: boolean; readonly delay: number; readonly deaths: number; readonly status: ExitStatus }
  | { readonly a: "control"; readonly op: "revive-all" | "revive" | "stop" | "start" | "restart" | "signal" | "shutdown"; readonly k: number }
  /** A process that was sent a signal it does not survive dies of it. */
  | { readonly a: "obey"; readonly k: number }
  /** The shell answers the k-th probe in flight (perhaps about a process that is gone by now). */
  | { readonly a: "probe-answer"; readonly k: number; readonly ok: boolean }
  /** An answer the shell never sends: for a pid that ended, or with the wrong purpose, or for another server. */
  | { readonly a: "probe-bogus"; readonly k: number; readonly ok: boolean; readonly how: "dead-pid" | "wrong-purpose" | "other-server" }
  /** An sd_notify datagram from a live process, one that ended, or a pid nobody knows. */
  | { readonly a: "notify"; readonly k: number; readonly target: "live" | "dead" | "unknown"; readonly ready: boolean; readonly watchdog: boolean; readonly status: boolean }
  /** WATCHDOG=trigger (with READY=1 before it in the same datagram, or alone) from a live process or one that ended. */
  | { readonly a: "trigger"; readonly k: number; readonly target: "live" | "dead"; readonly ready: boolean }
  /** Process k says it is ready the way its server's readiness check listens: READY=1, a matching line, or its readiness probe in flight passes. */
  | { readonly a: "says-ready"; readonly k: number }
  /** Of the processes whose server has a watchdog (or a health check), process k sends WATCHDOG=1 (or its health probe in flight passes). */
  | { readonly a: "keepalive"; readonly k: number }
  /** A line of a process's output matched its readiness pattern (a live one, or one that ended). */
  | { readonly a: "output-match"; readonly k: number; readonly target: "live" | "dead" }
  /**
   * `ctl restart web --rolling`: the table's copies (the scenario's group) replaced one at a time (nothing without a
   * group); while an operator's roll is under way (as the model has it), what it waits for happens instead: the old
   * process it stopped dies of its stop signal (unless it ignores it), or the copy's new process says it is ready.
   * (Two rolls queued together: the second is refused.)
   */
  | { readonly a: "roll" }
  /**
   * `ctl reload` of the files with some servers' argv changed (a trailing word added, or the last one added taken
   * away again: `undo`): one server (k), those of bitmask k, the table's copies (a rolling reload when they have a
   * readiness check and run), all, or none (nothing changes). The set of servers and their policies stay the same.
   */
  | { readonly a: "reload"; readonly k: number; readonly which: ReloadWhich; readonly undo: boolean; readonly policy: PolicyTweak | null }
  /**
   * `ctl reload` of files that add a server (`add`: its settings, where it goes in the file, whether it takes the name
   * of a server removed before) and/or remove one (`remove`: which, see RemoveWhich). A removed server's dependents
   * lose the dependency (a file naming a server it does not have would not validate): they are changed.
   */
  | { readonly a: "reload-servers"; readonly k: number; readonly add: AddChoice | null; readonly remove: RemoveWhich | null }
  /**
   * `ctl scale NAME N`: the texts in force planned again with N copies of one table (the k-th: a table with
   * instances, or a plain server, which a first scale renames NAME.1 …): the reconfigure event the supervisor sends.
   */
  | { readonly a: "scale"; readonly k: number; readonly count: number };

export type ReloadWhich = "one" | "some" | "group" | "all" | "none";
/**
 * A reload that changes one policy field of the servers it changes instead of their argv (check.ts: tweak): the
 * interval (with a readiness check, its deadline too), stop signal or timeout, restart policy, backoff, readiness check,
 * health check, watchdog, or dependencies. All but the readiness check (and a watchdog that brings one) apply in place.
 */
export type PolicyTweak = "interval" | "stop-signal" | "stop-timeout" | "restart" | "backoff" | "ready" | "health" | "watchdog" | "deps";

/**
 * Which server a reload removes (the k-th of those that fit; any when none does): any, one that others depend
 * on, the copy a rolling restart is at, one being stopped, or a table's highest-numbered copy (`instances` lowered).
 */
export type RemoveWhich = "any" | "depended" | "rolling" | "stopping" | "copy";

/** A server a reload adds. */
export interface AddChoice {
  readonly server: ServerChoice;
  /** Where it goes in the file (modulo its length + 1): the new image after a re-exec runs the file's order. */
  readonly at: number;
  /** It takes the name of a server a reload removed before (the slot of that one, once it has ended), when there is one. */
  readonly reuse: boolean;
}

export type Action =
  | Simple
  | { readonly a: "exit"; readonly k: number; readonly status: ExitStatus; readonly life: LifeChoice }
  | { readonly a: "unknown-exit"; readonly pid: number; readonly status: ExitStatus }
  | { readonly a: "fail-next-spawn"; readonly k: number; readonly error: string }
  /** One of the deadlines the model owns (the alarm, a stop order's SIGKILL), delivered at an offset. */
  | { readonly a: "fire-timer"; readonly k: number; readonly offset: TimerOffset }
  /** The timer fired last fires again. */
  | { readonly a: "fire-again" }
  | { readonly a: "stale-timer"; readonly k: number }
  | { readonly a: "advance"; readonly ms: number }
  | { readonly a: "info" }
  /** A start event to a supervisor that has started (the shell never sends one: it changes nothing). */
  | { readonly a: "start-again" }
  | { readonly a: "together"; readonly actions: readonly Simple[] };

/** Issue 14's settings of a generated server (null: absent); the simulator's config servers use them too. */
export interface PolicyChoice {
  readonly ready: ReadySpec | null;
  readonly readyTimeoutMs: number | null;
  /** Servers it depends on (the harness keeps only those before it in the supervisor's order: acyclic). */
  readonly dependsOn: readonly number[];
  readonly health: HealthSpec | null;
  /** Used only with ready = notify (as the config requires). */
  readonly watchdogMs: number | null;
  readonly restart: RestartPolicy | null;
  readonly backoff: BackoffSpec | null;
}

export interface ServerChoice extends PolicyChoice {
  readonly initialSpawn: boolean;
  readonly intervalMs: number | null;
  readonly stopTimeoutMs: number | null;
  readonly stopSignal: number | null;
  readonly autostart: boolean;
  /** Its processes ignore its stop signal (only SIGKILL ends them). */
  readonly stubborn: boolean;
  /** How long its processes take to die of a signal they do not survive (in the final shutdown). */
  readonly dyingMs: number;
}

/** After the actions: a shutdown, and while it goes on, perhaps a re-exec, a revive, a second terminate (ms after the first). */
export interface Drain {
  readonly reexec: boolean;
  readonly revive: boolean;
  readonly second: number | null;
}

/** The first k servers are the copies of a table with instances, "web" (web.1 … web.k), which rolling restarts apply to. */
export interface GroupChoice {
  /** How many copies (at least 2; at most the scenario's servers: fewer than 2 servers, no group). */
  readonly k: number;
  /** rolling = "stop-first" (else start-first: a copy's new process starts aside). */
  readonly stopFirst: boolean;
  /** Every copy has the first copy's settings (as a table's copies do), else each its own. */
  readonly uniform: boolean;
}

export interface Scenario {
  readonly intervalMs: number;
  readonly stopTimeoutMs: number;
  readonly alarmMs: number;
  readonly servers: readonly ServerChoice[];
  readonly group: GroupChoice | null;
  /** Servers whose very first spawn fails. */
  readonly failFirst: readonly number[];
  readonly reviveBeforeStart: boolean;
  readonly terminateBeforeStart: boolean;
  /** The monotonic time of the start (boot-relative: rarely 0). */
  readonly startAt: number;
  /** Which server the shell says an ended pid is (a hint the core must check): the right one, none, or a wrong one. */
  readonly hints: "right" | "none" | "wrong";
  /** How pids are handed out: always new, the lowest free one, or the one freed last (reused at once). */
  readonly pids: "fresh" | "lowest" | "last";
  /** Timers fire as soon as time passes their instant (else only when an action fires them, or in the drain). */
  readonly promptTimers: boolean;
  /** lazarus runs under systemd (Settings.systemd), with its own watchdog or not. */
  readonly systemd: { readonly watchdogMs: number | null } | null;
  readonly actions: readonly Action[];
  readonly drain: Drain;
}

export const SIGNALS = [SIGTERM, SIGINT, SIGKILL, SIGSEGV, SIGABRT, SIGHUP, SIGQUIT, SIGUSR1, 7, 13];

const status: fc.Arbitrary<ExitStatus> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 3, 127, 255).map((code): ExitStatus => ({ kind: "code", code })) },
  { weight: 3, arbitrary: fc.constantFrom(...SIGNALS).map((signal): ExitStatus => ({ kind: "signal", signal })) },
  { weight: 1, arbitrary: fc.constant<ExitStatus>({ kind: "unknown" }) },
);

const life = fc.constantFrom<LifeChoice>("zero", "below", "hair-below", "equal", "hair-above", "above", "long", "now");

const probeArb: fc.Arbitrary<ProbeSpec> = fc.oneof(
  fc.constant<ProbeSpec>({ kind: "tcp", host: "127.0.0.1", port: 5432 }),
  fc.constant<ProbeSpec>({ kind: "http", url: "http://127.0.0.1:8080/health" }),
  fc.constant<ProbeSpec>({ kind: "cmd", argv: ["./check", "--quick"] }),
);

const readyArb: fc.Arbitrary<ReadySpec> = fc.oneof(
  { weight: 3, arbitrary: probeArb },
  { weight: 3, arbitrary: fc.constant<ReadySpec>({ kind: "notify" }) },
  { weight: 1, arbitrary: fc.constant<ReadySpec>({ kind: "log", pattern: "listening on" }) },
);

export interface ScenarioOptions {
  readonly maxServers?: number;
  readonly maxActions?: number;
  /** Include operator commands (the control socket). */
  readonly control?: boolean;
}

const CONTROL_OPS = ["revive-all", "revive", "stop", "start", "restart", "signal", "shutdown"] as const;
type ControlOp = (typeof CONTROL_OPS)[number];

function simpleArb(opts: ScenarioOptions): fc.Arbitrary<Simple> {
  const k = fc.nat({ max: 1000 });
  const choices: { weight: number; arbitrary: fc.Arbitrary<Simple> }[] = [
    { weight: 6, arbitrary: fc.record({ a: fc.constant("end-now" as const), k, status, twice: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("stale-exit" as const), k, status }) },
    { weight: 2, arbitrary: fc.constant({ a: "revive" as const }) },
    { weight: 2, arbitrary: fc.record({ a: fc.constant("terminate" as const), signal: fc.constantFrom(SIGTERM, SIGINT, SIGHUP), twice: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("fire-now" as const), k }) },
    {
      weight: 3,
      arbitrary: fc.record({
        a: fc.constant("reexec" as const), fails: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        delay: fc.constantFrom(0, 0.001, 1, 40, 499.999, 500, 1000), deaths: fc.nat({ max: 2 }), status,
      }),
    },
    { weight: 2, arbitrary: fc.record({ a: fc.constant("obey" as const), k }) },
  ];
  // (an operator's commands often go to the first two servers: a stop, then a start of the same one)
  const target = fc.oneof(fc.nat({ max: 1 }), k);
  const op = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<ControlOp>("stop", "start", "restart") },
    { weight: 2, arbitrary: fc.constantFrom<ControlOp>(...CONTROL_OPS) },
  );
  if (opts.control !== false) choices.push({ weight: 4, arbitrary: fc.record({ a: fc.constant("control" as const), op, k: target }) });
  if (opts.control !== false) choices.push(...operatorArbs(1));
  choices.push({ weight: 6, arbitrary: policyArb() });
  return fc.oneof(...choices);
}

/** Rolling restarts and reloads (operator commands too), each at this weight. */
function operatorArbs(weight: number): { weight: number; arbitrary: fc.Arbitrary<Simple> }[] {
  const which = fc.constantFrom<ReloadWhich>("one", "some", "group", "group", "all", "none");
  const undo = fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
  const policy = fc.option(fc.constantFrom<PolicyTweak>(
    "interval", "stop-signal", "stop-timeout", "restart", "backoff", "ready", "ready", "health", "health", "watchdog", "deps", "deps",
  ), { freq: 3 });
  const k = fc.nat({ max: 1000 });
  const add: fc.Arbitrary<AddChoice> = fc.record({ server: serverArb, at: fc.nat({ max: 20 }), reuse: fc.boolean() });
  const remove: fc.Arbitrary<RemoveWhich> = fc.constantFrom<RemoveWhich>("any", "depended", "depended", "rolling", "stopping", "copy");
  // (a reload that adds or removes servers and a scale each at the weight of a roll: the other actions thin out little)
  return [
    { weight, arbitrary: fc.constant({ a: "roll" as const }) },
    { weight, arbitrary: fc.record({ a: fc.constant("reload" as const), k, which, undo, policy }) },
    {
      weight,
      arbitrary: fc.record({
        a: fc.constant("reload-servers" as const), k,
        add: fc.option(add, { freq: 2, nil: null }), remove: fc.option(remove, { freq: 3, nil: null }),
      }),
    },
    { weight, arbitrary: fc.record({ a: fc.constant("scale" as const), k, count: fc.integer({ min: 0, max: 5 }) }) },
  ];
}

/** What issue 14 adds to a moment: probe answers (some stale or bogus), notify datagrams, matching lines. */
function policyArb(): fc.Arbitrary<Simple> {
  const k = fc.nat({ max: 1000 });
  const ok = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) });
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ a: fc.constant("probe-answer" as const), k, ok }) },
    { weight: 6, arbitrary: fc.record({ a: fc.constant("says-ready" as const), k }) },
    { weight: 8, arbitrary: fc.record({ a: fc.constant("keepalive" as const), k }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("probe-bogus" as const), k, ok, how: fc.constantFrom("dead-pid" as const, "wrong-purpose" as const, "other-server" as const) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        a: fc.constant("notify" as const), k, target: fc.constantFrom("live" as const, "live" as const, "live" as const, "dead" as const, "unknown" as const),
        ready: fc.boolean(), watchdog: fc.boolean(), status: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ a: fc.constant("output-match" as const), k, target: fc.constantFrom("live" as const, "live" as const, "dead" as const) }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("trigger" as const), k, target: fc.constantFrom("live" as const, "live" as const, "dead" as const), ready: fc.boolean() }) },
  );
}

export function actionArb(opts: ScenarioOptions = {}): fc.Arbitrary<Action> {
  const k = fc.nat({ max: 1000 });
  const choices: { weight: number; arbitrary: fc.Arbitrary<Action> }[] = [
    { weight: 12, arbitrary: fc.record({ a: fc.constant("exit" as const), k, status, life }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("unknown-exit" as const), pid: fc.integer({ min: 2, max: 99 }), status }) },
    { weight: 2, arbitrary: fc.record({ a: fc.constant("fail-next-spawn" as const), k, error: fc.constantFrom("ENOENT", "EACCES", "EAGAIN") }) },
    { weight: 3, arbitrary: fc.record({ a: fc.constant("fire-timer" as const), k, offset: fc.constantFrom<TimerOffset>("exact", "exact", "hair-late", "late", "hair-early", "early") }) },
    { weight: 1, arbitrary: fc.constant({ a: "fire-again" as const }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("stale-timer" as const), k }) },
    {
      weight: 3,
      arbitrary: fc.record({
        a: fc.constant("advance" as const),
        ms: fc.oneof(fc.constantFrom(0, 0.001, 1, 499, 499.999, 500, 500.001, 999, 1000, 1001), fc.integer({ min: 0, max: 20_000 })),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ a: "info" as const }) },
    { weight: 1, arbitrary: fc.constant({ a: "start-again" as const }) },
    { weight: 8, arbitrary: simpleArb(opts) },
    { weight: 20, arbitrary: policyArb() },
    { weight: 3, arbitrary: fc.record({ a: fc.constant("together" as const), actions: fc.array(simpleArb(opts), { minLength: 2, maxLength: 4 }) }) },
  ];
  if (opts.control !== false) choices.push(...operatorArbs(1));
  return fc.oneof(...choices);
}

/** A generated server's settings and its processes' behaviour. */
const serverArb: fc.Arbitrary<ServerChoice> = fc.record({
  initialSpawn: fc.boolean(),
  intervalMs: fc.option(fc.constantFrom(0, 1, 500, 2000), { freq: 4 }),
  stopTimeoutMs: fc.option(fc.constantFrom(0, 50, 3000), { freq: 2 }),
  stopSignal: fc.option(fc.constantFrom(SIGTERM, SIGINT, SIGQUIT, SIGUSR1), { freq: 4 }),
  autostart: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  stubborn: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  dyingMs: fc.constantFrom(0, 0, 30, 20_000),
  ready: fc.option(readyArb, { freq: 2 }),
  readyTimeoutMs: fc.option(fc.constantFrom(300, 1000, 5000), { freq: 2 }),
  dependsOn: fc.oneof({ weight: 1, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.array(fc.nat({ max: 10 }), { minLength: 1, maxLength: 2 }) }),
  health: fc.option(fc.record({
    probe: probeArb, intervalMs: fc.constantFrom(100, 100, 1000, 5000), timeoutMs: fc.constantFrom(50, 1000), retries: fc.constantFrom(1, 2, 3, 3),
  }), { freq: 2 }),
  watchdogMs: fc.option(fc.constantFrom(500, 3000), { freq: 2 }),
  restart: fc.option(fc.constantFrom<RestartPolicy>("on-failure", "always", "never"), { freq: 2 }),
  backoff: fc.option(fc.record({ initialMs: fc.constantFrom(100, 500), maxMs: fc.constantFrom(300, 1000, 60_000), retries: fc.constantFrom(1, 2, 3, 5) }), { freq: 2 }),
});

export function scenarioArb(opts: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  const maxServers = opts.maxServers ?? 4;
  const server = serverArb;
  const flag = (weight: number) => fc.oneof({ weight: 10 - weight, arbitrary: fc.constant(false) }, { weight, arbitrary: fc.constant(true) });
  return fc.record({
    intervalMs: fc.constantFrom(0, 1, 500, 1000, 5000),
    stopTimeoutMs: fc.constantFrom(0, 100, 1000, 10_000),
    alarmMs: fc.constantFrom(0, 0, 2500, 3000, 15_000, 30_000),
    servers: fc.array(server, { minLength: 1, maxLength: maxServers }),
    group: fc.option(fc.record({
      k: fc.integer({ min: 2, max: 4 }),
      stopFirst: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      uniform: fc.boolean(),
    }), { freq: 2 }),
    failFirst: fc.array(fc.nat({ max: maxServers - 1 }), { maxLength: 2 }),
    reviveBeforeStart: fc.boolean(),
    terminateBeforeStart: fc.oneof({ weight: 24, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    startAt: fc.constantFrom(0, 7, 1234.5678, 86_400_000),
    hints: fc.constantFrom("right" as const, "right" as const, "none" as const, "wrong" as const),
    pids: fc.constantFrom("fresh" as const, "lowest" as const, "last" as const),
    promptTimers: fc.boolean(),
    systemd: fc.option(fc.record({ watchdogMs: fc.option(fc.constantFrom(1000, 10_000)) }), { freq: 3 }),
    actions: fc.array(actionArb(opts), { maxLength: opts.maxActions ?? 40, size: "max" }),
    drain: fc.record({
      reexec: flag(5), revive: flag(3),
      second: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constantFrom(0, 10, 5000) }),
    }),
  }).map(uniformGroup);
}

/** A uniform group's copies take the first copy's settings, no dependencies (each keeps only its own processes' behaviour). */
function uniformGroup(sc: Scenario): Scenario {
  const k = groupSize(sc);
  if (k === 0 || !sc.group!.uniform) return sc;
  const first = sc.servers[0]!;
  return { ...sc, servers: sc.servers.map((c, i) => (i < k ? { ...first, dependsOn: [], stubborn: c.stubborn, dyingMs: c.dyingMs } : c)) };
}

/** How many servers form the group (0: none). */
export function groupSize(sc: Scenario): number {
  if ((sc.group ?? null) === null) return 0;
  const k = Math.min(sc.group!.k, sc.servers.length);
  return k >= 2 ? k : 0;
}
