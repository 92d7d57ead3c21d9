// What is left of the process group of a server that ended by itself (docs/spec.md, "When a server's process ends"):
// SIGTERM at once, SIGKILL at the server's stop timeout (its own, else the global), one timer for the earliest.
import { describe, expect, test } from "bun:test";
import { SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import { MAX_LEFTOVERS } from "../../src/core/step.ts";
import type { Effect } from "../../src/core/types.ts";
import { code, Driver, SETTINGS, sig, specs } from "../helpers/driver.ts";

const remnants = (fx: readonly Effect[]) => fx.flatMap((e) => (e.type === "kill-remnants" ? [`${e.pgid}/${e.signal === SIGKILL ? "KILL" : e.signal === SIGTERM ? "TERM" : e.signal}`] : []));
const timer = (fx: readonly Effect[]) => fx.flatMap((e) => (e.type === "arm" && e.timer === "leftovers" ? [`arm@${e.at}`] : e.type === "disarm" && e.timer === "leftovers" ? ["disarm"] : []));
const fire = (d: Driver, at: number) => d.feed({ type: "timer", at, timer: "leftovers" });

describe("what is left of an ended server's group", () => {
  test("SIGTERM at its end, SIGKILL at its stop timeout after it (the global one)", () => {
    const d = new Driver(specs(["a"], ["b"]));
    d.start(0);
    const fx = d.exit(100, code(3), 2000);
    expect(remnants(fx)).toEqual(["100/TERM"]);
    expect(timer(fx)).toEqual([`arm@${2000 + SETTINGS.stopTimeoutMs}`]);
    expect(d.state.leftovers).toEqual([{ pgid: 100, server: 0, at: 7000 }]);
    // Early: armed again, nothing killed.
    const early = fire(d, 6999);
    expect(remnants(early)).toEqual([]);
    expect(timer(early)).toEqual(["arm@7000"]);
    const due = fire(d, 7000);
    expect(remnants(due)).toEqual(["100/KILL"]);
    expect(timer(due)).toEqual([]);
    expect(d.state.leftovers).toEqual([]);
    // A timer that fires with nothing pending changes nothing.
    expect(fire(d, 8000)).toEqual([]);
  });

  test("a server's own stop_timeout, not the global one; the earliest deadline first, whichever ended first", () => {
    const [a, b] = specs(["a"], ["b"]);
    const d = new Driver([{ ...a!, stopTimeoutMs: 9000 }, { ...b!, stopTimeoutMs: 1000 }]);
    d.start(0);
    expect(timer(d.exit(100, code(0), 2000))).toEqual(["arm@11000"]); // a clean end too: it ended by itself
    expect(timer(d.exit(101, code(1), 3000))).toEqual(["arm@4000"]);
    expect(d.state.leftovers.map((l) => l.pgid)).toEqual([101, 100]);
    const first = fire(d, 4000);
    expect(remnants(first)).toEqual(["101/KILL"]);
    expect(timer(first)).toEqual(["arm@11000"]);
    expect(remnants(fire(d, 11000))).toEqual(["100/KILL"]);
  });

  test("a stopped server's group is SIGKILLed at once, and nothing waits for it", () => {
    const d = new Driver(specs(["a"]));
    d.start(0);
    d.feed({ type: "control", at: 10, id: 1, command: { op: "stop", server: 0 } });
    const fx = d.exit(100, sig(SIGTERM), 20);
    expect(remnants(fx)).toEqual(["100/KILL"]);
    expect(d.state.leftovers).toEqual([]);
  });

  test("a crash loop: one pending kill per crashed group, each at its own deadline", () => {
    const d = new Driver(specs(["a"]), { ...SETTINGS, intervalMs: 100 });
    d.start(0);
    for (let k = 0; k < 5; k++) d.exit(d.pid(0), code(1), 1000 * (k + 1));
    expect(d.state.leftovers.map((l) => [l.pgid, l.at])).toEqual([[100, 6000], [101, 7000], [102, 8000], [103, 9000], [104, 10000]]);
    expect(remnants(fire(d, 7500))).toEqual(["100/KILL", "101/KILL"]);
  });

  test("a pid handed out again is no group's any more: its pending kill is forgotten (it would hit the new process's group)", () => {
    const d = new Driver(specs(["a"], ["b"]));
    d.start(0);
    d.exit(100, code(1), 2000); // a respawned as 102
    d.exit(101, code(1), 2500); // b respawned as 103
    d.nextPid = 100; // the kernel hands 100 out again (its group is empty)
    const fx = d.exit(102, code(1), 3000);
    expect(d.pid(0)).toBe(100);
    expect(d.state.leftovers.map((l) => l.pgid)).toEqual([101, 102]);
    expect(timer(fx)).toEqual(["arm@7500"]);
  });

  test("a second terminate (or the alarm) SIGKILLs them all at once; a shutdown's exit drops what is left (the shell kills every orphan)", () => {
    const d = new Driver(specs(["a"], ["b"]));
    d.start(0);
    d.exit(100, code(1), 2000);
    d.feed({ type: "terminate", at: 2100, signal: SIGTERM });
    expect(d.state.leftovers.length).toBe(1);
    const again = d.feed({ type: "terminate", at: 2200, signal: SIGTERM });
    expect(remnants(again)).toEqual(["100/KILL"]);
    expect(timer(again)).toEqual(["disarm"]);
    expect(d.state.leftovers).toEqual([]);

    const e = new Driver(specs(["a"], ["b"]));
    e.start(0);
    e.exit(100, code(1), 2000);
    e.feed({ type: "terminate", at: 2100, signal: SIGTERM });
    e.exit(101, sig(SIGTERM), 2200);
    const last = e.exit(102, sig(SIGTERM), 2300);
    expect(last.map((x) => x.type)).toContain("exit");
    expect(timer(last)).toEqual(["disarm"]);
    expect(e.state.leftovers).toEqual([]);
  });

  test("a re-exec does not hand them across (docs/spec.md: dropped)", () => {
    const d = new Driver(specs(["a"]));
    d.start(0);
    d.exit(100, code(1), 2000);
    const fx = d.feed({ type: "reexec", at: 2100 });
    const reexec = fx.find((x) => x.type === "reexec");
    expect(reexec).toBeDefined();
    expect(JSON.stringify(reexec)).not.toContain("leftover");
  });

  test(`at most ${MAX_LEFTOVERS} wait: one more carries out the earliest at once`, () => {
    const d = new Driver(specs(["a"]), { ...SETTINGS, intervalMs: 1 });
    d.start(0);
    for (let k = 0; k < MAX_LEFTOVERS; k++) d.exit(d.pid(0), code(1), 10 + k);
    expect(d.state.leftovers.length).toBe(MAX_LEFTOVERS);
    const fx = d.exit(d.pid(0), code(1), 10 + MAX_LEFTOVERS);
    expect(remnants(fx)).toEqual([`${100 + MAX_LEFTOVERS}/TERM`, "100/KILL"]);
    expect(timer(fx)).toEqual([`arm@${11 + SETTINGS.stopTimeoutMs}`]);
    expect(d.state.leftovers.length).toBe(MAX_LEFTOVERS);
    expect(d.state.leftovers[0]?.pgid).toBe(101);
  });
});
