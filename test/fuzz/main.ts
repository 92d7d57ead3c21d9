// The fuzzer: runs the properties for a time or run budget, prints the seed,
// prints a minimal counterexample when one is found, and replays one exactly.
//
//   bun run fuzz [--property=core|process|sim] [--seconds=N] [--runs=N]
//                [--seed=N] [--path=P] [--servers=N] [--actions=N] [--mutant=NAME]
//
// Without --runs or --seconds it runs for 60 seconds. A failure prints the
// command that replays it (--seed and --path), and exits 1.
import fc from "fast-check";
import { runScenario, type StepFn } from "../properties/check.ts";
import { MUTANTS } from "../properties/mutants.ts";
import { processScenarioArb, runProcessScenario } from "../properties/process.ts";
import { scenarioArb } from "../properties/scenario.ts";
import { step } from "../../src/core/step.ts";
import { FUZZ_TARGETS } from "./targets.ts";
import { parseToolArgs } from "../helpers/tool-args.ts";
import { SHELL_MUTANTS } from "../sim/mutants.ts";

interface Options {
  property: string;
  seconds: number | null;
  runs: number | null;
  seed: number;
  path: string | null;
  servers: number;
  actions: number;
  mutant: string | null;
}

const USAGE = `usage: bun run fuzz [--property=core|process|sim] [--seconds=N] [--runs=N]
                    [--seed=N] [--path=P] [--servers=N] [--actions=N] [--mutant=NAME]
(--name value works as well as --name=value)

  --property   what to fuzz: core (the reducer against the model and the invariants; default),
               process (the real supervisor with real processes), sim (the whole shell on the simulated OS)
  --seconds    time budget (default 60 when --runs is not given)
  --runs       run budget
  --seed       fast-check's seed (printed at the start); --path replays one counterexample
  --servers    most servers per scenario (default 4); --actions: most actions (default 60)
  --mutant     fuzz a planted bug instead of the real reducer (core) or shell (sim)
`;

const OPTIONS = {
  property: { type: "string" }, seconds: { type: "string", number: true }, runs: { type: "string", number: true },
  seed: { type: "string", number: true }, path: { type: "string" }, servers: { type: "string", number: true },
  actions: { type: "string", number: true }, mutant: { type: "string" },
} as const;

function parse(argv: readonly string[]): Options | string | { help: true } {
  const r = parseToolArgs(argv, OPTIONS);
  if (r.kind === "help") return { help: true };
  if (r.kind === "error") return r.message;
  const v = r.values as Partial<Record<keyof typeof OPTIONS, string>>;
  const num = (x: string | undefined) => (x === undefined ? null : Number(x));
  const o: Options = {
    property: v.property ?? "core",
    seconds: num(v.seconds),
    runs: num(v.runs),
    seed: num(v.seed) ?? Date.now() ^ (Math.random() * 0x7fffffff),
    path: v.path ?? null,
    servers: num(v.servers) ?? 4,
    actions: num(v.actions) ?? 60,
    mutant: v.mutant ?? null,
  };
  if (o.seconds === null && o.runs === null) o.seconds = 60;
  if (!(o.property in FUZZ_TARGETS) && o.property !== "core" && o.property !== "process") {
    return `unknown property ${o.property} (core, process${Object.keys(FUZZ_TARGETS).map((k) => `, ${k}`).join("")})`;
  }
  const mutants = o.property === "sim" ? SHELL_MUTANTS : MUTANTS;
  if (o.mutant !== null && !(o.mutant in mutants)) return `unknown mutant ${o.mutant}; one of: ${Object.keys(mutants).join(" | ")}`;
  if (o.mutant !== null && o.property === "process") return "--mutant is for --property=core or sim";
  return o;
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  if (typeof o === "string") {
    console.error(`fuzz: ${o}`);
    return 2;
  }
  if ("help" in o) {
    console.log(USAGE);
    return 0;
  }
  o.seed = o.seed | 0;
  const stepFn: StepFn = o.mutant === null || o.property !== "core" ? step : (MUTANTS[o.mutant] as StepFn);
  let scenarios = 0;
  let steps = 0;
  const started = performance.now();
  const params: fc.Parameters<unknown> = {
    seed: o.seed,
    numRuns: o.runs ?? 1_000_000_000,
    includeErrorInReport: true,
    ...(o.seconds === null ? {} : { interruptAfterTimeLimit: o.seconds * 1000, markInterruptAsFailure: false }),
    ...(o.path === null ? {} : { path: o.path, endOnFailure: true }),
  };
  console.log(`fuzz: property ${o.property}${o.mutant === null ? "" : ` (mutant: ${o.mutant})`}, seed ${o.seed}` +
    `${o.path === null ? "" : `, path ${o.path}`}, budget ${o.runs === null ? `${o.seconds} s` : `${o.runs} runs`}`);

  let out: fc.RunDetails<unknown>;
  if (o.property === "core") {
    out = fc.check(fc.property(scenarioArb({ maxServers: o.servers, maxActions: o.actions }), (sc) => {
      scenarios++;
      steps += runScenario(sc, stepFn).steps;
    }), params);
  } else if (o.property === "process") {
    out = await fc.check(fc.asyncProperty(processScenarioArb(), async (sc) => {
      scenarios++;
      await runProcessScenario(sc);
    }), params);
  } else {
    const target = FUZZ_TARGETS[o.property]!;
    out = await target({ ...o, count: (n: number) => { scenarios++; steps += n; } }, params);

  }
  const secs = (performance.now() - started) / 1000;
  console.log(`fuzz: ${scenarios} scenarios (${steps} steps) in ${secs.toFixed(1)} s: ${(scenarios / secs).toFixed(1)} scenarios/s, ${(steps / secs).toFixed(0)} steps/s`);
  if (!out.failed) {
    console.log(`fuzz: no counterexample${out.interrupted ? " (time budget reached)" : ""}`);
    return 0;
  }
  console.log(`fuzz: COUNTEREXAMPLE after ${out.numRuns} runs, shrunk ${out.numShrinks} times:`);
  console.log(JSON.stringify((out.counterexample as unknown[] | null)?.[0], null, 1));
  console.log(String(out.errorInstance instanceof Error ? out.errorInstance.message : out.errorInstance));
  const mutant = o.mutant === null ? "" : ` --mutant='${o.mutant}'`;
  console.log(`fuzz: replay with: bun run fuzz --property=${o.property}${mutant} --servers=${o.servers} --actions=${o.actions} --seed=${o.seed} --path=${out.counterexamplePath}`);
  return 1;
}

process.exit(await main());
