// What the supervisor is doing, as data: the one view behind the SIGQUIT dump
// (docs/spec.md, "The dump") and `lazarus ctl status`, so that the two always agree.
import { commandLine, seconds, shortExit, stateWords } from "./describe.ts";
import { unreadyDependencies } from "./deps.ts";
import type { LifeKind, Ms, Server, State } from "./types.ts";

export interface ServerStatus {
  readonly index: number;
  readonly name: string;
  readonly command: readonly string[];
  readonly state: LifeKind;
  /** The state in the words of docs/spec.md ("The dump"). */
  readonly words: string;
  readonly pid: number | null;
  /** Monotonic time of its start (alive) or of its last change (buried, cremated), ms. */
  readonly since: Ms | null;
  /** How long it has been running, ms (alive only). */
  readonly uptime: Ms | null;
  readonly restarts: number;
  /** "code 3", "SIGSEGV", "unknown", or null when it never ended. */
  readonly lastExit: string | null;
  /** A stop is in progress (shutdown or an operator's stop). */
  readonly stopping: boolean;
  /** Alive: whether it is ready (always, without a readiness check); null when it is not alive. */
  readonly ready: boolean | null;
  /** Waiting: the names of the servers it waits for (empty otherwise). */
  readonly waitingFor: readonly string[];
  /**
   * Waiting for an old process in its seat to end (a reload added it while a removed server of its name, or of its
   * table's same copy, still stopped): that process's pid (null: its spawn's result is on its way); null otherwise
   * (absent from an older supervisor's reply).
   */
  readonly behind?: { readonly pid: number | null } | null;
  /** In backoff: when it is tried again (monotonic ms); null otherwise. */
  readonly retryAt: Ms | null;
  /** Fast crashes in a row retried by its backoff. */
  readonly retries: number;
  /** Failed health checks in a row. */
  readonly healthFails: number;
  /** The last STATUS= it sent (sd_notify), or null. */
  readonly note: string | null;
  /** A reload changed it while it ran: its new spec waits for this process to end (a stop, or a rolling restart's turn). */
  readonly pendingSpec: boolean;
  /** Its do-not-resuscitate period (its own, or lazarus's): an end sooner after its start is a fast crash. */
  readonly intervalMs: Ms;
  /** It has a readiness check (ready = …): without one it is ready once started. */
  readonly readyCheck: boolean;
  /**
   * A rolling restart's process beside its copy: "new" until it takes the copy's place,
   * "old" while the process it replaced stops; null otherwise (its name says the same: "web (new)").
   */
  readonly aside: "new" | "old" | null;
}

export interface Status {
  readonly now: Ms;
  readonly phase: State["phase"]["kind"];
  readonly intervalMs: Ms;
  readonly revivePending: boolean;
  readonly managed: number;
  readonly alive: number;
  /** The name of the rolling restart under way (`ctl restart NAME --rolling`, or a reload's), or null. */
  readonly rolling: string | null;
  readonly servers: readonly ServerStatus[];
  /** The tables `ctl scale` holds at 0 copies (none of their servers is shown); absent when none is. */
  readonly scaledToZero?: readonly string[];
}

/**
 * Which of a rolling restart's processes a server is, beside its copy: "new" (until it takes the
 * copy's place), "old" (moved aside while it stops: retired, its name a current server's), or null.
 * Every view names them so (`shownName`): no two servers shown share a name.
 */
export function asideOf(state: State): (s: Server) => ServerStatus["aside"] {
  const current = new Set<string>();
  for (const s of state.servers) if (s.retired !== true && s.replaces === undefined) current.add(s.spec.name);
  return (s) => s.replaces !== undefined ? "new" : s.retired === true && current.has(s.spec.name) ? "old" : null;
}

/** "web.1", or "web.1 (new)" and "web.1 (old)" for a rolling restart's processes aside. */
export function shownName(s: Server, aside: ServerStatus["aside"]): string {
  return aside === null ? s.spec.name : `${s.spec.name} (${aside})`;
}

/** Servers a reload removed are shown until their process has ended, then forgotten (their slot, and index, stay unused). */
export function statusOf(state: State, now: Ms): Status {
  const asideIn = asideOf(state);
  const servers = state.servers.flatMap((s, index): ServerStatus[] => {
    const l = s.life;
    if (s.retired === true && l.kind !== "alive") return [];
    const aside = asideIn(s);
    const waitingFor = l.kind === "waiting" ? unreadyDependencies(state.servers, index).map((d) => state.servers.at(d)?.spec.name ?? "?") : [];
    const old = l.kind === "waiting" && s.behind !== undefined ? state.servers.at(s.behind)?.life : undefined;
    const behind = old === undefined ? null : { pid: old.kind === "alive" ? old.pid : null };
    return [{
      index,
      name: shownName(s, aside),
      command: s.spec.argv,
      state: l.kind,
      words: behind !== null ? `waiting for its old process${behind.pid === null ? "" : ` (pid ${behind.pid})`} to end`
        : l.kind === "waiting" && waitingFor.length > 0 ? `waiting for ${waitingFor.join(", ")}`
        : l.kind === "alive" && !l.ready ? "up, not ready yet" : stateWords(l.kind),
      pid: l.kind === "alive" ? l.pid : null,
      since: "since" in l ? l.since : null,
      uptime: l.kind === "alive" ? Math.max(0, now - l.since) : null,
      restarts: Math.max(0, s.spawns - 1),
      lastExit: s.lastExit === null ? null : shortExit(s.lastExit),
      stopping: l.kind === "alive" && l.stop !== null,
      ready: l.kind === "alive" ? l.ready : null,
      waitingFor,
      behind,
      retryAt: l.kind === "backoff" ? l.until : null,
      retries: s.retries,
      healthFails: s.healthFails,
      note: s.note,
      pendingSpec: s.next !== undefined,
      intervalMs: s.spec.intervalMs ?? state.settings.intervalMs,
      readyCheck: s.spec.ready !== undefined,
      aside,
    }];
  });
  return {
    now,
    phase: state.phase.kind,
    intervalMs: state.settings.intervalMs,
    revivePending: state.pendingRevive,
    managed: servers.length,
    alive: servers.filter((s) => s.state === "alive").length,
    rolling: state.roll?.name ?? null,
    servers,
    ...((state.settings.scaledToZero ?? []).length > 0 ? { scaledToZero: state.settings.scaledToZero } : {}),
  };
}

/** The SIGQUIT dump, one line each (without the `info: ` prefix). */
export function dumpLines(st: Status): string[] {
  return [
    `current time: ${seconds(st.now)} s (monotonic)`,
    `interval: ${seconds(st.intervalMs)} s`,
    `servers: ${st.managed} managed, ${st.alive} alive`,
    `revive pending: ${st.revivePending ? "yes" : "no"}`,
    `phase: ${st.phase}`,
    ...st.servers.map((x) =>
      `server ${x.index}: name ${x.name}, pid ${x.pid ?? "-"}, ${x.words}, since ${x.since === null ? "-" : `${seconds(x.since)} s`}, ` +
      `restarts ${x.restarts}, command: ${commandLine(x.command)}`),
  ];
}
