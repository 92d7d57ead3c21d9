// What is left of the process group of a server that ended by itself (docs/spec.md, "When a server's process ends"),
// on the real supervisor: SIGTERM at once, SIGKILL at the server's stop timeout (as systemd's TimeoutStopSec after its
// control-group kill); a helper in a session of its own is left alone until lazarus exits.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ctl, perTest, procState, SERVER, waitGone } from "../helpers/run.ts";

const S = SERVER;
const { start, tempDir } = perTest({ tmp: "lazarus-leftovers-" });

const helpersOf = (lines: readonly string[], kind: "grandchild" | "session-child"): number[] =>
  lines.flatMap((l) => { const m = new RegExp(`fixture: pid=\\d+ ${kind}=(\\d+)`).exec(l); return m ? [Number(m[1])] : []; });

describe("what is left of a crashed server's group", () => {
  test("a helper in its process group that ignores SIGTERM is SIGKILLed at the server's own stop_timeout and reaped; one in a session of its own runs on until lazarus exits", async () => {
    const dir = tempDir();
    const config = join(dir, "lazarus.toml");
    // The global stop timeout is far longer than the test waits: only the server's own can end the helper in time.
    writeFileSync(config, [
      "stop_timeout = 600",
      "interval = 60",
      "[servers.crasher]",
      `cmd = ["${S}", "--stubborn-child", "--session-child", "--life=0.2", "--exit=1"]`,
      "stop_timeout = 1",
      "[servers.other]",
      `cmd = ["${S}"]`,
      "",
    ].join("\n"));
    const r = start(["--control=none", `--config=${config}`]);
    const [stubborn] = (await r.waitForCount(/fixture: pid=\d+ grandchild=/, 1)).map((l) => Number(/grandchild=(\d+)/.exec(l)?.[1]));
    const [session] = (await r.waitForCount(/fixture: pid=\d+ session-child=/, 1)).map((l) => Number(/session-child=(\d+)/.exec(l)?.[1]));
    await r.waitFor("'crasher' died abnormally, burying because it died too fast.");
    // SIGTERM did not end it (it ignores it): it runs on until the stop timeout, then SIGKILL ends it, and lazarus reaps it.
    expect(await waitGone([stubborn!])).toEqual([]);
    await r.waitFor(`joined with unknown child process: ${stubborn}`);
    expect(procState(stubborn!)).toBeNull();
    // The one in a session of its own is left alone while lazarus runs.
    expect(procState(session!)).not.toBeNull();
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(r.own).toContain(`killing what the servers left running in sessions of their own: pid ${session} (sleep); a server that puts itself in the background (daemonizes) must be run in the foreground to be supervised.`);
    expect(await waitGone([session!])).toEqual([]);
  });

  test("a crash loop of such a server does not pile helpers up: each crash's helper is gone by its stop timeout while lazarus runs on", async () => {
    const sock = join(tempDir(), "ctl.sock");
    const r = start([`--control=${sock}`, "--interval=0.05", "--stop-timeout=0.3", "{", S, "--stubborn-child", "--life=0.1", "--exit=1", "tag=loop", "}", "{", S, "tag=other", "}"]);
    await r.waitForCount(/'[^']*' died abnormally, respawning\./, 8);
    // The loop ends (an operator's stop: what is left of the last process's group is SIGKILLed at once).
    expect((await ctl(`--control=${sock}`, "stop", "0")).code).toBe(0);
    await r.waitFor(/'[^']*' stopped, cremating\.|child process '[^']*' exited normally, cremating\./);
    const stubborn = helpersOf(r.lines, "grandchild");
    expect(stubborn.length).toBeGreaterThanOrEqual(9);
    // Every crashed group's helper, which ignored its SIGTERM, is gone while lazarus still runs (the other server keeps it).
    expect(await waitGone(stubborn)).toEqual([]);
    expect(procState(r.pid)).not.toBeNull();
    for (const pid of stubborn) await r.waitFor(`joined with unknown child process: ${pid}`);
    r.signal("SIGTERM");
    const end = await r.ended();
    expect(end.code).toBe(0);
    // Nothing was left for the exit to kill.
    expect(r.own.some((l) => l.startsWith("killing what the servers left running"))).toBe(false);
  });
});
