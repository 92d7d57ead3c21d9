// The step bounds of busy.ts. That each harness's bound catches a core that
// keeps asking for something at one instant, with a message naming the busy
// loop (not a hang, nor a supervisor that "never exits"), is shown by a planted
// bug in each harness's own tests: mutants.test.ts (check.ts), roll, reload,
// scale and takeover tests, and test/sim/sim.test.ts (the simulator).
import { describe, expect, test } from "bun:test";
import { BUSY_LOOP, NEVER_QUIET, StepBound } from "./busy.ts";

describe("step bounds", () => {
  test("a bound counts steps at one instant, starts again at the next, and counts the whole run too", () => {
    const b = new StepBound("test", 3, 5);
    expect([b.step(1, () => "a"), b.step(1, () => "a"), b.step(1, () => "a")]).toEqual([null, null, null]);
    expect(b.step(1, () => "timer x")).toBe(`${BUSY_LOOP}: 4 steps at t=1 (bound 3), last event timer x`);
    const c = new StepBound("test", 3, 5);
    for (const at of [1, 1, 2, 2, 3]) expect(c.step(at, () => "e")).toBeNull();
    expect(c.step(4, () => "e")).toBe(`${NEVER_QUIET}: 6 steps in one scenario (bound 5), now at t=4, last event e`);
  });
});
