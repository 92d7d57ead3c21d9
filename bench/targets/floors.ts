// The floors of respawn latency: bench/floor.c (fork, execv, waitpid) and
// bench/floor-bun.ts (Bun.spawn + onExit), each keeping SLOTS servers running until
// SPAWNS have been started. Not supervisors: no policy, no log, nothing else.
// floor-target.ts runs them as the supervisors of a fleet.
import { resolve } from "node:path";

export interface Floor {
  readonly name: string;
  readonly settings: string;
  argv(slots: number, spawns: number, server: readonly string[]): string[];
  readonly env?: Record<string, string>;
}

const FLOOR_BUN = resolve(import.meta.dir, "../floor-bun.ts");

export function cFloor(binary: string): Floor {
  return {
    name: "floor: C fork/exec/waitpid",
    settings: "bench/floor.c: fork + execv + waitpid(-1), nothing else",
    argv: (slots, spawns, server) => [binary, String(slots), String(spawns), ...server],
  };
}

export function bunFloor(likeLazarus: boolean): Floor {
  return {
    name: likeLazarus ? "floor: Bun, lazarus's spawn options" : "floor: Bun.spawn + onExit",
    settings: likeLazarus
      ? "bench/floor-bun.ts with detached: true, env: process.env (as lazarus spawns)"
      : "bench/floor-bun.ts: Bun.spawn from onExit, stdio inherit",
    argv: (slots, spawns, server) => [process.execPath, "run", FLOOR_BUN, String(slots), String(spawns), ...server],
    env: likeLazarus ? { FLOOR_LIKE_LAZARUS: "1" } : {},
  };
}
