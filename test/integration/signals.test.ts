// Signals lazarus does not use must never kill it (and so orphan every server),
// nohup is respected, children start with default dispositions, and at its end
// nothing it had is left running, however deep an orphan's family goes.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { MAIN, SERVER, waitGone, perTest } from "../helpers/run.ts";

const { start } = perTest({ prefix: ["--control=none"] });

/** Pids of processes whose command line is exactly `argv`. */
function pidsRunning(argv: readonly string[]): number[] {
  const want = argv.join("\0");
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      return readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0$/, "") === want ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

describe("signals", () => {
  test("SIGPIPE, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO and real-time signals are ignored, not fatal", async () => {
    const r = start(["{", SERVER, "}"]);
    const pid = await r.startedPid();
    for (const sig of ["SIGPIPE", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGIO"] as const) {
      const mark = r.lines.length;
      r.signal(sig);
      await r.waitFor(`(${sig}) received, ignored.`, { from: mark });
    }
    // SIGRTMIN+2 (36), mds-respawn's dump signal, and the last real-time one: Bun cannot catch them.
    for (const sig of [36, 64]) expect(Bun.spawnSync(["kill", `-${sig}`, String(r.pid)]).exitCode).toBe(0);
    const mark = r.lines.length;
    r.signal("SIGQUIT"); // still alive and answering
    await r.waitFor(`info: server 0: name server, pid ${pid}, up and running`, { from: mark });
    expect(r.proc.exitCode).toBeNull();
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("SIGALRM shuts down gracefully (its default action would orphan every server)", async () => {
    const r = start(["{", SERVER, "}"]);
    const pid = await r.startedPid();
    r.signal("SIGALRM");
    expect(await r.ended()).toEqual({ code: 0, signal: null });
    expect(r.own).toContain("terminate signal received.");
    expect(await waitGone([pid])).toEqual([]);
  });

  test("under nohup a SIGHUP does not shut it down", async () => {
    const r = start(["{", SERVER, "}"], { argv0: ["nohup", process.execPath, "run", MAIN] });
    const pid = await r.startedPid();
    r.signal("SIGHUP");
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor(`info: server 0: name server, pid ${pid}, up and running`, { from: mark });
    expect(r.own).not.toContain("terminate signal received.");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("servers start with no signal ignored or blocked, whatever lazarus ignores itself", async () => {
    // grep reads its own status (a shell's own would show what it blocks around its fork of grep).
    const r = start(["{", "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", "}"]);
    expect((await r.ended()).code).toBe(0);
    expect(r.stdout).toContain("SigIgn:\t0000000000000000\n");
    expect(r.stdout).toContain("SigBlk:\t0000000000000000\n");
  });
});

describe("nothing left behind at the end", () => {
  test("an orphan's own children, in a session of their own, are killed and reaped when lazarus exits", async () => {
    const inner = ["sleep", "30211"];
    const r = start(["{", "sh", "-c", `setsid sh -c "${inner.join(" ")} & wait" & exec sleep 30212`, "}"]);
    await r.startedPid();
    // the grandchild's family is up (found by its command line)
    const deadline = Date.now() + 10_000;
    while (pidsRunning(inner).length === 0 && Date.now() < deadline) await Bun.sleep(20);
    const family = pidsRunning(inner);
    expect(family).toHaveLength(1);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(await waitGone(family)).toEqual([]);
    expect(pidsRunning(["sleep", "30212"])).toEqual([]);
  });

  test("helpers left in a crashed server's group are asked to stop", async () => {
    const helper = ["sleep", "30221"];
    // the server starts a helper in its own group, then crashes; the helper ignores nothing
    const r = start(["--interval=60", "{", "sh", "-c", `${helper.join(" ")} & sleep 0.3; exit 3`, "}", "{", SERVER, "}"]);
    await r.waitFor("burying because it died too fast.");
    const deadline = Date.now() + 10_000;
    while (pidsRunning(helper).length > 0 && Date.now() < deadline) await Bun.sleep(20);
    expect(pidsRunning(helper)).toEqual([]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});
