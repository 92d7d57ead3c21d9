// The production OS port: process signals, timers and sockets from Bun, and
// bun:ffi where Bun has no API or gets it wrong: children are spawned with
// posix_spawn (a clean signal state, a new session) and reaped by pid with
// waitpid; the clock, execve, prctl. BUN-NOTES.md explains the Bun facts the
// choices depend on; the notes below say which.
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { parseSignal, SIGHUP, signalName } from "../core/signals.ts";
import type { ExitStatus, Ms, Signal } from "../core/types.ts";
import {
  decodeWaitStatus, ECHILD, errnoName, execve, groupExists, hasPidfd, ignoreSignals, isCloseOnExec, maskSignals, monotonicMs, peekEndedChild, restoreSignals,
  setChildSubreaper, setCloseOnExec, signalIgnored, spawnChild, stepOf, strerror, waitpidNoHang,
} from "./libc.ts";
import type { LogTarget } from "../logs/target.ts";
import { CarryWriter, readCarried } from "./carry.ts";
import { type HttpEndpoint, type HttpEndpointOptions, serveHttp } from "./http-server.ts";
import type { LogFileState } from "./log-file.ts";
import { LogFiles } from "./log-files.ts";
import { OutputHub } from "./output.ts";
import { shortageOf } from "./shortage.ts";
import { tooBigReason } from "./too-big.ts";
import { type Sink, sinksFor } from "./sink.ts";
import { ownChildren, stat } from "./proc.ts";
import { CmdProbes } from "./probe-cmd.ts";
import { probeHttp } from "./probe-http.ts";
import { probeTcp } from "./probe-tcp.ts";
import { type MarksHandover, type NotifySocket, openNotifySocket } from "./notify-socket.ts";
import { SpawnMarks } from "./spawn-marks.ts";
import { formatMarks, MAX_CARRIED, marksCarry, parseMarks } from "./spawn-marks-carry.ts";
import { sdNotify } from "./sd-notify.ts";
import { chunkedEnv } from "../text/env-chunks.ts";
import { type ControlServer, listenControl } from "./control-socket.ts";
import {
  CARRY_ENV, type ControlHandler, DROPPED_ENV, type ExitListener, LOGS_ENV, type NoticeListener, NOTIFY_ENV, NOHUP_ENV, NOTIFY_MARKS_ENV, type NotifyListener, type OsPort, OUTPUT_ENV,
  type OutputMatchListener, type OutputTap, type PortExit, type PortNotice, PREFLIGHT_ENV, type ProbeDone, type ProbeOutcome, type ProbeRequest, type SpawnOutcome, type SpawnRequest,
  type TimerHandle,
} from "./port.ts";

/** Without pidfds Bun's SIGCHLD handlers do not fire (BUN-NOTES): then, and only then, children are looked for this often. */
const SWEEP_MS = 1000;
const E2BIG = 7;
const MAX_TIMEOUT = 2 ** 31 - 1;
/** At exit, how long prefixed output may go without progress, and how long it may take in all, before it is given up. */
const DRAIN_IDLE_MS = 500;
const DRAIN_MAX_MS = 5000;
/** At exit or exec, how long the log may take to be written before what is left is given up (a stalled reader). */
const FLUSH_MS = 250;
/** Before an exec, how long the log files may take to write what they hold, and how long gathering what Bun read ahead may take. */
const LOG_FLUSH_MS = 250;
const GATHER_MS = 100;
/** How long a re-exec waits for what the notify socket's reader thread has read to reach the shell. */
const NOTIFY_DRAIN_MS = 200;
/** At exit, how long the log files may take to write what they hold (nothing else is waiting then). */
const LOG_EXIT_MS = 2000;
/** At exit or before an exec, how long SIGKILLed command probes may take to be reaped. */
const PROBE_REAP_MS = 250;

export interface BunPortOptions {
  /** Become a child subreaper (orphaned grandchildren are reparented to us). */
  readonly subreaper?: boolean;
  /** After a re-exec: the readers of prefixed output handed across (OUTPUT_ENV's value). */
  readonly output?: string;
  /** After a re-exec: log lines the old image could not write before the exec (DROPPED_ENV's value). */
  readonly dropped?: string;
  /** After a re-exec: the log files and their counts (LOGS_ENV's value), and the fd of the bytes carried across (CARRY_ENV's). */
  readonly logs?: string;
  readonly carry?: string;
  /** NO_COLOR was set: prefixes are never coloured. */
  readonly noColor?: boolean;
  /** lazarus's own NOTIFY_SOCKET (it runs under systemd with Type=notify): where sdNotify sends. */
  readonly notifySocket?: string;
  /** After a re-exec: the fd of the servers' notify socket handed across (NOTIFY_ENV's value), and its spawn marks (NOTIFY_MARKS_ENV's). */
  readonly notifyFd?: string;
  readonly notifyMarks?: string;
  /** After a re-exec: whether SIGHUP was ignored by whoever started the first image (NOHUP_ENV's value, "1" or "0"). */
  readonly nohup?: string;
}

export class BunPort implements OsPort {
  /** Null until the shell subscribes: exits reaped before that wait in `pending`. */
  private listener: ExitListener | null = null;
  /**
   * Our servers' processes (spawned or adopted) not yet reaped: the only pids we
   * will ever signal. A pid is removed the moment it is reaped, before its pid
   * can be handed to anybody else.
   */
  private readonly children = new Set<number>();
  /** Exits known (reaped) but not yet handed to the listener. */
  private readonly pending: PortExit[] = [];
  /** Reaping zombies left from before this image (adopt, the first reap): they died during the exec. */
  private takingOver = false;
  private deliveryScheduled = false;
  private readonly handled = new Set<Signal>();
  private control: ControlServer | null = null;
  /** Orphans this image reaped itself (a pid the core may still adopt: see adopt). */
  private readonly reapedOrphans = new Set<number>();
  private readonly sweep: ReturnType<typeof setInterval> | null;
  /** Signal handlers do not keep Bun alive (BUN-NOTES): a real handle does, for as long as we run. */
  private readonly keepAlive = setInterval(() => {}, MAX_TIMEOUT);
  /** Boot-relative offset of performance.now(), which starts at the process start (BUN-NOTES: clocks). */
  private readonly offset = monotonicMs() - performance.now();

  /** Orphans are reparented to us (child subreaper, or PID 1 of a container): we reap them. */
  private readonly reapsOrphans: boolean;

  /** Signals ignored by whoever started us; SIGHUP stays ignored then (nohup). */
  private readonly inheritedIgnored: ReadonlySet<Signal>;

  /** lazarus's stdout and stderr: bounded, never blocking (sink.ts); one sink when they are the same file. */
  private readonly sinks: { stdout: Sink; stderr: Sink };
  /** The prefixed output of servers. */
  private readonly hub: OutputHub;
  private noticeListener: NoticeListener | null = null;
  private readonly notices: PortNotice[] = [];
  /** Null until the shell subscribes: matches of `ready` patterns before that wait in `matches` (one per child at most). */
  private matchListener: OutputMatchListener | null = null;
  private readonly matches: number[] = [];
  /** The log files (servers' and lazarus's event log), one per path. */
  private readonly logFiles: LogFiles;
  /** Command probes running: our children, but not servers (probe-cmd.ts); reaped here, never reported as exits. */
  private readonly probes = new CmdProbes();
  /** exit() was called: no probe outcome is told any more. */
  private ending = false;
  /** A re-exec being prepared (prepareExec), or ready for `exec`. */
  private execPrep: "none" | "preparing" | "ready" = "none";
  /** Which preparation is under way (one called off and followed by another must not go on). */
  private prepSerial = 0;
  /** The servers' notify socket and its listener (openNotify). */
  private notifySocket: NotifySocket | null = null;
  private notifyListener: NotifyListener | null = null;
  /** After a re-exec: the notify socket's fd handed across, and its reader's spawn marks, until openNotify takes them back. */
  private notifyFd: number | null = null;
  private notifyMarks: MarksHandover | null = null;
  /** lazarus's own NOTIFY_SOCKET, and the last problem sending to it (told once). */
  private readonly managerSocket: string | null;
  private managerProblem: string | null = null;

  constructor(opts: BunPortOptions = {}) {
    this.sinks = sinksFor(1, 2);
    for (const sink of new Set([this.sinks.stdout, this.sinks.stderr])) {
      sink.onDropped = (d) => this.notify({ kind: "dropped", log: d.log, output: d.output });
    }
    this.logFiles = new LogFiles((event) => this.notify({ kind: "log-file", event }));
    this.hub = new OutputHub({ ...this.sinks, colour: opts.noColor !== true, logs: this.logFiles });
    this.hub.onProblem = (text) => this.notify({ kind: "problem", text });
    this.hub.onMatch = (pid) => {
      if (this.matchListener !== null) this.matchListener(pid);
      else this.matches.push(pid);
    };
    // After a re-exec SIGHUP is ignored whatever started the first image (the exec sets it to SIG_IGN):
    // the old image says what it was told.
    const nohup = opts.nohup === "1" || opts.nohup === "0" ? opts.nohup === "1" : signalIgnored(SIGHUP);
    this.inheritedIgnored = new Set(nohup ? [SIGHUP] : []);
    this.managerSocket = opts.notifySocket !== undefined && opts.notifySocket !== "" ? opts.notifySocket : null;
    const notifyFd = Number(opts.notifyFd ?? "-1");
    this.notifyFd = Number.isSafeInteger(notifyFd) && notifyFd >= 0 ? notifyFd : null;
    if (this.notifyFd !== null) this.notifyMarks = this.carriedMarks(opts.notifyMarks);
    // Signals Bun cannot catch whose default action would kill us and orphan every
    // server: the real-time ones (34-64; mds-respawn's dump was SIGRTMIN+2) and
    // SIGSTKFLT. Ignored here; spawnChild gives children default dispositions again.
    ignoreSignals([16, ...Array.from({ length: 31 }, (_, k) => 34 + k)]);
    inheritableStdio();
    // As PID 1 of a PID namespace every orphan is ours anyway; elsewhere ask to be a subreaper.
    this.reapsOrphans = process.pid === 1 || (opts.subreaper === true && setChildSubreaper() === null);
    // Every child ends with a SIGCHLD (several may share one): reap them all then.
    // A handler also undoes a SIGCHLD ignored by whoever started us, under which
    // children would be reaped by the kernel and their statuses lost.
    process.on("SIGCHLD", () => this.reap());
    this.sweep = hasPidfd() ? null : setInterval(() => this.reap(), SWEEP_MS);
    // After a re-exec: the log files again, with their counts and the lines held for them first; then
    // read on the pipes of servers, taking what the old image had read and not yet written first (see exec).
    let blob: Uint8Array | null = null;
    if (opts.carry !== undefined) {
      const carried = readCarried(opts.carry);
      if (carried instanceof Uint8Array) blob = carried;
      else this.notify({ kind: "problem", text: `${carried.error}; what was read before the re-exec and not yet written is lost.` });
    }
    if (opts.logs !== undefined) for (const text of this.logFiles.takeOver(opts.logs, blob)) this.notify({ kind: "problem", text });
    if (opts.output !== undefined) for (const text of this.hub.takeOver(opts.output, blob)) this.notify({ kind: "problem", text });
    const dropped = Number(opts.dropped ?? "0");
    if (Number.isSafeInteger(dropped) && dropped > 0) this.notify({ kind: "dropped", log: dropped, output: 0 });
  }

  now(): Ms {
    return this.offset + performance.now();
  }

  wallTime(): number {
    return Date.now();
  }

  spawn(request: SpawnRequest): SpawnOutcome {
    const argv0 = request.argv[0];
    if (argv0 === undefined || argv0 === "") return { ok: false, error: "ENOENT: empty command" };
    const badCwd = request.cwd === undefined ? null : directoryProblem(request.cwd);
    if (badCwd !== null) return { ok: false, error: badCwd };
    const env = request.env;
    // Looked up in the server's PATH, like execvp; a word with a slash is a path,
    // relative to the server's working directory.
    const path = argv0.includes("/") ? argv0 : Bun.which(argv0, { PATH: env.PATH ?? "/usr/local/bin:/usr/bin:/bin" });
    if (path === null) return { ok: false, error: `ENOENT: executable not found in PATH: ${JSON.stringify(argv0)}` };
    // Piped output goes through pipes we create: a child writing to a pipe
    // whose reader dies with our image would die of SIGPIPE at a re-exec (BUN-NOTES).
    const output = request.output ?? { kind: "inherit" };
    const pipes = output.kind === "piped" ? this.hub.open(output) : null;
    if (pipes !== null && "error" in pipes) return spawnFailure(pipes.error, shortageOf(pipes.error) !== null);
    // Output nobody reads (output = "none", no log file) goes to /dev/null.
    let devNull: number | null = null;
    if (output.kind === "discard") {
      try {
        devNull = openSync("/dev/null", "w");
      } catch (e) {
        return spawnFailure(`cannot open /dev/null: ${spawnError(e)}`, shortageOf(e) !== null);
      }
    }
    const dup2 = pipes !== null ? [[pipes.stdout, 1], [pipes.stderr, 2]] as const : devNull !== null ? [[devNull, 1], [devNull, 2]] as const : null;
    // Before the fork: datagrams sent before this mark are not the new process's, whatever its pid (spawn-marks.ts).
    const mark = this.notifySocket?.markSpawn() ?? null;
    const r = spawnChild({
      path,
      argv: request.argv,
      env,
      ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
      ...(dup2 === null ? {} : { dup2 }),
      ...(request.runAs === undefined ? {} : { runAs: request.runAs }),
      ...(request.limits === undefined ? {} : { limits: request.limits }),
    });
    if (devNull !== null) closeSync(devNull);
    if ("errno" in r) {
      pipes?.failed();
      if (r.errno === E2BIG) return { ok: false, error: tooBigReason(request.argv, env) };
      // A step before the exec (its user, its limits) says which: "EPERM: operation not permitted (setuid 65534, before executing /bin/x)".
      const step = stepOf(r, request);
      const what = step === null ? path : `${step}, before executing ${path}`;
      return spawnFailure(`${errnoName(r.errno)}: ${strerror(r.errno).toLowerCase()} (${what})`, shortageOf(r.errno, true) !== null);
    }
    // Its end is seen at the next SIGCHLD, never before this returns.
    this.children.add(r.pid);
    if (mark !== null) this.notifySocket?.spawned(r.pid, mark);
    pipes?.started(r.pid);
    return { ok: true, pid: r.pid };
  }

  kill(pid: number, signal: Signal, group: boolean): boolean {
    if (!this.children.has(pid)) return false; // reaped: its pid may be somebody else's by now
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
    // Most servers leave nothing behind: one cheap probe says whether the group
    // still has any member, before /proc is read (this runs at every end of a server).
    if (!groupExists(pgid)) return;
    // The group still exists (and its id cannot be reused) as long as one of our
    // own unreaped children is in it: only then is signalling -pgid safe. A command
    // probe (or what is left of its group) is no member: its group is its own, and may
    // have been given this id once the old group emptied (the SIGKILL of what is left
    // of a crashed server's group comes a stop timeout after its end).
    const member = this.orphans().some((pid) => stat(pid)?.pgid === pgid && !this.probes.owns(pid) && !this.probes.claimsRemnant(pid));
    if (!member) return;
    try {
      process.kill(-pgid, signal);
    } catch { /* gone meanwhile */ }
  }

  adopt(pid: number): void {
    // Already reaped by this image (before the handover was applied): its end is on its way.
    if (this.reapedOrphans.has(pid)) return;
    this.children.add(pid);
    // Ended during the exec? Then it is a zombie already, and no SIGCHLD will come for it.
    this.takingOver = true;
    try {
      this.reap();
      if (this.children.has(pid) && waitpidNoHang(pid).kind === "error") {
        // ECHILD: not our child at all, or reaped by someone else; it has ended either way.
        this.record(pid, { kind: "unknown" });
      }
    } finally {
      this.takingOver = false;
    }
  }

  onExit(listener: ExitListener): void {
    this.listener = listener;
    // Zombies from before this image (children that ended during a re-exec, whose SIGCHLD was lost) are reaped now.
    this.takingOver = true;
    try {
      this.reap();
    } finally {
      this.takingOver = false;
    }
    // Exits reaped before there was anyone to tell (SIGCHLD during start-up) go out
    // once the shell has started: after the handover's children are adopted.
    if (this.pending.length > 0 && !this.deliveryScheduled) {
      this.deliveryScheduled = true;
      queueMicrotask(() => this.deliver());
    }
  }

  takeExits(): PortExit[] {
    // What is reaped already, without looking for more: a child that has ended and is not reaped
    // yet is a zombie that keeps its pid (no spawn can be handed it), and SIGCHLD reaps it soon.
    // Looking would cost a waitid(P_ALL), which the kernel answers by going through every child
    // (with 1000 servers, most of a storm's CPU went there: bench/NOTES-issue-18.md §8).
    return this.pending.splice(0);
  }

  onSignal(signal: Signal, listener: () => void): void {
    if (this.inheritedIgnored.has(signal)) return; // nohup: a hang-up must not shut us down
    process.on(signalName(signal) as NodeJS.Signals, listener);
    // Only now may it be delivered: after a re-exec it arrives blocked (see exec),
    // and a signal sent during the exec waits, pending, for this handler.
    this.handled.add(signal);
    maskSignals("unblock", [signal]);
  }

  probe(request: ProbeRequest, done: ProbeDone): void {
    const told: ProbeDone = (outcome) => {
      if (this.ending) return;
      this.probeShortage(outcome);
      done(outcome);
    };
    const p = request.probe;
    switch (p.kind) {
      case "tcp":
        probeTcp(p.host, p.port, request.timeoutMs, told);
        return;
      case "http":
        probeHttp(p.url, request.timeoutMs, told);
        return;
      case "cmd":
        this.probes.start({
          argv: p.argv, timeoutMs: request.timeoutMs, env: request.env, ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
          ...(request.runAs === undefined ? {} : { runAs: request.runAs }), ...(request.limits === undefined ? {} : { limits: request.limits }),
        }, told);
        return;
      default: {
        const never: never = p;
        throw new Error(`unknown probe ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Probes that give no verdict because lazarus itself is short of something (shortage.ts) are
   * said once per burst, not once each: a line when the first one does, and one when a probe
   * gives a verdict again, with how many gave none meanwhile.
   */
  private probeShortage(outcome: ProbeOutcome): void {
    if (outcome.ok === null && outcome.short === true) {
      if (this.shortProbes === 0) {
        this.notify({
          kind: "problem",
          text: `a probe could not be carried out: ${outcome.reason}; probes give no verdict (nothing is judged by them) until lazarus has what they need again.`,
        });
      }
      this.shortProbes++;
      return;
    }
    if (outcome.ok === null || this.shortProbes === 0) return;
    const n = this.shortProbes;
    this.shortProbes = 0;
    this.notify({ kind: "problem", text: `probes can be carried out again (${n} gave no verdict for want of a resource of lazarus's own).` });
  }

  /** Probes that gave no verdict for want of a resource since the last one that gave one (probeShortage). */
  private shortProbes = 0;

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
    // The lines of one turn (a dispatch of the shell) go to the sink as one write, after it.
    if (this.logLines.length === 0) queueMicrotask(this.flushLogLines);
    this.logLines.push(line);
  }

  flushLog(): void {
    this.flushLogLines();
  }

  /** Lines logged in this turn, not yet handed to the sink. */
  private readonly logLines: string[] = [];
  private readonly flushLogLines = (): void => {
    if (this.logLines.length === 0) return;
    const text = this.logLines.length === 1 ? `${this.logLines[0]}\n` : `${this.logLines.join("\n")}\n`;
    this.logLines.length = 0;
    this.sinks.stderr.offer(Buffer.from(text));
  };

  serveHttp(options: HttpEndpointOptions): HttpEndpoint | string {
    return serveHttp(options);
  }

  tapOutput(tap: OutputTap | null): void {
    this.hub.tap = tap;
  }

  onOutputMatch(listener: OutputMatchListener): void {
    this.matchListener = listener;
    if (this.matches.length > 0) queueMicrotask(() => { for (const pid of this.matches.splice(0)) listener(pid); });
  }

  onNotice(listener: NoticeListener): void {
    this.noticeListener = listener;
    if (this.notices.length > 0) queueMicrotask(() => { for (const n of this.notices.splice(0)) listener(n); });
  }

  exit(status: number): void {
    this.flushLogLines();
    this.control?.close();
    // Command probes still running are SIGKILLed with their groups and reaped; no outcome is told any more.
    this.ending = true;
    this.probes.killAll(null, PROBE_REAP_MS);
    this.closeNotify();
    this.leaveNoChild();
    clearInterval(this.keepAlive);
    if (this.sweep !== null) clearInterval(this.sweep);
    const end = async () => {
      // The log files get a bounded time to write what they hold; then the log, for a bounded time
      // only: a reader that stalled (or a disk) must not keep us.
      await this.logFiles.closeAll(LOG_EXIT_MS);
      this.flushLogLines();
      for (const sink of new Set([this.sinks.stderr, this.sinks.stdout])) sink.flushSync(FLUSH_MS);
      process.exit(status);
    };
    // The servers' last lines may still be in their pipes: write them first.
    if (this.hub.idle) void end();
    else void this.hub.drain(DRAIN_IDLE_MS, DRAIN_MAX_MS).then(end);
  }

  prepareExec(argv: readonly string[], env: Readonly<Record<string, string>>, ready: (problem: string | null) => void): boolean {
    if (this.execPrep !== "none") return false; // (the shell prepares one at a time)
    const notify = this.notifySocket;
    if (this.hub.idle && this.logFiles.size === 0 && notify === null) return false;
    const path = argv[0];
    // The new image's start-up check first: a failing upgrade pauses nothing.
    const problem = path === undefined ? "exec: empty argv" : preflight(argv, env);
    if (problem !== null) {
      queueMicrotask(() => ready(problem));
      return true;
    }
    this.execPrep = "preparing";
    // Servers' output is read no more; what was read goes to the log files, which get a bounded time
    // to write it (later lines are held for the new image); then the notify socket is read no more, and
    // what its reader thread had read reaches the shell (the rest waits in the socket for the new image);
    // then what Bun had read ahead is gathered, and the exec follows in that same turn of the event loop
    // (see output.ts).
    this.hub.pause();
    // Each step only while this preparation is the one under way (not called off, nor followed by another).
    const serial = ++this.prepSerial;
    const mine = () => this.execPrep === "preparing" && this.prepSerial === serial;
    void this.logFiles.hold(LOG_FLUSH_MS)
      .then(() => (mine() ? notify?.quiesce(NOTIFY_DRAIN_MS) : undefined))
      .then(() => (mine() ? this.hub.gather(GATHER_MS) : undefined))
      .then(() => {
        if (!mine()) return;
        this.execPrep = "ready";
        ready(null);
      });
    return true;
  }

  cancelExec(): void {
    if (this.execPrep === "none") return;
    this.execPrep = "none";
    this.logFiles.release();
    this.hub.unpause();
    // The notify socket's reader thread stopped (quiesce): a new one reads it again, the socket kept.
    if (this.notifySocket?.quiesced === true) this.readNotifyAgain(this.handOverNotify());
  }

  exec(argv: readonly string[], env: Readonly<Record<string, string>>): string {
    const path = argv[0];
    if (path === undefined) return "exec: empty argv";
    const prepared = this.execPrep === "ready";
    // First the new image's start-up check (see PREFLIGHT_ENV), unless prepareExec made it: an
    // upgrade that would not start must not replace an image that runs.
    const problem = prepared ? null : preflight(argv, env);
    if (problem !== null) return problem;
    // Command probes would run on unknown to the new image (their ends told as orphans'): they
    // are SIGKILLed with their groups and reaped now. Told only should the exec fail (microtasks).
    this.probes.killAll("interrupted by a re-exec", PROBE_REAP_MS);
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
    // Servers' piped output goes to pipes we read: hand their read ends to the
    // new image, or the servers would die of SIGPIPE (BUN-NOTES); with what was
    // read and not yet written, and the log files with their counts and held lines.
    const carry = new CarryWriter();
    const output = this.hub.handOver(prepared ? carry : null);
    const logs = this.logFiles.size === 0 ? null : JSON.stringify(this.logFiles.handOver(carry));
    const carried = carry.size === 0 ? null : carry.open();
    // Pending log lines are written first, for a bounded time; what a stalled
    // reader did not take is counted, and the new image says so.
    this.flushLogLines();
    let lost = 0;
    for (const sink of new Set([this.sinks.stderr, this.sinks.stdout])) lost += sink.flushSync(FLUSH_MS);
    const extra: Record<string, string> = { [NOHUP_ENV]: this.inheritedIgnored.has(SIGHUP) ? "1" : "0" };
    // (in pieces when long: a reader's entry for each piped stream, a log file's for each server; 500 prefixed servers
    // make an OUTPUT_ENV over the kernel's 128 KiB for one variable, which failed the exec with E2BIG)
    if (output.env !== null) Object.assign(extra, chunkedEnv(OUTPUT_ENV, output.env));
    if (logs !== null) Object.assign(extra, chunkedEnv(LOGS_ENV, logs));
    if (carried !== null && "fd" in carried) extra[CARRY_ENV] = String(carried.fd);
    if (lost > 0) extra[DROPPED_ENV] = String(lost);
    // The notify socket goes across still bound: what servers send meanwhile waits in it for the new image.
    const notify = this.handOverNotify();
    if (notify?.fd != null) extra[NOTIFY_ENV] = String(notify.fd);
    // With its spawn marks: the new image's reader reads the markers still queued as its own (spawn-marks-carry.ts).
    if (notify?.fd != null && notify.marks !== null) Object.assign(extra, chunkedEnv(NOTIFY_MARKS_ENV, formatMarks(marksCarry(notify.marks.nonce, notify.marks.read, notify.marks.table))));
    const error = execve(path, argv, { ...env, ...extra });
    // Only reached when the exec failed: everything as it was, and the readers read on.
    this.readNotifyAgain(notify);
    output.undo();
    if (carried !== null && "fd" in carried) carried.close();
    if (lost > 0) this.notify({ kind: "dropped", log: lost, output: 0 });
    restoreSignals(saved);
    maskSignals("unblock", signals);
    this.cancelExec();
    return carried !== null && "error" in carried ? `${error} (${carried.error})` : error;
  }

  openLog(target: LogTarget): void {
    this.logFiles.open(target);
  }

  appendLog(target: LogTarget, line: string): void {
    this.logFiles.append(target, Buffer.from(`${line}\n`));
  }

  logState(path: string): LogFileState | null {
    return this.logFiles.state(path);
  }

  rotateLogs(paths: readonly string[]): Promise<string[]> {
    return this.logFiles.rotate(paths);
  }

  reopenLogs(paths: readonly string[]): void {
    this.logFiles.reopen(paths);
  }

  openNotify(path: string, listener: NotifyListener): string | null {
    this.closeNotify();
    // Its directory is the private one of the control sockets; with --control=none or a
    // chosen control path it may not exist yet: made private (0700) then.
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (e) {
      return `notify socket ${path}: cannot make its directory: ${(e as Error).message}`;
    }
    const fd = this.notifyFd;
    const marks = this.notifyMarks;
    this.notifyFd = null;
    this.notifyMarks = null;
    const socket = openNotifySocket(path, (m) => listener(m.pid, m.text, m.pgid), {
      ...(fd === null ? {} : { fd }),
      ...(fd === null || marks === null ? {} : { marks }),
      onProblem: (text) => this.notify({ kind: "problem", text }),
      onStale: (pid, text) => this.notify({
        kind: "problem",
        text: `a notification (sd_notify) from pid ${pid ?? "unknown"} was sent before the process that has that pid now was started ` +
          `(by one that has ended): ignored (${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}).`,
      }),
      onDropped: (total) => this.notify({
        kind: "problem",
        text: `notify socket: ${total} datagram(s) dropped so far (larger than 4096 bytes, or more at once than lazarus reads).`,
      }),
    });
    if (typeof socket === "string") return socket;
    this.notifySocket = socket;
    this.notifyListener = listener;
    return null;
  }

  closeNotify(): void {
    this.notifySocket?.close();
    this.notifySocket = null;
    this.notifyListener = null;
  }

  sdNotify(text: string): void {
    if (this.managerSocket === null) return;
    const problem = sdNotify(this.managerSocket, text);
    if (problem !== null && problem !== this.managerProblem) this.notify({ kind: "problem", text: `${problem}.` });
    this.managerProblem = problem;
  }

  // ---

  /**
   * The notify socket handed over (handOverNotify) but this image goes on: a new reader on the same socket (fd),
   * going on with the same spawn marks (the markers sent meanwhile are read as its own).
   */
  private readNotifyAgain(notify: HandedNotify | null): void {
    if (notify === null) return;
    this.notifyFd = notify.fd;
    this.notifyMarks = notify.marks;
    const again = this.openNotify(notify.path, notify.listener);
    if (again !== null) this.notify({ kind: "problem", text: `${again}; servers' notifications are no longer read.` });
  }

  /** Before an execve: stop reading the notify socket and hand its fd across (fd null: it could not be); null when none is open. */
  private handOverNotify(): HandedNotify | null {
    const socket = this.notifySocket;
    const listener = this.notifyListener;
    if (socket === null || listener === null) return null;
    this.notifySocket = null;
    this.notifyListener = null;
    const fd = socket.handOver();
    if (typeof fd === "string") {
      this.notify({ kind: "problem", text: `${fd}; the new image binds it again (datagrams sent meanwhile are lost).` });
      return { fd: null, path: socket.path, listener, marks: null };
    }
    return { fd, path: socket.path, listener, marks: socket.marks() };
  }

  /** After a re-exec: the spawn marks the old image carried (NOTIFY_MARKS_ENV); null, said in a line, when they cannot be used. */
  private carriedMarks(text: string | undefined): MarksHandover | null {
    const alone = "a notification sent before one of the old image's last spawns is taken by its pid alone";
    if (text === undefined) {
      // (the old image's reader thread had not stopped in time, or it is a version without them)
      this.notify({ kind: "problem", text: `no spawn marks came across the re-exec with the notify socket (${NOTIFY_MARKS_ENV}): ${alone}.` });
      return null;
    }
    const carry = parseMarks(text);
    if (typeof carry === "string") {
      this.notify({ kind: "problem", text: `the spawn marks carried across the re-exec (${NOTIFY_MARKS_ENV}) cannot be used: ${carry}; ${alone}.` });
      return null;
    }
    if (carry.left > 0) {
      this.notify({
        kind: "problem",
        text: `${carry.left} spawn mark(s) were not carried across the re-exec (more than ${MAX_CARRIED}): a notification sent before one of those spawns is taken by its pid alone.`,
      });
    }
    return { nonce: carry.nonce, table: new SpawnMarks(carry), read: carry.read };
  }

  /** Note the end of a known child (once: it leaves `children`), to be handed over soon. */
  private record(pid: number, status: ExitStatus): void {
    if (!this.children.delete(pid)) return;
    this.queue(pid, status);
  }

  private queue(pid: number, status: ExitStatus): void {
    this.hub.childEnded(pid);
    this.pending.push({ pid, status, atTakeover: this.takingOver });
    if (!this.deliveryScheduled) {
      this.deliveryScheduled = true;
      queueMicrotask(() => this.deliver());
    }
  }

  /**
   * Reap every child that has ended: our servers' processes, and orphans
   * reparented to us (a subreaper's, or PID 1's). waitid(WNOWAIT) names one
   * ended child at a time without reaping it; it is then reaped by its pid.
   * Waiting for any child is safe here only because lazarus spawns no child
   * that Bun itself waits for (spawnChild; BUN-NOTES warns against it otherwise).
   * Command probes are children too, and are handed to `probes` instead.
   */
  private reap(): void {
    for (let pid = peekEndedChild(); pid > 0; pid = peekEndedChild()) {
      if (this.probes.owns(pid)) {
        // A command probe: reaped (its group first), its outcome told to whoever asked; never an exit.
        this.probes.reap(pid);
        if (this.probes.owns(pid)) break;
        continue;
      }
      if (!this.children.has(pid) && this.probes.claimsRemnant(pid)) {
        // What was left of a probe's group, reparented to us (subreaper): reaped, and not an unknown child's end.
        waitpidNoHang(pid);
        continue;
      }
      const r = waitpidNoHang(pid);
      if (r.kind === "running") break; // (stopped, not ended: nothing to do; avoid spinning on it)
      if (r.kind === "error") {
        if (r.errno !== ECHILD) this.notify({ kind: "problem", text: `waitpid(${pid}) failed with errno ${r.errno}; treating it as ended.` });
        this.record(pid, { kind: "unknown" });
        if (r.errno !== ECHILD) break;
        continue;
      }
      const d = decodeWaitStatus(r.status);
      if (d === null) continue;
      const status: ExitStatus = "code" in d ? { kind: "code", code: d.code } : { kind: "signal", signal: d.signal };
      if (this.children.has(pid)) {
        this.record(pid, status);
      } else {
        // An orphan (or a child of ours adopted a moment from now): its end is told too.
        this.reapedOrphans.add(pid);
        if (this.reapedOrphans.size > 4096) this.reapedOrphans.clear();
        this.queue(pid, status);
      }
    }
  }

  private notify(n: PortNotice): void {
    const listener = this.noticeListener;
    if (listener === null) this.notices.push(n);
    else queueMicrotask(() => listener(n));
  }

  private deliver(): void {
    this.deliveryScheduled = false;
    const listener = this.listener;
    if (listener === null) return; // kept for onExit
    for (let x = this.pending.shift(); x !== undefined; x = this.pending.shift()) listener(x);
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

  leftBehind(max: number): { pid: number; name: string }[] {
    // Zombies are no news: they are reaped, not killed; nor are lazarus's own command probes (and what is left of their groups).
    return this.orphans()
      .filter((pid) => { const st = stat(pid); return st !== null && st.state !== "Z" && !this.probes.owns(pid) && !this.probes.claimsRemnant(pid); })
      .slice(0, max).map((pid) => ({ pid, name: commandName(pid) }));
  }

  /** Our children that are not servers' processes: orphans reparented to us. */
  private orphans(): number[] {
    if (!this.reapsOrphans) return [];
    return ownChildren().filter((pid) => !this.children.has(pid) && !this.pending.some((x) => x.pid === pid));
  }

}

/**
 * Started with stdin, stdout or stderr closed (`lazarus … <&- >&-`, a daemon that closed them),
 * lazarus finds /dev/null there, which Bun opened close-on-exec: servers would start with that fd
 * closed, and a server's first open() would take it (a data file as its stdout, written by its
 * every printf). Such a /dev/null is made inheritable, so that servers get /dev/null there, as
 * systemd gives them.
 */
function inheritableStdio(): void {
  for (const fd of [0, 1, 2]) {
    if (isCloseOnExec(fd) !== true) continue;
    let target = "";
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch { /* no /proc: leave it */ }
    if (target === "/dev/null") setCloseOnExec(fd, false);
  }
}

/** A process's command name (/proc/PID/comm), or "?" when it cannot be read. */
function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() || "?";
  } catch {
    return "?";
  }
}

/** The notify socket handed over for an exec: its fd (null: it could not be), and what its next reader needs. */
interface HandedNotify {
  readonly fd: number | null;
  readonly path: string;
  readonly listener: NotifyListener;
  /** Its spawn marks (null when the fd could not be handed over: a socket bound anew starts afresh). */
  readonly marks: MarksHandover | null;
}

function preflight(argv: readonly string[], env: Readonly<Record<string, string>>): string | null {
  let r: ReturnType<typeof Bun.spawnSync>;
  try {
    r = Bun.spawnSync({ cmd: [...argv], env: { ...env, [PREFLIGHT_ENV]: "1" }, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
  } catch (e) {
    // Too big for an exec (the handover and the files' texts it carries, with lazarus's own environment): say what.
    if ((e as { code?: unknown }).code === "E2BIG") return `the new image cannot be started: ${tooBigReason(argv, env)}`;
    return `the new image cannot be started: ${spawnError(e)}`;
  }
  if (r.exitCode === 0) return null;
  // (its sentence's full stop dropped: the line goes on, "…; still running the old image.")
  const why = (r.stderr?.toString() ?? "").split("\n").map((l) => l.replace(/^lazarus: /, "").trim().replace(/\.$/, "")).find((l) => l !== "") ?? "no message";
  return `the new image fails its start-up check (${r.signalCode ?? `exit status ${r.exitCode}`}): ${why}`;
}



/** A spawn that failed; `short`: for want of a resource that may come back (the server is tried again, not buried). */
function spawnFailure(error: string, short: boolean): SpawnOutcome {
  return short ? { ok: false, error, short: true } : { ok: false, error };
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

/**
 * When this process started, in monotonic ms (CLOCK_MONOTONIC, like now()):
 * from /proc/self/stat, whose start time an execve does not change, so it is
 * the first image's start across re-execs. NaN when it cannot be read.
 */
export function processStartMs(): number {
  try {
    const text = readFileSync("/proc/self/stat", "utf8");
    const ticks = Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[19]);
    // (clock ticks since boot; 100 per second on every Linux port Bun runs on)
    return Number.isFinite(ticks) ? ticks * 10 : Number.NaN;
  } catch {
    return Number.NaN;
  }
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
