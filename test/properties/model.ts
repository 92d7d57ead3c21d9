// A reference model of the supervision policy, written from docs/spec.md alone, as
// plainly as possible: mutable, no effects, no logging, only which state each
// server is in and when the supervisor exits. The properties compare the
// reducer with it after every step; where the two disagree, one of them is
// wrong, and the model is the one that is easy to read.
import { SIGINT, SIGTERM } from "../../src/core/signals.ts";
import type { Event, ExitStatus, ServerSpec, Settings } from "../../src/core/types.ts";

export type ModelKind = "unborn" | "starting" | "alive" | "buried" | "cremated";

interface ModelServer {
  kind: ModelKind;
  pid: number;
  since: number;
  /** Asked to stop (shutdown or operator); what happens once it ended. */
  stop: null | "cremate" | "start";
}

export class Model {
  phase: "booting" | "running" | "stopping" | "exited" = "booting";
  status: number | null = null;
  private exitStatusWhenStopped = 0;
  private revivePending = false;
  /** When --alarm fires; a timer event before it (or without it) is stale and changes nothing. */
  private alarmAt: number | null = null;
  /** After a re-exec: its instant. A child found ended at the take-over lived until then at most. */
  private execAt: number | null = null;
  readonly servers: ModelServer[];

  constructor(private readonly specs: readonly ServerSpec[], private readonly settings: Settings) {
    this.servers = specs.map(() => ({ kind: "unborn", pid: 0, since: 0, stop: null }));
  }

  kinds(): ModelKind[] {
    return this.servers.map((s) => s.kind);
  }

  apply(e: Event): void {
    if (this.phase === "exited") return;
    switch (e.type) {
      case "start":
        if (this.phase !== "booting") break;
        this.phase = "running";
        this.alarmAt = e.handover !== null ? e.handover.alarmAt : this.settings.alarmMs > 0 ? e.at + this.settings.alarmMs : null;
        this.execAt = e.handover?.execAt ?? null;
        if (e.handover === null) {
          this.specs.forEach((spec, i) => { if (spec.autostart !== false) this.start(i); });
        } else {
          e.handover.servers.forEach((h, i) => {
            const s = this.servers[i]!;
            if (h.kind === "alive") Object.assign(s, { kind: "alive", pid: h.pid, since: h.since, stop: h.stop === null ? null : h.stop.then });
            else if (h.kind === "buried") this.start(i); // a re-exec revives the buried
            else if (h.kind === "unborn") { if (this.specs[i]!.autostart !== false) this.start(i); }
            else s.kind = "cremated"; // cremated, or a record it cannot vouch for
          });
        }
        break;
      case "spawned": {
        const s = this.servers[e.server];
        if (s?.kind !== "starting") break;
        Object.assign(s, { kind: "alive", pid: e.pid, since: e.at, stop: this.phase === "stopping" ? "cremate" : null });
        break;
      }
      case "spawn-failed": {
        const s = this.servers[e.server];
        if (s?.kind === "starting") s.kind = "buried";
        break;
      }
      case "exited":
        this.ended(e.pid, e.status, e.atTakeover === true && this.execAt !== null && this.execAt < e.at ? this.execAt : e.at);
        break;
      case "revive":
        if (this.phase === "booting") this.revivePending = true;
        if (this.phase === "running") this.revivePending = false;
        if (this.phase === "running") this.servers.forEach((s, i) => { if (s.kind === "buried") this.start(i); });
        break;
      case "terminate":
        this.shutdown();
        break;
      case "timer":
        if (e.timer === "alarm" && this.alarmAt !== null && e.at >= this.alarmAt) {
          this.alarmAt = null;
          this.phase = "stopping";
          this.exitStatusWhenStopped = 142;
          this.servers.forEach((s) => { if (s.kind === "alive") s.stop = "cremate"; });
        }
        break;
      case "control": {
        const c = e.command;
        if (c.op === "shutdown") { this.shutdown(); break; }
        if (this.phase !== "running") break;
        if (c.op === "revive") {
          this.servers.forEach((s, i) => { if (s.kind === "buried" && (c.server === null || c.server === i)) this.start(i); });
          break;
        }
        const s = this.servers[c.server];
        if (s === undefined) break;
        if (c.op === "start" && s.kind !== "alive") this.start(c.server);
        if (c.op === "start" && s.kind === "alive" && s.stop !== null) s.stop = "start";
        if (c.op === "stop") {
          if (s.kind === "alive") s.stop = "cremate";
          else if (s.kind !== "starting") s.kind = "cremated";
        }
        if (c.op === "restart") {
          if (s.kind === "alive") s.stop = "start";
          else this.start(c.server);
        }
        break;
      }
      case "info":
      case "log-dropped":
      case "log-file-failing":
      case "log-file-resumed":
      case "problem":
      case "stray-signal":
      case "reexec":
      case "reexec-failed":
        break;
    }
    this.settle();
  }

  private start(i: number): void {
    const s = this.servers[i]!;
    if (this.phase !== "running" || s.kind === "alive" || s.kind === "starting") return;
    Object.assign(s, { kind: "starting", stop: null });
  }

  private ended(pid: number, status: ExitStatus, at: number): void {
    const i = this.servers.findIndex((s) => s.kind === "alive" && s.pid === pid);
    if (i < 0) return;
    const s = this.servers[i]!;
    const interval = this.specs[i]!.intervalMs ?? this.settings.intervalMs;
    const clean = (status.kind === "code" && status.code === 0) ||
      (status.kind === "signal" && (status.signal === SIGTERM || status.signal === SIGINT));
    if (s.stop !== null || this.phase === "stopping") {
      const then = s.stop;
      s.kind = "cremated";
      s.stop = null;
      if (then === "start") this.start(i);
    } else if (clean) {
      s.kind = "cremated";
    } else if (at - s.since < interval) {
      s.kind = "buried";
    } else {
      Object.assign(s, { kind: "starting", stop: null }); // respawned at once (phase is running here)
    }
  }

  private shutdown(): void {
    if (this.phase === "booting" || this.phase === "running") {
      this.phase = "stopping";
      this.servers.forEach((s) => { if (s.kind === "alive") s.stop = "cremate"; });
    }
  }

  private settle(): void {
    // A revive asked for before the start acts once the start's spawns have all resolved.
    if (this.phase === "running" && this.revivePending && !this.servers.some((s) => s.kind === "starting")) {
      this.revivePending = false;
      this.servers.forEach((s, i) => { if (s.kind === "buried") this.start(i); });
    }
    const living = this.servers.some((s) => s.kind === "alive" || s.kind === "starting");
    const waiting = this.servers.some((s) => s.kind === "buried" || s.kind === "unborn");
    if (this.phase === "running" && !living && !waiting) this.exit(0);
    if (this.phase === "stopping" && !living) this.exit(this.exitStatusWhenStopped);
  }

  private exit(status: number): void {
    this.phase = "exited";
    this.status = status;
  }
}
