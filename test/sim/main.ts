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
import { parseToolArgs } from "../helpers/tool-args.ts";

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

const USAGE = `usage: bun run sim [--seconds=N] [--runs=N] [--seed=N] [--path=P]
                   [--servers=N] [--events=N] [--horizon=MS] [--mutant=NAME] [--day]
(--name value works as well as --name=value)

  --seconds, --runs   time or run budget (default 60 s; 10 s with --day)
  --seed, --path      fast-check's seed (printed first) and a counterexample's path: replay it exactly
  --servers, --events most servers and world events per scenario (default 6 and 30)
  --horizon           virtual ms until SIGTERM (default 20000)
  --mutant            a planted shell bug instead of the real shell
  --day               simulated days of 100 flaky servers
`;

const OPTIONS = {
  seconds: { type: "string", number: true }, runs: { type: "string", number: true }, seed: { type: "string", number: true },
  path: { type: "string" }, servers: { type: "string", number: true }, events: { type: "string", number: true },
  horizon: { type: "string", number: true }, mutant: { type: "string" }, day: { type: "boolean" },
} as const;

function parse(argv: readonly string[]): Options | string | { help: true } {
  const r = parseToolArgs(argv, OPTIONS);
  if (r.kind === "help") return { help: true };
  if (r.kind === "error") return r.message;
  const v = r.values as Partial<Record<Exclude<keyof typeof OPTIONS, "day">, string>> & { day?: boolean };
  const num = (x: string | undefined) => (x === undefined ? null : Number(x));
  const o: Options = {
    seconds: num(v.seconds), runs: num(v.runs), seed: (num(v.seed) ?? (Date.now() ^ (Math.random() * 0x7fffffff))) | 0, path: v.path ?? null,
    servers: num(v.servers) ?? 6, events: num(v.events) ?? 30, horizon: num(v.horizon) ?? 20_000, mutant: v.mutant ?? null, day: v.day === true,
  };
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
  if ("help" in o) {
    console.log(USAGE);
    return 0;
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
