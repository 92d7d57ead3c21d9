// Starting a supervisor under test, and tearing its whole tree down.
import { closeSync, openSync } from "node:fs";
import { exeOf, isAlive, pidsRunning, processTable, treeOf } from "./proc.ts";

export interface Daemon {
  readonly pid: number;
  readonly proc: Bun.Subprocess;
}

/**
 * Start argv in a new session (so that nothing it does reaches the bench's
 * terminal or process group), its stdout and stderr appended to `output`
 * ("/dev/null" to discard them).
 */
export function startDaemon(argv: readonly string[], opts: { output: string; env?: Record<string, string>; cwd?: string }): Daemon {
  const fd = openSync(opts.output, "a");
  try {
    const proc = Bun.spawn({
      cmd: [...argv],
      cwd: opts.cwd,
      env: opts.env ?? (process.env as Record<string, string>),
      stdio: ["ignore", fd, fd],
      detached: true,
    });
    return { pid: proc.pid, proc };
  } finally {
    closeSync(fd);
  }
}

/** Wait for a daemon to end, at most `ms`; true if it did. */
export async function waitExit(d: Daemon, ms: number): Promise<boolean> {
  const timeout = Bun.sleep(ms).then(() => false);
  return Promise.race([d.proc.exited.then(() => true), timeout]);
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * SIGKILL a supervision tree: first every supervisor process under the roots (so that
 * nothing respawns), then every server still running the fixture binary `fixtureExe`,
 * which only the bench runs (servers may have been reparented away from the tree:
 * lazarus puts each in its own session, and a killed supervisor orphans them).
 * Returns how many processes it had to kill.
 */
export async function killTree(roots: readonly number[], fixtureExe: string): Promise<number> {
  let killed = 0;
  const tree = treeOf(processTable(), roots);
  for (const pid of tree) {
    if (exeOf(pid) === fixtureExe || !isAlive(pid)) continue;
    kill(pid, "SIGKILL");
    killed++;
  }
  killed += await sweepFixtures(fixtureExe);
  return killed;
}

/** SIGKILL every process running `fixtureExe` until none is left (at most ~5 s). */
export async function sweepFixtures(fixtureExe: string): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 100; round++) {
    const left = pidsRunning(fixtureExe).filter(isAlive);
    if (left.length === 0) return killed;
    for (const pid of left) kill(pid, "SIGKILL");
    killed += left.length;
    await Bun.sleep(50);
  }
  process.stderr.write(`bench: warning: fixtures still running after the sweep: ${pidsRunning(fixtureExe).join(" ")}\n`);
  return killed;
}
