// The simulation: the production shell (src/shell/boot.ts + Supervisor) on a
// simulated OS (kernel.ts + SimPort below), driven by a generated scenario, with
// the process-table facts checked after every happening:
//   - no zombie left behind; at the supervisor's exit, checked before anything
//     is cleaned up, no server's process left running and no end left untold;
//     then, as BunPort.exit does, only orphans and remnants are killed and reaped;
//   - every exit accounted for exactly once, with its true status;
//   - no signal ever sent that the core did not ask for (so none to a pid
//     after it was reaped, none to a reused pid), and every signal, remnants
//     signal, adoption and timer the core asked for carried out by the shell;
//   - no spawn the core did not ask for (so none after shutdown began);
//   - timers only ever fire for what still needs them, and every deadline the
//     reference model owns (the alarm, each stop order's SIGKILL) has a timer
//     set in the shell at exactly its instant;
//   - when nothing is in flight, the core's alive servers are exactly the
//     running server processes;
//   - the reference model (one for the whole run, across re-execs, built from
//     the scenario, not from the core) agrees with the core's state and
//     effects at every step; no re-exec happens that it does not expect;
//   - what is left of the group of a server that ended by itself (a helper that
//     ignores SIGTERM) is gone by its SIGKILL deadline (the model's), unless a
//     re-exec dropped it (docs/spec.md: not handed across);
//   - the supervisor exits, with the status the core decided and the model expects.
import { SIGKILL, SIGTERM, SIGUSR1, SIGUSR2, signalName } from "../../src/core/signals.ts";
import type { Effect, Event, ExitStatus, ProbeSpec, ReadySpec, ServerSpec, Settings, Signal, State, TimerName } from "../../src/core/types.ts";
import type { LogTarget } from "../../src/logs/target.ts";
import type { HttpEndpoint, HttpEndpointOptions } from "../../src/os/http-server.ts";
import type { LogFileState } from "../../src/os/log-file.ts";
import type {
  ControlHandler, ExitListener, NoticeListener, NotifyListener, OsPort, OutputMatchListener, OutputTap, PortExit, ProbeDone, ProbeRequest, SpawnOutcome, SpawnRequest,
  TimerHandle,
} from "../../src/os/port.ts";
import { boot } from "../../src/shell/boot.ts";
import { type ShellConfig, Supervisor } from "../../src/shell/supervisor.ts";
import { type Expected, Model } from "../properties/model.ts";
import { StepBound } from "../properties/busy.ts";
import { compareAcrossReexec, compareEffects, compareState, eventWords, timerWords } from "../properties/oracle.ts";
import { type Behaviour, Kernel, SUP } from "./kernel.ts";
import { countOf, edited, filesOf, initialConfig, scaled, type SimConfig, type SimSlot, slotsOf, specsOf, tableName, zeroOf } from "./config.ts";
import type { Duration, Life, SimScenario } from "./scenario.ts";

export class SimViolation extends Error {
  override name = "SimViolation";
}

/** Thrown through the shell when its image ends (exit or a successful exec): nothing after it runs. */
class ImageEnded extends Error {}

/** How the shell is made; `misreads`: a planted bug of the loader, which gets the files' texts through it. */
export type SupervisorFactory = ((port: OsPort, config: ShellConfig) => Supervisor) & { readonly misreads?: (text: string) => string };

const EPOCH = Date.UTC(2026, 0, 1);
/** The longest a death may wait to be told outside an exec: the SIGCHLD latency plus the delivery window (see childDied, queue). */
const MAX_REPORT_MS = 3 + 5 + 0.01;
const SELF = ["/sim/bun", "/sim/lazarus.ts"];
/** The latest a timer may fire after its instant (SimPort.setTimer's lateness, an exec's delay, a margin). */
const LATEST_TIMER_MS = 1000;

export interface SimReport {
  /** A digest of everything the supervisor logged: equal digests, equal runs (bit-exact replay). */
  readonly digest: string;
  readonly lifetimes: number;
  readonly steps: number;
  readonly images: number;
  readonly exitStatus: number | null;
  readonly virtualMs: number;
}

/** The environment the simulated supervisor is started with. */
const SIM_ENV: Readonly<Record<string, string>> = { PATH: "/sim/bin", HOME: "/sim", LANG: "C.UTF-8" };

/** The scenario's server behind a command line: its program is `srvN` (in braces and config files) or runs it (`exec srvN` in a Procfile's shell). */
export function simServerOf(argv: readonly string[]): number {
  const m = /(?:^|[\s'"])srv(\d+)(?:$|[\s'"])/.exec(argv.join(" "));
  return m === null ? Number.NaN : Number(m[1]);
}

/**
 * The supervisor's command line for a scenario, and the files it names (as
 * `c` says them: config.ts): a config file for servers written there (with
 * their own settings, and the global ones when the scenario puts them
 * there), a Procfile, a .env file.
 */
export function simArgs(sc: SimScenario, c: SimConfig = initialConfig(sc)): { args: string[]; files: Map<string, string>; env: Record<string, string> } {
  const files = new Map<string, string>();
  const args = ["--control=/sim/control.sock"];
  const timed = [["interval", sc.intervalMs], ["stop-timeout", sc.stopTimeoutMs], ["alarm", sc.alarmMs]] as const;
  if (sc.settingsIn !== "config") for (const [option, ms] of timed) args.push(`--${option}=${ms / 1000}`);
  const braces = sc.servers.flatMap((s, i) => (s.source === "braces" ? ["{", `srv${i}`, ...(s.initialSpawn ? ["--initial-spawn"] : []), "}"] : []));
  const texts = filesOf(c, sc);
  if (texts.config !== null) {
    files.set("/sim/lazarus.toml", texts.config);
    args.push("--config=lazarus.toml");
  }
  if (texts.procfile !== null) {
    files.set("/sim/Procfile", texts.procfile);
    args.push("--procfile=Procfile");
  }
  if (sc.envFile !== null) {
    files.set("/sim/.env", Object.entries(sc.envFile).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n"));
    args.push("--env-file=.env");
  }
  // Under systemd: NOTIFY_SOCKET (and WATCHDOG_USEC) set for lazarus.
  const env: Record<string, string> = { ...SIM_ENV };
  if (sc.systemd !== null) {
    env.NOTIFY_SOCKET = "/run/systemd/notify";
    if (sc.systemd.watchdogMs !== null) env.WATCHDOG_USEC = String(sc.systemd.watchdogMs * 1000);
  }
  return { args: [...args, ...braces], files, env };
}

/** The servers as the scenario describes them at the start, in the supervisor's order: what the reference model is built from (not from the core). */
export function simSpecs(sc: SimScenario): ServerSpec[] {
  return specsOf(initialConfig(sc), sc);
}

/** The scenario's global settings as the core gets them (systemd: NOTIFY_SOCKET and WATCHDOG_USEC were set for lazarus). */
export function simSettings(sc: SimScenario): Settings {
  return { intervalMs: sc.intervalMs, stopTimeoutMs: sc.stopTimeoutMs, alarmMs: sc.alarmMs, ...(sc.systemd === null ? {} : { systemd: sc.systemd }) };
}

function sorted(env: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

class SimPort implements OsPort {
  alive = true;
  booted = false;
  readonly children = new Map<number, "spawned" | "adopted">();
  readonly pending: PortExit[] = [];
  deliveryScheduled = false;
  private listener: ExitListener = () => {};
  readonly handlers = new Map<Signal, () => void>();
  control: ControlHandler | null = null;
  /** Timers set and neither fired nor cancelled. */
  readonly timers = new Set<{ cancelled: boolean; readonly at: number }>();
  private readonly reapedHere = new Set<number>();

  constructor(private readonly w: World, readonly image: number) {}

  now(): number {
    return this.w.k.now;
  }

  wallTime(): number {
    return EPOCH + this.w.k.now;
  }

  spawn(request: SpawnRequest): SpawnOutcome {
    const server = simServerOf(request.argv);
    this.w.checkSpawn(server, request);
    const life = this.w.nextLife(server);
    // EAGAIN (no free process) is a shortage, as BunPort says it: the server is tried again, not buried.
    if (life.spawnError !== null) return this.w.spawnFailed({ ok: false, error: `${life.spawnError}: simulated`, ...(life.spawnError === "EAGAIN" ? { short: true as const } : {}) });
    const p = this.w.k.spawnServer(server, life.behaviour);
    if ((globalThis as { SIM_DEBUG?: boolean }).SIM_DEBUG) console.log(`${this.w.k.now.toFixed(3)} SPAWN srv${server} -> ${p?.pid} life ${life.behaviour.lifeMs}`);
    if (p === null) return this.w.spawnFailed({ ok: false, error: "EAGAIN: no free pid", short: true });
    this.children.set(p.pid, "spawned");
    this.w.lifeStarts(p.pid, p.serial, server, life.script);
    this.w.spawnedSerial.set(p.pid, [...(this.w.spawnedSerial.get(p.pid) ?? []), p.serial]);
    // A child that dies at once may be reaped before the spawn call has even returned: the
    // port knows its end before the shell has recorded its spawn (the next takeExits has it).
    if (life.behaviour.lifeMs === 0 && this.w.k.rng.next() < 0.5) {
      this.w.k.die(p, life.behaviour.end);
      this.w.k.reap(p.pid);
      this.reapedHere.add(p.pid);
      this.children.delete(p.pid);
      this.queue(p.pid, life.behaviour.end, false);
    }
    return { ok: true, pid: p.pid };
  }

  kill(pid: number, signal: Signal, group: boolean): boolean {
    this.w.checkKill(pid, signal, group);
    if (!this.children.has(pid)) {
      // Reaped: its pid may be somebody else's now. But a child still running that the port does not know is a lost child.
      this.w.checkRefusedKill(pid, signal);
      return false;
    }
    this.w.checkKillTarget(pid, signal);
    this.w.k.signal(pid, signal, group);
    return true;
  }

  killRemnants(pgid: number, signal: Signal): void {
    this.w.carriedOut("remnants", `${pgid}/${signal}`);
    if (this.children.has(pgid)) return;
    const member = this.w.k.childrenOfSup().some((p) => !this.children.has(p.pid) && p.pgid === pgid);
    if (!member) return;
    this.w.k.signal(pgid, signal, true);
  }

  adopt(pid: number): void {
    this.w.carriedOut("adopts", String(pid));
    if (this.reapedHere.has(pid)) return; // reaped already by this image: its end is on its way
    this.children.set(pid, "adopted");
    const p = this.w.k.procs.get(pid);
    if (p === undefined || p.ppid !== SUP) {
      // waitpid says ECHILD: it has ended, but how is lost.
      this.children.delete(pid);
      this.queue(pid, { kind: "unknown" }, true);
      return;
    }
    if (p.state === "zombie") this.sigchld(true);
  }

  onExit(listener: ExitListener): void {
    this.listener = listener;
  }

  serveHttp(_options: HttpEndpointOptions): HttpEndpoint | string {
    return "the simulator has no network";
  }

  tapOutput(_tap: OutputTap | null): void {
    // The simulated servers write nothing.
  }

  /** The world tells it when a simulated server "writes" its readiness line (lifeStarts). */
  outputMatch: OutputMatchListener | null = null;

  onOutputMatch(listener: OutputMatchListener): void {
    this.outputMatch = listener;
  }

  onNotice(_listener: NoticeListener): void {
    // The simulated log never stalls and the port has no problems of its own to report.
  }

  /** The shell's listener for servers' datagrams (boot opens it when a server has ready = notify). */
  notifyListener: NotifyListener | null = null;

  openNotify(path: string, listener: NotifyListener): string | null {
    if (path !== `/tmp/lazarus-1000/${SUP}.notify`) this.w.complain(`the notify socket was opened at ${path}`);
    this.notifyListener = listener;
    return null;
  }

  closeNotify(): void {
    this.notifyListener = null;
  }

  sdNotify(_text: string): void {}

  takeExits(): PortExit[] {
    return this.pending.splice(0);
  }

  onSignal(signal: Signal, listener: () => void): void {
    this.handlers.set(signal, listener);
  }

  /**
   * The shell carries out the core's probe effect (the one the world saw in
   * this step, in order): answered later by the world, as the simulated
   * process's script says, through `done` (never inside this call).
   */
  probe(request: ProbeRequest, done: ProbeDone): void {
    this.w.carryOutProbe(this, request, done);
  }

  setTimer(at: number, fn: () => void): TimerHandle {
    this.w.carriedOut("arms", String(at));
    const t = { cancelled: false, at };
    this.timers.add(t);
    const late = this.w.k.rng.pick([0, 0, 0, 0.5, 5, 50]);
    this.w.k.schedule(at + late, () => {
      this.timers.delete(t);
      if (!t.cancelled && this.alive) this.w.enter(this, fn);
    });
    return { cancel: () => { t.cancelled = true; this.timers.delete(t); } };
  }

  listenControl(_path: string, _strict: boolean, handler: ControlHandler): Promise<string | null> {
    this.control = handler;
    return Promise.resolve(null);
  }

  log(line: string): void {
    this.w.log(line);
  }

  flushLog(): void {
    // Lines are taken as they come.
  }

  exit(status: number): void {
    this.w.supervisorExited(this, status);
    throw new ImageEnded();
  }

  /**
   * BunPort.exit's last act (leaveNoChild): what is left among the supervisor's
   * own children that are not servers' processes it knows of (orphans, remnants
   * of a group), with their groups, is SIGKILLed and reaped, round after round
   * (an orphan's children become ours when it dies). Servers it still thinks
   * alive are not touched.
   */
  leaveNoChild(): void {
    const k = this.w.k;
    for (let round = 0; round < 1000; round++) {
      const left = k.childrenOfSup().filter((p) => !this.children.has(p.pid) && !this.pending.some((x) => x.pid === p.pid));
      if (left.length === 0) return;
      for (const p of left) {
        if (p.pgid > 1 && p.pgid !== SUP) for (const q of [...k.procs.values()]) if (q.pgid === p.pgid && q.state === "running") k.die(q, { kind: "signal", signal: SIGKILL });
        if (p.state === "running") k.die(p, { kind: "signal", signal: SIGKILL });
      }
      for (const p of left) k.reap(p.pid);
    }
  }

  /**
   * Like BunPort: sometimes nothing to prepare; otherwise ready a little later
   * (output and log files get their time), with exits, signals and requests
   * arriving meanwhile; now and then the new image fails its start-up check.
   */
  prepareExec(_argv: readonly string[], _env: Readonly<Record<string, string>>, ready: (problem: string | null) => void): boolean {
    if (this.preparing || this.w.k.rng.next() < 0.3) return false;
    this.preparing = true;
    const problem = this.w.k.rng.next() < 0.05 ? "the new image fails its start-up check (exit status 1): simulated" : null;
    this.w.k.schedule(this.w.k.now + this.w.k.rng.pick([0, 0.1, 2, 20, 250]), () => {
      if (!this.alive) return;
      this.preparing = problem === null;
      this.w.enter(this, () => ready(problem));
    });
    return true;
  }

  cancelExec(): void {
    this.preparing = false;
  }

  private preparing = false;

  openLog(_target: LogTarget): void {
    // The simulated servers write nothing, and the simulated log never fails.
  }

  appendLog(_target: LogTarget, _line: string): void {}

  logState(_path: string): LogFileState | null {
    return null;
  }

  rotateLogs(_paths: readonly string[]): Promise<string[]> {
    return Promise.resolve([]);
  }

  reopenLogs(_paths: readonly string[]): void {}

  exec(argv: readonly string[], env: Readonly<Record<string, string>>): string {
    this.w.execCalled();
    this.preparing = false;
    this.w.interruptCmdProbes(this);
    if (this.w.execFails()) return "execve: ENOEXEC (simulated)";
    this.w.replaceImage(this, argv, env);
    throw new ImageEnded();
  }

  /** SIGCHLD: reap every zombie child (servers, adopted, orphans), as BunPort does, and hand them over soon. */
  sigchld(atTakeover = false): void {
    const zombies = this.w.k.childrenOfSup().filter((p) => p.state === "zombie");
    for (let i = zombies.length - 1; i > 0; i--) { // reaped in an order of the scheduler's choosing
      const j = this.w.k.rng.int(i + 1);
      [zombies[i], zombies[j]] = [zombies[j]!, zombies[i]!];
    }
    for (const p of zombies) {
      this.w.k.reap(p.pid);
      this.reapedHere.add(p.pid);
      this.children.delete(p.pid);
      this.queue(p.pid, p.status as ExitStatus, atTakeover);
    }
  }

  private queue(pid: number, status: ExitStatus, atTakeover: boolean): void {
    this.pending.push({ pid, status, atTakeover });
    if (this.deliveryScheduled) return;
    this.deliveryScheduled = true;
    // A window between reaping and reporting, like the runtime's: a re-exec can fall in it.
    this.w.k.schedule(this.w.k.now + this.w.k.rng.pick([0, 0, 0.01, 0.2, 5]), () => {
      if (this.alive) this.w.enter(this, () => this.deliver());
    });
  }

  private deliver(): void {
    this.deliveryScheduled = false;
    while (this.pending.length > 0) this.listener(this.pending.shift()!);
  }

  end(): void {
    this.alive = false;
    for (const t of this.timers) t.cancelled = true;
    this.timers.clear();
  }
}

/** What a simulated server's sd_notify datagram says (the world's own record of it, not a parse of its text). */
interface Says {
  readonly ready: boolean;
  readonly watchdog: boolean;
  readonly trigger: boolean;
  readonly status: string | null;
}

const SAYS_NOTHING: Says = { ready: false, watchdog: false, trigger: false, status: null };

/** A datagram's text, its lines in the order a server would send them (STATUS= before WATCHDOG=trigger). */
function textOf(says: Says): string {
  const lines: string[] = [];
  if (says.ready) lines.push("READY=1");
  if (says.watchdog) lines.push("WATCHDOG=1");
  if (says.status !== null) lines.push(`STATUS=${says.status}`);
  if (says.trigger) lines.push("WATCHDOG=trigger");
  return lines.join("\n");
}

interface ResolvedLife {
  readonly behaviour: Behaviour;
  readonly spawnError: string | null;
  readonly script: Life;
}

export class World {
  readonly k: Kernel;
  private image: SimPort;
  private images = 0;
  private sup: Supervisor | null = null;
  private state: State | null = null;
  /** The reference model: one for the whole run, across re-execs, built from the scenario (not from the core). */
  private readonly model: Model;
  /** Effects the core asked for that the shell has not carried out yet (kills, remnants, adoptions, timers), by key → how many. */
  private readonly asked = { kills: new Map<string, number>(), remnants: new Map<string, number>(), adopts: new Map<string, number>(), arms: new Map<string, number>() };
  /** The core asked for a re-exec and the shell has not exec'd (or tried to) since. */
  private reexecAsked = false;
  /** A step of the core happened since the timers were last checked; the model's earliest deadline then. */
  private stepped = true;
  private earliestDeadline = Number.POSITIVE_INFINITY;
  private exitStatus: number | null = null;
  private expectedExit: number | null = null;
  private steps = 0;
  private readonly spawnsSoFar: number[];
  /** Spawns the core asked for and the shell has not carried out yet, by server (a server has one at most). */
  private readonly expectedSpawns = new Map<string, readonly string[]>();
  /** Of those, the names whose spawn is a rolling restart's new process in a slot aside. */
  private readonly asideSpawns = new Set<string>();
  /** The serial of the process the core knows as alive under each pid. */
  private readonly coreSerial = new Map<number, number>();
  /** The probe being answered now (its pid, and the serial of the process it was asked about), while the shell takes its answer. */
  private answering: { readonly pid: number; readonly serial: number | undefined; readonly interrupted?: boolean } | null = null;
  /** Command probes carried out and not answered yet, by image: a re-exec cuts them short (BunPort kills them before execve). */
  private readonly cmdProbesInFlight = new Map<SimPort, Set<{ interrupted: boolean; readonly interrupt: () => void }>>();
  /** Exits the core was told of, by process serial: each exactly once. */
  private readonly accounted = new Set<number>();
  private execs = 0;
  private sigchldScheduled = false;
  private readonly heldSignals = new Set<Signal>();
  private readonly signalScheduled = new Set<Signal>();
  private bootPending: Promise<void> | null = null;
  private readonly logTail: string[] = [];
  private readonly trace: string[] = [];
  private violation: SimViolation | null = null;
  /** The process each successful spawn call returned, by pid, until the core hears of it. */
  readonly spawnedSerial = new Map<number, number[]>();
  private digest = 0x811c9dc5;
  /**
   * Step bounds (busy.ts): a supervisor that keeps asking for something at one instant (a timer set again for the
   * instant it fires, a step of the core that asks for another at once) would loop for ever, in the kernel's agenda or
   * inside the shell's dispatch, where virtual time stands still and the run's time limit never comes: the world's
   * happenings and the core's steps at one instant are counted, and too many fail with a message that names the
   * busy loop (simBounds). Time bounds the run as a whole (limit in run), so there is no per-run bound.
   */
  private readonly happeningBound: StepBound;
  private readonly stepBound: StepBound;
  /** The core's last step, and its instant (for the busy-loop message). */
  private lastStep: { words: string; at: number } | null = null;

  /** The supervisor's command line and the files it reads. */
  private readonly command: { args: string[]; files: Map<string, string>; env: Record<string, string> };
  /** What the files say and the supervisor runs (issue 15: edited by reloads and `ctl scale`): config.ts. */
  private config: SimConfig;
  private slots: SimSlot[];
  /**
   * The configuration of a reload or scale being asked for (null: none): the
   * model applies it when the core gets its reconfigure event; `broken`: it
   * does not validate, and must be refused.
   */
  private candidate: { config: SimConfig; specs: ServerSpec[]; broken: boolean; what: string } | null = null;
  /** `ctl restart NAME --rolling` requests and how many answers each got (one, once its image ends). */
  private readonly rollRequests: { readonly line: string; readonly image: SimPort; replies: number }[] = [];
  /** The request id of the last `restart --rolling` the core got. */
  private rollAsked: number | null = null;
  /** How many rolling restarts the core has been asked for (ids start again in a new image). */
  private rollsAsked = 0;

  /** Every rolling restart asked of an image that ends (exec, exit) has been answered, once: a roll ends before the image does. */
  private checkRollsAnswered(image: SimPort, how: string): void {
    for (const r of this.rollRequests) {
      if (r.image !== image) continue;
      if (r.replies === 0) this.fail(`${r.line} got no answer before the supervisor ${how}: a rolling restart is answered at its end, which comes before (never answer a rolling restart)`);
      if (r.replies > 1) this.fail(`${r.line} got ${r.replies} answers before the supervisor ${how}: a rolling restart is answered once, at its end`);
    }
  }

  constructor(private readonly sc: SimScenario, private readonly factory: SupervisorFactory = (p, c) => new Supervisor(p, c)) {
    this.config = initialConfig(sc);
    this.slots = slotsOf(this.config, sc);
    this.command = simArgs(sc, this.config);
    this.k = new Kernel(sc.seed, sc.pidMax);
    this.spawnsSoFar = sc.servers.map(() => 0);
    this.image = new SimPort(this, 0);
    this.k.onChildDied = () => this.childDied();
    this.specs = specsOf(this.config, sc);
    this.model = new Model(this.specs, simSettings(sc));
    const b = simBounds(sc);
    this.happeningBound = new StepBound("world.ts happenings", b.happenings, Number.POSITIVE_INFINITY, "happenings");
    this.stepBound = new StepBound("world.ts steps", b.steps, Number.POSITIVE_INFINITY);
  }

  /** The servers as the scenario describes them, in the supervisor's order. */
  private specs: ServerSpec[];
  /** What each process of ours does about readiness and health (issue 14), by serial. */
  private readonly scripts = new Map<number, { readonly startedAt: number; readonly life: Life; readonly spec: ServerSpec }>();

  // --- issue 14: what simulated servers say, and the probes the shell carries out ----------
  // Probes come in through SimPort.probe and are answered through its callback; datagrams and
  // matching lines go out through the listeners the shell gave the port, as BunPort's would.

  /** A process of server `sim` (the scenario's index) has started: it will say it is ready, and keep its watchdog alive, as its script says. */
  lifeStarts(pid: number, serial: number, sim: number, life: Life): void {
    const spec = this.specOfSim(sim);
    if (spec === undefined) return;
    this.scripts.set(serial, { startedAt: this.k.now, life, spec });
    const runs = () => {
      const p = this.k.procs.get(pid);
      return p !== undefined && p.serial === serial && p.state === "running";
    };
    const kind = spec.ready?.kind;
    if ((kind === "notify" || kind === "log") && life.readyAfterMs !== null) {
      this.k.schedule(this.k.now + life.readyAfterMs, () => {
        if (!runs()) return;
        if (kind === "notify") this.datagram(pid, { ...SAYS_NOTHING, ready: true, status: "ready" });
        else this.lineMatched(pid);
      });
    }
    const every = life.keepaliveMs;
    if (kind === "notify" && every !== null) {
      const beat = (): void => {
        if (!runs()) return;
        this.datagram(pid, { ...SAYS_NOTHING, watchdog: true });
        this.k.schedule(this.k.now + every, beat);
      };
      this.k.schedule(this.k.now + every, beat);
    }
    // It asks to be treated as failed (WATCHDOG=trigger), alone or with a STATUS= line, and goes on running until stopped.
    const trigger = life.triggerAfterMs ?? null;
    if (kind === "notify" && trigger !== null) {
      this.k.schedule(this.k.now + trigger, () => {
        if (!runs()) return;
        this.datagram(pid, { ...SAYS_NOTHING, trigger: true, status: this.k.rng.next() < 0.5 ? null : "giving up" });
      });
    }
  }

  /** The spec of (a copy of) scenario server `sim` as the configuration in force has it. */
  private specOfSim(sim: number): ServerSpec | undefined {
    const j = this.slots.findIndex((x) => x.sim === sim);
    return j < 0 ? simSpecs(this.sc).find((x) => x.argv[0] === `srv${sim}`) : this.specs[j];
  }

  /** A simulated server's readiness line: told by the port to the shell's listener, as BunPort's output hub does. */
  private lineMatched(pid: number): void {
    const port = this.image;
    const listener = port.outputMatch;
    if (!port.alive || !port.booted || listener === null || this.exitStatus !== null) return;
    this.trace.push(`${this.k.now.toFixed(2)} output-match from pid ${pid}`);
    this.enter(port, () => listener(pid));
  }

  /**
   * A server's sd_notify datagram: to the running image's notify socket (lost while no image listens, as a datagram
   * would be). From the main process of a server alive in the core, the shell must tell the core what it says, in
   * this call (checked in observe, and here after it): the model then follows the core's event.
   */
  private datagram(pid: number, says: Says): void {
    const port = this.image;
    const listener = port.notifyListener;
    if (!port.alive || !port.booted || listener === null || this.exitStatus !== null) return;
    const text = textOf(says);
    this.trace.push(`${this.k.now.toFixed(2)} datagram ${JSON.stringify(text)} from pid ${pid}`);
    const known = this.state?.servers.some((s) => s.life.kind === "alive" && s.life.pid === pid) === true;
    const telling = { pid, says, text, told: false };
    this.telling = telling;
    try {
      this.enter(port, () => listener(pid, text, pid));
    } finally {
      this.telling = null;
    }
    if (this.violation !== null) throw this.violation;
    if (known && !telling.told && port.alive && this.exitStatus === null) {
      this.fail(`pid ${pid}, a server's main process the core has alive, sent ${JSON.stringify(text)}, and the shell told the core nothing of it${says.trigger ? ": the server asked to be treated as failed (drop WATCHDOG=trigger)" : ""}`);
    }
  }

  /** The datagram the shell is taking now (datagram), and whether the core has been told of it. */
  private telling: { readonly pid: number; readonly says: Says; readonly text: string; told: boolean } | null = null;

  /** The core's notify event says what the datagram being taken says. */
  private checkNotify(e: Extract<Event, { type: "notify" }>): void {
    const t = this.telling;
    if (t === null) return this.fail(`the core was told of a notification from pid ${e.pid}, and no datagram is being taken`);
    if (e.pid !== t.pid) return this.fail(`pid ${t.pid} sent ${JSON.stringify(t.text)}, and the shell told the core it came from pid ${e.pid}`);
    if (t.told) return this.fail(`pid ${t.pid} sent ${JSON.stringify(t.text)} once, and the shell told the core twice`);
    t.told = true;
    const got: Says = { ready: e.ready, watchdog: e.watchdog, trigger: e.trigger === true, status: e.status };
    if (t.says.trigger && !got.trigger) {
      this.fail(`pid ${t.pid} sent ${JSON.stringify(t.text)}, and the shell told the core ${JSON.stringify(got)}, without its WATCHDOG=trigger: the server asked to be treated as failed (drop WATCHDOG=trigger)`);
    }
    if (JSON.stringify(got) !== JSON.stringify(t.says)) this.fail(`pid ${t.pid} sent ${JSON.stringify(t.text)}, and the shell told the core ${JSON.stringify(got)}`);
  }

  /** The core's probe effects of the step being carried out, in order, for port.probe to take. */
  readonly probesAsked: Extract<Effect, { type: "probe" }>[] = [];

  /** Spawns the port answered with a failure, in order, not yet told to the core (each is told as a spawn-failed event, in that order). */
  private readonly failedSpawns: Extract<SpawnOutcome, { ok: false }>[] = [];

  /** A port's failed spawn (to be told to the core as it is: checkSpawnFailed). */
  spawnFailed(outcome: Extract<SpawnOutcome, { ok: false }>): SpawnOutcome {
    this.failedSpawns.push(outcome);
    return outcome;
  }

  /** The core is told of a failed spawn as the port answered it: a shortage (no free process) as one, so the server is tried again. */
  private checkSpawnFailed(e: Extract<Event, { type: "spawn-failed" }>): void {
    const f = this.failedSpawns.shift();
    if (f === undefined) return this.fail(`the core was told that a spawn of server ${e.server} failed (${e.error}), and no spawn failed`);
    if (f.short === true && e.short !== true) {
      this.fail(`a spawn of server ${e.server} failed for want of a resource (${f.error}), and the shell told the core it failed for good: it is buried instead of tried again (lose a spawn's shortage on the way to the core)`);
    }
  }

  /**
   * The shell called port.probe: it must be for a probe effect the core asked
   * for (with its timeout); answered through `done` after a latency of the
   * scheduler's choosing (failed at its timeout), perhaps after its process died.
   */
  carryOutProbe(port: SimPort, request: ProbeRequest, done: ProbeDone): void {
    const fx = this.probesAsked.shift();
    if (fx === undefined || fx.timeoutMs !== request.timeoutMs || fx.probe !== request.probe) {
      this.fail(`the shell carried out a probe the core did not ask for: ${JSON.stringify(request.probe)}`);
      return;
    }
    const serial = this.coreSerial.get(fx.pid);
    const latency = this.k.rng.pick([0, 1, 20, 200, 5000]);
    const late = latency >= fx.timeoutMs;
    // A command probe is a child of the image: a re-exec kills it first, and should the exec fail, its
    // answer is no verdict (ok: null), which the core must not take for a failure.
    const flight = fx.probe.kind !== "cmd" ? null : {
      interrupted: false,
      interrupt: () => {
        flight!.interrupted = true;
        this.k.schedule(this.k.now, () => {
          if (port !== this.image || !port.alive || !port.booted || this.exitStatus !== null) return;
          this.trace.push(`${this.k.now.toFixed(2)} probe of pid ${fx.pid} interrupted by a re-exec that failed`);
          this.answering = { pid: fx.pid, serial, interrupted: true };
          try {
            this.enter(port, () => done({ ok: null, reason: "interrupted by a re-exec" }));
          } finally {
            this.answering = null;
          }
        });
      },
    };
    if (flight !== null) {
      const set = this.cmdProbesInFlight.get(port) ?? new Set();
      set.add(flight);
      this.cmdProbesInFlight.set(port, set);
    }
    this.k.schedule(this.k.now + (late ? fx.timeoutMs : latency), () => {
      if (flight !== null) {
        this.cmdProbesInFlight.get(port)?.delete(flight);
        if (flight.interrupted) return;
      }
      // The probe dies with its image. An answer about a process that has ended is given all the same (a
      // TCP or HTTP probe knows nothing of pids): its pid may be another process's by now, which the shell must see.
      if (port !== this.image || !port.alive) return;
      const p = this.k.procs.get(fx.pid);
      const script = serial === undefined ? undefined : this.scripts.get(serial);
      const up = p !== undefined && p.serial === serial && p.state === "running" && script !== undefined;
      const age = up ? this.k.now - script.startedAt : 0;
      const ok = !late && up && (fx.purpose === "ready"
        ? script.life.readyAfterMs !== null && age >= script.life.readyAfterMs
        : script.life.unhealthyAfterMs === null || age < script.life.unhealthyAfterMs);
      if (!port.alive || !port.booted || this.exitStatus !== null) return;
      this.trace.push(`${this.k.now.toFixed(2)} probe-result for pid ${fx.pid}: ${ok ? "ok" : "failed"}`);
      this.answering = { pid: fx.pid, serial };
      try {
        this.enter(port, () => done({ ok, reason: ok ? "" : late ? "timed out" : "refused" }));
      } finally {
        this.answering = null;
      }
    });
  }

  async run(): Promise<SimReport> {
    this.startImage(this.command.args, { ...this.command.env });
    await this.settleBoot();
    for (const a of this.sc.world) this.k.schedule(a.at, () => this.act(a));
    this.k.schedule(this.sc.horizonMs, () => this.sendSignal(SIGTERM));
    // While that shutdown goes on: a second terminate (stop waiting), a re-exec and a revive (both ignored).
    const { second, reexec, revive } = this.sc.ending;
    if (second !== null) this.k.schedule(this.sc.horizonMs + second, () => this.sendSignal(SIGTERM));
    if (reexec !== null) this.k.schedule(this.sc.horizonMs + reexec, () => this.sendSignal(SIGUSR1));
    if (revive !== null) this.k.schedule(this.sc.horizonMs + revive, () => this.sendSignal(SIGUSR2));
    // (dependents stop first: a chain of servers may take a stop timeout each)
    const limit = this.sc.horizonMs + (3 + this.sc.servers.length) * Math.max(this.sc.stopTimeoutMs, 1000) + 10_000;
    while (this.exitStatus === null && this.violation === null && this.k.step(limit)) {
      this.steps++;
      const busy = this.happeningBound.step(this.k.now, () => this.lastStepWords());
      if (busy !== null) this.fail(busy);
      await this.settleBoot();
      if (this.violation === null) this.checkQuiescent();
    }
    if (this.violation !== null) throw this.violation;
    if (this.exitStatus === null) this.fail(`the supervisor did not exit within ${limit} ms of virtual time (SIGTERM at ${this.sc.horizonMs})`);
    this.checkEnd();
    return { digest: (this.digest >>> 0).toString(16).padStart(8, "0"), lifetimes: this.k.lifetimes, steps: this.steps, images: this.images, exitStatus: this.exitStatus, virtualMs: this.k.now };
  }

  // --- images ----------------------------------------------------------------

  /** The image running opened the notification socket: it started with a server with ready = notify. */
  private notifyOpen = false;

  private startImage(args: readonly string[], env: Record<string, string | undefined>): void {
    this.notifyOpen = this.specs.some((x) => x.ready?.kind === "notify");
    const port = new SimPort(this, this.images++);
    this.image = port;
    this.state = null;
    this.trace.push(`${this.k.now.toFixed(2)} image ${port.image} boots`);
    this.bootPending = boot(() => port, {
      args,
      env,
      self: SELF,
      pid: SUP,
      uid: 1000,
      tmpdir: "/tmp",
      cwd: "/sim",
      files: {
        readFile: (path, name) => {
          const text = this.command.files.get(path);
          if (text === undefined) return { ok: false, missing: true, error: `${name}: cannot read it: no such file (ENOENT).` };
          return { ok: true, bytes: new TextEncoder().encode(this.factory.misreads?.(text) ?? text) };
        },
      },
      makeSupervisor: (p, config) => {
        const sup = this.factory(p, { ...config, onStep: (e, b, a, fx) => this.observe(port, e, b, a, fx) });
        this.sup = sup;
        return sup;
      },
    }).then((r) => {
      if (r.kind === "error") this.fail(`image ${port.image} refused to boot: ${r.message}`);
      if (r.kind === "running") port.booted = true;
      // Signals sent while it was booting were held (blocked); now its handlers are in place.
      for (const s of [...this.heldSignals]) {
        this.heldSignals.delete(s);
        this.sendSignal(s);
      }
      // A new image sweeps for zombies once (SIGCHLDs sent during the exec were lost), as BunPort does.
      if (this.k.childrenOfSup().some((p) => p.state === "zombie")) this.childDied();
    }, (e) => {
      if (!(e instanceof ImageEnded)) this.fail(`booting image ${port.image} threw: ${String(e)}`);
    });
  }

  private async settleBoot(): Promise<void> {
    while (this.bootPending !== null) {
      const p = this.bootPending;
      this.bootPending = null;
      await p;
    }
  }

  /** When the last successful exec happened (the world's own record). */
  private lastExec: number | null = null;
  /**
   * What was still running of the group of a server that ended by itself, when its end was told (its helpers, by
   * serial), and when the model says its SIGKILL is due: each must be gone by then (checkLeftovers).
   */
  private readonly leftoverHelpers = new Map<number, { due: number; serials: number[] }>();
  /** The old image's core state at its exec, until the new image has started. */
  private across: State | null = null;

  replaceImage(old: SimPort, argv: readonly string[], env: Readonly<Record<string, string>>): void {
    this.checkCarriedOut();
    this.checkRollsAnswered(old, "re-exec'd");
    const complaint = this.model.exec(this.k.now, this.specs);
    if (complaint !== null) this.fail(complaint);
    old.end();
    this.lastExec = this.k.now;
    // What was left of ended servers' groups is not handed across: its helpers run on until lazarus exits.
    this.leftoverHelpers.clear();
    this.across = this.state;
    this.execs++;
    if (JSON.stringify(argv.slice(0, SELF.length)) !== JSON.stringify(SELF)) this.fail(`re-exec of ${argv.join(" ")}, not of itself`);
    const args = argv.slice(SELF.length);
    const delay = this.k.rng.pick([1, 5, 20, 40]);
    this.trace.push(`${this.k.now.toFixed(2)} exec; new image in ${delay} ms`);
    this.image = new SimPort(this, -1); // nobody home during the exec
    this.image.end();
    this.k.schedule(this.k.now + delay, () => this.startImage(args, { ...env }));
  }

  /** The shell calls exec: only when the core asked for a re-exec. */
  execCalled(): void {
    if (!this.reexecAsked) {
      this.fail(this.model.phase.kind === "stopping"
        ? "a re-exec during a shutdown: the shell exec'd though the core ignores a re-exec while stopping (the shutdown would be forgotten, the buried revived)"
        : "the shell exec'd without the core asking for a re-exec");
    }
    this.reexecAsked = false;
  }

  /** Before an execve, BunPort kills the image's command probes: each is told no verdict, should the exec fail. */
  interruptCmdProbes(port: SimPort): void {
    const set = this.cmdProbesInFlight.get(port);
    if (set === undefined) return;
    this.cmdProbesInFlight.delete(port);
    for (const f of set) f.interrupt();
  }

  execFails(): boolean {
    return this.sc.failingExecs.includes(this.execs++);
  }

  supervisorExited(port: SimPort, status: number): void {
    port.end();
    this.exitStatus = status;
    this.trace.push(`${this.k.now.toFixed(2)} supervisor exits ${status}`);
    if (status !== this.expectedExit) this.fail(`the shell exited with ${status}, the core decided ${String(this.expectedExit)}`);
    this.checkRollsAnswered(port, `exited (${status})`);
    // What it leaves behind, before anything is cleaned up: no server's process running, no end untold.
    for (const p of this.k.procs.values()) {
      if (p.server !== null && p.state === "running") this.fail(`the supervisor exited with status ${status} leaving server ${p.server}'s process ${p.pid} running`);
    }
    for (const [serial, x] of this.k.ended) {
      if (x.server !== null && !this.accounted.has(serial)) {
        this.fail(`the supervisor exited with status ${status}, and server ${x.server}'s process ${x.pid} ended (${JSON.stringify(x.status)}) without the core ever being told`);
      }
    }
    // (a helper of an ended server's group past its SIGKILL deadline: before the exit kills it)
    this.checkLeftovers();
    // Then as BunPort.exit: orphans and remnants are killed and reaped (servers it thinks alive are not its business there).
    port.leaveNoChild();
  }

  /** Run shell code (a handler, a timer, a delivery); its image may end inside. */
  enter(port: SimPort, fn: () => void): void {
    if (!port.alive || this.violation !== null) return;
    try {
      fn();
    } catch (e) {
      if (e instanceof ImageEnded) return;
      if (e instanceof SimViolation) { this.violation ??= e; return; }
      this.fail(`the shell threw: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }

  // --- the world -------------------------------------------------------------------

  private act(a: SimScenario["world"][number]): void {
    switch (a.act) {
      case "signal":
        this.sendSignal(a.signal);
        return;
      case "kill": {
        const servers = [...this.k.procs.values()].filter((p) => p.server !== null && p.state === "running");
        if (servers.length === 0) return;
        const p = servers[a.k % servers.length]!;
        this.trace.push(`${this.k.now.toFixed(2)} the world sends ${signalName(a.signal)} to pid ${p.pid}`);
        if (a.signal === SIGTERM && p.behaviour.ignoresTerm) return; // it ignores it, as it does the supervisor's
        this.k.schedule(this.k.now, () => this.k.die(p, { kind: "signal", signal: a.signal }));
        return;
      }
      case "stop-then-reexec":
        this.act({ at: a.at, act: "control", op: a.op, k: a.k });
        this.k.schedule(this.k.now + a.delay, () => this.sendSignal(SIGUSR1));
        return;
      case "reload":
      case "scale": {
        const port = this.image;
        if (!port.alive || port.control === null) return;
        // The files edited (and perhaps broken besides), read again at once, inside the request; put back unless applied.
        const files = this.command.files;
        const saved = new Map(files);
        let next: SimConfig | null;
        let line: string;
        let what: string;
        let broken = false;
        if (a.act === "reload") {
          next = edited(this.config, this.sc, a.edits ?? []);
          const texts = filesOf(next, this.sc, a.broken);
          if (texts.config !== null && files.has("/sim/lazarus.toml")) files.set("/sim/lazarus.toml", texts.config);
          if (texts.procfile !== null && files.has("/sim/Procfile")) files.set("/sim/Procfile", texts.procfile);
          broken = a.broken && (files.has("/sim/lazarus.toml") || files.has("/sim/Procfile"));
          line = JSON.stringify({ cmd: "reload" });
          what = "reload";
          if (a.reexec !== undefined && a.reexec !== null) this.k.schedule(this.k.now + a.reexec, () => this.sendSignal(SIGUSR1));
        } else {
          const i = a.k % this.sc.servers.length;
          // (a config server with a readiness check is not scaled: see docs/testing.md)
          if (this.sc.servers[i]!.source === "config" && this.config.entries[i]!.present && !scaled(this.config, this.sc, i, a.count)) return;
          next = scaled(this.config, this.sc, i, a.count);
          line = JSON.stringify({ cmd: "scale", server: tableName(this.sc, i), count: a.count });
          what = `scale of '${tableName(this.sc, i)}' to ${a.count} (now ${countOf(this.config, this.sc, i) ?? "none"})`;
        }
        const specs = next === null ? [] : specsOf(next, this.sc);
        // (the first server with ready = notify needs the notification socket, opened only when an image starts with one: refused)
        if (next !== null && !this.notifyOpen && specs.some((x) => x.ready?.kind === "notify")) {
          broken = true;
          what = `${what} adding the first server with ready = notify`;
        }
        this.candidate = next === null ? null : { config: next, specs, broken, what };
        const running = this.model.phase.kind === "running";
        this.trace.push(`${this.k.now.toFixed(2)} control ${line}${broken ? " (broken file)" : ""}${a.act === "reload" && (a.edits ?? []).length > 0 ? ` edits ${JSON.stringify(a.edits)}` : ""}`);
        let replies = 0;
        let ok: boolean | null = null;
        const handler = port.control;
        try {
          this.enter(port, () => handler(line, (reply) => {
            replies++;
            ok = (JSON.parse(reply) as { ok: boolean }).ok;
          }));
        } finally {
          this.candidate = null;
          if (ok !== true || broken) {
            files.clear();
            for (const [k, v] of saved) files.set(k, v);
          }
        }
        if (this.violation !== null) throw this.violation;
        if (this.exitStatus !== null || !port.alive) return;
        if (replies !== 1) this.fail(`control request ${line} got ${replies} replies`);
        if (broken && ok !== false) this.fail(`a reload of a broken file was not refused (apply a half-valid file)`);
        if (next === null && ok !== false) this.fail(`the ${what} was accepted, and it names no server that can be scaled`);
        if (next !== null && !broken && running && ok !== true) this.fail(`the ${what} was refused while the supervisor runs`);
        return;
      }
      case "roll": {
        // `ctl restart NAME --rolling`: answered at once only when it cannot begin, else at its end (checked by the model).
        const port = this.image;
        if (!port.alive || port.control === null) return;
        const name = tableName(this.sc, a.k % this.sc.servers.length);
        const line = JSON.stringify({ cmd: "restart", server: name, rolling: true });
        this.trace.push(`${this.k.now.toFixed(2)} control ${line}`);
        const request = { line, image: port, replies: 0 };
        this.rollRequests.push(request);
        const handler = port.control;
        const askedBefore = this.rollsAsked;
        this.enter(port, () => handler(line, () => { request.replies++; }));
        if (this.violation !== null) throw this.violation;
        if (request.replies > 1) this.fail(`${line} got ${request.replies} replies at once: a rolling restart is answered once, at its end, or at once when it cannot begin (answer a rolling restart at once)`);
        const roll = this.state?.roll;
        // (The roll under way must be this request's: one the shell refused before the core saw it, such as
        // a name with no server, leaves an earlier request's roll running.)
        const began = this.rollsAsked !== askedBefore;
        if (request.replies > 0 && began && port.alive && roll !== undefined && roll.id !== null && roll.id === this.rollAsked) {
          this.fail(`${line} was answered at once, while the rolling restart it began is under way (at '${this.state?.servers.at(roll.current)?.spec.name}'): it is answered at its end (answer a rolling restart at once)`);
        }
        if (a.reexec !== null) this.k.schedule(this.k.now + a.reexec, () => this.sendSignal(SIGUSR1));
        return;
      }
      case "control": {
        const port = this.image;
        if (!port.alive || port.control === null) return;
        const server = a.k % this.sc.servers.length;
        const line = JSON.stringify(a.op === "signal" ? { cmd: "signal", server, signal: "HUP" } : a.op === "status" || a.op === "shutdown" ? { cmd: a.op } : { cmd: a.op, server });
        this.trace.push(`${this.k.now.toFixed(2)} control ${line}`);
        let replies = 0;
        const handler = port.control;
        this.enter(port, () => handler(line, () => { replies++; }));
        if (replies !== 1 && this.exitStatus === null && port.alive) this.fail(`control request ${line} got ${replies} replies`);
        return;
      }
    }
  }

  /** A signal to the supervisor: coalesced while one is on its way; held while an image boots. */
  private sendSignal(signal: Signal): void {
    if (this.exitStatus !== null) return;
    const port = this.image;
    if (!port.alive || !port.booted) {
      this.heldSignals.add(signal);
      return;
    }
    if (this.signalScheduled.has(signal)) return;
    this.signalScheduled.add(signal);
    this.k.schedule(this.k.now + this.k.rng.pick([0, 0.05, 1]), () => {
      this.signalScheduled.delete(signal);
      const cur = this.image;
      if (!cur.alive || !cur.booted) {
        this.heldSignals.add(signal);
        return;
      }
      const h = cur.handlers.get(signal);
      if (h === undefined) this.fail(`${signalName(signal)} reached the supervisor without a handler: it would have died of it`);
      this.trace.push(`${this.k.now.toFixed(2)} ${signalName(signal)} delivered`);
      this.enter(cur, h!);
    });
  }

  /** A child of the supervisor died: one SIGCHLD for however many die before it is handled. */
  private childDied(): void {
    if (this.sigchldScheduled || this.exitStatus !== null) return;
    this.sigchldScheduled = true;
    this.k.schedule(this.k.now + this.k.rng.pick([0, 0, 0.1, 1, 3]), () => {
      this.sigchldScheduled = false;
      const port = this.image;
      if (!port.alive || !port.booted) return; // the new image's adopt() finds the zombies itself
      this.enter(port, () => port.sigchld());
    });
  }

  nextLife(server: number): ResolvedLife {
    const script = this.sc.servers[server]!;
    const n = this.spawnsSoFar[server]!;
    this.spawnsSoFar[server] = n + 1;
    const life = script.lives[n % script.lives.length]!;
    const interval = script.own.intervalMs ?? this.sc.intervalMs;
    const ms = (d: Duration): number | null => {
      if (typeof d === "object") return d.ms;
      switch (d) {
        case "zero": return 0;
        case "below": return Math.max(0, interval - 1);
        case "equal": return interval;
        case "above": return interval + 1;
        case "long": return interval * 3 + 97;
        case "forever": return null;
      }
    };
    const gc = (g: { life: Duration; ignoresTerm: boolean }): Behaviour => ({ lifeMs: ms(g.life), end: { kind: "code", code: 0 }, ignoresTerm: g.ignoresTerm, forks: [] });
    return {
      spawnError: life.spawnError,
      script: life,
      behaviour: { lifeMs: ms(life.life), end: life.end, ignoresTerm: life.ignoresTerm, forks: life.forks.map(gc) },
    };
  }

  log(line: string): void {
    for (let i = 0; i < line.length; i++) this.digest = Math.imul(this.digest ^ line.charCodeAt(i), 0x01000193);
    this.digest = Math.imul(this.digest ^ 10, 0x01000193);
    this.logTail.push(line);
    if (this.logTail.length > 30) this.logTail.shift();
  }

  // --- checks ------------------------------------------------------------------------

  /** The core's last step, for a busy loop's message: the kernel's happenings at one instant may not step it at all. */
  private lastStepWords(): string {
    const l = this.lastStep;
    if (l === null) return "none (no step of the core yet)";
    return l.at === this.k.now ? l.words : `${l.words}, the core's last step (the happenings since are the shell's or the world's)`;
  }

  /** Every step the core takes, as the shell takes it. */
  private observe(port: SimPort, e: Event, before: State, after: State, effects: readonly Effect[]): void {
    this.lastStep = { words: eventWords(e), at: this.k.now };
    const busy = this.stepBound.step(this.k.now, () => eventWords(e));
    if (busy !== null) this.fail(busy);
    if ((globalThis as { SIM_DEBUG?: boolean }).SIM_DEBUG) console.log(`${this.k.now.toFixed(3)} EVENT ${JSON.stringify(e)} -> ${effects.filter((x) => x.type !== "log").map((x) => JSON.stringify(x)).join(" ")}`);
    if (port !== this.image) this.fail("a step of an image that is no longer running");
    if (this.state === null && e.type === "start") {
      // The supervisor's servers are the scenario's, in its order (config file, Procfile, braces).
      // The supervisor's servers are those the files say now, in their order (config file, Procfile, braces; a table's
      // copies in a row): after a re-exec, the reloaded configuration's, with the `ctl scale` counts in force.
      const reexec = this.execs > 0 ? " (after a re-exec the new image runs the reloaded configuration)" : "";
      if (after.servers.length !== this.slots.length) {
        this.fail(`the supervisor runs ${after.servers.length} servers (${after.servers.map((s) => s.spec.name).join(", ")}), the configuration in force has ${this.slots.length} (${this.slots.map((x) => x.name).join(", ")})${reexec}`);
      }
      after.servers.forEach((s, j) => {
        const want = this.slots[j]!;
        if (simServerOf(s.spec.argv) !== want.sim || s.spec.name !== want.name) this.fail(`server ${j} of the supervisor is '${s.spec.name}' (${s.spec.argv.join(" ")}), the configuration in force says '${want.name}' (srv${want.sim})${reexec}`);
      });
    }
    this.state = after;
    this.stepped = true;
    if (e.type === "control" && e.command.op === "roll") {
      this.rollAsked = e.id;
      this.rollsAsked++;
    }
    if (e.type === "notify") this.checkNotify(e);
    if (e.type === "spawn-failed") this.checkSpawnFailed(e);
    const due = e.type === "timer" ? this.model.timers() : null;
    const reload = e.type === "reconfigure" ? this.reconfigureSeen() : undefined;
    const was = this.model.servers.map((m) => ({ kind: m.kind, pid: m.pid, stop: m.stop !== null }));
    const x = this.model.apply(e, reload);
    if (e.type === "exited") this.noteLeftovers(x);
    if (e.type === "reconfigure") this.checkReload(e, before, after, effects, x, was);
    if (e.type === "reload-failed") this.checkRefusedReload(before, after, e.error);
    for (const fx of effects) {
      if (fx.type !== "spawn") continue;
      const name = after.servers.at(fx.server)?.spec.name ?? "?";
      if (!this.slots.some((x) => x.name === name)) {
        this.fail(`'${name}' (server ${fx.server}) was started, and it is not in the configuration in force: a server a reload removed is never started again`);
      }
    }
    const disagreement = compareEffects(e, effects, x, this.model) ?? compareState(after, this.model);
    if (disagreement !== null) this.fail(`the reference model disagrees: ${disagreement}`);
    if (e.type === "start" && this.across !== null) {
      // The core's complete state before the exec and the new image's after its take-over.
      const d = compareAcrossReexec(this.across, after, this.lastExec!);
      if (d !== null) this.fail(`across the re-exec: ${d}`);
      this.across = null;
    }

    if (e.type === "probe-result" && this.answering?.interrupted === true) {
      this.fail(`a ${e.purpose} probe of pid ${e.pid} cut short by a re-exec that failed reached the core as a verdict (${e.ok ? "passed" : "failed"}), not as no verdict (report an interrupted probe as failed)`);
    }
    if (e.type === "probe-result" && this.answering !== null && this.answering.pid === e.pid) {
      // A probe's answer names a pid only: the core takes it for whichever process it knows under that pid now.
      const now = this.coreSerial.get(e.pid);
      if (now !== undefined && now !== this.answering.serial) {
        this.fail(`a ${e.purpose} probe's answer about pid ${e.pid} reached the core after that process had ended and its pid was handed to another process: the core takes it for the new process's`);
      }
    }
    if (e.type === "spawned") {
      // (oldest first: a pid freed and reused at once may have two spawns waiting to be told)
      const serials = this.spawnedSerial.get(e.pid);
      const serial = serials?.shift();
      if (serial === undefined) this.fail(`the core was told pid ${e.pid} was spawned, but no spawn returned it`);
      if (serials !== undefined && serials.length === 0) this.spawnedSerial.delete(e.pid);
      this.coreSerial.set(e.pid, serial!);
    }
    if (e.type === "exited") {
      const untold = this.k.untold.get(e.pid);
      const serial = untold?.shift();
      if (untold !== undefined && untold.length === 0) this.k.untold.delete(e.pid);
      const truth = serial === undefined ? undefined : this.k.ended.get(serial);
      if (truth === undefined) this.fail(`the core was told pid ${e.pid} ended, but no end of a process of ours with that pid is untold (reported twice, or invented)`);
      this.accounted.add(serial!);
      if (JSON.stringify(truth!.status) !== JSON.stringify(e.status)) {
        this.fail(`pid ${e.pid} ended with ${JSON.stringify(truth!.status)} but the core was told ${JSON.stringify(e.status)}`);
      }
      // When the core takes it to have ended: never before its death, and never later than the
      // reporting latencies allow (a death during an exec counts from the exec instant).
      const end = e.atTakeover === true && this.lastExec !== null ? Math.min(e.at, this.lastExec) : e.at;
      if (truth!.server !== null && end - truth!.diedAt > MAX_REPORT_MS) {
        this.fail(`pid ${e.pid} died at ${truth!.diedAt.toFixed(3)} but the core takes it to have ended at ${end.toFixed(3)}: ${(end - truth!.diedAt).toFixed(3)} ms late (a death during the exec timed at its reaping?)`);
      }
      this.coreSerial.delete(e.pid);
    }
    if (e.type === "timer") {
      const needed = e.timer === "alarm"
        ? before.alarmAt !== null
        : e.timer.startsWith("stop:")
        ? (() => {
          const s = before.servers.at(Number(e.timer.slice(5)));
          return s?.life.kind === "alive" && s.life.stop !== null;
        })()
        : due!.has(e.timer);
      if (!needed) this.fail(`timer ${e.timer} fired though nothing needed it any more (a timer left armed)`);
    }
    for (const fx of effects) {
      if (fx.type === "spawn") {
        const name = after.servers.at(fx.server)?.spec.name ?? "?";
        if (this.expectedSpawns.has(name)) this.fail(`the core asked to spawn server ${fx.server} ('${name}') twice`);
        this.expectedSpawns.set(name, fx.argv);
        if (after.servers.at(fx.server)?.replaces !== undefined) this.asideSpawns.add(name);
      }
      if (fx.type === "kill") {
        // Keyed by the process it is meant for too: a pid handed out again at once may be asked to die twice,
        // once for a process that has ended (the shell drops that one) and once for the one that has it now.
        this.ask("kills", `${fx.pid}/${fx.signal}/${fx.group}/${this.coreSerial.get(fx.pid) ?? "?"}`);
      }
      if (fx.type === "kill-remnants") this.ask("remnants", `${fx.pgid}/${fx.signal}`);
      if (fx.type === "adopt") this.ask("adopts", String(fx.pid));
      if (fx.type === "arm") this.ask("arms", String(fx.at));
      if (fx.type === "reexec") this.reexecAsked = true;
      if (fx.type === "exit") this.expectedExit = fx.status;
      if (fx.type === "probe") this.probesAsked.push(fx);
    }
  }

  /**
   * The core got a reconfigure event: it must be the reload or scale the
   * world asked for, of files that validate; the model applies the world's own
   * view of them (config.ts), not the shell's.
   */
  private reconfigureSeen(): { settings: Settings; servers: readonly ServerSpec[] } {
    const c = this.candidate;
    if (c === null) return this.fail("the core was handed a reconfigure event no operator asked for");
    if (c.broken) {
      this.fail(`a ${c.what} of files that do not validate was applied (the core was handed a reconfigure event): a file that does not validate changes nothing (apply a half-valid file)`);
    }
    // (the tables held at 0 copies, as the plan tells the core: Settings.scaledToZero)
    const zero = zeroOf(c.config, this.sc);
    return { settings: { ...simSettings(this.sc), ...(zero.length === 0 ? {} : { scaledToZero: zero }) }, servers: c.specs };
  }

  /**
   * A reload or scale the core applied, against the model's view of it: no
   * unchanged server is signalled; every removed one that runs gets its stop
   * order and is no current server any more. Then the configuration it
   * applied is the one in force.
   */
  private checkReload(e: Extract<Event, { type: "reconfigure" }>, _before: State, after: State, effects: readonly Effect[], x: Expected, was: readonly { kind: string; pid: number; stop: boolean }[]): void {
    const c = this.candidate!;
    const r = x.reload;
    if (r === null) return; // refused (during a shutdown)
    const name = (i: number) => after.servers.at(i)?.spec.name ?? this.model.specs[i]?.name ?? `#${i}`;
    // A rolling reload: the copies after the first are not touched now (they are replaced one at a time).
    const later = this.model.roll?.reload === true ? this.model.roll.rest : [];
    for (const fx of effects) {
      if (fx.type === "kill" && later.includes(fx.server)) {
        this.fail(`the ${c.what} stopped '${name(fx.server)}' (server ${fx.server}, pid ${fx.pid}) at once, a copy of a changed table with instances and a readiness check, which a rolling reload replaces one at a time (restart a table's copies at once on a reload)`);
      }
      if (fx.type === "kill" && r.unchanged.includes(fx.server)) {
        this.fail(`the ${c.what} signalled '${name(fx.server)}' (server ${fx.server}, pid ${fx.pid}), which it did not change: a reload never touches an unchanged server (restart an unchanged server)`);
      }
    }
    // A rolling reload the model began and the core did not: its table's copies taken one by one, as if none were a table's.
    const m = this.model.roll;
    if (m !== null && m.reload && after.roll?.reload !== true) {
      this.fail(`the ${c.what} began no rolling reload of '${m.name}' (a changed table with instances and a readiness check, its copies replaced one at a time; the model is at '${name(m.current)}'): ${after.roll === undefined ? "none is under way" : `the one under way is '${after.roll.name}'s`} (restart a table's copies at once on a reload)`);
    }
    for (const i of r.removed) {
      const w = was[i];
      const stopped = effects.some((fx) => fx.type === "kill" && fx.server === i && fx.group);
      if (after.servers.at(i)?.retired !== true || (w?.kind === "alive" && !w.stop && !stopped)) {
        this.fail(`the ${c.what} removed '${name(i)}' (server ${i}${w?.kind === "alive" ? `, pid ${w.pid}` : ""}) and the core ${after.servers.at(i)?.retired === true ? "gave it no stop order" : "keeps it as a current server"}: a removed server is stopped and never started again (forget to stop a removed server)`);
      }
    }
    if (x.reply === true) {
      this.config = c.config;
      this.slots = slotsOf(c.config, this.sc);
      this.specs = c.specs;
    }
    void e;
  }

  /** A reload whose files do not validate changes nothing. */
  private checkRefusedReload(before: State, after: State, error: string): void {
    if (JSON.stringify(before.servers) !== JSON.stringify(after.servers) || JSON.stringify(before.settings) !== JSON.stringify(after.settings)) {
      this.fail("a reload of files that do not validate changed what runs: it must change nothing (apply a half-valid file)");
    }
    if (this.candidate !== null && !this.candidate.broken) this.fail(`a ${this.candidate.what} of files that validate was refused: ${error}`);
  }

  checkSpawn(server: number, request: SpawnRequest): void {
    const argv = request.argv;
    // Which of the configuration's servers: the scenario's program, and which copy (LAZARUS_INSTANCE).
    const instance = request.env.LAZARUS_INSTANCE ?? "";
    const j = this.slots.findIndex((x) => x.sim === server && String(x.instance ?? "") === instance);
    const slot = this.slots[j];
    // A copy's new process in a rolling restart is that copy, with its environment (LAZARUS_INSTANCE included).
    const asked = this.slots.filter((x) => x.sim === server && this.expectedSpawns.has(x.name));
    if ((slot === undefined || !this.expectedSpawns.has(slot.name)) && asked.some((x) => this.asideSpawns.has(x.name))) {
      this.fail(`the shell spawned srv${server} with ${instance === "" ? "no LAZARUS_INSTANCE" : `LAZARUS_INSTANCE=${instance}`}, and the core asked for the new process of '${asked.map((x) => x.name).join("', '")}' (a rolling restart's): it runs with its copy's environment (spawn a rolling restart's new process with the wrong environment)`);
    }
    if (slot === undefined) this.fail(`the shell spawned srv${server}${instance === "" ? "" : ` (LAZARUS_INSTANCE=${instance})`}, which is not in the configuration in force`);
    const want = this.expectedSpawns.get(slot!.name);
    this.expectedSpawns.delete(slot!.name);
    this.asideSpawns.delete(slot!.name);
    // Its environment: lazarus's own without its private variables, the .env file's over it, then its own (as the files say it now).
    const notify: Record<string, string> = this.specs[j]?.ready?.kind === "notify" ? { NOTIFY_SOCKET: `/tmp/lazarus-1000/${SUP}.notify` } : {};
    const env = { ...SIM_ENV, ...(this.sc.envFile ?? {}), ...slot!.env, ...notify };
    if (JSON.stringify(sorted(request.env)) !== JSON.stringify(sorted(env))) {
      this.fail(`server ${server} was spawned with the environment ${JSON.stringify(sorted(request.env))}, not ${JSON.stringify(sorted(env))}`);
    }
    if (want === undefined || JSON.stringify(want) !== JSON.stringify(argv)) {
      const phase = this.state?.phase.kind ?? "?";
      this.fail(`the shell spawned server ${server} (${argv.join(" ")}) without the core asking for it (phase ${phase})`);
    }
  }

  private ask(kind: keyof World["asked"], key: string): void {
    const m = this.asked[kind];
    m.set(key, (m.get(key) ?? 0) + 1);
  }

  /** The shell carried out an effect of this kind; false when the core had not asked for it. */
  carriedOut(kind: keyof World["asked"], key: string): boolean {
    const m = this.asked[kind];
    const n = m.get(key) ?? 0;
    if (n === 0) {
      if (kind === "remnants") this.fail(`the shell signalled what is left of group ${key.split("/")[0]}, which the core did not ask for`);
      if (kind === "adopts") this.fail(`the shell adopted pid ${key}, which the core did not ask for`);
      return false;
    }
    if (n === 1) m.delete(key);
    else m.set(key, n - 1);
    return true;
  }

  /** Every effect the core asked for has been carried out by the shell (checked whenever the shell is idle). */
  private checkCarriedOut(): void {
    const words: string[] = [];
    for (const key of [...this.asked.kills.keys()]) {
      const [pid, signal, group, serial] = key.split("/");
      // Meant for a process that has ended since (its end was on its way to the core): the shell may drop it,
      // and must, once its pid has been handed to another spawn.
      if (serial !== "?" && !this.runsAs(Number(pid), Number(serial))) {
        this.asked.kills.delete(key);
        continue;
      }
      words.push(`${signalName(Number(signal))} to pid ${pid}${group === "true" ? "'s process group" : " alone"}`);
    }
    for (const key of this.asked.remnants.keys()) {
      const [pgid, signal] = key.split("/");
      words.push(`${signalName(Number(signal))} to what is left of process group ${pgid}`);
    }
    for (const pid of this.asked.adopts.keys()) words.push(`the adoption of pid ${pid} after the re-exec`);
    for (const at of this.asked.arms.keys()) words.push(`a timer at ${at}`);
    for (const fx of this.probesAsked) words.push(`a ${fx.purpose} probe of pid ${fx.pid}`);
    if (words.length > 0) this.fail(`the core asked for ${words.join(", ")}, and the shell never carried it out`);
  }

  /** Whether the process with this serial still runs under `pid` (not ended, its pid not handed out again). */
  private runsAs(pid: number, serial: number): boolean {
    const p = this.k.procs.get(pid);
    return p !== undefined && p.serial === serial && p.state === "running";
  }

  /** The kill the core asked for that this signal carries out: for the process that has the pid now, else for one that has ended. */
  private killKey(pid: number, signal: Signal, group: boolean): string {
    const base = `${pid}/${signal}/${group}/`;
    const now = `${base}${this.k.procs.get(pid)?.serial ?? "?"}`;
    if (this.asked.kills.has(now)) return now;
    for (const key of this.asked.kills.keys()) {
      if (!key.startsWith(base)) continue;
      const serial = key.slice(base.length);
      if (serial === "?" || !this.runsAs(pid, Number(serial))) return key;
    }
    return now;
  }

  checkKill(pid: number, signal: Signal, group: boolean): void {
    if (!this.carriedOut("kills", this.killKey(pid, signal, group))) {
      // Start-first: the copy's old process serves until its new one (aside) is ready.
      const roll = this.state?.roll;
      const serving = roll !== undefined && roll.aside !== null && roll.old === pid;
      this.fail(`the shell sent ${signalName(signal)} to pid ${pid}${group ? "'s group" : ""}, which the core did not ask for${serving ? `: the old process of '${this.state?.servers.at(roll.current)?.spec.name}', which serves until its new process, started beside it, is ready (stop the old process when the roll begins)` : ""}`);
    }
  }

  /** The port refused a kill: fine for a pid it reaped, not for a child of ours still running that the core knows. */
  checkRefusedKill(pid: number, signal: Signal): void {
    const p = this.k.procs.get(pid);
    if (p !== undefined && p.state === "running" && p.ppid === SUP && this.coreSerial.get(pid) === p.serial) {
      this.fail(`${signalName(signal)} to pid ${pid} (server ${p.server}'s running process) was refused by the port: it does not know its own child (an adoption lost?)`);
    }
  }

  checkKillTarget(pid: number, signal: Signal): void {
    const p = this.k.procs.get(pid);
    if (p === undefined) this.fail(`${signalName(signal)} sent to pid ${pid} after it was reaped`);
    if (this.coreSerial.get(pid) !== p!.serial) this.fail(`${signalName(signal)} sent to pid ${pid}, reused by another process since`);
  }

  /**
   * Every deadline the reference model owns (the alarm, each stop order's
   * SIGKILL) has a timer set in the shell at exactly its instant; none is
   * long past without having fired.
   */
  private checkTimers(port: SimPort): void {
    // Deadlines and the shell's timers change only with a step of the core; between steps only time passes.
    if (!this.stepped && this.k.now <= this.earliestDeadline + LATEST_TIMER_MS) return;
    this.stepped = false;
    this.earliestDeadline = Number.POSITIVE_INFINITY;
    const needed = new Map<number, string[]>();
    for (const [name, at] of this.model.timers()) {
      this.earliestDeadline = Math.min(this.earliestDeadline, at);
      needed.set(at, [...(needed.get(at) ?? []), name]);
      if (at + LATEST_TIMER_MS < this.k.now) this.fail(`${timerWords(name)} was due at ${at} and has still not fired at ${this.k.now.toFixed(3)}`);
    }
    if (needed.size === 0) return;
    const set = new Map<number, number>();
    for (const t of port.timers) if (!t.cancelled) set.set(t.at, (set.get(t.at) ?? 0) + 1);
    for (const [at, names] of needed) {
      if ((set.get(at) ?? 0) >= names.length) continue;
      const what = names.map((n) => timerWords(n as TimerName)).join(" and ");
      this.fail(`${what} ${names.length === 1 ? "is" : "are"} due at ${at}, and the shell has no timer set for that instant: it would never fire`);
    }
  }

  /** A server's end was told, and what is left of its group got SIGTERM: its helpers still running are due to be gone by its SIGKILL deadline. */
  private noteLeftovers(x: Expected): void {
    for (const r of x.remnants) {
      if (r.signal !== SIGTERM) continue;
      const due = this.model.leftovers.find((l) => l.pgid === r.pgid)?.at;
      if (due === undefined) continue;
      const serials = [...this.k.procs.values()].filter((p) => p.pgid === r.pgid && p.server === null && p.state === "running").map((p) => p.serial);
      if (serials.length > 0) this.leftoverHelpers.set(r.pgid, { due, serials });
    }
  }

  /** No helper of an ended server's group runs long past its SIGKILL deadline (however it treats SIGTERM). */
  private checkLeftovers(): void {
    for (const [pgid, { due, serials }] of this.leftoverHelpers) {
      if (this.k.now <= due + LATEST_TIMER_MS) continue;
      this.leftoverHelpers.delete(pgid);
      const left = [...this.k.procs.values()].find((p) => serials.includes(p.serial) && p.state === "running");
      if (left !== undefined) {
        this.fail(`pid ${left.pid}${left.behaviour.ignoresTerm ? " (it ignores SIGTERM)" : ""}, left in process group ${pgid} by a server that ended by itself, still runs at ${this.k.now.toFixed(3)}: its SIGKILL was due at ${due} (a crashed server's helper never SIGKILLed)`);
      }
    }
  }

  /** When nothing is in flight, the core's alive servers are exactly the running server processes. */
  private checkQuiescent(): void {
    const port = this.image;
    if (this.exitStatus !== null || !port.alive || !port.booted || this.state === null) return;
    this.checkCarriedOut();
    this.checkTimers(port);
    this.checkLeftovers();
    if (this.sigchldScheduled || port.deliveryScheduled || port.pending.length > 0) return;
    // pid → the scenario's server, as the core has it
    const coreAlive = new Map<number, number>();
    this.state.servers.forEach((s) => { if (s.life.kind === "alive") coreAlive.set(s.life.pid, simServerOf(s.spec.argv)); });
    for (const p of this.k.childrenOfSup()) {
      if (p.state === "zombie") this.fail(`pid ${p.pid} is a zombie with no SIGCHLD on its way: left unreaped`);
      if (p.server !== null && p.state === "running" && coreAlive.get(p.pid) !== p.server) this.fail(`server ${p.server}'s process ${p.pid} runs, the core does not know it`);
    }
    for (const [pid, i] of coreAlive) {
      const p = this.k.procs.get(pid);
      if (p === undefined || p.server !== i) this.fail(`the core has server ${i} alive as pid ${pid}, but that process is gone (an exit was lost)`);
    }
  }

  private checkEnd(): void {
    // (what a supervisor leaves at its exit was checked before the port cleaned up: supervisorExited)
    const running = [...this.k.procs.values()].filter((p) => p.state === "running" && (p.ppid === SUP || p.server !== null));
    if (running.length > 0) this.fail(`the supervisor exited leaving ${running.map((p) => p.pid).join(", ")} running`);
    if (this.expectedSpawns.size > 0) this.fail(`spawns the core asked for were never carried out: ${JSON.stringify([...this.expectedSpawns])}`);
    if (this.model.status !== this.exitStatus) this.fail(`the model exits with ${this.model.status}, the supervisor with ${this.exitStatus}`);
  }

  /** A violation found by the simulated port (it calls in from outside the world). */
  complain(message: string): never {
    return this.fail(message);
  }

  private fail(message: string): never {
    const v = new SimViolation(`${message}\n  at ${this.k.now.toFixed(3)} ms virtual; last happenings:\n    ${this.trace.slice(-15).join("\n    ")}\n  last log lines:\n    ${this.logTail.slice(-10).join("\n    ")}`);
    this.violation ??= v;
    throw v;
  }
}

/**
 * The simulator's step bounds at one instant, in units of a scenario's size (world events + servers + 10). Measured
 * with `busiest` of busy.ts over 2,300 generated scenarios (the default generator, 8 servers and 60 events, 60 and 400,
 * 1 and 5) and 4 simulated days of 100 servers: at most 2.21 units of the world's happenings at one instant (35) and
 * 3.18 units of the core's steps (54; a day's start: 103 steps for 100 servers, 0.28 units). The bounds are over 25
 * times that.
 */
export function simBounds(sc: SimScenario): { happenings: number; steps: number } {
  const size = sc.world.length + sc.servers.length + 10;
  return { happenings: 60 * size, steps: 100 * size };
}

export async function runSim(sc: SimScenario, factory?: SupervisorFactory): Promise<SimReport> {
  return new World(sc, factory).run();
}
