// The Bun floor of respawn latency: a minimal Bun supervisor that keeps SLOTS children
// running with Bun.spawn and, from each child's onExit, spawns its replacement at once,
// until SPAWNS children have been started; then it exits 0. No logging, no policy.
//
//   bun run bench/floor-bun.ts SLOTS SPAWNS PATH ARG...
//
// An argument equal to "{slot}" is replaced by the slot number. With the environment
// variable FLOOR_LIKE_LAZARUS=1 the children are spawned with lazarus's own Bun.spawn
// options (detached: true, env: process.env), to tell their cost apart; with
// FLOOR_LIKE_LAZARUS=detached or =env, with only one of the two; with =snapshot, with
// detached: true and a plain copy of process.env made once at start.
const [slotsText, spawnsText, ...template] = process.argv.slice(2);
const slots = Number(slotsText);
const spawns = Number(spawnsText);
if (!(slots >= 1 && spawns >= slots) || template.length === 0) {
  process.stderr.write("usage: bun run bench/floor-bun.ts SLOTS SPAWNS PATH ARG...\n");
  process.exit(2);
}
const like = process.env.FLOOR_LIKE_LAZARUS ?? "";
const detached = like === "1" || like === "detached";
const withEnv = like === "1" || like === "env";
const snapshot = like === "snapshot" ? ({ ...process.env } as Record<string, string>) : null;
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
  if (snapshot !== null) Bun.spawn({ cmd, stdio: ["inherit", "inherit", "inherit"], detached: true, env: snapshot, onExit });
  else if (withEnv) Bun.spawn({ cmd, stdio: ["inherit", "inherit", "inherit"], detached, env: process.env as Record<string, string>, onExit });
  else Bun.spawn({ cmd, stdio: ["inherit", "inherit", "inherit"], detached, onExit });
}

for (let s = 0; s < slots; s++) start(s);
