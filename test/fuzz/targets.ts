// Fuzz targets beyond the reducer (core) and the real supervisor (process):
// `sim`, the whole production shell on the simulated OS (test/sim/).
import fc from "fast-check";
import { SHELL_MUTANTS } from "../sim/mutants.ts";
import { simScenarioArb } from "../sim/scenario.ts";
import { runSim } from "../sim/world.ts";

export interface TargetOptions {
  readonly seed: number;
  readonly servers: number;
  readonly actions: number;
  /** A planted bug to run instead of the real code, by name. */
  readonly mutant: string | null;
  /** Report one scenario of n steps. */
  readonly count: (steps: number) => void;
}

export type FuzzTarget = (o: TargetOptions, params: fc.Parameters<unknown>) => Promise<fc.RunDetails<unknown>>;

export const FUZZ_TARGETS: Record<string, FuzzTarget> = {
  sim: (o, params) => {
    const factory = o.mutant === null ? undefined : SHELL_MUTANTS[o.mutant];
    return fc.check(fc.asyncProperty(simScenarioArb({ maxServers: o.servers, maxEvents: o.actions }), async (sc) => {
      o.count((await runSim(sc, factory)).steps);
    }), params);
  },
};
