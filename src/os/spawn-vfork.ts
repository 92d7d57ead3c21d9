// lazarus's own spawner: spawn-child.c (vfork, then what posix_spawn's child does, then
// execve), compiled once at the first spawn by bun:ffi's cc (TinyCC, inside Bun). It
// does what glibc's posix_spawn does for lazarus without mapping and unmapping a stack
// at every spawn (bench/NOTES-issue-18.md §7). The source is imported as a file, so a
// `bun build --compile` binary embeds it; TinyCC cannot open a file inside the binary
// (Bun 1.4.5), so there it is handed over through a memfd. Where it cannot be compiled
// at all (no compiler in this Bun), spawnChild uses posix_spawn, as before.
import { cc, type Pointer } from "bun:ffi";
import { closeSync, readFileSync, writeSync } from "node:fs";
import { memfdCreate } from "./libc.ts";
import { fdRoom } from "./shortage.ts";
import source from "./spawn-child.c" with { type: "file" };

/**
 * lazarus_spawn(path, argv, envp, dup2 pairs, pair count, cwd or null, ids or null, limits or null, limit count):
 * the pid, or -(errno | step << 12) (spawn-child.c says what the ids and limits hold).
 */
export type Spawner = (
  path: Pointer, argv: Pointer, envp: Pointer, dup2s: Pointer | null, pairs: number, cwd: Pointer | null, ids: Pointer | null, limits: Pointer | null, count: number,
) => number;

let compiled: { readonly spawn: Spawner; readonly lib: unknown } | null | undefined;

/** The compiled spawner, or null where it cannot be had (then posix_spawn). Compiled once. */
export function vforkSpawner(): Spawner | null {
  if (compiled === undefined) {
    compiled = compile(source) ?? viaMemfd();
    // TinyCC could not open its files for want of descriptors (lazarus is at its limit): posix_spawn this
    // time, and compiling is tried again at the next spawn rather than given up for good.
    if (compiled === null && fdRoom(4) !== null) {
      compiled = undefined;
      return null;
    }
  }
  return compiled === null ? null : compiled.spawn;
}

function compile(path: string): { readonly spawn: Spawner; readonly lib: unknown } | null {
  try {
    const lib = cc({
      source: path,
      symbols: { lazarus_spawn: { args: ["ptr", "ptr", "ptr", "ptr", "i32", "ptr", "ptr", "ptr", "i32"], returns: "i32" } },
    });
    // Kept with the function: the compiled code lives as long as its library object.
    return { spawn: lib.symbols.lazarus_spawn as unknown as Spawner, lib };
  } catch {
    return null;
  }
}

/** The source copied into a memfd and compiled from /proc/self/fd/N (a file inside a compiled binary). */
function viaMemfd(): { readonly spawn: Spawner; readonly lib: unknown } | null {
  let text: Buffer;
  try {
    text = readFileSync(source);
  } catch {
    return null;
  }
  const fd = memfdCreate("lazarus-spawn-child.c");
  if (typeof fd !== "number") return null;
  try {
    let off = 0;
    while (off < text.length) off += writeSync(fd, text, off);
    return compile(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
