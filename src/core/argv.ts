// The --initial-spawn convention (docs/spec.md, "Spawning"): a server's argv
// word that is exactly `--initial-spawn` is passed as is on its first start
// and replaced by `--respawn` on every later one, so a program can tell a
// fresh start from a restart. Pure.
import type { ServerSpec } from "./types.ts";

export const INITIAL_SPAWN = "--initial-spawn";
export const RESPAWN = "--respawn";

/**
 * The respawn argv of each spec's argv, made once (a memo: the same words for
 * the same argv, so every respawn hands the shell the same array, whose
 * marshalled form it keeps by identity).
 */
const respawnArgvs = new WeakMap<readonly string[], readonly string[]>();

/** argv for a server's next spawn: as given the first time, `--respawn` for `--initial-spawn` after. */
export function spawnArgv(spec: ServerSpec, spawns: number): readonly string[] {
  const argv = spec.argv;
  if (spawns === 0 || !argv.includes(INITIAL_SPAWN)) return argv;
  let again = respawnArgvs.get(argv);
  if (again === undefined) {
    again = Object.freeze(argv.map((a) => (a === INITIAL_SPAWN ? RESPAWN : a)));
    respawnArgvs.set(argv, again);
  }
  return again;
}
