// bun run sim: the production shell against the simulated OS, for a time or run budget.
//
//   bun run sim [--seconds=N] [--runs=N] [--seed=N] [--path=P]
//               [--servers=N] [--events=N] [--horizon=MS] [--mutant=NAME] [--day]
//
// Prints its seed first; on failure the shrunk scenario's violation and the
// command that replays it exactly; at the end, simulated process lifetimes and
// scenarios per wall second. --day runs simulated days of 100 flaky servers.
import fc from "fast-check";
import { SHELL_MUTANTS } from "./mutants.ts";
import { dayScenarioArb, type SimScenario, simScenarioArb } from "./scenario.ts";
import { runSim, type SupervisorFactory } from "./world.ts";

interface Options {
  seconds: number | null;
  runs: number | null;
  seed: number;
  path: string | null;
  servers: number;
  events: number;
  horizon: number;
  mutant: string | null;
  day: boolean;
}

function parse(argv: readonly string[]): Options | string {
  const o: Options = { seconds: null, runs: null, seed: (Date.now() ^ (Math.random() * 0x7fffffff)) | 0, path: null, servers: 6, events: 30, horizon: 20_000, mutant: null, day: false };
  for (const a of argv) {
    if (a === "--day") { o.day = true; continue; }
    const m = /^--([a-z]+)=(.*)$/.exec(a);
    if (m === null) return `unrecognised argument: ${a}`;
    const [, key, value] = m as unknown as [string, string, string];
    const num = Number(value);
    if (key !== "path" && key !== "mutant" && !Number.isFinite(num)) return `--${key} wants a number, not ${value}`;
    switch (key) {
      case "seconds": o.seconds = num; break;
      case "runs": o.runs = num; break;
      case "seed": o.seed = num | 0; break;
      case "path": o.path = value; break;
      case "servers": o.servers = num; break;
      case "events": o.events = num; break;
      case "horizon": o.horizon = num; break;
      case "mutant": o.mutant = value; break;
      default: return `unrecognised option: --${key}`;
    }
  }
  if (o.mutant !== null && !(o.mutant in SHELL_MUTANTS)) return `unknown mutant ${o.mutant}; one of: ${Object.keys(SHELL_MUTANTS).join(" | ")}`;
  if (o.seconds === null && o.runs === null) o.seconds = o.day ? 10 : 60;
  return o;
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  if (typeof o === "string") {
    console.error(`sim: ${o}`);
    return 2;
  }
  const factory: SupervisorFactory | undefined = o.mutant === null ? undefined : SHELL_MUTANTS[o.mutant];
  const arb: fc.Arbitrary<SimScenario> = o.day ? dayScenarioArb(o.servers === 6 ? 100 : o.servers) : simScenarioArb({ maxServers: o.servers, maxEvents: o.events, horizonMs: o.horizon });
  console.log(`sim: seed ${o.seed}${o.path === null ? "" : `, path ${o.path}`}${o.mutant === null ? "" : `, mutant: ${o.mutant}`}, ` +
    `${o.day ? "simulated days of flaky servers" : `up to ${o.servers} servers and ${o.events} world events`}, budget ${o.runs === null ? `${o.seconds} s` : `${o.runs} runs`}`);
  let scenarios = 0;
  let lifetimes = 0;
  let steps = 0;
  let virtualMs = 0;
  const started = performance.now();
  const out = await fc.check(fc.asyncProperty(arb, async (sc) => {
    const r = await runSim(sc, factory);
    scenarios++;
    lifetimes += r.lifetimes;
    steps += r.steps;
    virtualMs += r.virtualMs;
  }), {
    seed: o.seed,
    numRuns: o.runs ?? 1_000_000_000,
    includeErrorInReport: true,
    ...(o.seconds === null ? {} : { interruptAfterTimeLimit: o.seconds * 1000, markInterruptAsFailure: false }),
    ...(o.path === null ? {} : { path: o.path, endOnFailure: true }),
  });
  const secs = (performance.now() - started) / 1000;
  console.log(`sim: ${scenarios} scenarios, ${lifetimes} simulated process lifetimes, ${steps} happenings, ${(virtualMs / 3_600_000).toFixed(1)} simulated hours in ${secs.toFixed(1)} s: ` +
    `${(lifetimes / secs).toFixed(0)} lifetimes/s, ${(scenarios / secs).toFixed(1)} scenarios/s`);
  if (!out.failed) {
    console.log(`sim: no violation${out.interrupted ? " (time budget reached)" : ""}`);
    return 0;
  }
  console.log(`sim: VIOLATION after ${out.numRuns} runs, shrunk ${out.numShrinks} times:`);
  console.log(`sim: the shrunk scenario: ${JSON.stringify((out.counterexample as unknown[] | null)?.[0])}`);
  console.log(out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance));
  const flags = [o.day ? "--day" : "", o.mutant === null ? "" : `--mutant='${o.mutant}'`, `--servers=${o.servers}`, `--events=${o.events}`, `--horizon=${o.horizon}`].filter((x) => x !== "").join(" ");
  console.log(`sim: replay with: bun run sim ${flags} --seed=${o.seed} --path=${out.counterexamplePath}`);
  return 1;
}

process.exit(await main());
