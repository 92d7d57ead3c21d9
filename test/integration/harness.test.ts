// The integration harness itself (test/helpers/run.ts): what a run's cleanup ends.
import { expect, test } from "bun:test";
import { join } from "node:path";
import type { Event } from "../../src/core/types.ts";
import { lives } from "../helpers/pid-lives.ts";
import { BUN, marked, OutputEndedError, perTest, procState, ROOT, RUN_MARK, SERVER, waitGone } from "../helpers/run.ts";

const { start } = perTest();

test("cleanup ends every process of the run, orphans too, and nothing else, not even a process whose pid its log names", async () => {
  // Not the run's: a process whose pid a line of the run names, as a pid that ended and was reused would be.
  const bystander = Bun.spawn(["sleep", "60"], { stdio: ["ignore", "ignore", "ignore"] });
  try {
    const r = start(["--control=none",
      "{", "sh", "-c", `echo "fixture: pid=${bystander.pid} name=liar argv: names a pid not its own" >&2; exec sleep 60`, "}",
      "{", SERVER, "--orphan=60", "}"]);
    const orphan = Number(/ orphan=(\d+)/.exec(await r.waitFor(/^fixture: pid=\d+ orphan=\d+/))?.[1]);
    await r.waitFor(`fixture: pid=${bystander.pid} name=liar`);
    expect(r.fixturePids()).toContain(bystander.pid);
    const servers = (await r.waitForCount(/started with pid \d+\./, 2)).map((l) => Number(/pid (\d+)\./.exec(l)?.[1]));
    const ours = [...servers, orphan];
    expect(marked(r.mark).sort()).toEqual(expect.arrayContaining(ours.sort()));
    await r.cleanup();
    expect(await waitGone([r.pid, ...ours])).toEqual([]);
    expect(marked(r.mark)).toEqual([]);
    expect(bystander.exitCode).toBeNull();
    expect(bystander.signalCode).toBeNull();
    expect(procState(bystander.pid)).not.toBeNull();
  } finally {
    bystander.kill("SIGKILL");
    await bystander.exited;
  }
});

test("a test process that ends without cleaning up a run (a body abandoned at its timeout) takes the run's processes with it", async () => {
  const p = Bun.spawn([BUN, join(ROOT, "test/helpers/abandoned-run.ts")], { stdio: ["ignore", "pipe", "inherit"] });
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  const left = JSON.parse(out) as { mark: string; pids: number[]; supervisor: number };
  // The supervisor, its two servers and the orphan were all there when it ended.
  expect(left.pids).toContain(left.supervisor);
  expect(left.pids.length).toBeGreaterThanOrEqual(4);
  expect(await waitGone(left.pids)).toEqual([]);
  expect(marked(left.mark)).toEqual([]);
});

test("waitGone waits only for processes of a test run: a pid another program has now is not taken for one of them", async () => {
  const env = { ...process.env } as Record<string, string>;
  delete env[RUN_MARK];
  // As a pid that ended and was reused would be: a live process that is not a run's.
  const stranger = Bun.spawn(["sleep", "60"], { env, stdio: ["ignore", "ignore", "ignore"] });
  const ours = Bun.spawn(["sleep", "60"], { env: { ...env, [RUN_MARK]: "harness-test" }, stdio: ["ignore", "ignore", "ignore"] });
  try {
    expect(await waitGone([stranger.pid, ours.pid], 300)).toEqual([ours.pid]);
    ours.kill("SIGKILL");
    await ours.exited;
    expect(await waitGone([stranger.pid, ours.pid])).toEqual([]);
    expect(procState(stranger.pid)).not.toBeNull();
  } finally {
    for (const p of [stranger, ours]) p.kill("SIGKILL");
    await Promise.all([stranger.exited, ours.exited]);
  }
});

test("lives(): a pid handed out again is two lives, each with its own exit", () => {
  const spawned = (pid: number) => ({ type: "spawned", at: 0, server: 0, pid }) as unknown as Event;
  const exited = (pid: number) => ({ type: "exited", at: 0, pid, status: { kind: "code", code: 1 } }) as unknown as Event;
  const got = lives([spawned(7), exited(7), spawned(8), spawned(7), exited(8), exited(7), exited(9)]);
  expect(got.map((l) => [l.pid, l.spawnedAt, l.exits.length])).toEqual([[7, 0, 1], [8, 2, 1], [7, 3, 1]]);
  // By pid alone, 7 would have ended twice.
  expect(lives([spawned(7), exited(7), exited(7)]).map((l) => l.exits.length)).toEqual([2]);
});

test("a wait for a line that can no longer come (the supervisor ended, its output read to the end) fails at once and says so", async () => {
  const r = start(["--no-such-option"]);
  // Pending when it ends, and begun after it ended: both fail with the reason, not at their (long) timeout.
  const pending = r.waitFor("a line that never comes", { timeout: 50_000 }).then(() => null, (e: unknown) => e);
  expect((await r.ended()).code).not.toBe(0);
  const late = r.waitFor(/nor this one/, { timeout: 50_000 }).then(() => null, (e: unknown) => e);
  const counted = r.waitForCount(/started with pid/, 1, 50_000).then(() => null, (e: unknown) => e);
  for (const e of [await pending, await late, await counted]) {
    expect(e).toBeInstanceOf(OutputEndedError);
    expect(String(e)).toMatch(/the supervisor ended \(exit [1-9]\d*\) and its output reached its end/);
    expect(String(e)).toContain("--no-such-option");
  }
  // A line it did write is still found after the end.
  expect(await r.waitFor("--no-such-option")).toContain("--no-such-option");
});
