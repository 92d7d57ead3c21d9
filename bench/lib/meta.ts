// Which machine and which versions a result comes from.
import { cpus, loadavg, release, totalmem } from "node:os";
import { resolve } from "node:path";

export interface Meta {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly bun: string;
  readonly lazarusCommit: string;
  readonly quick: boolean;
  readonly loadAtStart: readonly number[];
  loadAtEnd: readonly number[];
  readonly versions: Record<string, string>;
}

function git(args: readonly string[]): string {
  const r = Bun.spawnSync({ cmd: ["git", ...args], cwd: resolve(import.meta.dir, "../.."), stdout: "pipe", stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "?";
}

export function readMeta(quick: boolean, versions: Record<string, string>): Meta {
  const dirty = git(["status", "--porcelain", "--untracked-files=no", "--", "src"]) !== "";
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "?",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    bun: Bun.version,
    lazarusCommit: git(["rev-parse", "--short", "HEAD"]) + (dirty ? " (src/ modified)" : ""),
    quick,
    loadAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    loadAtEnd: [],
    versions,
  };
}
