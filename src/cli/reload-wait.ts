// `lazarus ctl reload --wait` (and `scale … --wait`): after the supervisor has
// applied a reload, whether what it changed has taken effect, from one status
// reply. Pure: ctl.ts asks for the status again until this says done or
// failed, or its time is up.
//
// Done when no rolling restart is under way, no process a reload removed or
// moved aside still runs, and every server it added or changed runs its new
// spec and is ready (or rests: not started automatically, stopped, exited
// cleanly). Ready, for a server without a readiness check, means it has
// outlived its interval (an end sooner is a fast crash). Failed at the first
// of them that is buried (a crash loop), that keeps its old process with its
// new spec pending while no rolling restart is under way (the reload's rolling
// restart stopped: lazarus's log says why), or when lazarus is shutting down.
import type { ServerStatus } from "../core/status.ts";
import { printable } from "../text/bytes.ts";

/** What a status reply says (the fields this needs). */
export interface WaitStatus {
  readonly phase: string;
  readonly rolling: string | null;
  readonly servers: readonly (Pick<ServerStatus, "name" | "state" | "words" | "stopping" | "ready" | "pendingSpec" | "lastExit" | "uptime" | "intervalMs" | "readyCheck"> & { readonly aside?: ServerStatus["aside"] })[];
}

/** What a reload reply says it did (its `reload` field). */
export interface ReloadSummary {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

export type Progress =
  | { readonly kind: "done"; readonly servers: number }
  | { readonly kind: "failed"; readonly why: string }
  | { readonly kind: "waiting"; readonly for: readonly string[] };

/** A supervisor from before the `aside` field names a rolling restart's process aside this way alone. */
const ASIDE = / \((?:new|old)\)$/;
const isAside = (s: WaitStatus["servers"][number]): boolean => s.aside !== undefined ? s.aside !== null : ASIDE.test(s.name);

/** `single`: a start or restart of one server, which a rolling restart of others does not hold up. */
export function reloadProgress(summary: ReloadSummary, st: WaitStatus, single = false): Progress {
  if (st.phase !== "running") return { kind: "failed", why: "lazarus is shutting down" };
  const waits: string[] = [];
  if (st.rolling !== null && !single) waits.push(`the rolling restart of ${printable(st.rolling)}`);
  const removed = new Set(summary.removed);
  for (const s of st.servers) {
    if (isAside(s) && st.rolling === null) waits.push(`${printable(s.name)} (${s.words})`);
    else if (removed.has(s.name)) waits.push(`${printable(s.name)} (removed, ${s.stopping ? "stopping" : s.words})`);
  }
  const targets = [...summary.added, ...summary.changed];
  for (const name of targets) {
    const s = st.servers.find((x) => x.name === name);
    if (s === undefined) continue; // gone since (a later reload or scale): nothing to wait for
    const shown = printable(name);
    if (s.state === "buried") return { kind: "failed", why: `${shown} is buried${s.lastExit === null ? "" : ` (its last exit: ${s.lastExit})`}` };
    if (s.pendingSpec) {
      // Kept running as it was, with nothing under way to replace it: the rolling restart that was to stopped.
      if (s.state === "alive" && !s.stopping && st.rolling === null) {
        return { kind: "failed", why: `${shown} keeps its old process: the rolling restart stopped before it (lazarus's log says why)` };
      }
      waits.push(`${shown} (its new spec, once its old process has ended)`);
      continue;
    }
    switch (s.state) {
      case "alive":
        if (s.stopping) waits.push(`${shown} (stopping)`);
        else if (s.ready !== true) waits.push(`${shown} (${s.words})`);
        else if (!s.readyCheck && (s.uptime ?? 0) < s.intervalMs) waits.push(`${shown} (up, within its first ${s.intervalMs / 1000} s)`);
        continue;
      case "unborn":
      case "cremated":
        continue;
      default:
        waits.push(`${shown} (${s.words})`);
    }
  }
  return waits.length > 0 ? { kind: "waiting", for: waits } : { kind: "done", servers: targets.length };
}
