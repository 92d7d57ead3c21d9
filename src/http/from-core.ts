// The HttpSnapshot of the core's state: what the shell's snapshot function gives
// the endpoint (src/os/http-server.ts) when it asks. The core's state gives states, pids, times, restarts and
// last exits; the History (fed the core's log records) gives crashes, burials,
// the timeline and output lines; the shell's counters the rest. /api/status is
// statusOf(state, now) with the pid and version, exactly as the control
// socket's {"cmd":"status"} answers it.
import { signalName } from "../core/signals.ts";
import { asideOf, shownName, statusOf } from "../core/status.ts";
import type { ExitStatus, Ms, State } from "../core/types.ts";
import type { History } from "./history.ts";
import type { ExitInfo, HttpSnapshot, ServerSnapshot, SupervisorSnapshot } from "./snapshot.ts";

export function exitInfo(status: ExitStatus): ExitInfo {
  switch (status.kind) {
    case "code": return { kind: "exit", code: status.code };
    case "signal": return { kind: "signal", signal: signalName(status.signal) };
    case "unknown": return { kind: "unknown" };
  }
}

export interface CoreSnapshotInputs {
  readonly state: State;
  /** When the snapshot is taken (monotonic ms): the history's timeline is cut to the window before it. */
  readonly now: Ms;
  readonly history: History;
  /** The supervisor's own figures (the phase comes from the state). */
  readonly supervisor: Omit<SupervisorSnapshot, "phase">;
  /** A server's readiness as someone else knows it (a test's fake supervisor); from the core's state when absent. */
  readonly ready?: (server: number) => boolean | null;
  /** Whether lazarus sees a server's output (prefixed output); when false its output is null. */
  readonly seesOutput?: (server: number) => boolean;
  /** Whom a server runs as, when another user than lazarus (`user`); undefined otherwise. */
  readonly userOf?: (server: number) => string | undefined;
}

export function snapshotOf(i: CoreSnapshotInputs): HttpSnapshot {
  const { state, history } = i;
  // As statusOf names them: a rolling restart's processes aside carry "(new)" and "(old)", so no two servers share a name.
  const asideIn = asideOf(state);
  // Servers a reload removed: shown until their process has ended, then forgotten.
  const servers = state.servers.flatMap((s, index): ServerSnapshot[] => {
    const l = s.life;
    if (s.retired === true && l.kind !== "alive") return [];
    const h = history.of(index, i.now);
    const aside = asideIn(s);
    return [{
      index,
      name: shownName(s, aside),
      aside,
      removed: s.retired === true,
      autostart: s.spec.autostart ?? true,
      state: l.kind,
      stopping: l.kind === "alive" && l.stop !== null,
      ready: i.ready !== undefined ? i.ready(index) : s.spec.ready === undefined ? null : l.kind === "alive" && l.ready,
      pid: l.kind === "alive" ? l.pid : null,
      since: "since" in l ? l.since : null,
      restarts: Math.max(0, s.spawns - 1),
      crashes: h.crashes,
      buried: h.buried,
      lastExit: s.lastExit === null ? null : exitInfo(s.lastExit),
      timeline: h.timeline,
      output: i.seesOutput?.(index) === true ? h.output : null,
      ...userField(i, index),
    }];
  });
  const pid = i.supervisor.pid;
  const version = i.supervisor.version;
  return {
    supervisor: { ...i.supervisor, phase: state.phase.kind },
    servers,
    status: (now) => {
      const st = statusOf(state, now);
      return { pid, version, ...st, servers: i.userOf === undefined ? st.servers : st.servers.map((x) => ({ ...x, ...userField(i, x.index) })) };
    },
  };
}

/** `user` when the server runs as another user than lazarus; nothing otherwise (as the control socket's status). */
function userField(i: CoreSnapshotInputs, server: number): { user?: string } {
  const user = i.userOf?.(server);
  return user === undefined ? {} : { user };
}
