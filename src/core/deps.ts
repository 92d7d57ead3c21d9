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
