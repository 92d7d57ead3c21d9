// The Bun floor of respawn latency: a minimal Bun supervisor that keeps SLOTS children
// running with Bun.spawn and, from each child's onExit, spawns its replacement at once,
// until SPAWNS children have been started; then it exits 0. No logging, no policy.
//
//   bun run bench/floor-bun.ts SLOTS SPAWNS PATH ARG...
//
// An argument equal to "{slot}" is replaced by the slot number. With the environment
// variable FLOOR_LIKE_LAZARUS=1 the children are spawned with lazarus's own Bun.spawn
// options (detached: true, env: process.env), to tell their cost apart.
const [slotsText, spawnsText, ...template] = process.argv.slice(2);
const slots = Number(slotsText);
const spawns = Number(spawnsText);
if (!(slots >= 1 && spawns >= slots) || template.length === 0) {
  process.stderr.write("usage: bun run bench/floor-bun.ts SLOTS SPAWNS PATH ARG...\n");
  process.exit(2);
}
const likeLazarus = process.env.FLOOR_LIKE_LAZARUS === "1";
let started = 0;
let running = 0;

function start(slot: number): void {
  started++;
  running++;
  const cmd = template.map((a) => (a === "{slot}" ? String(slot) : a));
  const onExit = (): void => {
    running--;
    if (started < spawns) start(slot);
    else if (running === 0) process.exit(0);
  };
  if (likeLazarus) {
    Bun.spawn({ cmd, stdio: ["inherit", "inherit", "inherit"], detached: true, env: process.env as Record<string, string>, onExit });
  } else {
    Bun.spawn({ cmd, stdio: ["inherit", "inherit", "inherit"], onExit });
  }
}

for (let s = 0; s < slots; s++) start(s);
