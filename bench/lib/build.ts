// Compiles the C programs of the bench (bench/stamp.c, bench/floor.c) with `cc` into
// bench/.build/ (gitignored), statically when the C library allows it, so that exec
// costs no dynamic loading. Rebuilds only when a source is newer than its binary.
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export const BENCH = resolve(import.meta.dir, "..");
export const BUILD = join(BENCH, ".build");

export interface Binaries {
  readonly stamp: string;
  readonly floor: string;
  /** How they were linked, for the table's notes. */
  readonly linking: "static" | "dynamic";
}

function compile(source: string, out: string, flags: readonly string[]): string | null {
  const r = Bun.spawnSync({ cmd: ["cc", "-O2", "-Wall", "-Wextra", ...flags, "-o", out, source], stdout: "pipe", stderr: "pipe" });
  return r.exitCode === 0 ? null : r.stderr.toString();
}

function fresh(source: string, out: string): boolean {
  return existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs;
}

export function buildBinaries(): Binaries {
  mkdirSync(BUILD, { recursive: true });
  let linking: Binaries["linking"] = "static";
  const out: Record<string, string> = {};
  for (const name of ["stamp", "floor"]) {
    const source = join(BENCH, `${name}.c`);
    const binary = join(BUILD, name);
    out[name] = binary;
    if (fresh(source, binary)) continue;
    let error = compile(source, binary, ["-static"]);
    if (error !== null) {
      linking = "dynamic";
      error = compile(source, binary, []);
    }
    if (error !== null) throw new Error(`cc ${source} failed:\n${error}`);
  }
  const file = Bun.spawnSync({ cmd: ["file", "-b", out.stamp as string], stdout: "pipe" });
  if (file.exitCode === 0 && !/static/.test(file.stdout.toString())) linking = "dynamic";
  return { stamp: out.stamp as string, floor: out.floor as string, linking };
}
