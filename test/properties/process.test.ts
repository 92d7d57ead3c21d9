// Generated scenarios under the real supervisor (see process.ts). A small,
// fixed budget here; `bun run fuzz --property process` runs it longer.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { budget } from "./budget.ts";
import { processScenarioArb, runProcessScenario } from "./process.ts";

test("real runs agree with the core, the fixtures' intent, and leave nothing behind", async () => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(processScenarioArb(), async (sc) => {
      runs++;
      await runProcessScenario(sc);
    }),
    { ...budget(4), endOnFailure: true },
  );
  expect(runs).toBeGreaterThan(0);
}, 120_000);
