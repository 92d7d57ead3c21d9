// Respawn latency, measured from outside: the next process's start stamp minus the
// previous one's exit stamp (bench/stamp.c), so it includes everything a supervisor
// does between a crash and the exec of the replacement.
//
// hot:  one server that crashes at once (exit 1), respawned in a tight loop. lazarus
//       runs with --interval=0 (never buried). The floors run in the same rounds.
// warm: 20 servers that crash after 1.1–1.5 s of life (so runsv and s6-supervise,
//       which hold back a run that lasted under 1 s, restart them at once too).
import { join } from "node:path";
import { cpuSince, cpuSnapshot } from "../lib/proc.ts";
import { StampLog } from "../lib/stamp-log.ts";
import { respawnLatencies } from "../lib/stamps.ts";
import { median, ratio, summarize, type Summary } from "../lib/stats.ts";
import { fmtCount, fmtNs, fmtRatio } from "../lib/table.ts";
import type { Target } from "../targets/target.ts";
import { failure, scratch, servers, withFleet, type Context, type Section } from "./common.ts";

/** Respawns left out at the start of a run (warm-up), when it has many. */
const WARMUP = 5;

function dropWarmup(samples: number[]): number[] {
  return samples.length >= 20 * WARMUP ? samples.slice(WARMUP) : samples;
}

interface Sample {
  /** Respawn latencies, ns. */
  readonly latencies: number[];
  /** The supervisor's CPU time per respawn over the measured window, ms. */
  readonly cpuPerRespawnMs: number;
}

interface Subject {
  readonly name: string;
  readonly settings: string;
  run(): Promise<Sample>;
  readonly skip: string | null;
}

export interface LatencyRow {
  readonly name: string;
  readonly settings: string;
  readonly runs: readonly Summary[];
  /** Median over runs of the supervisor's CPU time per respawn, ms. */
  readonly cpuPerRespawnMs: number;
  /** Medians over runs. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly n: number;
  readonly error: string | null;
}

function hotSubject(ctx: Context, target: Target, spawns: number, capMs: number): Subject {
  const policy = { kind: "respawn", intervalMs: 0 } as const;
  return {
    name: target.name,
    settings: target.settings(policy),
    skip: target.unavailable(),
    async run() {
      const dir = scratch(ctx, `hot-${target.name}`);
      const log = new StampLog(join(dir, "stamps.txt"));
      try {
        return await withFleet(target, { servers: servers(ctx, log, 1, "exit"), policy, dir }, async (running) => {
          // The cap counts from the first start; CPU per respawn over the steady part only:
          // from the WARMUP-th start on, or from half the cap for a supervisor that holds
          // respawns back (runsv, s6-supervise, supervisord: about one a second).
          await log.waitUntil(() => log.total("S") >= 1, 20_000, 5);
          const start = performance.now();
          await log.waitUntil(() => log.total("S") > WARMUP, capMs / 2, 5);
          const pids = running.supervisorPids();
          const cpu0 = cpuSnapshot(pids);
          const starts0 = log.total("S");
          await log.waitUntil(() => log.total("S") >= spawns + WARMUP + 1, Math.max(0, start + capMs - performance.now()), 20);
          const respawns = log.total("S") - starts0;
          const cpu = cpuSince(cpu0);
          return { latencies: dropWarmup(respawnLatencies(log.since(0))), cpuPerRespawnMs: respawns > 0 ? cpu / respawns : Number.NaN };
        });
      } finally {
        log.close();
      }
    },
  };
}

function warmSubject(ctx: Context, target: Target, count: number, windowMs: number): Subject {
  const policy = { kind: "respawn", intervalMs: 1000 } as const;
  return {
    name: target.name,
    settings: target.settings(policy),
    skip: target.unavailable(),
    async run() {
      const dir = scratch(ctx, `warm-${target.name}`);
      const log = new StampLog(join(dir, "stamps.txt"));
      try {
        return await withFleet(target, { servers: servers(ctx, log, count, WARM_LIFE), policy, dir }, async (running) => {
          await log.waitUntil(() => log.total("S") >= count, 30_000);
          const pids = running.supervisorPids();
          const cpu0 = cpuSnapshot(pids);
          const starts0 = log.total("S");
          await Bun.sleep(windowMs);
          const respawns = log.total("S") - starts0;
          const cpu = cpuSince(cpu0);
          return { latencies: respawnLatencies(log.since(0)), cpuPerRespawnMs: respawns > 0 ? cpu / respawns : Number.NaN };
        });
      } finally {
        log.close();
      }
    },
  };
}

/**
 * A supervisor that has run a while: a young Bun process interprets lazarus's respawn
 * path and compiles it (DFG and FTL, on the JIT's own thread: about half a second of
 * CPU, once) during its first seconds, which the hot and warm tables above include
 * (bench/NOTES-issue-18.md §7). Here the loop runs `settleMs` before a `windowMs`
 * window is measured, and only that window's respawns count.
 */
function settledSubject(ctx: Context, target: Target, loop: "hot" | "warm", settleMs: number, windowMs: number): Subject {
  const policy = { kind: "respawn", intervalMs: loop === "hot" ? 0 : 1000 } as const;
  const count = loop === "hot" ? 1 : WARM_SERVERS;
  return {
    name: target.name,
    settings: target.settings(policy),
    skip: target.unavailable(),
    async run() {
      const dir = scratch(ctx, `settled-${loop}-${target.name}`);
      const log = new StampLog(join(dir, "stamps.txt"));
      try {
        const mode = loop === "hot" ? "exit" : WARM_LIFE;
        return await withFleet(target, { servers: servers(ctx, log, count, mode), policy, dir }, async (running) => {
          await log.waitUntil(() => log.total("S") >= count, 30_000, 5);
          // Read the stamps as they come (a hot loop writes thousands a second), so
          // that reading them at the window's edges costs the bench next to nothing.
          const settled = performance.now() + settleMs;
          while (performance.now() < settled) {
            log.poll();
            await Bun.sleep(Math.min(250, Math.max(0, settled - performance.now())));
          }
          const starts0 = log.total("S");
          const from = log.stamps.length;
          const cpu0 = cpuSnapshot(running.supervisorPids());
          await Bun.sleep(windowMs);
          const cpu = cpuSince(cpu0);
          const respawns = log.total("S") - starts0;
          return { latencies: respawnLatencies(log.since(from)), cpuPerRespawnMs: respawns > 0 ? cpu / respawns : Number.NaN };
        });
      } finally {
        log.close();
      }
    },
  };
}

/** Run every subject `rounds` times, round-robin (so slow drifts of the machine hit all alike). */
async function measure(ctx: Context, subjects: readonly Subject[], rounds: number): Promise<LatencyRow[]> {
  const runs = subjects.map(() => [] as Summary[]);
  const cpu = subjects.map(() => [] as number[]);
  const errors: (string | null)[] = subjects.map((s) => s.skip);
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of subjects.entries()) {
      if (errors[i] !== null) continue;
      ctx.say(`latency: ${s.name}, round ${r + 1}/${rounds}`);
      try {
        const sample = await s.run();
        if (sample.latencies.length === 0) throw new Error("no respawn observed");
        runs[i]?.push(summarize(sample.latencies));
        cpu[i]?.push(sample.cpuPerRespawnMs);
      } catch (e) {
        errors[i] = failure(e);
      }
    }
  }
  return subjects.map((s, i) => toRow(s, runs[i] ?? [], cpu[i] ?? [], errors[i] ?? null));
}

function toRow(s: Subject, rs: readonly Summary[], cpu: readonly number[], error: string | null): LatencyRow {
  return {
    name: s.name,
    settings: s.settings,
    runs: rs,
    cpuPerRespawnMs: median([...cpu]),
    p50: median(rs.map((x) => x.p50)),
    p95: median(rs.map((x) => x.p95)),
    p99: median(rs.map((x) => x.p99)),
    n: rs.reduce((a, x) => a + x.n, 0),
    error,
  };
}

/** Run every subject once, all at the same time (light loads only: the warm loop). */
async function measureTogether(ctx: Context, subjects: readonly Subject[]): Promise<LatencyRow[]> {
  ctx.say(`latency: ${subjects.map((s) => s.name).join(", ")}, side by side`);
  const samples = await Promise.all(subjects.map(async (s): Promise<Sample | string> => {
    if (s.skip !== null) return s.skip;
    try {
      const sample = await s.run();
      return sample.latencies.length === 0 ? "failed: no respawn observed" : sample;
    } catch (e) {
      return failure(e);
    }
  }));
  return subjects.map((s, i) => {
    const x = samples[i] as Sample | string;
    return typeof x === "string" ? toRow(s, [], [], x) : toRow(s, [summarize(x.latencies)], [x.cpuPerRespawnMs], null);
  });
}

function section(id: string, title: string, rows: readonly LatencyRow[], notes: string[]): Section {
  const lazarus = rows.find((r) => r.name === "lazarus");
  return {
    id,
    title,
    head: ["supervisor", "samples", "p50", "p95", "p99", "lazarus p50 ÷ its p50", "CPU per respawn", "lazarus CPU ÷ its CPU", "settings"],
    rows: rows.map((r) => [
      r.name,
      r.error ?? fmtCount(r.n),
      fmtNs(r.p50),
      fmtNs(r.p95),
      fmtNs(r.p99),
      r.name === "lazarus" ? "1×" : fmtRatio(ratio(lazarus?.p50 ?? Number.NaN, r.p50)),
      fmtNs(r.cpuPerRespawnMs * 1e6),
      r.name === "lazarus" ? "1×" : fmtRatio(ratio(lazarus?.cpuPerRespawnMs ?? Number.NaN, r.cpuPerRespawnMs)),
      r.settings,
    ]),
    notes,
    data: rows,
  };
}

export async function hotLatency(ctx: Context): Promise<Section> {
  const spawns = ctx.quick ? 300 : 1000;
  const rounds = ctx.quick ? 1 : 3;
  const capMs = ctx.quick ? 2_500 : 12_000;
  const subjects: Subject[] = [
    ...ctx.floors.map((t) => hotSubject(ctx, t, spawns, capMs)),
    ...ctx.targets.map((t) => hotSubject(ctx, t, spawns, capMs)),
    hotSubject(ctx, ctx.lazarusLogged, spawns, capMs),
  ];
  const rows = await measure(ctx, subjects, rounds);
  return section("latency-hot", "Respawn latency, hot loop (a server that crashes at once, respawned again and again)", rows, [
    `Up to ${spawns} respawns per run (or ${capMs / 1000} s from the first start, whichever comes first), ${rounds} run(s) per supervisor, round-robin; medians over runs. The first ${WARMUP} respawns of a run of 100 or more are left out (warm-up).`,
    "Latency = start stamp of the new process (top of its main) − exit stamp of the old one (just before _exit), both CLOCK_MONOTONIC, written by the compiled fixture bench/stamp.c.",
    "CPU per respawn = the supervisor's own CPU time (every thread, from /proc/PID/task/*/schedstat; not the servers') over the measured respawns ÷ their number: less sensitive than times to what else the machine runs.",
    "runsv and s6-supervise hold back a run that lasted under 1 s for about 1 s by design: the warm table below compares them fairly.",
  ]);
}

/** The warm loop: WARM_SERVERS servers, each crashing after WARM_LIFE (bench/stamp.c's mode). */
const WARM_SERVERS = 20;
const WARM_LIFE = "life:1100~400";

export async function warmLatency(ctx: Context): Promise<Section> {
  const count = WARM_SERVERS;
  const windowMs = ctx.quick ? 2_000 : 12_000;
  const rounds = ctx.quick ? 1 : 2;
  // The C and the Bun floor too (issue 18's goals compare lazarus with them).
  const subjects = [...ctx.floors.slice(0, 2), ...ctx.targets].map((t) => warmSubject(ctx, t, count, windowMs));
  const rows = await measure(ctx, subjects, rounds);
  return section("latency-warm", `Respawn latency, warm (${count} servers, each crashing after 1.1–1.5 s of life)`, rows, [
    `${windowMs / 1000} s per run, ${rounds} run(s) per supervisor, round-robin; medians over runs. lazarus runs with --interval=1: the servers outlive it.`,
  ]);
}

/**
 * The hot and the warm loop again, lazarus and the C and Bun floors only, once each has
 * run long enough for the JIT to have settled (see settledSubject): hot loops one after
 * the other, warm loops side by side over the same window (they are light).
 */
export async function settledLatency(ctx: Context): Promise<Section[]> {
  const hotSettleMs = ctx.quick ? 3_000 : 15_000;
  const hotWindowMs = ctx.quick ? 1_000 : 3_000;
  const warmSettleMs = ctx.quick ? 5_000 : 30_000;
  const warmWindowMs = ctx.quick ? 3_000 : 15_000;
  const targets = [...ctx.floors.slice(0, 2), ctx.targets[0] as Target];
  const hot = await measure(ctx, targets.map((t) => settledSubject(ctx, t, "hot", hotSettleMs, hotWindowMs)), 1);
  const warm = await measureTogether(ctx, targets.map((t) => settledSubject(ctx, t, "warm", warmSettleMs, warmWindowMs)));
  return [
    section("latency-hot-settled", `Respawn latency, hot loop, settled (after ${hotSettleMs / 1000} s of the loop)`, hot, [
      `One run per supervisor: the loop runs ${hotSettleMs / 1000} s, then ${hotWindowMs / 1000} s are measured (every respawn in that window).`,
      "A young Bun process runs lazarus's respawn path in the interpreter and compiles it on the JIT's thread (about half a second of CPU in all, once, during its first seconds): the hot table above, whose runs last about a third of a second, is mostly that. This table is the loop once that is done.",
    ]),
    section("latency-warm-settled", `Respawn latency, warm, settled (${WARM_SERVERS} servers living 1.1–1.5 s, after ${warmSettleMs / 1000} s)`, warm, [
      `The three supervisors run side by side (the load is light: about 15 respawns a second each); each runs ${warmSettleMs / 1000} s, then the same ${warmWindowMs / 1000} s window is measured for all.`,
    ]),
  ];
}
