// `bun run bench [--quick]`: lazarus's benchmarks (issue 6). Writes bench/results/latest.md
// and latest.json, prints the Markdown on stdout; progress and diagnostics on stderr.
// Every process it starts is stopped before it exits, also on failure or Ctrl-C.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BENCH_USAGE, parseBenchArgs, PEERS, type BenchArgs } from "./lib/args.ts";
import { buildBinaries } from "./lib/build.ts";
import { cleanupAll, onCleanup } from "./lib/cleanup.ts";
import { sweepFixtures } from "./lib/daemon.ts";
import { goalsSection } from "./lib/goals.ts";
import { headline } from "./lib/headline.ts";
import { readMeta } from "./lib/meta.ts";
import { renderJson, renderMarkdown } from "./lib/report.ts";
import type { Context, Section } from "./scenarios/common.ts";
import { crashLoop } from "./scenarios/crashloop.ts";
import { coreThroughput } from "./scenarios/core.ts";
import { fleetSections } from "./scenarios/fleet.ts";
import { idleBeside } from "./scenarios/idle-beside.ts";
import { hotLatency, settledLatency, warmLatency } from "./scenarios/latency.ts";
import { floorTarget } from "./targets/floor-target.ts";
import { bunFloor, cFloor } from "./targets/floors.ts";
import { lazarusTarget } from "./targets/lazarus.ts";
import { pm2Target } from "./targets/pm2.ts";
import { runitTarget } from "./targets/runit.ts";
import { s6Target } from "./targets/s6.ts";
import { supervisordTarget } from "./targets/supervisord.ts";
import type { Target } from "./targets/target.ts";

const t0 = performance.now();
const say = (text: string): void => {
  process.stderr.write(`bench: [${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${text}\n`);
};

function peerTargets(args: BenchArgs, fixture: string): Target[] {
  const all: Record<(typeof PEERS)[number], Target> = {
    runit: runitTarget(fixture),
    s6: s6Target(fixture),
    supervisord: supervisordTarget(fixture),
    pm2: pm2Target(fixture),
  };
  return PEERS.filter((p) => args.peers === null || args.peers.includes(p)).map((p) => all[p]);
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseBenchArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(`bench: ${args}\n${BENCH_USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(BENCH_USAGE);
    return 0;
  }
  const started = performance.now();
  const bins = buildBinaries();
  say(`fixtures built (${bins.linking}): ${bins.stamp}, ${bins.floor}`);
  const work = mkdtempSync(join(tmpdir(), "lazarus-bench-"));
  onCleanup(() => rmSync(work, { recursive: true, force: true }));
  onCleanup(async () => {
    const n = await sweepFixtures(bins.stamp);
    if (n > 0) say(`swept ${n} leftover fixture process(es)`);
  });

  const lazarus = lazarusTarget({ log: "null", fixtureExe: bins.stamp });
  const peers = peerTargets(args, bins.stamp);
  for (const p of peers) {
    const why = p.unavailable();
    say(why === null ? `peer ${p.name} ${p.version()}` : `peer ${p.name}: skipped, ${why}`);
  }
  const ctx: Context = {
    quick: args.quick,
    bins,
    work,
    targets: [lazarus, ...peers],
    floors: [floorTarget(cFloor(bins.floor), bins.stamp), floorTarget(bunFloor(false), bins.stamp), floorTarget(bunFloor(true), bins.stamp)],
    lazarusLogged: lazarusTarget({ log: "file", fixtureExe: bins.stamp }),
    say,
  };
  const versions: Record<string, string> = { lazarus: lazarus.version() };
  for (const p of peers) if (p.unavailable() === null) versions[p.name] = p.version();
  const meta = readMeta(args.quick, versions);

  const sections: Section[] = [];
  const run = async (name: string, f: () => Promise<Section | Section[]>): Promise<void> => {
    const t = performance.now();
    try {
      const s = await f();
      sections.push(...(Array.isArray(s) ? s : [s]));
    } catch (e) {
      say(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    say(`${name} took ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  try {
    if (args.only.includes("core")) await run("core", () => coreThroughput(ctx));
    if (args.only.includes("idle")) await run("idle beside a bare Bun", () => idleBeside(ctx));
    if (args.only.includes("latency")) {
      await run("latency (hot)", () => hotLatency(ctx));
      await run("latency (warm)", () => warmLatency(ctx));
      await run("latency (settled)", () => settledLatency(ctx));
    }
    if (args.only.includes("fleet")) await run("fleet", () => fleetSections(ctx));
    if (args.only.includes("crashloop")) await run("crash loop", () => crashLoop(ctx));
  } finally {
    await cleanupAll();
  }
  meta.loadAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  const out = args.out ?? resolve(import.meta.dir, "results");
  mkdirSync(out, { recursive: true });
  const all = [headline(sections), goalsSection(sections), ...sections];
  const md = renderMarkdown(meta, all);
  writeFileSync(join(out, "latest.md"), md);
  writeFileSync(join(out, "latest.json"), renderJson(meta, all));
  process.stdout.write(md);
  say(`done in ${((performance.now() - started) / 1000).toFixed(0)} s: ${join(out, "latest.md")}, ${join(out, "latest.json")}`);
  return 0;
}

process.exit(await main(process.argv.slice(2)));
