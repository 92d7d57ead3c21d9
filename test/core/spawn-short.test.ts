// A spawn that fails for want of a resource (no free process: EAGAIN; no file
// descriptor: EMFILE, ENFILE; no memory: ENOMEM) is not the server's fault and
// may come back by itself: the server waits and is tried again (1 s, 2 s, 4 s,
// then every 5 s), said once for the whole row of failures; not buried.
import { describe, expect, test } from "bun:test";
import { shortRetryMs } from "../../src/core/table.ts";
import type { Effect, Event } from "../../src/core/types.ts";
import { Driver, logs, SETTINGS, spawns, specs } from "../helpers/driver.ts";

const SHORT = "EAGAIN: resource temporarily unavailable (/usr/bin/sh)";

/** Server 0 started and its spawn answered short, at `at`. */
function shortAt(d: Driver, at: number): Effect[] {
  return d.feed({ type: "spawn-failed", at, server: 0, error: SHORT, short: true });
}

function timers(effects: readonly Effect[]): { timer: string; at: number }[] {
  return effects.flatMap((e) => (e.type === "arm" ? [{ timer: e.timer, at: e.at }] : []));
}

describe("a spawn that fails for want of a resource", () => {
  test("is tried again after growing delays, said once for the whole row, and starts as usual once it can", () => {
    const d = new Driver(specs(["srv"]), SETTINGS);
    d.manualSpawns = true;
    expect(spawns(d.start(0))).toHaveLength(1);
    const first = shortAt(d, 10);
    expect(d.kind(0)).toBe("backoff");
    expect(logs(first)).toEqual([
      `could not spawn 'srv': ${SHORT}; trying again in 1.000 s, and until it can (a resource lazarus lacks may come back).`,
      "every remaining server waits to be retried (it crashed too fast, or could not be started for want of a resource).",
    ]);
    expect(timers(first)).toEqual([{ timer: "backoff:0", at: 1010 }]);
    let t = 1010;
    for (const k of [2, 3, 4, 5, 6]) {
      const retry = d.feed({ type: "timer", at: t, timer: "backoff:0" });
      expect(logs(retry)).toEqual([]); // no "retrying" line
      expect(spawns(retry)).toHaveLength(1);
      const again = shortAt(d, t);
      expect(logs(again)).toEqual([]); // said once
      expect(timers(again)).toEqual([{ timer: "backoff:0", at: t + shortRetryMs(k) }]);
      t += shortRetryMs(k);
    }
    expect([1, 2, 3, 4, 5, 6].map(shortRetryMs)).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
    d.feed({ type: "timer", at: t, timer: "backoff:0" });
    const ok = d.feed({ type: "spawned", at: t, server: 0, pid: 77 });
    expect(d.kind(0)).toBe("alive");
    expect(logs(ok)).toEqual(["'srv' started with pid 77."]);
    // A new row of failures is said again (and so is the wait: a process ran meanwhile).
    d.exit(77, { kind: "code", code: 1 }, t + 5000); // slow: respawned
    expect(logs(shortAt(d, t + 5000)).map((l) => l.slice(0, 22))).toEqual(["could not spawn 'srv':", "every remaining server"]);
  });

  test("keeps lazarus running (not buried: no 'waiting for a revive'), and a shutdown, ctl stop or ctl start act on it as on any backoff", () => {
    const d = new Driver(specs(["srv"]), SETTINGS);
    d.manualSpawns = true;
    d.start(0);
    const e = shortAt(d, 10);
    expect(logs(e).some((l) => l.includes("revive"))).toBe(false);
    expect(e.some((x) => x.type === "exit")).toBe(false);
    const start = d.feed({ type: "control", at: 20, id: 1, command: { op: "start", server: 0 } });
    expect(spawns(start)).toHaveLength(1);
    shortAt(d, 20);
    const term = d.feed({ type: "terminate", at: 30, signal: 15 });
    expect(d.kind(0)).toBe("cremated");
    expect(term.some((x) => x.type === "exit")).toBe(true);
  });

  test("any other spawn failure still buries it", () => {
    const d = new Driver(specs(["srv"]), SETTINGS);
    d.manualSpawns = true;
    d.start(0);
    const e = d.feed({ type: "spawn-failed", at: 10, server: 0, error: "ENOENT: not found" } satisfies Event);
    expect(d.kind(0)).toBe("buried");
    expect(logs(e)[0]).toBe("could not spawn 'srv': ENOENT: not found; burying.");
  });

  test("a server a reload removed while its spawn was on its way is forgotten, not left waiting", () => {
    const d = new Driver(specs(["a"], ["b"]), SETTINGS);
    d.manualSpawns = true;
    d.start(0);
    d.feed({ type: "spawned", at: 0, server: 1, pid: 50 });
    d.feed({ type: "reconfigure", at: 5, id: null, settings: d.state.settings, servers: [d.state.servers.at(1)!.spec] });
    const e = shortAt(d, 10);
    expect(d.kind(0)).toBe("cremated");
    // (its retry, armed by the answer, goes with it)
    expect(e.filter((x) => (x.type === "arm" || x.type === "disarm") && x.timer === "backoff:0").map((x) => x.type)).toEqual(["arm", "disarm"]);
    expect(logs(e)).toContain("'a' was removed by a reload.");
  });
});
