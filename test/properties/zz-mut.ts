import fc from "fast-check";
import { runScenario } from "./check.ts";
import { MUTANTS } from "./mutants.ts";
import { scenarioArb } from "./scenario.ts";
const names = process.argv.slice(2);
for (const [name, fn] of Object.entries(MUTANTS)) {
  if (names.length > 0 && !names.some((n) => name.includes(n))) continue;
  const found: number[] = [];
  for (const seed of [20261126, 1, 2, 3, 4, 5]) {
    const out = fc.check(fc.property(scenarioArb(), (sc) => { runScenario(sc, fn); }), { seed, numRuns: 3000, endOnFailure: true });
    found.push(out.failed ? out.numRuns : -1);
  }
  console.log(name.padEnd(70), found.join(" "));
}
