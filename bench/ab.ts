// A/B comparison of two copies of lazarus on the workloads where its own costs show:
//
//   bun run bench/ab.ts A/src/main.ts B/src/main.ts [--rounds=5] [--n=1000] [--only=hot,warm,storm,crashloop] [--warm-ms=6000] [--output=prefix]
//                       [--env-a=K=V]… [--env-b=K=V]…
//
// --env-a, --env-b: an environment variable for A's (B's) supervisor only, e.g. a Bun or JSC
// runtime option (--env-b=BUN_JSC_useFTLJIT=0 with the same tree twice); repeatable.
// --output: lazarus's --output for its servers (prefix: every server's output piped through lazarus).
//
// hot:       CPU per respawn of one server crashing at once (--interval=0)
// warm:      respawn latency p50/p99 and CPU per respawn of 20 servers each crashing after
//            1.1–1.5 s of life (--interval=1): the case where lazarus has been idle before a crash
// storm:     CPU and time to bring back N servers crashing together (--interval=1)
// crashloop: CPU and time to bury N servers crashing together (--interval=60)
//
// Rounds alternate A and B so that the machine's drift hits both alike; medians are
// printed. Use it to check a change to src/ before and after (copy the tree, patch one).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sideEnv, sideEnvArgs } from "./lib/ab-env.ts";
import { buildBinaries } from "./lib/build.ts";
import { cleanupAll, onCleanup } from "./lib/cleanup.ts";
import { cpuSince, cpuSnapshot } from "./lib/proc.ts";
import { StampLog } from "./lib/stamp-log.ts";
import { respawnLatencies, stormOutcome } from "./lib/stamps.ts";
import { median, summarize } from "./lib/stats.ts";
import { sig } from "./lib/table.ts";
import { Trigger } from "./lib/trigger.ts";
import { lazarusTarget } from "./targets/lazarus.ts";
import type { Target } from "./targets/target.ts";
import { withFleet } from "./scenarios/common.ts";

const args = process.argv.slice(2);
const mains = args.filter((a) => !a.startsWith("--")).map((a) => resolve(a));
const rounds = Number(args.find((a) => a.startsWith("--rounds="))?.split("=")[1] ?? 5);
const n = Number(args.find((a) => a.startsWith("--n="))?.split("=")[1] ?? 1000);
const only = new Set((args.find((a) => a.startsWith("--only="))?.split("=")[1] ?? "hot,warm,storm,crashloop").split(","));
const output = args.find((a) => a.startsWith("--output="))?.split("=")[1];
const flags = output === undefined ? [] : [`--output=${output}`];
const envs = [sideEnv(args, "a"), sideEnv(args, "b")];
const warmMs = Number(args.find((a) => a.startsWith("--warm-ms="))?.split("=")[1] ?? 6000);
if (mains.length !== 2) {
  process.stderr.write("usage: bun run bench/ab.ts A/src/main.ts B/src/main.ts [--rounds=5] [--n=1000]\n");
  process.exit(2);
}
const bins = buildBinaries();
const work = mkdtempSync(join(tmpdir(), "lazarus-ab-"));
onCleanup(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;
const dir = (): string => {
  const d = join(work, String(++dirs));
  Bun.spawnSync({ cmd: ["mkdir", "-p", d] });
  return d;
};

async function hot(t: Target): Promise<number> {
  const d = dir();
  const log = new StampLog(join(d, "stamps.txt"));
  const servers = [{ tag: "s0", argv: [bins.stamp, log.path, "s0", "exit", "1"] }];
  return withFleet(t, { servers, policy: { kind: "respawn", intervalMs: 0 }, dir: d }, async (r) => {
    await log.waitUntil(() => log.total("S") > 20, 10_000);
    const p = r.supervisorPids();
    const c0 = cpuSnapshot(p);
    const s0 = log.total("S");
    await log.waitUntil(() => log.total("S") >= s0 + 1000, 20_000);
    return (cpuSince(c0) / (log.total("S") - s0)) * 1000;
  });
}

async function warm(t: Target): Promise<{ p50: number; p99: number; cpu: number }> {
  const d = dir();
  const log = new StampLog(join(d, "stamps.txt"));
  const count = 20;
  const servers = Array.from({ length: count }, (_, i) => ({ tag: `s${i}`, argv: [bins.stamp, log.path, `s${i}`, "life:1100~400", "1"] }));
  return withFleet(t, { servers, policy: { kind: "respawn", intervalMs: 1000 }, dir: d }, async (r) => {
    await log.waitUntil(() => log.total("S") >= count, 30_000);
    const c0 = cpuSnapshot(r.supervisorPids());
    const s0 = log.total("S");
    await Bun.sleep(warmMs);
    const cpu = cpuSince(c0);
    const respawns = log.total("S") - s0;
    const lat = summarize(respawnLatencies(log.since(0)));
    return { p50: lat.p50 / 1000, p99: lat.p99 / 1000, cpu: respawns > 0 ? (cpu / respawns) * 1000 : Number.NaN };
  });
}

async function fleet(t: Target, loop: boolean): Promise<{ cpu: number; ms: number }> {
  const d = dir();
  const log = new StampLog(join(d, "stamps.txt"));
  const trigger = new Trigger(d);
  const servers = Array.from({ length: n }, (_, i) => ({ tag: `s${i}`, argv: [bins.stamp, log.path, `s${i}`, trigger.mode, "1"] }));
  const policy = loop ? ({ kind: "crashloop", intervalMs: 60_000 } as const) : ({ kind: "respawn", intervalMs: 1000 } as const);
  return withFleet(t, { servers, policy, dir: d }, async (r) => {
    await log.waitUntil(() => log.total("S") >= n, 60_000);
    await Bun.sleep(1200);
    const p = r.supervisorPids();
    const c0 = cpuSnapshot(p);
    const from = log.stamps.length;
    const s0 = log.total("S");
    trigger.fire(loop);
    if (loop) await log.waitUntil(() => (r.givenUp() ?? 0) >= n, 60_000);
    else await log.waitUntil(() => log.total("S") - s0 >= n, 60_000);
    const cpu = cpuSince(c0);
    const since = log.since(from);
    const first = Math.min(...since.filter((s) => s.kind === "E").map((s) => s.ns));
    const ms = loop ? Number.NaN : stormOutcome(since).allBackNs / 1e6;
    void first;
    return { cpu, ms };
  });
}

const results: Record<string, number[]>[] = [{}, {}];
const push = (i: number, k: string, v: number): void => {
  ((results[i] as Record<string, number[]>)[k] ??= []).push(v);
};
try {
  for (let r = 0; r < rounds; r++) {
    for (const [i, main] of mains.entries()) {
      const env = envs[i];
      const quiet = lazarusTarget({ log: "null", fixtureExe: bins.stamp, main, flags, env });
      const logged = lazarusTarget({ log: "file", fixtureExe: bins.stamp, main, flags, env });
      if (only.has("hot")) push(i, "hot: CPU µs per respawn", await hot(quiet));
      if (only.has("warm")) {
        const w = await warm(quiet);
        push(i, "warm: p50 µs", w.p50);
        push(i, "warm: p99 µs", w.p99);
        push(i, "warm: CPU µs per respawn", w.cpu);
      }
      if (only.has("storm")) {
        const s = await fleet(quiet, false);
        push(i, `storm of ${n}: CPU ms`, s.cpu);
        push(i, `storm of ${n}: all back ms`, s.ms);
      }
      if (only.has("crashloop")) {
        const c = await fleet(logged, true);
        push(i, `crash loop of ${n}: CPU ms to bury all`, c.cpu);
      }
      process.stderr.write(`ab: round ${r + 1}/${rounds} ${i === 0 ? "A" : "B"} done\n`);
    }
  }
  const envArgs = (side: "a" | "b"): string => sideEnvArgs(args, side).map((x) => ` ${x}`).join("");
  console.log(`A = ${mains[0]}${envArgs("a")}\nB = ${mains[1]}${envArgs("b")}\n${rounds} rounds, medians (all values)`);
  for (const k of Object.keys(results[0] as object)) {
    const a = (results[0] as Record<string, number[]>)[k] ?? [];
    const b = (results[1] as Record<string, number[]>)[k] ?? [];
    const ma = median(a);
    const mb = median(b);
    console.log(`${k.padEnd(34)} A ${sig(ma).padStart(7)}  B ${sig(mb).padStart(7)}  B/A ${sig(mb / ma)}   A: ${a.map(sig).join(" ")}  B: ${b.map(sig).join(" ")}`);
  }
} finally {
  await cleanupAll();
}
