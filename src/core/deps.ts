// What a server waits for before it may start (depends_on): one rule, used by
// the reducer (step.ts) and by the status view (status.ts). Pure.
import type { Server } from "./types.ts";
import type { Vec } from "./vec.ts";

/**
 * Whether a dependency lets its dependents start: it runs and is ready (and is
 * not being stopped), or it is done (it ended cleanly: a one-shot job).
 */
export function isReadyDependency(s: Server): boolean {
  const l = s.life;
  return (l.kind === "alive" && l.ready && l.stop === null) || (l.kind === "cremated" && l.why === "clean-exit");
}

/** The indices of what server i depends on that is not ready (empty: it may start). */
export function unreadyDependencies(servers: Vec<Server>, i: number): number[] {
  return (servers.at(i)?.spec.dependsOn ?? []).filter((d) => {
    const s = servers.at(d);
    return s !== undefined && !isReadyDependency(s);
  });
}

/**
 * The waiting servers that cannot start by themselves: something they wait for
 * (at once, or through another waiting server) is at rest without being ready:
 * buried, stopped, or never started on its own (autostart = false). Only a
 * revive or an operator moves them; lazarus's own start is over for them (READY=1).
 */
export function waitingInVain(servers: Vec<Server>): Set<number> {
  const stuck = new Set<number>();
  const atRest = (d: number): boolean => {
    const s = servers.at(d);
    if (s === undefined) return false;
    const k = s.life.kind;
    return k === "buried" || k === "cremated" || (k === "unborn" && s.spec.autostart === false) || stuck.has(d);
  };
  // No cycle (checked with the configuration): each pass settles at least one more level of a chain.
  for (let changed = true; changed;) {
    changed = false;
    servers.forEach((s, i) => {
      if (s.life.kind !== "waiting" || stuck.has(i)) return;
      if (unreadyDependencies(servers, i).some(atRest)) {
        stuck.add(i);
        changed = true;
      }
    });
  }
  return stuck;
}
