// What every supervisor under test (lazarus and its peers) offers the scenarios.
import { exeOf, processTable, treeOf } from "../lib/proc.ts";

/** One supervised server: a tag (the same across its respawns) and its argv (argv[0] absolute). */
export interface Server {
  readonly tag: string;
  readonly argv: readonly string[];
}

/**
 * How the supervisor is asked to treat crashes:
 * - respawn: restart every crash at once, as fast as it allows; the servers outlive
 *   `intervalMs` (lazarus's --interval) before they crash, except in the hot loop (0).
 * - crashloop: the servers die sooner than `intervalMs` after their start; a supervisor
 *   that can should give up on them at the first such death (lazarus buries them).
 */
export type Policy =
  | { readonly kind: "respawn"; readonly intervalMs: number }
  | { readonly kind: "crashloop"; readonly intervalMs: number };

export interface Fleet {
  readonly servers: readonly Server[];
  readonly policy: Policy;
  /** A fresh scratch directory for this supervisor's files (configs, logs, state). */
  readonly dir: string;
}

export interface Running {
  /** The supervisor's own live processes (not the servers), read now. */
  supervisorPids(): number[];
  /** How many servers it has given up on so far; null if it never gives up. */
  givenUp(): number | null;
  /** Stop it and everything it started; never throws, never leaves a process behind. */
  stop(): Promise<void>;
}

export interface Target {
  readonly name: string;
  /** null when it can run here, else why not (shown in the table). */
  unavailable(): string | null;
  /** Its version, as its package says. */
  version(): string;
  /** How it is configured for this policy, in words (shown in the table). */
  settings(policy: Policy): string;
  start(fleet: Fleet): Promise<Running>;
}

/** The roots and their descendants, less the servers (processes running `fixtureExe`). */
export function supervisorTree(roots: readonly number[], fixtureExe: string): number[] {
  return treeOf(processTable(), roots).filter((pid) => exeOf(pid) !== fixtureExe);
}

/** Installed version of a Debian package, or "?". */
export function debianVersion(pkg: string): string {
  const r = Bun.spawnSync({ cmd: ["dpkg-query", "-W", "-f", "${Version}", pkg], stdout: "pipe", stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "?";
}

/** The absolute path of a command found in PATH, or null. */
export function which(cmd: string): string | null {
  return Bun.which(cmd);
}
