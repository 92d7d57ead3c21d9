// Prints which way this build spawns children: "vfork" (spawn-child.c compiled by
// bun:ffi's cc) or "posix_spawn" (the fallback). build.test.ts compiles it with
// `bun build --compile`, as lazarus is, to check the C source is embedded and compiled.
import { vforkSpawner } from "../../src/os/spawn-vfork.ts";

process.stdout.write(vforkSpawner() === null ? "posix_spawn\n" : "vfork\n");
