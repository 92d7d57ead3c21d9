// Memory of two copies of lazarus, rounds alternating (each round a fresh lazarus per size):
//
//   bun run bench/memory-ab.ts A/src/main.ts B/src/main.ts [--servers=1,1000] [--rounds=3] [--settle=6] [--output=inherit]
//                              [--env-a=K=V]… [--env-b=K=V]…  (bench/lib/ab-env.ts)
//
// --output: lazarus's --output for its servers (prefix: every server's output piped through
// lazarus, two readers per server, as a Procfile's or a config file's servers are by default).
// Each lazarus supervises N servers that sleep (bench/stamp.c, as bench/idle.ts), from its
// command line; once all have started and `settle` seconds have passed, its RSS, PSS and
// anonymous memory are read from /proc/PID/smaps_rollup. Prints medians per size, the
// cost per extra server between the smallest and the largest size, and B/A.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sideEnv, sideEnvArgs } from "./lib/ab-env.ts";
import { buildBinaries } from "./lib/build.ts";
import { cleanupAll, onCleanup } from "./lib/cleanup.ts";
import { killTree, startDaemon } from "./lib/daemon.ts";
import { field } from "./lib/proc.ts";
import { median } from "./lib/stats.ts";
import { StampLog } from "./lib/stamp-log.ts";

const args = process.argv.slice(2);
const mains = args.filter((a) => !a.startsWith("--")).map((a) => resolve(a));
const opt = (k: string, d: string): string => args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d;
const sizes = opt("servers", "1,1000").split(",").map(Number);
const rounds = Number(opt("rounds", "3"));
const settle = Number(opt("settle", "6"));
const output = opt("output", "inherit");
if (mains.length !== 2) {
  process.stderr.write("usage: bun run bench/memory-ab.ts A/src/main.ts B/src/main.ts [--servers=1,1000] [--rounds=3] [--settle=6]\n");
  process.exit(2);
}
const bins = buildBinaries();
const work = mkdtempSync(join(tmpdir(), "lazarus-memory-"));
onCleanup(() => rmSync(work, { recursive: true, force: true }));

type Sample = { rss: number; pss: number; anon: number };
const samples = new Map<string, Sample[]>(); // "k n" → samples

const envs = [sideEnv(args, "a"), sideEnv(args, "b")];

async function measure(main: string, n: number, tag: string, env: Record<string, string>): Promise<Sample> {
  const log = new StampLog(join(work, `stamps-${tag}.txt`));
  const argv = [process.execPath, "run", main, "--interval=1", "--control=none", `--output=${output}`];
  for (let i = 0; i < n; i++) argv.push("{", bins.stamp, log.path, `s${i}`, "life:100000000", "1", "}");
  const d = startDaemon(argv, { output: "/dev/null", env });
  const stop = onCleanup(() => killTree([d.pid], bins.stamp).then(() => undefined));
  try {
    await log.waitUntil(() => log.total("S") >= n, 60_000);
    await Bun.sleep(settle * 1000);
    const text = readFileSync(`/proc/${d.pid}/smaps_rollup`, "utf8");
    return { rss: field(text, "Rss"), pss: field(text, "Pss"), anon: field(text, "Anonymous") };
  } finally {
    await stop();
  }
}

try {
  for (let r = 0; r < rounds; r++) {
    for (const n of sizes) {
      for (const [k, main] of mains.entries()) {
        const s = await measure(main, n, `${r}-${n}-${k}`, envs[k] as Record<string, string>);
        const key = `${k} ${n}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
        process.stderr.write(`round ${r + 1}, ${"AB"[k]}, ${n} servers: RSS ${s.rss} KiB, PSS ${s.pss} KiB, anonymous ${s.anon} KiB\n`);
      }
    }
  }
  const med = (k: number, n: number, f: keyof Sample): number => median((samples.get(`${k} ${n}`) ?? []).map((s) => s[f]));
  console.log(`A = ${mains[0]}${sideEnvArgs(args, "a").map((x) => ` ${x}`).join("")}\nB = ${mains[1]}${sideEnvArgs(args, "b").map((x) => ` ${x}`).join("")}\n${rounds} rounds, --output=${output}, medians (KiB)`);
  for (const f of ["rss", "pss", "anon"] as const) {
    for (const n of sizes) {
      const a = med(0, n, f);
      const b = med(1, n, f);
      console.log(`${f.padStart(5)}, ${String(n).padStart(5)} servers: A ${String(a).padStart(7)}  B ${String(b).padStart(7)}  B/A ${(b / a).toFixed(3)}`);
    }
    const lo = Math.min(...sizes);
    const hi = Math.max(...sizes);
    if (hi > lo) {
      const per = (k: number) => (med(k, hi, f) - med(k, lo, f)) / (hi - lo);
      console.log(`${f.padStart(5)}, per extra server (${lo} → ${hi}): A ${per(0).toFixed(2)} KiB  B ${per(1).toFixed(2)} KiB  B/A ${(per(1) / per(0)).toFixed(3)}`);
    }
  }
} finally {
  await cleanupAll();
}
