// A rolling restart (`ctl restart NAME --rolling`): the copies of a server
// restarted one at a time, the next one only once the one before is ready
// again with its new process; whether the copy being restarted is there yet,
// still on its way, or failed, is decided here from its state alone. Pure.
import type { Roll, Server } from "./types.ts";

export type RollProgress =
  /** Still on its way (its old process stopping, its new one starting or not ready yet): `roll` with what was seen. */
  | { readonly kind: "wait"; readonly roll: Roll }
  /** Its new process runs and is ready. */
  | { readonly kind: "ready" }
  /** It will not become ready with this restart: why. */
  | { readonly kind: "failed"; readonly why: string };

/** How the restart of the copy `roll.current` (which `s` is) is going. */
export function rollProgress(roll: Roll, s: Server): RollProgress {
  const l = s.life;
  if (s.retired === true) return { kind: "failed", why: "it was removed by a reload" };
  // A new process seen before, and not this one (ended, or another one after it): it failed to become ready.
  if (roll.fresh !== null && !(l.kind === "alive" && l.pid === roll.fresh)) {
    return { kind: "failed", why: `its new process (pid ${roll.fresh}) ended before it was ready` };
  }
  switch (l.kind) {
    case "starting":
    case "waiting":
      return { kind: "wait", roll };
    case "alive":
      if (l.pid === roll.old) return l.stop === null ? { kind: "failed", why: "its old process was not stopped" } : { kind: "wait", roll };
      if (l.stop !== null) return { kind: "failed", why: `its new process (pid ${l.pid}) did not become ready: it is being stopped` };
      if (l.ready) return { kind: "ready" };
      return { kind: "wait", roll: roll.fresh === l.pid ? roll : { ...roll, fresh: l.pid } };
    case "unborn":
    case "backoff":
    case "buried":
    case "cremated":
      return { kind: "failed", why: `it is ${l.kind}` };
    default:
      return l satisfies never;
  }
}
