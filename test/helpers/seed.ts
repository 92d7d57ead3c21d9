// One fast-check seed per test file, printed so that a failing property can be
// replayed exactly: FC_SEED=<seed> bun test <file>.
export function propertySeed(file: string): number {
  const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : Date.now() % 2 ** 31;
  console.log(`fast-check seed for ${file}: ${seed} (replay with FC_SEED=${seed})`);
  return seed;
}
