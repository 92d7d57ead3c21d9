// The status view (src/core/status.ts) that `ctl status` and `ctl reload --wait`
// read: which rolling restart is under way, which servers still run their old
// process with a reload's new spec pending, each server's own interval and
// whether it has a readiness check.
import { expect, test } from "bun:test";
import { statusOf } from "../../src/core/status.ts";
import { initialState, step } from "../../src/core/step.ts";
import type { Event, ServerSpec, State } from "../../src/core/types.ts";

const SETTINGS = { intervalMs: 1000, stopTimeoutMs: 5000, alarmMs: 0 };
const copy = (k: number, argv = ["srv"]): ServerSpec => ({ argv, name: `web.${k}`, group: "web", ready: { kind: "log", pattern: "up" } });
const db = (argv = ["db"]): ServerSpec => ({ argv, name: "db", intervalMs: 5000 });

test("a rolling reload under way: its name, the copies still on their old process with the new spec pending, intervals, readiness checks", () => {
  let state: State = initialState(SETTINGS, [copy(1), copy(2), db()]);
  let pid = 100;
  const feed = (e: Event) => {
    const queue = [e];
    for (let ev = queue.shift(); ev !== undefined; ev = queue.shift()) {
      const r = step(state, ev);
      state = r.state;
      for (const x of r.effects) {
        if (x.type === "spawn") {
          const p = pid++;
          queue.push({ type: "spawned", at: ev.at, server: x.server, pid: p });
          // Copies say they are up at once, but not the new processes of the reload (to keep the roll under way).
          if (ev.at === 0 && x.argv[0] === "srv") queue.push({ type: "output-match", at: ev.at, pid: p });
        }
      }
    }
  };
  feed({ type: "start", at: 0, handover: null });
  const before = statusOf(state, 10);
  expect(before.rolling).toBeNull();
  expect(before.servers.map((s) => [s.name, s.pendingSpec, s.intervalMs, s.readyCheck, s.ready])).toEqual([
    ["web.1", false, 1000, true, true], ["web.2", false, 1000, true, true], ["db", false, 5000, false, true],
  ]);
  // A reload changes both copies (a rolling reload: they have a readiness check) and db (restarted at once).
  feed({ type: "reconfigure", at: 1000, id: null, settings: SETTINGS, servers: [copy(1, ["srv", "v2"]), copy(2, ["srv", "v2"]), db(["db", "v2"])] });
  const during = statusOf(state, 1000);
  expect(during.rolling).toBe("web");
  const row = (name: string) => during.servers.find((s) => s.name === name);
  // web.1's new process starts aside (start-first) while its old one serves; web.2 waits its turn; db is being stopped for its change.
  expect(row("web.1")).toMatchObject({ pendingSpec: true, stopping: false, state: "alive" });
  expect(row("web.1 (new)")).toMatchObject({ pendingSpec: false, ready: false, state: "alive" });
  expect(row("web.2")).toMatchObject({ pendingSpec: true, stopping: false });
  expect(row("db")).toMatchObject({ pendingSpec: true, stopping: true, intervalMs: 5000, readyCheck: false });
});
