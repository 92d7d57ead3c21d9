// The --initial-spawn convention (docs/spec.md, "Spawning"): a server's argv
// word that is exactly `--initial-spawn` is passed as is on its first start
// and replaced by `--respawn` on every later one, so a program can tell a
// fresh start from a restart. Pure.
import type { ServerSpec } from "./types.ts";

export const INITIAL_SPAWN = "--initial-spawn";
export const RESPAWN = "--respawn";

/** argv for a server's next spawn: as given the first time, `--respawn` for `--initial-spawn` after. */
export function spawnArgv(spec: ServerSpec, spawns: number): readonly string[] {
  return spawns === 0 || !spec.argv.includes(INITIAL_SPAWN) ? spec.argv : spec.argv.map((a) => (a === INITIAL_SPAWN ? RESPAWN : a));
}
