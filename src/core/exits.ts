// How a server's end is judged (docs/spec.md, "When a server's process
// ends"). Pure.
import { isCleanSignal } from "./signals.ts";
import type { ExitStatus, Ms, RestartPolicy } from "./types.ts";

/** The clean ends: exit status 0, or death by SIGTERM or SIGINT (it was asked to stop). */
export function isCleanExit(status: ExitStatus): boolean {
  switch (status.kind) {
    case "code": return status.code === 0;
    case "signal": return isCleanSignal(status.signal);
    case "unknown": return false;
  }
}

/**
 * An end, for the table: clean, or abnormal sooner than the interval after
 * the start (a crash loop), or later. With restart = "always" a clean end is
 * judged as an abnormal one (respawned, or retried or buried when too fast);
 * with "never" an abnormal end is final.
 */
export function classifyEnd(status: ExitStatus, lived: Ms, intervalMs: Ms, restart: RestartPolicy = "on-failure"): "exit-clean" | "exit-fast" | "exit-slow" | "exit-final" {
  const clean = isCleanExit(status);
  if (restart === "never") return clean ? "exit-clean" : "exit-final";
  if (clean && restart === "on-failure") return "exit-clean";
  return lived < intervalMs ? "exit-fast" : "exit-slow";
}
