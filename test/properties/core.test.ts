// The policy against generated scenarios: every invariant of docs/spec.md
// and the reference model, after every step. A failure prints fast-check's
// seed and path; replay with LAZARUS_SEED=… LAZARUS_PATH=… bun test test/properties
// (or `bun run fuzz --seed … --path …`).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { runScenario } from "./check.ts";
import { scenarioArb } from "./scenario.ts";
import { budget } from "./budget.ts";

describe("the reducer under generated scenarios (the invariants of docs/spec.md)", () => {
  test("every invariant holds after every step, and the model agrees", () => {
    let steps = 0;
    fc.assert(
      fc.property(scenarioArb(), (sc) => {
        steps += runScenario(sc).steps;
      }),
      budget(400),
    );
    expect(steps).toBeGreaterThan(1000);
  });

  test("long scenarios with many servers", () => {
    fc.assert(
      fc.property(scenarioArb({ maxServers: 12, maxActions: 200 }), (sc) => {
        runScenario(sc);
      }),
      budget(60),
    );
  });

  test("signals only (no operator commands), around the interval boundary", () => {
    fc.assert(
      fc.property(scenarioArb({ control: false, maxActions: 60 }), (sc) => {
        runScenario(sc);
      }),
      budget(300),
    );
  });
});
