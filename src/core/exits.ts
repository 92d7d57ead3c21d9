// How a server's end is judged (docs/spec.md, "When a server's process
// ends"). Pure.
import { isCleanSignal } from "./signals.ts";
import type { ExitStatus, Ms } from "./types.ts";

/** The clean ends: exit status 0, or death by SIGTERM or SIGINT (it was asked to stop). */
export function isCleanExit(status: ExitStatus): boolean {
  switch (status.kind) {
    case "code": return status.code === 0;
    case "signal": return isCleanSignal(status.signal);
    case "unknown": return false;
  }
}

/** An end, for the table: clean, or abnormal sooner than the interval after the start (a crash loop), or later. */
export function classifyEnd(status: ExitStatus, lived: Ms, intervalMs: Ms): "exit-clean" | "exit-fast" | "exit-slow" {
  if (isCleanExit(status)) return "exit-clean";
  return lived < intervalMs ? "exit-fast" : "exit-slow";
}
