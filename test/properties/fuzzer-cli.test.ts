// The fuzzer's command line: prints its seed and speed, finds a planted bug,
// prints a command that replays the counterexample, and that command does.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "../helpers/run.ts";

async function fuzz(...args: string[]): Promise<{ code: number; out: string }> {
  const p = Bun.spawn([process.execPath, "run", join(ROOT, "test/fuzz/main.ts"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code: await p.exited, out: out + err };
}

test("a clean run prints the seed and the scenarios per second, and exits 0", async () => {
  const r = await fuzz("--runs=50", "--seed=123");
  expect(r.code).toBe(0);
  expect(r.out).toContain("seed 123");
  expect(r.out).toMatch(/50 scenarios \(\d+ steps\) in .* scenarios\/s/);
});

test("a planted bug is found, shrunk, and replayed exactly by the printed command", async () => {
  const r = await fuzz("--runs=400", "--seed=99", "--mutant=treat SIGINT as a crash");
  expect(r.code).toBe(1);
  expect(r.out).toContain("COUNTEREXAMPLE");
  const replay = /replay with: bun run fuzz (.*)$/m.exec(r.out)?.[1];
  expect(replay).toBeDefined();
  const args = replay!.match(/--\w+=('[^']*'|\S+)/g)!.map((a) => a.replace(/='(.*)'$/, "=$1"));
  const again = await fuzz(...args);
  expect(again.code).toBe(1);
  const violation = (s: string) => /^invariant .*$/m.exec(s)?.[0];
  expect(violation(again.out)).toBe(violation(r.out)!);
});

test("--name value works as --name=value; --help prints the usage; the simulator is a property too", async () => {
  const r = await fuzz("--runs", "20", "--seed", "7", "--property", "sim");
  expect(r.code).toBe(0);
  expect(r.out).toContain("fuzz: property sim, seed 7, budget 20 runs");
  expect(r.out).toMatch(/20 scenarios \(\d+ steps\)/);
  const help = await fuzz("--help");
  expect(help.code).toBe(0);
  expect(help.out).toStartWith("usage: bun run fuzz");
  const mutant = await fuzz("--property=sim", "--runs=300", "--seed=1", "--mutant=signal a reused pid");
  expect(mutant.code).toBe(1);
  expect(mutant.out).toContain("COUNTEREXAMPLE");
});

test("bad options are a one-line error with status 2", async () => {
  const r = await fuzz("--bogus=1");
  expect(r.code).toBe(2);
  expect(r.out.trim()).toBe("fuzz: unrecognised option: --bogus");
});
