// Core throughput: the pure reducer (src/core/step.ts) driven in-process by a
// pre-generated event sequence (every server crashing and being respawned, round
// robin), and the fuzzer's scenarios per second when `bun run fuzz` exists.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { initialState, step } from "../../src/core/step.ts";
import type { Event, ServerSpec, Settings, State } from "../../src/core/types.ts";
import { fmtCount, sig } from "../lib/table.ts";
import type { Context, Section } from "./common.ts";

const SETTINGS: Settings = { intervalMs: 0, stopTimeoutMs: 10_000, alarmMs: 0 };

export interface Workload {
  /** Every server alive (pids 1..n), ready for the cycle. */
  readonly state: State;
  /** exited(pid) then spawned(server, new pid), round robin over the servers. */
  readonly events: readonly Event[];
}

/** n servers, and `cycles` crash+respawn cycles of events (pure, deterministic). */
export function workload(n: number, cycles: number): Workload {
  const specs: ServerSpec[] = Array.from({ length: n }, (_, i) => ({ argv: ["server", "--initial-spawn", `--n=${i}`], name: `s${i}` }));
  let state = initialState(SETTINGS, specs);
  let at = 1_000_000;
  state = step(state, { type: "start", at, handover: null }).state;
  const pids = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = 0; i < n; i++) state = step(state, { type: "spawned", at: ++at, server: i, pid: pids[i] as number }).state;
  let next = n + 1;
  const events: Event[] = [];
  for (let k = 0; k < cycles; k++) {
    const i = k % n;
    events.push({ type: "exited", at: ++at, pid: pids[i] as number, status: { kind: "code", code: 1 }, server: i });
    pids[i] = next++;
    events.push({ type: "spawned", at: ++at, server: i, pid: pids[i] as number });
  }
  return { state, events };
}

export interface ReducerResult {
  readonly servers: number;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly effectsPerEvent: number;
}

/** Feed the events to `step` until they run out or `budgetMs` has passed. */
export function driveReducer(w: Workload, budgetMs: number): ReducerResult {
  let state = w.state;
  let effects = 0;
  let spawns = 0;
  let i = 0;
  const t0 = performance.now();
  const deadline = t0 + budgetMs;
  const events = w.events;
  while (i < events.length) {
    // Check the clock every 256 events only.
    const end = Math.min(events.length, i + 256);
    for (; i < end; i++) {
      const r = step(state, events[i] as Event);
      state = r.state;
      effects += r.effects.length;
      for (const e of r.effects) if (e.type === "spawn") spawns++;
    }
    if (performance.now() > deadline) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  // Every exited event must have produced exactly one respawn, or the workload is not what it claims.
  const exited = Math.ceil(i / 2);
  if (spawns !== exited) throw new Error(`reducer workload: ${spawns} respawns for ${exited} crashes`);
  return { servers: w.state.servers.length, events: i, seconds, eventsPerSecond: i / seconds, effectsPerEvent: effects / i };
}

interface FuzzResult {
  readonly scenariosPerSecond: number | null;
  readonly note: string;
}

/** Scenarios per second from the fuzzer's output, e.g. "… 1234.5 scenarios/s" (pure). */
export function parseFuzzRate(output: string): number | null {
  const m = /([\d.]+)\s*scenarios?\s*(?:\/\s*s\b|per\s+second)/i.exec(output);
  return m === null ? null : Number(m[1]);
}

async function fuzzRate(ctx: Context): Promise<FuzzResult> {
  const pkg = JSON.parse(readFileSync(resolve(import.meta.dir, "../../package.json"), "utf8")) as { scripts?: Record<string, string> };
  if (pkg.scripts?.fuzz === undefined) return { scenariosPerSecond: null, note: "TODO: no `fuzz` script in package.json on this branch yet" };
  const seconds = ctx.quick ? 5 : 20;
  const p = Bun.spawn({
    cmd: [process.execPath, "run", "fuzz", `--seconds=${seconds}`],
    cwd: resolve(import.meta.dir, "../.."),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), (seconds + 60) * 1000);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  clearTimeout(timer);
  const rate = parseFuzzRate(`${out}\n${err}`);
  return rate === null
    ? { scenariosPerSecond: null, note: `TODO: \`bun run fuzz --seconds=${seconds}\` printed no "N scenarios/s" line (exit ${p.exitCode})` }
    : { scenariosPerSecond: rate, note: `\`bun run fuzz --seconds=${seconds}\`` };
}

export async function coreThroughput(ctx: Context): Promise<Section> {
  const budgetMs = ctx.quick ? 300 : 1500;
  const sizes = [1, 10, 100, 1000];
  const results: ReducerResult[] = [];
  for (const n of sizes) {
    const w = workload(n, ctx.quick ? 100_000 : 400_000);
    driveReducer(w, 100); // warm-up: let the JIT compile step
    results.push(driveReducer(w, budgetMs));
  }
  const fuzz = await fuzzRate(ctx);
  return {
    id: "core",
    title: "Core throughput (in-process, no OS)",
    head: ["measure", "servers", "rate", "notes"],
    rows: [
      ...results.map((r) => [
        "reducer `step`: crash + respawn events",
        fmtCount(r.servers),
        `${fmtCount(r.eventsPerSecond)} events/s`,
        `${fmtCount(r.events)} events in ${sig(r.seconds)} s, ${sig(r.effectsPerEvent)} effects/event`,
      ]),
      ["fuzzer scenarios", "–", fuzz.scenariosPerSecond === null ? "TODO" : `${sig(fuzz.scenariosPerSecond)} scenarios/s`, fuzz.note],
    ],
    notes: [
      "Events alternate `exited` (status 1, with --interval=0: respawn) and `spawned` over the servers round robin, pre-generated; the log lines the reducer formats are included, the shell and the OS are not.",
    ],
    data: { reducer: results, fuzz },
  };
}
