// The production OS port: Bun.spawn, process signals, timers, and bun:ffi where
// Bun has no API (clock, waitpid of adopted children, execve). BUN-NOTES.md
// explains each choice; the notes below say which fact a line depends on.
import { statSync, writeSync } from "node:fs";
import { parseSignal, SIGHUP, signalName } from "../core/signals.ts";
import type { ExitStatus, Ms, Signal } from "../core/types.ts";
import { decodeWaitStatus, ECHILD, execve, ignoreSignals, maskSignals, monotonicMs, restoreSignals, setChildSubreaper, signalIgnored, waitpidNoHang } from "./libc.ts";
import { handOverOutput, listReaders, OUTPUT_ENV, outputHub, takeOverOutput } from "./output.ts";
import { ownChildren, stat } from "./proc.ts";
import { type ControlServer, listenControl } from "./control-socket.ts";
import { type ControlHandler, type ExitListener, type OsPort, PREFLIGHT_ENV, type SpawnOutcome, type SpawnRequest, type TimerHandle } from "./port.ts";

type Child =
  | { readonly kind: "spawned"; readonly proc: Bun.Subprocess }
  | { readonly kind: "adopted" };

/** How often adopted children are checked even without a SIGCHLD (a safety net only). */
const SWEEP_MS = 1000;
const MAX_TIMEOUT = 2 ** 31 - 1;
/** How long after a SIGCHLD orphans are looked for (see scheduleOrphanScan). */
const ORPHAN_SCAN_DELAY_MS = 20;
/** At exit, how long prefixed output may go without progress, and how long it may take in all, before it is given up. */
const DRAIN_IDLE_MS = 500;
const DRAIN_MAX_MS = 5000;

export class BunPort implements OsPort {
  /** Null until the shell subscribes: exits reaped before that wait in `pending`. */
  private listener: ExitListener | null = null;
  /** Children not yet reported ended: the only pids we will ever signal. */
  private readonly children = new Map<number, Child>();
  /** Exits known (reaped) but not yet handed to the listener. */
  private readonly pending: { pid: number; status: ExitStatus }[] = [];
  private deliveryScheduled = false;
  private spawning = false;
  private readonly handled = new Set<Signal>();
  private control: ControlServer | null = null;
  private orphanScan: ReturnType<typeof setTimeout> | null = null;
  /** Children inherited across a re-exec, reaped by pid (a subset of `children`). */
  private readonly adoptedPids = new Set<number>();
  /** Orphans this image reaped itself (a pid the core may still adopt: see adopt). */
  private readonly reapedOrphans = new Set<number>();
  private sweep: ReturnType<typeof setInterval> | null = null;
  /** Signal handlers do not keep Bun alive (BUN-NOTES): a real handle does, for as long as we run. */
  private readonly keepAlive = setInterval(() => {}, MAX_TIMEOUT);
  /** Boot-relative offset of performance.now(), which starts at the process start (BUN-NOTES: clocks). */
  private readonly offset = monotonicMs() - performance.now();

  /** Orphans are reparented to us (child subreaper, or PID 1 of a container): we reap them. */
  private readonly reapsOrphans: boolean;

  /** Signals ignored by whoever started us; SIGHUP stays ignored then (nohup). */
  private readonly inheritedIgnored: ReadonlySet<Signal>;

  constructor(opts: { subreaper?: boolean } = {}) {
    this.inheritedIgnored = new Set([SIGHUP].filter(signalIgnored));
    // Signals Bun cannot catch whose default action would kill us and orphan every
    // server: the real-time ones (34-64; mds-respawn's dump was SIGRTMIN+2) and
    // SIGSTKFLT. Ignored here; Bun.spawn gives children default dispositions again.
    ignoreSignals([16, ...Array.from({ length: 31 }, (_, k) => 34 + k)]);
    // As PID 1 of a PID namespace every orphan is ours anyway; elsewhere ask to be a subreaper.
    this.reapsOrphans = process.pid === 1 || (opts.subreaper === true && setChildSubreaper() === null);
    // With SIGCHLD ignored by whoever started us, every child's `exited` would
    // reject with ECHILD; a handler restores the default (BUN-NOTES). It also
    // drives the reaping of adopted children and of orphans.
    process.on("SIGCHLD", () => {
      if (this.hasAdopted()) this.reapAdopted();
      this.scheduleOrphanScan();
    });
    // After a re-exec: read on the pipes of servers with prefixed output (see exec).
    // Taken out of the environment at once: children must not see it.
    const output = process.env[OUTPUT_ENV];
    delete process.env[OUTPUT_ENV];
    if (output !== undefined) for (const problem of takeOverOutput(output)) this.log(`lazarus: ${problem}`);
  }

  now(): Ms {
    return this.offset + performance.now();
  }

  wallTime(): number {
    return Date.now();
  }

  spawn(request: SpawnRequest): SpawnOutcome {
    // Bun names the executable when the cwd is missing (BUN-NOTES): say what is wrong.
    const badCwd = request.cwd === undefined ? null : directoryProblem(request.cwd);
    if (badCwd !== null) return { ok: false, error: badCwd };
    // Prefixed output goes through pipes we create, not Bun's: a child writing
    // to a Bun-managed pipe dies of SIGPIPE after a re-exec (BUN-NOTES).
    const pipes = request.output?.kind === "prefix" ? outputHub().open(request.output) : null;
    if (pipes !== null && "error" in pipes) return { ok: false, error: pipes.error };
    let proc: Bun.Subprocess;
    this.spawning = true;
    try {
      proc = Bun.spawn({
        cmd: [...request.argv],
        cwd: request.cwd,
        env: request.env ?? (process.env as Record<string, string>),
        stdio: ["inherit", pipes?.stdout ?? "inherit", pipes?.stderr ?? "inherit"],
        detached: true,
        // May run before Bun.spawn returns (Bun's docs): `record` only queues.
        onExit: (p, exitCode, signalCode, error) => this.record(p.pid, toStatus(exitCode, signalCode, error)),
      });
    } catch (e) {
      // Spawn failures throw synchronously and onExit never runs (BUN-NOTES).
      pipes?.failed();
      return { ok: false, error: spawnError(e) };
    } finally {
      this.spawning = false;
    }
    pipes?.started(proc.pid);
    if (!this.pending.some((x) => x.pid === proc.pid)) this.children.set(proc.pid, { kind: "spawned", proc });
    return { ok: true, pid: proc.pid };
  }

  kill(pid: number, signal: Signal, group: boolean): boolean {
    const child = this.children.get(pid);
    if (child === undefined) return false;
    if (child.kind === "spawned" && hasEnded(child.proc)) return false;
    try {
      process.kill(group ? -pid : pid, signal);
      return true;
    } catch {
      // ESRCH for the group: the child left its group (setpgid); reach it alone.
      if (!group) return false;
      try {
        process.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    }
  }

  killRemnants(pgid: number, signal: Signal): void {
    if (this.children.has(pgid)) return; // its leader is still ours to signal the usual way
    // The group still exists (and its id cannot be reused) as long as one of our
    // own unreaped children is in it: only then is signalling -pgid safe.
    const member = this.orphans().some((pid) => stat(pid)?.pgid === pgid);
    if (!member) return;
    try {
      process.kill(-pgid, signal);
    } catch { /* gone meanwhile */ }
  }

  adopt(pid: number): void {
    // Already reaped by this image as an orphan (before the handover was applied): its end is on its way.
    if (this.reapedOrphans.has(pid)) return;
    this.children.set(pid, { kind: "adopted" });
    this.adoptedPids.add(pid);
    this.sweep ??= setInterval(() => {
      this.reapAdopted();
      this.reapOrphans();
    }, SWEEP_MS);
    this.reapAdopted();
  }

  onExit(listener: ExitListener): void {
    this.listener = listener;
    // Zombies from before this image (orphans that ended during a re-exec, whose SIGCHLD was lost) are reaped now.
    this.reapOrphans();
    // Exits reaped before there was anyone to tell (SIGCHLD during start-up) go out
    // once the shell has started: after the handover's children are adopted.
    if (this.pending.length > 0 && !this.deliveryScheduled) {
      this.deliveryScheduled = true;
      queueMicrotask(() => this.deliver());
    }
  }

  flushExits(): void {
    for (const [pid, child] of this.children) {
      if (child.kind === "spawned" && hasEnded(child.proc)) {
        this.record(pid, toStatus(child.proc.exitCode, child.proc.signalCode, undefined));
      }
    }
    this.reapAdopted();
    this.deliver();
  }

  onSignal(signal: Signal, listener: () => void): void {
    if (this.inheritedIgnored.has(signal)) return; // nohup: a hang-up must not shut us down
    process.on(signalName(signal) as NodeJS.Signals, listener);
    // Only now may it be delivered: after a re-exec it arrives blocked (see exec),
    // and a signal sent during the exec waits, pending, for this handler.
    this.handled.add(signal);
    maskSignals("unblock", [signal]);
  }

  setTimer(at: Ms, fn: () => void): TimerHandle {
    const h = setTimeout(fn, Math.min(MAX_TIMEOUT, Math.max(0, Math.ceil(at - this.now()))));
    return { cancel: () => clearTimeout(h) };
  }

  async listenControl(path: string, strict: boolean, handler: ControlHandler): Promise<string | null> {
    const r = await listenControl(path, strict, handler);
    if (typeof r === "string") return r;
    this.control = r;
    return null;
  }

  log(line: string): void {
    writeAll(2, `${line}\n`);
  }

  exit(status: number): void {
    if (this.orphanScan !== null) clearTimeout(this.orphanScan);
    this.control?.close();
    this.leaveNoChild();
    clearInterval(this.keepAlive);
    if (this.sweep !== null) clearInterval(this.sweep);
    // The servers' last lines may still be in their pipes: write them first.
    if (listReaders().length === 0) process.exit(status);
    void outputHub().drain(DRAIN_IDLE_MS, DRAIN_MAX_MS).then(() => process.exit(status));
  }

  exec(argv: readonly string[], env: Readonly<Record<string, string>>): string {
    const path = argv[0];
    if (path === undefined) return "exec: empty argv";
    // First the new image's start-up check (see PREFLIGHT_ENV): an upgrade that
    // would not start must not replace an image that runs.
    const problem = preflight(argv, env);
    if (problem !== null) return problem;
    // Between execve and the new image's handlers a handled signal would meet
    // its default action: death, for most, leaving every child unsupervised.
    // Blocked, it stays pending across the exec until the new image installs
    // its handler and unblocks it (BunPort.onSignal). Measured on Bun 1.4.5:
    // during the first milliseconds of its start-up some runtime thread has
    // them unblocked, so they are also set to SIG_IGN for the exec: a signal
    // that lands in that window is lost, never fatal. (An operator who sees no
    // reaction sends it again; a dead supervisor would have orphaned everything.)
    const signals = [...this.handled];
    maskSignals("block", signals);
    const saved = ignoreSignals(signals);
    // Servers with prefixed output write to pipes we read: hand their read ends
    // to the new image, or the servers would die of SIGPIPE (BUN-NOTES).
    const output = handOverOutput();
    const error = execve(path, argv, output.env === null ? env : { ...env, [OUTPUT_ENV]: output.env });
    output.undo();
    restoreSignals(saved);
    maskSignals("unblock", signals);
    return error;
  }

  // ---

  /**
   * Note an exit once per pid, and hand it to the listener later, never from
   * inside a spawn call. A pid no longer in `children` was already recorded,
   * unless Bun reports the exit from inside Bun.spawn itself (`spawning`).
   */
  private record(pid: number, status: ExitStatus): void {
    if (!this.spawning && !this.children.has(pid)) return;
    this.children.delete(pid);
    this.adoptedPids.delete(pid);
    this.pending.push({ pid, status });
    if (!this.deliveryScheduled) {
      this.deliveryScheduled = true;
      queueMicrotask(() => this.deliver());
    }
  }

  private deliver(): void {
    this.deliveryScheduled = false;
    const listener = this.listener;
    if (listener === null) return; // kept for onExit
    while (this.pending.length > 0) {
      const { pid, status } = this.pending.shift() as { pid: number; status: ExitStatus };
      listener(pid, status);
    }
    if (this.sweep !== null && this.adoptedPids.size === 0) {
      clearInterval(this.sweep);
      this.sweep = null;
    }
  }

  /**
   * Before the supervisor ends (its servers have all ended by then): what is
   * left among its own children (orphans reparented to it, remnants of a
   * stopped group) is SIGKILLed and reaped, so nothing it had is left running
   * or unreaped. Bounded: a process stuck in the kernel is not waited for forever.
   */
  private leaveNoChild(): void {
    if (!this.reapsOrphans) return;
    // Rounds, because an orphan's own children become ours when it dies.
    const deadline = performance.now() + 2000;
    for (let left = this.orphans(); left.length > 0 && performance.now() < deadline; left = this.orphans()) {
      for (const pid of left) {
        // Its whole group (safe: our unreaped child is in it, so the id is not reused), and itself.
        const pgid = stat(pid)?.pgid;
        if (pgid !== undefined && pgid > 1 && pgid !== process.pid) {
          try { process.kill(-pgid, "SIGKILL"); } catch { /* gone */ }
        }
        try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
      }
      for (const pid of left) waitpidNoHang(pid);
      if (this.orphans().length > 0) Bun.sleepSync(1);
    }
  }

  private hasAdopted(): boolean {
    return this.adoptedPids.size > 0;
  }

  /**
   * Orphans are looked for once per burst of SIGCHLDs, a moment after it: a crash
   * storm of a thousand servers costs one scan of /proc, not a thousand. An
   * orphan's zombie lingers that long at most.
   */
  private scheduleOrphanScan(): void {
    if (!this.reapsOrphans || this.orphanScan !== null) return;
    this.orphanScan = setTimeout(() => {
      this.orphanScan = null;
      this.reapOrphans();
    }, ORPHAN_SCAN_DELAY_MS);
  }

  /** Our children that are not servers (Bun's or adopted): orphans reparented to us. */
  private orphans(): number[] {
    if (!this.reapsOrphans) return [];
    return ownChildren().filter((pid) => !this.children.has(pid) && !this.pending.some((x) => x.pid === pid));
  }

  /** Reap orphans that ended (never Bun's own children: they are all in `children`). */
  private reapOrphans(): void {
    for (const pid of this.orphans()) {
      const r = waitpidNoHang(pid);
      if (r.kind !== "ended") continue;
      const d = decodeWaitStatus(r.status);
      if (d === null) continue;
      this.reapedOrphans.add(pid);
      if (this.reapedOrphans.size > 4096) this.reapedOrphans.clear();
      this.pending.push({ pid, status: "code" in d ? { kind: "code", code: d.code } : { kind: "signal", signal: d.signal } });
      if (!this.deliveryScheduled) {
        this.deliveryScheduled = true;
        queueMicrotask(() => this.deliver());
      }
    }
  }

  private reapAdopted(): void {
    for (const pid of [...this.adoptedPids]) {
      const r = waitpidNoHang(pid);
      if (r.kind === "running") continue;
      if (r.kind === "error") {
        // ECHILD: it is not our child any more, or somebody else reaped it; either way it has ended.
        this.record(pid, { kind: "unknown" });
        if (r.errno !== ECHILD) this.log(`lazarus: waitpid(${pid}) failed with errno ${r.errno}; treating it as ended.`);
        continue;
      }
      const d = decodeWaitStatus(r.status);
      if (d === null) continue; // stopped or continued, not ended
      this.record(pid, "code" in d ? { kind: "code", code: d.code } : { kind: "signal", signal: d.signal });
    }
  }
}

function preflight(argv: readonly string[], env: Readonly<Record<string, string>>): string | null {
  let r: ReturnType<typeof Bun.spawnSync>;
  try {
    r = Bun.spawnSync({ cmd: [...argv], env: { ...env, [PREFLIGHT_ENV]: "1" }, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
  } catch (e) {
    return `the new image cannot be started: ${spawnError(e)}`;
  }
  if (r.exitCode === 0) return null;
  const why = (r.stderr?.toString() ?? "").split("\n").map((l) => l.replace(/^lazarus: /, "").trim()).find((l) => l !== "") ?? "no message";
  return `the new image fails its start-up check (${r.signalCode ?? `exit status ${r.exitCode}`}): ${why}`;
}

function hasEnded(proc: Bun.Subprocess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}

function toStatus(exitCode: number | null, signalCode: number | string | null, error: unknown): ExitStatus {
  if (signalCode !== null && signalCode !== undefined) {
    const n = typeof signalCode === "number" ? signalCode : parseSignal(signalCode);
    if (n !== null) return { kind: "signal", signal: n };
  }
  if (exitCode !== null && exitCode !== undefined && !error) return { kind: "code", code: exitCode };
  return { kind: "unknown" };
}

/** Why `dir` cannot be a child's working directory, or null. */
function directoryProblem(dir: string): string | null {
  try {
    return statSync(dir).isDirectory() ? null : `working directory ${dir} is not a directory`;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return code === "ENOENT" ? `working directory ${dir} does not exist (ENOENT)` : `working directory ${dir}: ${spawnError(e)}`;
  }
}

function spawnError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

/** writeSync the whole string, waiting out a non-blocking fd that is momentarily full. */
export function writeAll(fd: number, text: string): void {
  let buf = Buffer.from(text, "utf8");
  let spins = 0;
  while (buf.length > 0) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
      spins = 0;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EAGAIN" && spins++ < 100_000) continue;
      return; // stderr is gone (EPIPE, EBADF): nothing sensible left to do with a log line
    }
  }
}
