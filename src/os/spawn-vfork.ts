// lazarus's own spawner: spawn-child.c (vfork, then what posix_spawn's child does, then
// execve), compiled once at the first spawn by bun:ffi's cc (TinyCC, inside Bun). It
// does what glibc's posix_spawn does for lazarus without mapping and unmapping a stack
// at every spawn (bench/NOTES-issue-18.md §7). Where it cannot be compiled (no source
// file beside this one, as in a `bun build --compile` binary, or no compiler in this
// Bun), spawnChild uses posix_spawn, as before.
import { cc, type Pointer } from "bun:ffi";
import { join } from "node:path";

/** lazarus_spawn(path, argv, envp, dup2 pairs, pair count, cwd or null): the pid, or -errno. */
export type Spawner = (path: Pointer, argv: Pointer, envp: Pointer, dup2s: Pointer | null, pairs: number, cwd: Pointer | null) => number;

let compiled: { readonly spawn: Spawner; readonly lib: unknown } | null | undefined;

/** The compiled spawner, or null where it cannot be had (then posix_spawn). Compiled once. */
export function vforkSpawner(): Spawner | null {
  if (compiled === undefined) {
    try {
      const lib = cc({
        source: join(import.meta.dir, "spawn-child.c"),
        symbols: { lazarus_spawn: { args: ["ptr", "ptr", "ptr", "ptr", "i32", "ptr"], returns: "i32" } },
      });
      // Kept with the function: the compiled code lives as long as its library object.
      compiled = { spawn: lib.symbols.lazarus_spawn as unknown as Spawner, lib };
    } catch {
      compiled = null;
    }
  }
  return compiled === null ? null : compiled.spawn;
}
