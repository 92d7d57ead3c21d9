// The simulated kernel: a process table (pids that are reused, process groups,
// zombies until reaped, orphans reparented to the supervisor as subreaper),
// virtual time that jumps from one scheduled happening to the next, and a
// seeded scheduler that picks latencies and breaks ties adversarially. All of
// it follows from the scenario's seed: a run replays bit for bit.
import { SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import type { ExitStatus, Signal } from "../../src/core/types.ts";

/** The supervisor's own pid inside the simulation. */
export const SUP = 1;

/** A small, seeded PRNG (mulberry32). */
export class Rng {
  constructor(private s: number) {}
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
}

interface Happening {
  readonly at: number;
  readonly tie: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** A binary min-heap of happenings by (time, random tie, sequence). */
class Agenda {
  private readonly h: Happening[] = [];
  get size(): number {
    return this.h.length;
  }
  push(x: Happening): void {
    const h = this.h;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Happening | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Happening, b: Happening): boolean {
  return a.at !== b.at ? a.at < b.at : a.tie !== b.tie ? a.tie < b.tie : a.seq < b.seq;
}

/** What a process does once started: when it ends by itself, how, what it ignores, what it forks. */
export interface Behaviour {
  /** Virtual ms until it ends by itself; null: never. */
  readonly lifeMs: number | null;
  readonly end: ExitStatus;
  readonly ignoresTerm: boolean;
  readonly forks: readonly Behaviour[];
}

export interface Proc {
  readonly pid: number;
  ppid: number;
  readonly pgid: number;
  /** Which server it was spawned for (a server's main process), or null (a grandchild). */
  readonly server: number | null;
  /** A serial number, different for every process ever: tells a reused pid from the old one. */
  readonly serial: number;
  readonly startedAt: number;
  readonly behaviour: Behaviour;
  state: "running" | "zombie";
  status: ExitStatus | null;
  diedAt: number | null;
}

export interface SignalRecord {
  readonly at: number;
  readonly target: number;
  readonly group: boolean;
  readonly signal: Signal;
  /** The processes it reached (pid, serial). */
  readonly reached: readonly { pid: number; serial: number }[];
}

export class Kernel {
  now = 0;
  readonly rng: Rng;
  private readonly agenda = new Agenda();
  private seq = 0;
  readonly procs = new Map<number, Proc>();
  /** How many unreaped processes hold each process group id: a pid is not reused while its group lives. */
  private readonly groups = new Map<number, number>();
  /** Every pid ever reaped, with the serial of the process reaped: to catch signals sent after. */
  readonly reaped = new Map<number, number>();
  private nextPid = 2;
  private lastReaped: number | null = null;
  private serial = 0;
  /** Called when a child of the supervisor becomes a zombie (the port's SIGCHLD). */
  onChildDied: (() => void) | null = null;
  readonly signals: SignalRecord[] = [];
  /** Every process that ever ended, by serial: its true status. */
  readonly ended = new Map<number, { pid: number; server: number | null; status: ExitStatus; diedAt: number }>();
  /** Children of the supervisor that ended and whose end it has not been told of yet: pid → serials, oldest first. */
  readonly untold = new Map<number, number[]>();
  lifetimes = 0;

  constructor(seed: number, readonly pidMax: number) {
    this.rng = new Rng(seed);
  }

  schedule(at: number, fn: () => void): void {
    this.agenda.push({ at: Math.max(at, this.now), tie: this.rng.next(), seq: this.seq++, fn });
  }

  /** Run the next happening; false when there is none (or the time limit is passed). */
  step(limit: number): boolean {
    const h = this.agenda.pop();
    if (h === undefined || h.at > limit) {
      if (h !== undefined) this.agenda.push(h);
      return false;
    }
    this.now = h.at;
    h.fn();
    return true;
  }

  get pending(): number {
    return this.agenda.size;
  }

  /**
   * A free pid: pids wrap at pidMax and are reused, but never while a process
   * or group still holds them. Adversarially, the pid reaped last is often
   * handed out again at once (Linux may do so once pids wrap).
   */
  private allocPid(): number | null {
    const last = this.lastReaped;
    if (last !== null && this.rng.next() < 0.3 && !this.procs.has(last) && !this.groups.has(last)) {
      this.lastReaped = null;
      return last;
    }
    const span = this.pidMax - 1;
    for (let k = 0; k < span; k++) {
      const pid = 2 + ((this.nextPid - 2 + k) % span);
      if (this.procs.has(pid) || this.groups.has(pid)) continue;
      this.nextPid = pid + 1;
      return pid;
    }
    return null;
  }

  /** fork+exec of a server by the supervisor, in a new session (pgid = pid). Null when no pid is free (EAGAIN). */
  spawnServer(server: number, behaviour: Behaviour): Proc | null {
    const pid = this.allocPid();
    if (pid === null) return null;
    const p = this.create(pid, SUP, pid, server, behaviour);
    return p;
  }

  private create(pid: number, ppid: number, pgid: number, server: number | null, behaviour: Behaviour): Proc {
    const p: Proc = { pid, ppid, pgid, server, serial: ++this.serial, startedAt: this.now, behaviour, state: "running", status: null, diedAt: null };
    this.procs.set(pid, p);
    this.groups.set(pgid, (this.groups.get(pgid) ?? 0) + 1);
    this.reaped.delete(pid);
    if (behaviour.lifeMs !== null) this.schedule(this.now + behaviour.lifeMs, () => this.die(p, behaviour.end));
    // Its children start a moment later, in its process group.
    behaviour.forks.forEach((b, k) => this.schedule(this.now + 0.01 * (k + 1), () => {
      if (p.state !== "running" || this.procs.get(p.pid) !== p) return;
      const cpid = this.allocPid();
      if (cpid !== null) this.create(cpid, p.pid, p.pgid, null, b);
    }));
    return p;
  }

  /** The process ends: a zombie until its parent reaps it; its children are reparented to the supervisor. */
  die(p: Proc, status: ExitStatus): void {
    if (p.state !== "running" || this.procs.get(p.pid) !== p) return;
    p.state = "zombie";
    p.status = status;
    p.diedAt = this.now;
    this.ended.set(p.serial, { pid: p.pid, server: p.server, status, diedAt: this.now });
    if (p.server !== null) this.lifetimes++;
    if (p.ppid === SUP) this.untold.set(p.pid, [...(this.untold.get(p.pid) ?? []), p.serial]);
    for (const c of this.procs.values()) if (c.ppid === p.pid) c.ppid = SUP;
    // A process other than the supervisor reaps its children itself (as a shell does), at once.
    if (p.ppid !== SUP) {
      this.reap(p.pid);
      return;
    }
    this.onChildDied?.();
    // Children reparented to us that are already zombies: SIGCHLD covers them too.
  }

  reap(pid: number): Proc | null {
    const p = this.procs.get(pid);
    if (p === undefined || p.state !== "zombie") return null;
    this.procs.delete(pid);
    const n = (this.groups.get(p.pgid) ?? 1) - 1;
    if (n === 0) this.groups.delete(p.pgid);
    else this.groups.set(p.pgid, n);
    this.reaped.set(pid, p.serial);
    this.lastReaped = pid;
    return p;
  }

  /** kill(2) from the supervisor: a process, or a group (target = pgid). Returns the processes reached. */
  signal(target: number, signal: Signal, group: boolean): { pid: number; serial: number }[] {
    const reached: Proc[] = [];
    if (group) {
      for (const p of this.procs.values()) if (p.pgid === target) reached.push(p);
    } else {
      const p = this.procs.get(target);
      if (p !== undefined) reached.push(p);
    }
    const rec = reached.map((p) => ({ pid: p.pid, serial: p.serial }));
    this.signals.push({ at: this.now, target, group, signal, reached: rec });
    for (const p of reached) {
      if (p.state !== "running") continue;
      if (signal === SIGTERM && p.behaviour.ignoresTerm) continue;
      if (signal === 0) continue;
      // It dies of it a little later (a process takes time to notice and go).
      const delay = signal === SIGKILL ? this.rng.pick([0, 0, 0.05]) : this.rng.pick([0, 0.1, 1, 5, 20]);
      this.schedule(this.now + delay, () => this.die(p, { kind: "signal", signal }));
    }
    return rec;
  }

  /** The supervisor's children, zombies and running. */
  childrenOfSup(): Proc[] {
    const out: Proc[] = [];
    for (const p of this.procs.values()) if (p.ppid === SUP) out.push(p);
    return out;
  }
}
