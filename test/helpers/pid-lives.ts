// Spawned and exited inputs of a JSON log paired by pid, as lives: a pid may be reused within one run
// (pid_max may be 32768, and a crash loop or a busy machine goes through them), so "exactly one exit
// for this pid" is asked of each life (from its spawn to the next spawn of the same pid), not of the pid.
import type { Event } from "../../src/core/types.ts";

export interface Life {
  readonly pid: number;
  /** Index of its `spawned` input among the inputs. */
  readonly spawnedAt: number;
  /** Its `exited` inputs (one, for a life that ended). */
  readonly exits: Event[];
}

export function lives(inputs: readonly Event[]): Life[] {
  const out: { pid: number; spawnedAt: number; exits: Event[] }[] = [];
  const current = new Map<number, { pid: number; spawnedAt: number; exits: Event[] }>();
  inputs.forEach((e, i) => {
    if (e.type === "spawned") {
      const life = { pid: e.pid, spawnedAt: i, exits: [] };
      current.set(e.pid, life);
      out.push(life);
    } else if (e.type === "exited") {
      current.get(e.pid)?.exits.push(e);
    }
  });
  return out;
}
