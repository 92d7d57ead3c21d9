// What lazarus costs while nothing happens, beside a bare idle Bun, per thread:
//
//   bun run bench/idle.ts [--servers=1,1000] [--seconds=10] [--rounds=2] [--settle=3] [--main=src/main.ts] [--bun-flags=,--smol]
//
// --bun-flags: one lazarus per entry (comma-separated; an empty entry is plain `bun run`), each with those runtime flags.
//
// Starts a bare Bun (bench/idle-bun.ts) and lazarus with N servers that sleep (bench/stamp.c
// life:… for hours), lets them settle, then measures each over the same window, rounds
// alternating: CPU time (schedstat) and context switches per thread, named by the thread's
// comm (which thread wakes up: the JS thread, the JIT, the GC's, the thread pool), and RSS/PSS.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildBinaries } from "./lib/build.ts";
import { cleanupAll, onCleanup } from "./lib/cleanup.ts";
import { killTree, startDaemon, waitExit } from "./lib/daemon.ts";
import { field, memory } from "./lib/proc.ts";
import { StampLog } from "./lib/stamp-log.ts";

const args = process.argv.slice(2);
const opt = (k: string, d: string): string => args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d;
const sizes = opt("servers", "1,1000").split(",").map(Number);
const seconds = Number(opt("seconds", "10"));
const rounds = Number(opt("rounds", "2"));
const main = resolve(opt("main", resolve(import.meta.dir, "../src/main.ts")));
const settle = Number(opt("settle", "3"));
const flagSets = opt("bun-flags", "").split(",").map((f) => f.split(" ").filter((w) => w !== ""));
const bins = buildBinaries();
const work = mkdtempSync(join(tmpdir(), "lazarus-idle-"));
onCleanup(() => rmSync(work, { recursive: true, force: true }));

type Threads = Map<string, { comm: string; ns: number; switches: number }>;

function threads(pid: number): Threads {
  const out: Threads = new Map();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
      const status = readFileSync(`/proc/${pid}/task/${t}/status`, "utf8");
      const comm = readFileSync(`/proc/${pid}/task/${t}/comm`, "utf8").trim();
      out.set(t, { comm, ns, switches: field(status, "voluntary_ctxt_switches") + field(status, "nonvoluntary_ctxt_switches") });
    } catch { /* ended */ }
  }
  return out;
}

/** Per thread name: CPU ms and switches between two snapshots. */
function diff(a: Threads, b: Threads): Map<string, { ms: number; switches: number }> {
  const out = new Map<string, { ms: number; switches: number }>();
  for (const [t, v] of b) {
    const was = a.get(t);
    const cur = out.get(v.comm) ?? { ms: 0, switches: 0 };
    cur.ms += (v.ns - (was?.ns ?? 0)) / 1e6;
    cur.switches += v.switches - (was?.switches ?? 0);
    out.set(v.comm, cur);
  }
  return out;
}

const subjects: { name: string; pid: number }[] = [];
const bare = startDaemon([process.execPath, "run", resolve(import.meta.dir, "idle-bun.ts")], { output: "/dev/null" });
subjects.push({ name: "bare Bun", pid: bare.pid });
onCleanup(async () => { process.kill(bare.pid, "SIGKILL"); await waitExit(bare, 5000); });
for (const flags of flagSets) {
  for (const n of sizes) {
    const log = new StampLog(join(work, `stamps-${n}-${flags.join("")}.txt`));
    const argv = [process.execPath, ...flags, "run", main, "--interval=1", "--control=none"];
    for (let i = 0; i < n; i++) argv.push("{", bins.stamp, log.path, `s${i}`, "life:100000000", "1", "}");
    const d = startDaemon(argv, { output: "/dev/null" });
    onCleanup(() => killTree([d.pid], bins.stamp).then(() => undefined));
    await log.waitUntil(() => log.total("S") >= n, 60_000);
    subjects.push({ name: `lazarus${flags.length > 0 ? ` ${flags.join(" ")}` : ""}, ${n} server${n === 1 ? "" : "s"}`, pid: d.pid });
  }
}
try {
  await Bun.sleep(settle * 1000); // settle (start-up garbage collected, JIT done)
  const total = new Map<string, { ms: number[]; switches: number[]; per: Map<string, { ms: number; switches: number }> }>();
  for (let r = 0; r < rounds; r++) {
    const before = subjects.map((s) => threads(s.pid));
    await Bun.sleep(seconds * 1000);
    subjects.forEach((s, k) => {
      const d = diff(before[k]!, threads(s.pid));
      const t = total.get(s.name) ?? { ms: [] as number[], switches: [] as number[], per: new Map<string, { ms: number; switches: number }>() };
      let ms = 0;
      let sw = 0;
      for (const [comm, v] of d) {
        ms += v.ms;
        sw += v.switches;
        const p = t.per.get(comm) ?? { ms: 0, switches: 0 };
        p.ms += v.ms / rounds;
        p.switches += v.switches / rounds;
        t.per.set(comm, p);
      }
      t.ms.push(ms);
      t.switches.push(sw);
      total.set(s.name, t);
    });
  }
  console.log(`idle over ${seconds} s, ${rounds} round(s) (all subjects measured over the same windows):`);
  for (const s of subjects) {
    const t = total.get(s.name)!;
    const m = memory([s.pid]);
    console.log(`${s.name.padEnd(30)} CPU ms per ${seconds} s: ${t.ms.map((x) => x.toFixed(2)).join(" ")}; switches: ${t.switches.join(" ")}; RSS ${(m.rssKiB / 1024).toFixed(1)} MiB, PSS ${(m.pssKiB / 1024).toFixed(1)} MiB`);
    const per = [...t.per].filter(([, v]) => v.switches > 0 || v.ms > 0.01).sort((a, b) => b[1].ms - a[1].ms);
    console.log(`  ${per.map(([c, v]) => `${c}: ${v.ms.toFixed(2)} ms/${v.switches.toFixed(0)} sw`).join(", ")}`);
  }
} finally {
  await cleanupAll();
}
