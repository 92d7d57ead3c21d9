// The quick-start demo: lazarus supervising four fixture servers, driven by
// signals, so that a newcomer sees respawn, burial, revive and clean exit in
// about ten seconds. Everything lazarus says is on stderr, prefixed `lazarus: `;
// the fixtures announce themselves with `fixture: pid=...`; this script's own
// narration is prefixed `demo: `.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const server = join(root, "fixtures/server");
const dir = mkdtempSync(join(tmpdir(), "lazarus-demo-"));
const fixed = join(dir, "fixed");
// Four names for the one fixture, so that lazarus's lines say which server they are about.
for (const name of ["web", "flaky", "batch", "stubborn"]) symlinkSync(server, join(dir, name));

const say = (s: string) => process.stderr.write(`\x1b[1mdemo: ${s}\x1b[0m\n`);

const args = [
  "--interval=1", "--stop-timeout=2", "--control=none",
  // web: crashes (exit 3) after 1.5 s of life, longer than the interval: respawned every time.
  "{", "./web", "--life=1.5", "--exit=3", "--initial-spawn", "}",
  // flaky: crashes after 0.2 s, faster than the interval: buried, until it is fixed and revived.
  "{", "./flaky", "--life=0.2", "--signal=SEGV", "--stay-if=fixed", "}",
  // batch: does its job and exits 0: cremated, never restarted.
  "{", "./batch", "--life=0.5", "}",
  // stubborn: ignores SIGTERM, so the shutdown has to SIGKILL it after --stop-timeout.
  "{", "./stubborn", "--ignore-term", "}",
];

say(`(in ${dir}, where web, flaky, batch and stubborn are links to fixtures/server)`);
say(`bun run src/main.ts ${args.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")}`);
const proc = Bun.spawn([process.execPath, "run", join(root, "src/main.ts"), ...args], { cwd: dir, stdio: ["ignore", "inherit", "inherit"] });

await Bun.sleep(3200);
say("flaky is buried. Fix it (create the file it waits for) and send SIGUSR2 to revive it:");
writeFileSync(fixed, "");
proc.kill("SIGUSR2");
await Bun.sleep(1500);
say("SIGQUIT asks lazarus what it is doing:");
proc.kill("SIGQUIT");
await Bun.sleep(1500);
say("SIGTERM shuts down: SIGTERM to every server, SIGKILL for the stubborn one after --stop-timeout:");
proc.kill("SIGTERM");
const status = await proc.exited;
say(`lazarus exited with status ${status}; no child is left behind.`);
rmSync(dir, { recursive: true, force: true });
process.exit(status);
