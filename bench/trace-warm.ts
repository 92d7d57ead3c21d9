// Where the time goes in a warm respawn (a server that lived 1.1–1.5 s crashes):
//
//   bun run bench/trace-warm.ts [--seconds=8] [--servers=20] [--main=bench/trace-main.ts]
//
// Runs lazarus through bench/trace-main.ts (BunPort's methods timestamped) on warm servers
// (bench/stamp.c life:1100~400) and splits each respawn, from the old process's exit stamp
// to the new one's start stamp, into: exit → SIGCHLD handler, → exit delivered to the shell,
// → spawn called (the core's step, log lines, takeExits), → spawn returned (marshalling,
// posix_spawn), → the child's first instruction. Medians and p90 in µs.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildBinaries } from "./lib/build.ts";
import { cleanupAll, onCleanup } from "./lib/cleanup.ts";
import { killTree, startDaemon, waitExit } from "./lib/daemon.ts";
import { StampLog } from "./lib/stamp-log.ts";
import { percentile } from "./lib/stats.ts";

const args = process.argv.slice(2);
const opt = (k: string, d: string): string => args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d;
const seconds = Number(opt("seconds", "8"));
const count = Number(opt("servers", "20"));
const entry = resolve(opt("main", resolve(import.meta.dir, "trace-main.ts")));
const bins = buildBinaries();
const work = mkdtempSync(join(tmpdir(), "lazarus-trace-"));
onCleanup(() => rmSync(work, { recursive: true, force: true }));
const log = new StampLog(join(work, "stamps.txt"));
const traceFile = join(work, "trace.txt");
const argv = [process.execPath, "run", entry, "--interval=1", "--control=none"];
for (let i = 0; i < count; i++) argv.push("{", bins.stamp, log.path, `s${i}`, "life:1100~400", "1", "}");
const d = startDaemon(argv, { output: "/dev/null", env: { ...(process.env as Record<string, string>), LAZARUS_TRACE: traceFile } });
onCleanup(() => killTree([d.pid], bins.stamp).then(() => undefined));
try {
  await log.waitUntil(() => log.total("S") >= count, 30_000);
  await Bun.sleep(seconds * 1000);
  process.kill(d.pid, "SIGTERM");
  await waitExit(d, 15_000);
  const stamps = log.since(0);
  const trace = readFileSync(traceFile, "utf8").trim().split("\n").map((l) => {
    const [kind, ms, pid] = l.split(" ");
    return { kind: kind as string, ms: Number(ms), pid: Number(pid) };
  });
  const exitOf = new Map(stamps.filter((s) => s.kind === "E").map((s) => [s.pid, s.ns / 1e6]));
  const startOf = new Map(stamps.filter((s) => s.kind === "S").map((s) => [s.pid, s.ns / 1e6]));
  const seg: Record<string, number[]> = {};
  const add = (k: string, v: number): void => {
    (seg[k] ??= []).push(v * 1000);
  };
  // For each exit delivered (X0 pid), the last C before it, and the next P0/P1 after it.
  for (let i = 0; i < trace.length; i++) {
    const x = trace[i]!;
    if (x.kind !== "X0") continue;
    const exitMs = exitOf.get(x.pid);
    if (exitMs === undefined) continue;
    let c = i - 1;
    while (c >= 0 && trace[c]!.kind !== "C") c--;
    let p0 = i + 1;
    while (p0 < trace.length && trace[p0]!.kind !== "P0") p0++;
    let p1 = p0 + 1;
    while (p1 < trace.length && trace[p1]!.kind !== "P1") p1++;
    const x1 = trace.findIndex((t, k) => k > i && t.kind === "X1");
    if (c < 0 || p1 >= trace.length || x1 < p1) continue;
    const started = startOf.get(trace[p1]!.pid);
    if (started === undefined) continue;
    const logs = trace.slice(i, p0).filter((t) => t.kind === "L0").length;
    // The first handle() after the delivery: its step is H0 → its first effect (F0).
    const h0 = trace.findIndex((t, k) => k > i && t.kind === "H0");
    const f0 = trace.findIndex((t, k) => k > h0 && t.kind === "F0");
    if (h0 > 0 && f0 > 0 && f0 < p0) add("  of which: the core's step (H0 → first effect)", trace[f0]!.ms - trace[h0]!.ms);
    const t0 = trace.findIndex((t, k) => k > i && k < p0 && t.kind === "T0");
    if (t0 > 0) add("  of which: takeExits before the spawn", trace[t0 + 1]!.ms - trace[t0]!.ms);
    let logMs = 0;
    for (let k = i; k < p0; k++) if (trace[k]!.kind === "L0") logMs += trace[k + 1]!.ms - trace[k]!.ms;
    add("  of which: log lines before the spawn", logMs);
    add("exit stamp → SIGCHLD handler", trace[c]!.ms - exitMs);
    add("SIGCHLD handler → exit delivered", x.ms - trace[c]!.ms);
    add(`delivered → spawn called (step, ${logs} log line(s), takeExits)`, trace[p0]!.ms - x.ms);
    add("spawn called → returned", trace[p1]!.ms - trace[p0]!.ms);
    add("posix_spawn returned → child's start stamp (approx.)", started - trace[p1]!.ms);
    add("spawn returned → step done (after the spawn)", trace[x1]!.ms - trace[p1]!.ms);
    add("total: exit stamp → start stamp", started - exitMs);
  }
  const rows = Object.entries(seg);
  console.log(`${rows[0]?.[1].length ?? 0} warm respawns traced (${count} servers, ${seconds} s), µs:`);
  for (const [k, v] of rows) {
    const s = [...v].sort((a, b) => a - b);
    console.log(`${k.padEnd(62)} p50 ${percentile(s, 50).toFixed(0).padStart(6)}  p90 ${percentile(s, 90).toFixed(0).padStart(6)}`);
  }
} finally {
  log.close();
  await cleanupAll();
}
