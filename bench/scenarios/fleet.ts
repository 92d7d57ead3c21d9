// A fleet of N servers, all waiting on the shared trigger, under each supervisor:
//   memory: the supervisor's RSS and PSS once the fleet is up (N = 1, 100, 1000);
//   idle:   its CPU time and context switches over a window while nothing happens;
//   storms: every server crashes at the same moment (after outliving lazarus's
//           --interval=1): time from the first exit to the last server running again,
//           and the supervisor's CPU time for it (N = 100, 1000).
import { join, resolve } from "node:path";
import { startDaemon, waitExit } from "../lib/daemon.ts";
import { cpuSince, cpuSnapshot, memory, threadCount, usageSince, type Memory } from "../lib/proc.ts";
import { StampLog } from "../lib/stamp-log.ts";
import { stormOutcome } from "../lib/stamps.ts";
import { median, ratio, summarize } from "../lib/stats.ts";
import { fmtCount, fmtKiB, fmtMs, fmtNs, fmtRatio, sig } from "../lib/table.ts";
import { Trigger } from "../lib/trigger.ts";
import type { Target } from "../targets/target.ts";
import { failure, scratch, servers, waitStarts, withFleet, type Context, type Section } from "./common.ts";

const POLICY = { kind: "respawn", intervalMs: 1000 } as const;
/** Quiet time after the fleet is up, and between storms: servers outlive lazarus's interval and runsv's 1 s. */
function settleMs(ctx: Context): number {
  return ctx.quick ? 1100 : 1500;
}

export interface Idle {
  readonly windowMs: number;
  readonly cpuMs: number;
  readonly contextSwitches: number;
  readonly threads: number;
}

export interface Storm {
  /** First exit → last server running again, ns; NaN if not every one came back. */
  readonly allBackNs: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly cpuMs: number;
  readonly restarted: number;
}

export interface FleetResult {
  readonly target: string;
  readonly n: number;
  readonly processes: number;
  readonly memory: Memory | null;
  readonly idle: Idle | null;
  readonly storms: readonly Storm[];
  readonly error: string | null;
}

interface Plan {
  readonly n: number;
  readonly idleMs: number;
  /** Storms per fleet. */
  readonly storms: number;
  /**
   * Fleets per supervisor, started round-robin across the supervisors (so that a busy
   * spell of the machine does not land on one of them only); idle and memory are
   * measured in the first round.
   */
  readonly rounds: number;
  /** false: only lazarus and the floors (a --quick run leaves the peers' big fleets out). */
  readonly peers: boolean;
}

function plans(quick: boolean): Plan[] {
  return quick
    ? [
      { n: 1, idleMs: 0, storms: 0, rounds: 1, peers: true },
      { n: 100, idleMs: 2000, storms: 1, rounds: 1, peers: true },
      { n: 1000, idleMs: 0, storms: 1, rounds: 1, peers: false },
    ]
    : [
      { n: 1, idleMs: 5_000, storms: 0, rounds: 1, peers: true },
      { n: 100, idleMs: 10_000, storms: 5, rounds: 1, peers: true },
      { n: 1000, idleMs: 5_000, storms: 1, rounds: 3, peers: true },
      // Memory only, lazarus and the floors: the cost of one more server once a big fleet's
      // one-time costs (the JIT's and the GC's code paged in) are paid (goals.ts, "settled").
      { n: 2000, idleMs: 0, storms: 0, rounds: 1, peers: false },
    ];
}

async function measureIdle(pids: () => number[], windowMs: number): Promise<Idle> {
  const p = pids();
  const before = cpuSnapshot(p);
  await Bun.sleep(windowMs);
  const used = usageSince(before);
  return { windowMs, cpuMs: used.cpuMs, contextSwitches: used.switches, threads: p.reduce((a, x) => a + threadCount(x), 0) };
}

async function runFleet(ctx: Context, target: Target, plan: Plan, first: boolean): Promise<FleetResult> {
  const base = { target: target.name, n: plan.n, processes: 0, memory: null, idle: null, storms: [] as Storm[] };
  const why = target.unavailable();
  if (why !== null) return { ...base, error: `skipped: ${why}` };
  const dir = scratch(ctx, `fleet-${plan.n}-${target.name}`);
  const log = new StampLog(join(dir, "stamps.txt"));
  const trigger = new Trigger(dir);
  const storms: Storm[] = [];
  try {
    return await withFleet(target, { servers: servers(ctx, log, plan.n, trigger.mode), policy: POLICY, dir }, async (running) => {
      const t = performance.now();
      await waitStarts(log, 0, plan.n, 60_000 + plan.n * 100, `${target.name}: fleet of ${plan.n}`);
      ctx.say(`${target.name}: ${plan.n} servers up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      // Settle (servers must outlive lazarus's interval before a storm); half a second is
      // enough before reading the memory of a fleet that has no storm and no idle window.
      await Bun.sleep(plan.storms === 0 && !(first && plan.idleMs > 0) ? 500 : settleMs(ctx));
      const idle = first && plan.idleMs > 0 ? await measureIdle(() => running.supervisorPids(), plan.idleMs) : null;
      const pids = running.supervisorPids();
      const mem = first ? memory(pids) : null;
      for (let k = 0; k < plan.storms; k++) {
        ctx.say(`storm: ${target.name}, ${plan.n} servers, ${k + 1}/${plan.storms}`);
        const from = log.stamps.length;
        const before = log.total("S");
        const p = running.supervisorPids();
        const cpu0 = cpuSnapshot(p);
        if (!trigger.fire()) throw new Error("no server was waiting on the trigger");
        await waitStarts(log, before, plan.n, 60_000, `${target.name}: storm of ${plan.n}`);
        const cpu = cpuSince(cpu0);
        const o = stormOutcome(log.since(from));
        const lat = summarize(o.latencies);
        storms.push({ allBackNs: o.allBackNs, p50Ns: lat.p50, p99Ns: lat.p99, cpuMs: cpu, restarted: o.restarted });
        if (k + 1 < plan.storms) await Bun.sleep(settleMs(ctx));
      }
      return { ...base, processes: pids.length, memory: mem, idle, storms, error: null };
    });
  } catch (e) {
    return { ...base, storms, error: failure(e) };
  } finally {
    log.close();
  }
}

/** One supervisor's fleets of one size, merged: the first round's idle and memory, every storm. */
function merge(list: readonly FleetResult[]): FleetResult {
  const first = list[0] as FleetResult;
  return {
    ...first,
    storms: list.flatMap((r) => r.storms),
    error: list.map((r) => r.error).find((e) => e !== null) ?? null,
  };
}

/** A bare idle Bun process's memory and idle cost, for comparison. */
async function bareBun(ctx: Context, idleMs: number): Promise<FleetResult> {
  const d = startDaemon([process.execPath, "run", resolve(import.meta.dir, "../idle-bun.ts")], { output: "/dev/null" });
  try {
    await Bun.sleep(settleMs(ctx));
    const idle = idleMs > 0 ? await measureIdle(() => [d.pid], idleMs) : null;
    return { target: "bare Bun (idle, one timer)", n: 0, processes: 1, memory: memory([d.pid]), idle, storms: [], error: null };
  } catch (e) {
    return { target: "bare Bun (idle, one timer)", n: 0, processes: 1, memory: null, idle: null, storms: [], error: failure(e) };
  } finally {
    d.proc.kill("SIGKILL");
    await waitExit(d, 5000);
    void ctx;
  }
}

function memoryCell(r: FleetResult | undefined): string {
  if (r === undefined) return "–";
  if (r.error !== null || r.memory === null) return r.error ?? "–";
  return `${fmtKiB(r.memory.rssKiB)} (${fmtKiB(r.memory.pssKiB)})`;
}

function idleCell(r: FleetResult | undefined): string {
  if (r === undefined || r.idle === null) return r?.error ?? "–";
  const per10 = (r.idle.cpuMs * 10_000) / r.idle.windowMs;
  const wakes = (r.idle.contextSwitches * 1000) / r.idle.windowMs;
  return `${fmtMs(per10)} CPU, ${sig(wakes)} switches/s`;
}

export async function fleetSections(ctx: Context): Promise<Section[]> {
  const ps = plans(ctx.quick);
  const idleMs = Math.max(...ps.map((p) => p.idleMs));
  const results: FleetResult[] = [];
  results.push(await bareBun(ctx, idleMs));
  const all = [...ctx.floors, ...ctx.targets];
  for (const plan of ps) {
    const targets = plan.peers ? all : [...ctx.floors, ctx.targets[0] as Target];
    const runs = new Map<string, FleetResult[]>();
    for (let r = 0; r < plan.rounds; r++) {
      for (const target of targets) {
        ctx.say(`fleet: ${target.name}, ${plan.n} servers${plan.rounds > 1 ? `, round ${r + 1}/${plan.rounds}` : ""}`);
        const list = runs.get(target.name) ?? [];
        list.push(await runFleet(ctx, target, plan, r === 0));
        runs.set(target.name, list);
      }
    }
    for (const list of runs.values()) results.push(merge(list));
  }
  const names = [results[0]?.target as string, ...all.map((t) => t.name)];
  const find = (name: string, n: number): FleetResult | undefined => results.find((r) => r.target === name && (r.n === n || r.n === 0));

  const memorySection: Section = {
    id: "memory",
    title: "Memory of the supervisor once its servers are up: RSS (PSS)",
    head: ["supervisor", ...ps.map((p) => `${p.n} server${p.n === 1 ? "" : "s"}`), "its processes (at the largest)"],
    rows: names.map((name) => [
      name,
      ...ps.map((p) => memoryCell(find(name, p.n))),
      String([...ps].reverse().map((p) => find(name, p.n)).find((r) => r !== undefined && r.memory !== null)?.processes ?? "–"),
    ]),
    notes: [
      "Summed over the supervisor's own processes (runsvdir + every runsv, s6-svscan + every s6-supervise, PM2's God daemon; not the servers), read from /proc/PID/smaps_rollup. PSS shares each shared page among the processes that map it, which is fairer to many small processes.",
      "The bare Bun row is `bun run bench/idle-bun.ts` (one timer, nothing else), measured in the same run.",
      ...(ps.some((p) => !p.peers && p.storms === 0) ? [`The fleets of ${ps.filter((p) => !p.peers && p.storms === 0).map((p) => p.n).join(", ")} are measured for memory only, lazarus and the floors: from 1000 to 2000 servers is the cost of one more server once the one-time costs of a big fleet are paid (at 1000, Bun's JIT compilers and its GC's code for a bigger heap are paged in).`] : []),
    ],
    data: results,
  };

  const idleSizes = ps.filter((p) => p.idleMs > 0);
  const idleSection: Section = {
    id: "idle",
    title: "Idle cost: CPU time per 10 s and context switches per second while every server sleeps",
    head: ["supervisor", ...idleSizes.map((p) => `${p.n} server${p.n === 1 ? "" : "s"}`)],
    rows: names.map((name) => [name, ...idleSizes.map((p) => idleCell(find(name, p.n)))]),
    notes: [
      `Over a ${idleSizes.map((p) => p.idleMs / 1000).join("/")} s window once the fleet has settled: CPU time from /proc/PID/task/TID/schedstat (ns), and voluntary + involuntary context switches summed over every thread of the supervisor's processes (a wake-up costs at least one).`,
    ],
    data: results,
  };

  const stormSizes = ps.filter((p) => p.storms > 0);
  const lazarusStorm = (n: number): number => median(find("lazarus", n)?.storms.map((s) => s.allBackNs) ?? []);
  const stormSection: Section = {
    id: "storms",
    title: "Crash storms: every server crashes at the same moment; time until all run again",
    head: ["supervisor", ...stormSizes.flatMap((p) => [`${p.n}: all back`, `${p.n}: per server p50 / p99`, `${p.n}: CPU`, `${p.n}: lazarus ÷ it`])],
    rows: names.slice(1).map((name) => [
      name,
      ...stormSizes.flatMap((p) => {
        const r = find(name, p.n);
        if (r === undefined) return ["–", "–", "–", "–"];
        if (r.storms.length === 0) return [r.error ?? "–", "–", "–", "–"];
        const all = median(r.storms.map((s) => s.allBackNs));
        return [
          fmtNs(all) + (r.error !== null ? ` (then ${r.error})` : ""),
          `${fmtNs(median(r.storms.map((s) => s.p50Ns)))} / ${fmtNs(median(r.storms.map((s) => s.p99Ns)))}`,
          fmtMs(median(r.storms.map((s) => s.cpuMs))),
          name === "lazarus" ? "1×" : fmtRatio(ratio(lazarusStorm(p.n), all)),
        ];
      }),
    ]),
    notes: [
      `Every server blocks in open() on a FIFO; the bench opens it for writing and all of them exit(1) at once (bench/stamp.c, mode wait:). ${stormSizes.map((p) => `${p.storms * p.rounds} storm(s) of ${p.n}${p.rounds > 1 ? ` (one per fleet, ${p.rounds} fleets per supervisor started round-robin)` : ""}`).join(", ")}; medians.`,
      "All back = last start stamp of a replacement − first exit stamp. Per server = each server's own exit → restart. CPU = the supervisor's CPU time (schedstat) from the trigger until every server is back.",
      `Fleets: ${fmtCount(stormSizes[stormSizes.length - 1]?.n ?? 0)} fixture processes at most; lazarus with --interval=1, the peers as in the latency tables.` +
        (stormSizes.some((p) => !p.peers) ? ` This --quick run leaves the peers out of the fleets of ${stormSizes.filter((p) => !p.peers).map((p) => p.n).join(", ")}.` : ""),
    ],
    data: results,
  };
  return [memorySection, idleSection, stormSection];
}
