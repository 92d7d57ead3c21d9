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

function parse(argv: readonly string[]): Options | string {
  const o: Options = { property: "core", seconds: null, runs: null, seed: Date.now() ^ (Math.random() * 0x7fffffff), path: null, servers: 4, actions: 60, mutant: null };
  for (const a of argv) {
    const m = /^--([a-z]+)=(.*)$/.exec(a);
    if (m === null) return `unrecognised argument: ${a}`;
    const [, key, value] = m as unknown as [string, string, string];
    const num = Number(value);
    switch (key) {
      case "property": o.property = value; break;
      case "seconds": o.seconds = num; break;
      case "runs": o.runs = num; break;
      case "seed": o.seed = num; break;
      case "path": o.path = value; break;
      case "servers": o.servers = num; break;
      case "actions": o.actions = num; break;
      case "mutant": o.mutant = value; break;
      default: return `unrecognised option: --${key}`;
    }
    if (key !== "property" && key !== "path" && key !== "mutant" && !Number.isFinite(num)) return `--${key} wants a number, not ${value}`;
  }
  if (o.seconds === null && o.runs === null) o.seconds = 60;
  if (!(o.property in FUZZ_TARGETS) && o.property !== "core" && o.property !== "process") {
    return `unknown property ${o.property} (core, process${Object.keys(FUZZ_TARGETS).map((k) => `, ${k}`).join("")})`;
  }
  if (o.mutant !== null && !(o.mutant in MUTANTS)) return `unknown mutant ${o.mutant}; one of: ${Object.keys(MUTANTS).join(" | ")}`;
  return o;
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  if (typeof o === "string") {
    console.error(`fuzz: ${o}`);
    return 2;
  }
  o.seed = o.seed | 0;
  const stepFn: StepFn = o.mutant === null ? step : (MUTANTS[o.mutant] as StepFn);
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
