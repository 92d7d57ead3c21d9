// Idle beside a bare Bun (issue 18's idle goal): lazarus with 1 and with 1000 sleeping
// servers and a bare idle Bun process (bench/idle-bun.ts) run side by side and are
// measured over the same windows (as bench/idle.ts does), so that what the machine does
// meanwhile, and how long ago each started (Bun's GC controller wakes a young process
// more often), is the same for all three.
import { join, resolve } from "node:path";
import { onCleanup } from "../lib/cleanup.ts";
import { startDaemon, waitExit } from "../lib/daemon.ts";
import { cpuSnapshot, memory, usageSince, type Memory } from "../lib/proc.ts";
import { StampLog } from "../lib/stamp-log.ts";
import { fmtCount, fmtKiB, fmtMs, sig } from "../lib/table.ts";
import type { Running, Target } from "../targets/target.ts";
import { failure, scratch, servers, waitStarts, type Context, type Section } from "./common.ts";

export const BARE_BUN = "bare Bun (idle, one timer)";

export interface IdleSubject {
  /** BARE_BUN, or "lazarus". */
  readonly target: string;
  /** Servers (0 for the bare Bun). */
  readonly n: number;
  /** CPU time (every thread) in each window, ms. */
  readonly cpuMs: readonly number[];
  /** Context switches in each window. */
  readonly switches: readonly number[];
  /** At the end of the last window. */
  readonly memory: Memory | null;
}

export interface IdleBeside {
  /** From the moment every subject was up to the first window. */
  readonly settleMs: number;
  readonly windowMs: number;
  readonly subjects: readonly IdleSubject[];
  readonly error: string | null;
}

/** CPU ms per 10 s over every window of one subject, NaN if not measured (pure). */
export function idlePer10s(r: IdleBeside | undefined, target: string, n: number): number {
  const s = r?.subjects.find((x) => x.target === target && x.n === n);
  if (r === undefined || s === undefined || s.cpuMs.length === 0) return Number.NaN;
  return (s.cpuMs.reduce((a, x) => a + x, 0) * 10_000) / (r.windowMs * s.cpuMs.length);
}

/** CPU ms per 10 s in the last window alone (the oldest the processes get here), NaN if not measured (pure). */
export function idleLastPer10s(r: IdleBeside | undefined, target: string, n: number): number {
  const s = r?.subjects.find((x) => x.target === target && x.n === n);
  const last = s?.cpuMs[s.cpuMs.length - 1];
  if (r === undefined || last === undefined) return Number.NaN;
  return (last * 10_000) / r.windowMs;
}

interface Live {
  readonly target: string;
  readonly n: number;
  pids(): number[];
  stop(): Promise<void>;
}

async function startLazarus(ctx: Context, lazarus: Target, n: number): Promise<Live> {
  const dir = scratch(ctx, `idle-beside-${n}`);
  const log = new StampLog(join(dir, "stamps.txt"));
  // Servers that sleep for days: nothing happens while the windows run.
  const running: Running = await lazarus.start({ servers: servers(ctx, log, n, "life:100000000"), policy: { kind: "respawn", intervalMs: 1000 }, dir });
  const stop = onCleanup(async () => {
    await running.stop();
    log.close();
  });
  try {
    await waitStarts(log, 0, n, 60_000 + n * 100, `idle beside: lazarus with ${n} servers`);
  } catch (e) {
    await stop();
    throw e;
  }
  return { target: "lazarus", n, pids: () => running.supervisorPids(), stop };
}

export async function idleBeside(ctx: Context): Promise<Section> {
  const sizes = [1000, 1];
  const settleMs = ctx.quick ? 3_000 : 15_000;
  const windowMs = 10_000;
  const windows = ctx.quick ? 1 : 3;
  const lazarus = ctx.targets[0] as Target;
  const live: Live[] = [];
  let result: IdleBeside;
  try {
    // The biggest first, the bare Bun last: their ages differ as little as can be.
    for (const n of sizes) live.push(await startLazarus(ctx, lazarus, n));
    const bare = startDaemon([process.execPath, "run", resolve(import.meta.dir, "../idle-bun.ts")], { output: "/dev/null" });
    const stopBare = onCleanup(async () => {
      bare.proc.kill("SIGKILL");
      await waitExit(bare, 5000);
    });
    live.push({ target: BARE_BUN, n: 0, pids: () => [bare.pid], stop: stopBare });
    ctx.say(`idle beside: lazarus with ${sizes.join(" and ")} servers and a bare Bun up; ${settleMs / 1000} s to settle, then ${windows} × ${windowMs / 1000} s`);
    await Bun.sleep(settleMs);
    const cpu = live.map(() => [] as number[]);
    const sw = live.map(() => [] as number[]);
    for (let w = 0; w < windows; w++) {
      const before = live.map((l) => cpuSnapshot(l.pids()));
      await Bun.sleep(windowMs);
      before.forEach((b, i) => {
        const u = usageSince(b);
        cpu[i]?.push(u.cpuMs);
        sw[i]?.push(u.switches);
      });
    }
    result = {
      settleMs,
      windowMs,
      subjects: live.map((l, i) => ({ target: l.target, n: l.n, cpuMs: cpu[i] ?? [], switches: sw[i] ?? [], memory: memory(l.pids()) })),
      error: null,
    };
  } catch (e) {
    result = { settleMs, windowMs, subjects: [], error: failure(e) };
  } finally {
    for (const l of live) await l.stop();
  }
  const label = (s: IdleSubject): string => (s.target === BARE_BUN ? s.target : `lazarus, ${fmtCount(s.n)} server${s.n === 1 ? "" : "s"}`);
  const bareMs = idlePer10s(result, BARE_BUN, 0);
  const order = [...result.subjects].sort((a, b) => a.n - b.n);
  return {
    id: "idle-beside",
    title: "Idle beside a bare Bun: CPU time per 10 s, every subject over the same windows",
    head: ["subject", ...Array.from({ length: windows }, (_, w) => `window ${w + 1}`), "per 10 s, all windows", "above the bare Bun", "switches/s", "RSS (PSS) at the end"],
    rows: result.error !== null
      ? [[result.error]]
      : order.map((s) => {
        const per10 = idlePer10s(result, s.target, s.n);
        return [
          label(s),
          ...s.cpuMs.map((ms) => fmtMs((ms * 10_000) / windowMs)),
          fmtMs(per10),
          s.target === BARE_BUN ? "–" : `${per10 - bareMs >= 0 ? "+" : "−"}${fmtMs(Math.abs(per10 - bareMs))}`,
          sig((s.switches.reduce((a, x) => a + x, 0) * 1000) / (windowMs * s.switches.length)),
          s.memory === null ? "–" : `${fmtKiB(s.memory.rssKiB)} (${fmtKiB(s.memory.pssKiB)})`,
        ];
      }),
    notes: [
      `lazarus (${lazarus.settings({ kind: "respawn", intervalMs: 1000 })}) with ${sizes.join(" and with ")} servers that sleep (bench/stamp.c life:…), and \`bun run bench/idle-bun.ts\` (one timer, nothing else), all running at once; ${settleMs / 1000} s after the last was up, ${windows} consecutive window(s) of ${windowMs / 1000} s, the same for all. CPU time of every thread (schedstat), not the servers'.`,
      "Bun's GC controller wakes a young process about once a second and runs idle collections until its heap has been quiet for a while (bench/NOTES-issue-18.md): later windows are cheaper for every Bun process.",
    ],
    data: result,
  };
}
