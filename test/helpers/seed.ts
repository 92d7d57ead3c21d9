// The seed of the fast-check properties outside test/properties (config, words,
// output): the same fixed seed under bun test as test/properties/budget.ts, so
// CI is deterministic, printed so that a failure can be replayed exactly;
// LAZARUS_SEED=<seed> bun test <file> runs another (or replays one).
import { DEFAULT_SEED } from "../properties/budget.ts";

export function propertySeed(file: string): number {
  const seed = process.env.LAZARUS_SEED !== undefined ? Number(process.env.LAZARUS_SEED) : DEFAULT_SEED;
  console.log(`fast-check seed for ${file}: ${seed} (replay with LAZARUS_SEED=${seed})`);
  return seed;
}
