// The whole supervisor, shell included, against the simulated OS: a fixed,
// small, deterministic budget here; `bun run sim` runs it long.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { budget } from "../properties/budget.ts";
import { BUSY_LOOP } from "../properties/busy.ts";
import { BUSY_STEP_MUTANT, BUSY_TIMER_MUTANT, INTERRUPTED_PROBE_MUTANT, LEFTOVER_MUTANT, RELOAD_MUTANTS, SHELL_MUTANTS, SHORTAGE_MUTANT, TRIGGER_MUTANT } from "./mutants.ts";
import { simScenarioArb } from "./scenario.ts";
import { runSim, SimViolation } from "./world.ts";

/** The default budget of the simulator for a planted bug (what `bun run sim --mutant=…` gives too). */
export const SIM_MUTANT_BUDGET = 300;

describe("the production shell on a simulated OS", () => {
  test("every process-table fact and the model hold in generated scenarios", async () => {
    let lifetimes = 0;
    await fc.assert(fc.asyncProperty(simScenarioArb(), async (sc) => {
      lifetimes += (await runSim(sc)).lifetimes;
    }), budget(150));
    expect(lifetimes).toBeGreaterThan(10_000);
  });

  test("scenarios with many servers and many events", async () => {
    await fc.assert(fc.asyncProperty(simScenarioArb({ maxServers: 60, maxEvents: 400, horizonMs: 60_000 }), async (sc) => {
      await runSim(sc);
    }), budget(5));
  });

  test("a run replays bit for bit: the same scenario, the same log", async () => {
    let compared = 0;
    for (const sc of fc.sample(simScenarioArb({ maxServers: 8, maxEvents: 60 }), { numRuns: 40, seed: 7 })) {
      const a = await runSim(sc);
      const b = await runSim(sc);
      expect(b).toEqual(a);
      compared += a.steps;
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

describe("planted bugs in the shell are caught", () => {
  test("at least fifteen variants are planted", () => {
    expect(Object.keys(SHELL_MUTANTS).length).toBeGreaterThanOrEqual(15);
  });
  for (const [name, factory] of Object.entries(SHELL_MUTANTS)) {
    test(`caught: ${name}`, async () => {
      const out = await fc.check(fc.asyncProperty(simScenarioArb(), async (sc) => { await runSim(sc, factory); }), { ...budget(SIM_MUTANT_BUDGET), endOnFailure: true });
      expect(out.failed).toBe(true);
      expect(out.errorInstance).toBeInstanceOf(SimViolation);
      // by a check that names what went wrong, not by a supervisor that never exits
      expect(String((out.errorInstance as Error).message)).not.toMatch(/did not exit/);
      // issue 15's: by the reload check that names it
      // sd_notify's: by the check of what the core is told of a datagram, which names it
      if (RELOAD_MUTANTS.includes(name) || name === TRIGGER_MUTANT || name === INTERRUPTED_PROBE_MUTANT || name === SHORTAGE_MUTANT) expect(String((out.errorInstance as Error).message)).toContain(`(${name})`);
      // what is left of a crashed server's group: by the check that the shell carries out what the core asked for
      if (name === LEFTOVER_MUTANT) expect(String((out.errorInstance as Error).message)).toMatch(/the core asked for .*SIGKILL to what is left of process group \d+.*, and the shell never carried it out/);
      // issue 23's busy loops at one instant: by the world's step bounds, which name them, not by a hang
      const busy = (unit: string) => new RegExp(`^${BUSY_LOOP}: \\d+ ${unit} at t=[\\d.]+ \\(bound \\d+\\), last event `);
      if (name === BUSY_TIMER_MUTANT) expect(String((out.errorInstance as Error).message)).toMatch(busy("happenings"));
      if (name === BUSY_STEP_MUTANT) expect(String((out.errorInstance as Error).message)).toMatch(busy("steps"));
    });
  }
});
