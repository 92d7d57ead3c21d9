// GET /healthz (readiness, for an orchestrator): healthy while lazarus is
// running (not booting, not shutting down) and every autostart server is alive,
// not being stopped, and ready where readiness is known. Servers with autostart
// = false are not counted: they run when an operator says so; nor are a rolling
// restart's processes beside their copies (new, or old) and servers a reload
// removed. The answer names whatever is not so.
import type { HttpSnapshot, ServerSnapshot } from "./snapshot.ts";

export interface Unhealthy {
  readonly server: string;
  readonly state: string;
  /** "buried", "cremated", "not started", "stopping", "not ready", … */
  readonly reason: string;
}

export interface Health {
  readonly ok: boolean;
  readonly phase: string;
  /** Why lazarus itself is not healthy (booting, shutting down), or null. */
  readonly supervisor: string | null;
  readonly servers: readonly Unhealthy[];
}

function serverProblem(s: ServerSnapshot): string | null {
  if (!s.autostart) return null;
  // Not a server of the configuration but a process on its way in or out: a rolling restart's new
  // process not ready yet, or its old one being stopped (its copy serves meanwhile), or a server a
  // reload removed, being stopped.
  if (s.aside !== null || s.removed) return null;
  switch (s.state) {
    case "alive":
      if (s.stopping) return "stopping";
      if (s.ready === false) return "not ready";
      return null;
    case "unborn": return "not started yet";
    case "waiting": return "waiting for its dependencies";
    case "starting": return "being started";
    // A crash within its backoff, or a spawn that failed for want of a resource (EAGAIN, EMFILE…): both are tried again.
    case "backoff": return "waiting to be retried";
    case "buried": return "buried (waiting for a revive)";
    case "cremated": return "cremated (will not be started again)";
  }
}

export function health(snap: HttpSnapshot): Health {
  const phase = snap.supervisor.phase;
  const supervisor = phase === "running" ? null : phase === "booting" ? "starting up" : "shutting down";
  const servers = snap.servers.flatMap((s): Unhealthy[] => {
    const reason = serverProblem(s);
    return reason === null ? [] : [{ server: s.name, state: s.state, reason }];
  });
  return { ok: supervisor === null && servers.length === 0, phase, supervisor, servers };
}
