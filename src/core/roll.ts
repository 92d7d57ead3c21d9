// A rolling restart (`ctl restart NAME --rolling`, or a reload that changes a
// table with instances and a readiness check): the copies of a server
// replaced one at a time, the next one only once the one before is ready
// again with its new process; start-first (the default): the new process
// starts in a slot aside, beside the old one, and takes the copy's place once
// it is ready; stop-first: the copy is restarted in place. Whether the copy
// being replaced is there yet, still on its way, or failed, is decided here
// from the servers' states alone. Pure.
import type { Roll, Server } from "./types.ts";

export type RollProgress =
  /** Still on its way (its old process stopping, its new one starting or not ready yet): `roll` with what was seen. */
  | { readonly kind: "wait"; readonly roll: Roll }
  /** Its new process runs and is ready (start-first: it takes the copy's place now). */
  | { readonly kind: "ready" }
  /** It will not become ready with this restart: why. */
  | { readonly kind: "failed"; readonly why: string }
  /** Start-first, but the copy's old process is no longer the one that serves (it ended, or is being stopped): the new process aside is given up and the copy goes on in place. */
  | { readonly kind: "in-place" };

/** How the replacement of the copy `roll.current` (`copy`) is going; `aside`: the slot `roll.aside`'s server. */
export function rollProgress(roll: Roll, copy: Server, aside: Server | undefined): RollProgress {
  if (copy.retired === true) return { kind: "failed", why: "it was removed by a reload" };
  if (roll.aside !== null && aside !== undefined) return asideProgress(roll, copy, aside);
  return inPlaceProgress(roll, copy);
}

/** Start-first: the new process in the slot aside, while the copy's old process serves. */
function asideProgress(roll: Roll, copy: Server, aside: Server): RollProgress {
  const c = copy.life;
  if (!(c.kind === "alive" && c.pid === roll.old && c.stop === null)) return { kind: "in-place" };
  return newProcess(roll, aside);
}

/** Stop-first (or a copy that did not run): the copy itself restarted. */
function inPlaceProgress(roll: Roll, s: Server): RollProgress {
  const l = s.life;
  if (l.kind === "alive" && l.pid === roll.old) return l.stop === null ? { kind: "failed", why: "its old process was not stopped" } : { kind: "wait", roll };
  return newProcess(roll, s);
}

/** How the new process (the first one seen: `roll.fresh`) of server `s` is going. */
function newProcess(roll: Roll, s: Server): RollProgress {
  const l = s.life;
  // A new process seen before, and not this one (ended, or another one after it): it failed to become ready.
  if (roll.fresh !== null && !(l.kind === "alive" && l.pid === roll.fresh)) {
    return { kind: "failed", why: `its new process (pid ${roll.fresh}) ended before it was ready` };
  }
  switch (l.kind) {
    case "starting":
    case "waiting":
      return { kind: "wait", roll };
    case "alive":
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
