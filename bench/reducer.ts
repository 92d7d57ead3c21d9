// The reducer alone (bench/scenarios/core.ts's workload), quickly:
//
//   bun run bench/reducer.ts [--servers=1,10,100,1000] [--ms=1000]
//
// Prints events per second at each size, by the clock and by the process's CPU time (less
// sensitive to a busy machine, which takes the CPU away); `bun run bench --only=core` is the full section.
import { driveReducer, workload } from "./scenarios/core.ts";

const args = process.argv.slice(2);
const opt = (k: string, d: string): string => args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d;
const sizes = opt("servers", "1,10,100,1000").split(",").map(Number);
const ms = Number(opt("ms", "1000"));
for (const n of sizes) {
  const w = workload(n, 400_000);
  driveReducer(w, 100);
  const cpu0 = process.cpuUsage();
  const r = driveReducer(w, ms);
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`${String(n).padStart(5)} servers: ${Math.round(r.eventsPerSecond).toLocaleString("en")} events/s (${r.events} events in ${r.seconds.toFixed(2)} s); ${Math.round(r.events / cpuSeconds).toLocaleString("en")} events per CPU second`);
}
