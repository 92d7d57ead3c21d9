// Further fuzz targets registered by other harnesses (the simulator adds "sim").
import type fc from "fast-check";

export interface TargetOptions {
  readonly seed: number;
  readonly servers: number;
  readonly actions: number;
  /** Report one scenario of n steps. */
  readonly count: (steps: number) => void;
}

export type FuzzTarget = (o: TargetOptions, params: fc.Parameters<unknown>) => Promise<fc.RunDetails<unknown>>;

export const FUZZ_TARGETS: Record<string, FuzzTarget> = {};
