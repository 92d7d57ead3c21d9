// Generated scenarios for the core: a few servers, settings, and a list of
// abstract actions. An action names *which* process or timer it acts on by a
// number taken modulo what exists at that moment, so every generated list is
// valid whatever came before it, and shrinking (dropping or simplifying
// actions) keeps it valid.
import fc from "fast-check";
import { SIGABRT, SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGSEGV, SIGTERM, SIGUSR1 } from "../../src/core/signals.ts";
import type { ExitStatus } from "../../src/core/types.ts";

/** How long a process should have lived when it ends, relative to its interval. */
export type LifeChoice = "zero" | "below" | "equal" | "above" | "long" | "now";

export type Action =
  | { readonly a: "exit"; readonly k: number; readonly status: ExitStatus; readonly life: LifeChoice }
  | { readonly a: "unknown-exit"; readonly pid: number; readonly status: ExitStatus }
  | { readonly a: "fail-next-spawn"; readonly k: number; readonly error: string }
  | { readonly a: "revive" }
  | { readonly a: "terminate"; readonly signal: number }
  | { readonly a: "fire-timer"; readonly k: number }
  | { readonly a: "stale-timer"; readonly k: number }
  | { readonly a: "advance"; readonly ms: number }
  | { readonly a: "info" }
  /** A re-exec; if it succeeds, the new image starts `delay` ms later and finds `deaths` alive children already ended. */
  | { readonly a: "reexec"; readonly fails: boolean; readonly delay: number; readonly deaths: number; readonly status: ExitStatus }
  | { readonly a: "control"; readonly op: "revive-all" | "revive" | "stop" | "start" | "restart" | "signal" | "shutdown"; readonly k: number };

export interface ServerChoice {
  readonly initialSpawn: boolean;
  readonly intervalMs: number | null;
  readonly stopTimeoutMs: number | null;
  readonly stopSignal: number | null;
  readonly autostart: boolean;
}

export interface Scenario {
  readonly intervalMs: number;
  readonly stopTimeoutMs: number;
  readonly alarmMs: number;
  readonly servers: readonly ServerChoice[];
  /** Servers whose very first spawn fails. */
  readonly failFirst: readonly number[];
  readonly reviveBeforeStart: boolean;
  readonly actions: readonly Action[];
}

export const SIGNALS = [SIGTERM, SIGINT, SIGKILL, SIGSEGV, SIGABRT, SIGHUP, SIGQUIT, SIGUSR1, 7, 13];

const status: fc.Arbitrary<ExitStatus> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 3, 127, 255).map((code): ExitStatus => ({ kind: "code", code })) },
  { weight: 3, arbitrary: fc.constantFrom(...SIGNALS).map((signal): ExitStatus => ({ kind: "signal", signal })) },
  { weight: 1, arbitrary: fc.constant<ExitStatus>({ kind: "unknown" }) },
);

const life = fc.constantFrom<LifeChoice>("zero", "below", "equal", "above", "long", "now");

export interface ScenarioOptions {
  readonly maxServers?: number;
  readonly maxActions?: number;
  /** Include operator commands (the control socket). */
  readonly control?: boolean;
}

export function actionArb(opts: ScenarioOptions = {}): fc.Arbitrary<Action> {
  const k = fc.nat({ max: 1000 });
  const choices: { weight: number; arbitrary: fc.Arbitrary<Action> }[] = [
    { weight: 12, arbitrary: fc.record({ a: fc.constant("exit" as const), k, status, life }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("unknown-exit" as const), pid: fc.integer({ min: 2, max: 99 }), status }) },
    { weight: 2, arbitrary: fc.record({ a: fc.constant("fail-next-spawn" as const), k, error: fc.constantFrom("ENOENT", "EACCES", "EAGAIN") }) },
    { weight: 3, arbitrary: fc.constant({ a: "revive" as const }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("terminate" as const), signal: fc.constantFrom(SIGTERM, SIGINT, SIGHUP) }) },
    { weight: 3, arbitrary: fc.record({ a: fc.constant("fire-timer" as const), k }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("stale-timer" as const), k }) },
    { weight: 3, arbitrary: fc.record({ a: fc.constant("advance" as const), ms: fc.oneof(fc.constantFrom(0, 1, 499, 500, 501, 999, 1000, 1001), fc.integer({ min: 0, max: 20_000 })) }) },
    { weight: 1, arbitrary: fc.constant({ a: "info" as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        a: fc.constant("reexec" as const), fails: fc.boolean(), delay: fc.constantFrom(0, 1, 40, 499, 500, 1000), deaths: fc.nat({ max: 2 }), status,
      }),
    },
  ];
  if (opts.control !== false) {
    choices.push({
      weight: 3,
      arbitrary: fc.record({
        a: fc.constant("control" as const),
        op: fc.constantFrom("revive-all" as const, "revive" as const, "stop" as const, "start" as const, "restart" as const, "signal" as const, "shutdown" as const),
        k,
      }),
    });
  }
  return fc.oneof(...choices);
}

export function scenarioArb(opts: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  const maxServers = opts.maxServers ?? 4;
  const server: fc.Arbitrary<ServerChoice> = fc.record({
    initialSpawn: fc.boolean(),
    intervalMs: fc.option(fc.constantFrom(0, 1, 500, 2000), { freq: 4 }),
    stopTimeoutMs: fc.option(fc.constantFrom(0, 50, 3000), { freq: 4 }),
    stopSignal: fc.option(fc.constantFrom(SIGTERM, SIGINT, SIGQUIT, SIGUSR1), { freq: 4 }),
    autostart: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  });
  return fc.record({
    intervalMs: fc.constantFrom(0, 1, 500, 1000, 5000),
    stopTimeoutMs: fc.constantFrom(0, 100, 1000, 10_000),
    alarmMs: fc.constantFrom(0, 0, 0, 3000, 30_000),
    servers: fc.array(server, { minLength: 1, maxLength: maxServers }),
    failFirst: fc.array(fc.nat({ max: maxServers - 1 }), { maxLength: 2 }),
    reviveBeforeStart: fc.boolean(),
    actions: fc.array(actionArb(opts), { maxLength: opts.maxActions ?? 40, size: "max" }),
  });
}
