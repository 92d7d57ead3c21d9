// The fixed, bounded budget of the properties under `bun test` (CI), and how
// to replay a failure: LAZARUS_SEED / LAZARUS_PATH / LAZARUS_RUNS override it.
import type fc from "fast-check";

export const DEFAULT_SEED = 20261126;

export function budget(runs: number): fc.Parameters<unknown> {
  const seed = process.env.LAZARUS_SEED === undefined ? DEFAULT_SEED : Number(process.env.LAZARUS_SEED);
  const path = process.env.LAZARUS_PATH;
  const numRuns = process.env.LAZARUS_RUNS === undefined ? runs : Number(process.env.LAZARUS_RUNS);
  return { seed, numRuns, includeErrorInReport: true, ...(path === undefined ? {} : { path, endOnFailure: true }) };
}
