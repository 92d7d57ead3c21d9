// A cmd probe: the command (an argv, never a shell string) exits 0.
//
// It is spawned like a server (libc.ts spawnChild: posix_spawn, a new session,
// so its pid is its process group id, default signal dispositions) with stdin,
// stdout and stderr on /dev/null. It is not a server: BunPort keeps its pid
// here, not among its children, and its reaping loop hands the end of a probe
// to `reap` below instead of to the exit listener. Bounded: at the timeout its
// whole group is SIGKILLed and the probe has failed then, whether or not the
// kernel has delivered its end yet. Nothing is left behind: when the probe
// ends, however, what is left of its group is SIGKILLed before it is reaped (the
// unreaped leader keeps the group id from being reused, so this reaches only
// the probe's own processes); at exit and before an exec `killAll` ends and
// reaps every probe still running. When lazarus is a child subreaper, what was
// left of a probe's group is reparented to it as it dies: `claimsRemnant` tells
// those apart (by their process group), so that they are reaped silently too,
// not reported as the ends of unknown children.
import { closeSync, existsSync, openSync, statSync } from "node:fs";
import { signalName } from "../core/signals.ts";
import type { Ms } from "../core/types.ts";
import type { Limit, RunAs } from "../config/accounts.ts";
import { decodeWaitStatus, errnoName, spawnChild, stepOf, strerror, waitpidNoHang } from "./libc.ts";
import { stat } from "./proc.ts";
import type { ProbeDone, ProbeOutcome } from "./port.ts";
import { settleOnce, shortOutcome, timedOut, timerDelay } from "./probe.ts";
import { shortageOf } from "./shortage.ts";

const ENOENT = 2;
const EACCES = 13;

interface Running {
  /** Told once (settleOnce): at the timeout, at the end, or by killAll. */
  readonly settle: ProbeDone;
  readonly timer: ReturnType<typeof setTimeout>;
}

export interface CmdProbeRequest {
  readonly argv: readonly string[];
  readonly timeoutMs: Ms;
  readonly cwd?: string;
  readonly env: Readonly<Record<string, string>>;
  /** As its server's: its user, its limits (absent: lazarus's). */
  readonly runAs?: RunAs;
  readonly limits?: readonly Limit[];
}

export class CmdProbes {
  /** Probes spawned and not yet reaped, by pid (= process group id). */
  private readonly running = new Map<number, Running>();
  /** Groups of probes reaped while other members of them were left (SIGKILLed, perhaps not yet reaped by anybody). */
  private readonly remnants = new Set<number>();

  get size(): number {
    return this.running.size;
  }

  /** Is this pid a probe's (spawned, not reaped yet)? */
  owns(pid: number): boolean {
    return this.running.has(pid);
  }

  start(request: CmdProbeRequest, done: ProbeDone): void {
    const settle = settleOnce(done);
    const fail = (reason: string) => settle({ ok: false, reason });
    const { argv, env, cwd } = request;
    const argv0 = argv[0];
    if (argv0 === undefined || argv0 === "") return fail("empty command");
    if (cwd !== undefined) {
      const problem = directoryProblem(cwd);
      if (problem !== null) return fail(problem);
    }
    // Like a server's: looked up in its own PATH; a word with a slash is a path (from its working directory).
    const path = argv0.includes("/") ? argv0 : Bun.which(argv0, { PATH: env.PATH ?? "/usr/local/bin:/usr/bin:/bin" });
    if (path === null) return fail(`no such command: ${argv0}`);
    let devNull: number;
    try {
      devNull = openSync("/dev/null", "r+");
    } catch (e) {
      // Out of file descriptors (or memory): lazarus's shortage, which says nothing about the server.
      const why = shortageOf(e);
      if (why !== null) return settle(shortOutcome(why));
      return fail(`cannot open /dev/null: ${e instanceof Error ? e.message : String(e)}`);
    }
    let r: ReturnType<typeof spawnChild>;
    try {
      r = spawnChild({
        path, argv, env, ...(cwd === undefined ? {} : { cwd }), dup2: [[devNull, 0], [devNull, 1], [devNull, 2]],
        ...(request.runAs === undefined ? {} : { runAs: request.runAs }), ...(request.limits === undefined ? {} : { limits: request.limits }),
      });
    } finally {
      closeSync(devNull);
    }
    if ("errno" in r) {
      // No process could be started (a process limit, memory, descriptors): no verdict about the server.
      const why = shortageOf(r.errno, true);
      if (why !== null) return settle(shortOutcome(why));
      const step = stepOf(r, request);
      if (step !== null) return fail(`cannot run ${argv0}: ${step}: ${strerror(r.errno).toLowerCase()} (${errnoName(r.errno)})`);
      return fail(spawnFailure(argv0, path, cwd, r.errno));
    }
    const pid = r.pid;
    const timer = setTimeout(() => {
      // Still unreaped (reap clears this timer), so the group id is still the probe's.
      killGroup(pid);
      settle(timedOut(request.timeoutMs));
    }, timerDelay(request.timeoutMs));
    this.running.set(pid, { settle, timer });
  }

  /**
   * A probe's process has ended (a zombie, not reaped yet: BunPort.reap saw it
   * with WNOWAIT). What is left of its group goes first, then it is reaped and
   * its outcome told (unless the timeout told it already).
   */
  reap(pid: number): void {
    const r = this.running.get(pid);
    if (r === undefined) return;
    killGroup(pid);
    const w = waitpidNoHang(pid);
    if (w.kind === "running") return; // (not ended after all: its SIGCHLD will come again)
    this.running.delete(pid);
    clearTimeout(r.timer);
    if (groupExists(pid)) {
      if (this.remnants.size >= MAX_REMNANT_GROUPS) this.remnants.clear();
      this.remnants.add(pid);
    }
    r.settle(w.kind === "error" ? { ok: false, reason: `ended, its status lost (${errnoName(w.errno)})` } : outcomeOf(w.status));
  }

  /**
   * Is this ended child of ours (a zombie, not reaped yet, not a server's
   * process) a member of a probe's process group? Then it is the caller's to
   * reap, silently. Its group is read from /proc while it is a zombie; a group
   * is forgotten once it has no member left (only then could its id be reused).
   */
  claimsRemnant(pid: number): boolean {
    if (this.running.size === 0 && this.remnants.size === 0) return false;
    for (const g of this.remnants) if (!groupExists(g)) this.remnants.delete(g);
    const pgid = stat(pid)?.pgid;
    return pgid !== undefined && (this.running.has(pgid) || this.remnants.has(pgid));
  }

  /**
   * At exit or before an exec: every probe still running is SIGKILLed with its
   * group and reaped, for at most `boundMs` (a process stuck in the kernel is
   * not waited for forever; one still unreaped is reaped as an orphan by
   * BunPort.leaveNoChild, or after an exec by the new image). Each is told
   * `reason` as no verdict (ok: null: it was cut short by lazarus, not by the
   * server), or nothing when `reason` is null (the supervisor is ending).
   */
  killAll(reason: string | null, boundMs: Ms): void {
    if (this.running.size === 0) return;
    for (const [pid, r] of this.running) {
      clearTimeout(r.timer);
      killGroup(pid);
      if (reason !== null) r.settle({ ok: null, reason });
    }
    const deadline = performance.now() + boundMs;
    for (;;) {
      for (const pid of [...this.running.keys()]) {
        if (waitpidNoHang(pid).kind !== "running") this.running.delete(pid);
      }
      if (this.running.size === 0 || performance.now() >= deadline) break;
      Bun.sleepSync(1);
    }
    this.running.clear();
  }
}

/** Past this many, remnant groups are forgotten (their members are then told as unknown children). */
const MAX_REMNANT_GROUPS = 1024;

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code === "EPERM";
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: nothing left in the group (or the leader alone, outside it): the leader itself then.
    try { process.kill(pid, "SIGKILL"); } catch { /* ended */ }
  }
}

export function outcomeOf(waitStatus: number): ProbeOutcome {
  const d = decodeWaitStatus(waitStatus);
  if (d === null) return { ok: false, reason: "stopped" };
  if ("code" in d) return { ok: d.code === 0, reason: `exit status ${d.code}` };
  return { ok: false, reason: `killed by ${signalName(d.signal)}` };
}

function spawnFailure(argv0: string, path: string, cwd: string | undefined, errno: number): string {
  if (errno === ENOENT) {
    // A path that exists but cannot be executed for want of something else: its interpreter (#!).
    const full = path.startsWith("/") || cwd === undefined ? path : `${cwd}/${path}`;
    return existsSync(full) ? `cannot run ${argv0}: its interpreter (#!) was not found` : `no such command: ${argv0}`;
  }
  if (errno === EACCES) return `cannot run ${argv0}: permission denied`;
  return `cannot run ${argv0}: ${strerror(errno).toLowerCase()} (${errnoName(errno)})`;
}

function directoryProblem(dir: string): string | null {
  try {
    return statSync(dir).isDirectory() ? null : `working directory ${dir} is not a directory`;
  } catch {
    return `working directory ${dir} does not exist`;
  }
}
