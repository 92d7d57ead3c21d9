// Service directories for daemontools-style supervisors (runit, s6): one directory per
// server whose ./run is a symlink to the fixture binary itself, with its arguments in
// ./stamp.args (bench/stamp.c reads them when run bare), so no shell runs in between.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "./target.ts";

export function makeServiceDirs(parent: string, servers: readonly Server[]): void {
  mkdirSync(parent, { recursive: true });
  for (const s of servers) {
    const dir = join(parent, s.tag);
    mkdirSync(dir);
    const [exe, ...args] = s.argv;
    if (exe === undefined || args.length !== 4) throw new Error(`service dir ${s.tag}: the fixture takes exactly 4 arguments`);
    symlinkSync(exe, join(dir, "run"));
    writeFileSync(join(dir, "stamp.args"), `${args.join("\n")}\n`);
  }
}
