// A crash loop: N servers, all started less than --interval ago, crash at the same
// moment, and every replacement crashes at once too. A supervisor that can give up on
// a crash loop (lazarus buries, supervisord marks FATAL, PM2 "errored") is timed from
// the first exit until it has given up on every server, and its CPU time counted. One
// that never gives up (runsv, s6-supervise) is watched for a fixed window instead.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { monotonicNs } from "../lib/libc.ts";
import { cpuSince, cpuSnapshot } from "../lib/proc.ts";
import { StampLog } from "../lib/stamp-log.ts";
import { fmtCount, fmtMs, fmtRatio, sig } from "../lib/table.ts";
import { ratio } from "../lib/stats.ts";
import { Trigger } from "../lib/trigger.ts";
import type { Policy, Target } from "../targets/target.ts";
import { failure, scratch, servers, waitStarts, withFleet, type Context, type Section } from "./common.ts";

export interface CrashLoopResult {
  readonly target: string;
  readonly settings: string;
  readonly n: number;
  /** First exit → gave up on the last server, ms (NaN: never gives up, or did not within the timeout). */
  readonly allGivenUpMs: number;
  readonly gaveUp: number | null;
  /** The supervisor's CPU time from the trigger until it gave up on all (or over the window). */
  readonly cpuMs: number;
  /** Spawns (start stamps) after the trigger, until it gave up (or over the window). */
  readonly respawns: number;
  readonly windowMs: number;
  readonly error: string | null;
}

/**
 * What lazarus's log says it dropped (its own lines lost: the burials the bench counts
 * may be among them), as a note for the table; "" if nothing, or no such log.
 */
export function droppedNote(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return "";
  }
  const lost = [...text.matchAll(/(\d+) lines?(?: of lazarus's log[^:]*?)? could not be written and were dropped: the reader of lazarus's output/g)].reduce((a, m) => a + Number(m[1]), 0);
  return lost > 0 ? ` (its log says ${fmtCount(lost)} of its lines were dropped: the burials may be among them)` : "";
}

async function run(ctx: Context, target: Target, n: number, windowMs: number, policy: Policy): Promise<CrashLoopResult> {
  const base = { target: target.name, settings: target.settings(policy), n, allGivenUpMs: Number.NaN, gaveUp: null, cpuMs: Number.NaN, respawns: 0, windowMs: 0 };
  const why = target.unavailable();
  if (why !== null) return { ...base, error: `skipped: ${why}` };
  const dir = scratch(ctx, `crashloop-${target.name}`);
  const log = new StampLog(join(dir, "stamps.txt"));
  const trigger = new Trigger(dir);
  try {
    return await withFleet(target, { servers: servers(ctx, log, n, trigger.mode), policy, dir }, async (running) => {
      const t = performance.now();
      await waitStarts(log, 0, n, 60_000 + n * 100, `${target.name}: fleet of ${n}`);
      ctx.say(`${target.name}: ${n} servers up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      await Bun.sleep(500);
      const pids = running.supervisorPids();
      const cpu0 = cpuSnapshot(pids);
      const starts0 = log.total("S");
      const from = log.stamps.length;
      if (!trigger.fire(true)) throw new Error("no server was waiting on the trigger");
      const t0 = monotonicNs();
      if (running.givenUp() === null) {
        await Bun.sleep(windowMs);
        return { ...base, cpuMs: cpuSince(cpu0), respawns: log.total("S") - starts0, windowMs, error: null };
      }
      const done = await log.waitUntil(() => (running.givenUp() ?? 0) >= n, 60_000, 10);
      const t1 = monotonicNs();
      const cpu = cpuSince(cpu0);
      const exits = log.since(from).filter((s) => s.kind === "E").map((s) => s.ns);
      const first = exits.length > 0 ? Math.min(...exits) : t0;
      const respawns = log.total("S") - starts0;
      // No restart either (the stamps say so): the supervisor gave up on them, but its log lacks lines.
      const unlogged = respawns === 0 ? "; yet no server was restarted (stamps): its log is missing lines" : "";
      return {
        ...base,
        allGivenUpMs: done ? (t1 - first) / 1e6 : Number.NaN,
        gaveUp: running.givenUp(),
        cpuMs: cpu,
        respawns,
        windowMs: (t1 - t0) / 1e6,
        error: done ? null : `its log says it gave up on only ${running.givenUp()} of ${n} within 60 s${unlogged}${droppedNote(join(dir, "lazarus.log"))}`,
      };
    });
  } catch (e) {
    return { ...base, error: failure(e) };
  } finally {
    log.close();
  }
}

export async function crashLoop(ctx: Context): Promise<Section> {
  const n = ctx.quick ? 200 : 1000;
  const windowMs = ctx.quick ? 1500 : 10_000;
  // Servers crash well within the interval: lazarus --interval=60, supervisord startsecs=60, PM2 min_uptime=60 s.
  const policy = { kind: "crashloop", intervalMs: 60_000 } as const;
  const results: CrashLoopResult[] = [];
  for (const target of [ctx.lazarusLogged, ...ctx.targets.slice(1)]) {
    ctx.say(`crash loop: ${target.name}, ${n} servers`);
    results.push(await run(ctx, target, n, windowMs, policy));
  }
  const lazarus = results[0];
  return {
    id: "crashloop",
    title: `Crash loop: ${fmtCount(n)} servers crash at once, and again at every restart`,
    head: ["supervisor", "gave up on all after", "its CPU time", "restarts meanwhile", "lazarus ÷ it (time)", "settings"],
    rows: results.map((r) => {
      if (r.error !== null && r.error.startsWith("skipped")) return [r.target, r.error, "–", "–", "–", r.settings];
      const never = r.gaveUp === null;
      return [
        r.target,
        r.error ?? (never ? `never (watched ${sig(r.windowMs / 1000)} s)` : fmtMs(r.allGivenUpMs)),
        fmtMs(r.cpuMs) + (never ? ` in ${sig(r.windowMs / 1000)} s` : ""),
        never ? `${fmtCount(r.respawns)} (${sig((r.respawns * 1000) / r.windowMs)}/s)` : fmtCount(r.respawns),
        r === lazarus ? "1×" : fmtRatio(ratio(lazarus?.allGivenUpMs ?? Number.NaN, r.allGivenUpMs)),
        r.settings,
      ];
    }),
    notes: [
      "The servers have run for less than the give-up period when the trigger fires; each replacement exits at once (bench/stamp.c reads \"G L\" in the trigger's gen file).",
      "Gave up = the supervisor's own log says so for every server (lazarus: `burying because it died too fast`; supervisord: `gave up: … entered FATAL state`; PM2: `had too many unstable restarts`), polled every 10 ms, timed from the first exit stamp.",
      "lazarus logs to a file here (it is how the bench sees the burials).",
    ],
    data: results,
  };
}
