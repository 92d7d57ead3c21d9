// Profile lazarus under a bench workload with Bun's sampling CPU profiler:
//
//   bun run bench/profile.ts storm|crashloop|hot [N] [--interval-us=100]
//
// storm:     N servers (default 1000) crash together 5 times (lazarus --interval=1)
// crashloop: N servers crash together once, all buried (lazarus --interval=60)
// hot:       1 server crashing at once, respawned for 5 s (lazarus --interval=0)
//
// lazarus runs as `bun --cpu-prof --cpu-prof-md run src/main.ts …` with stderr to a
// file, and is stopped with SIGTERM (its own shutdown), which writes the profile into
// bench/results/profile-WORKLOAD-*/ (a .cpuprofile for Chrome DevTools and a .md).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildBinaries } from "./lib/build.ts";
import { cleanupAll, onCleanup } from "./lib/cleanup.ts";
import { killTree, startDaemon, waitExit } from "./lib/daemon.ts";
import { cpuSince, cpuSnapshot } from "./lib/proc.ts";
import { StampLog } from "./lib/stamp-log.ts";
import { Trigger } from "./lib/trigger.ts";
import { MAIN } from "./targets/lazarus.ts";

const [workload = "storm", nText, ...rest] = process.argv.slice(2);
const intervalUs = rest.find((a) => a.startsWith("--interval-us="))?.split("=")[1] ?? "100";
if (!["storm", "crashloop", "hot"].includes(workload)) {
  process.stderr.write("usage: bun run bench/profile.ts storm|crashloop|hot [N] [--interval-us=100]\n");
  process.exit(2);
}
const n = workload === "hot" ? 1 : Number(nText ?? 1000);
const bins = buildBinaries();
const work = mkdtempSync(join(tmpdir(), "lazarus-profile-"));
onCleanup(() => rmSync(work, { recursive: true, force: true }));
const out = resolve(import.meta.dir, "results", `profile-${workload}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
mkdirSync(out, { recursive: true });
const log = new StampLog(join(work, "stamps.txt"));
const trigger = new Trigger(work);
const mode = workload === "hot" ? "exit" : trigger.mode;
const interval = workload === "hot" ? "0" : workload === "storm" ? "1" : "60";
const argv = [process.execPath, "--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${out}`, `--cpu-prof-interval=${intervalUs}`, "run", MAIN, `--interval=${interval}`, "--control=none"];
for (let i = 0; i < n; i++) argv.push("{", bins.stamp, log.path, `s${i}`, mode, "1", "}");
const d = startDaemon(argv, { output: join(out, "lazarus.log") });
onCleanup(() => killTree([d.pid], bins.stamp).then(() => undefined));

try {
  await log.waitUntil(() => log.total("S") >= n, 60_000);
  await Bun.sleep(1200);
  const cpu0 = cpuSnapshot([d.pid]);
  if (workload === "hot") await Bun.sleep(5000);
  else {
    for (let k = 0; k < (workload === "storm" ? 5 : 1); k++) {
      const before = log.total("S");
      trigger.fire(workload === "crashloop");
      if (workload === "storm") await log.waitUntil(() => log.total("S") - before >= n, 60_000);
      await Bun.sleep(1200);
    }
  }
  process.stderr.write(`profile: lazarus used ${cpuSince(cpu0).toFixed(1)} ms of CPU during the workload (${log.total("S")} spawns in all)\n`);
  process.kill(d.pid, "SIGTERM");
  await waitExit(d, 30_000);
  process.stderr.write(`profile: ${readdirSync(out).map((f) => join(out, f)).join("\n         ")}\n`);
} finally {
  log.close();
  await cleanupAll();
}
