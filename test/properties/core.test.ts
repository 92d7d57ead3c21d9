// The policy against generated scenarios: every invariant of docs/spec.md
// and the reference model, after every step. A failure prints fast-check's
// seed and path; replay with LAZARUS_SEED=… LAZARUS_PATH=… bun test test/properties
// (or `bun run fuzz --seed … --path …`).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { runScenario } from "./check.ts";
import { type Scenario, scenarioArb } from "./scenario.ts";
import { budget } from "./budget.ts";

describe("the reducer under generated scenarios (the invariants of docs/spec.md)", () => {
  test("every invariant holds after every step, and the model agrees", () => {
    let steps = 0;
    fc.assert(
      fc.property(scenarioArb(), (sc) => {
        steps += runScenario(sc).steps;
      }),
      budget(400),
    );
    expect(steps).toBeGreaterThan(1000);
  });

  test("long scenarios with many servers", () => {
    fc.assert(
      fc.property(scenarioArb({ maxServers: 12, maxActions: 200 }), (sc) => {
        runScenario(sc);
      }),
      budget(60),
    );
  });

  test("found by a 10-minute fuzzer run (seed 1304034561): a made-up answer that names a probe sent out meanwhile answers it", () => {
    // Queued with a health probe's first firing: a "wrong purpose" answer made up when no probe was in flight
    // (so: health), which by its arrival named the probe just sent exactly. The core took it as that probe's
    // answer, as it must; the harness still counted the probe in flight and blamed the next one for overlapping.
    const sc = {"intervalMs": 0, "stopTimeoutMs": 0, "alarmMs": 0, "servers": [{"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": false, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [], "health": {"probe": {"kind": "tcp", "host": "127.0.0.1", "port": 5432}, "intervalMs": 100, "timeoutMs": 50, "retries": 1}, "watchdogMs": null, "restart": null, "backoff": null}], "failFirst": [], "reviveBeforeStart": false, "terminateBeforeStart": false, "startAt": 0, "hints": "right", "pids": "fresh", "promptTimers": false, "systemd": null, "actions": [{"a": "control", "op": "start", "k": 0}, {"a": "together", "actions": [{"a": "fire-now", "k": 0}, {"a": "keepalive", "k": 0}, {"a": "probe-bogus", "k": 0, "ok": true, "how": "wrong-purpose"}]}, {"a": "fire-timer", "k": 0, "offset": "hair-early"}], "drain": {"reexec": true, "revive": false, "second": null}} as unknown as Scenario;
    expect(runScenario(sc).steps).toBeGreaterThan(5);
  });

  test("found by a 15-minute fuzzer run (seed 750376101): a copy respawned beside a seat-mate removed after it started takes nobody's seat", () => {
    // Two reloads at one instant make 'srv3.1' (a table's copy) and 'srv3' (the name added back), both behind the old
    // 'srv3', and both start once it has ended. A scale then removes 'srv3', which stops slowly; 'srv3.1' crashes and is
    // respawned. The seat check judged every start beside a removed seat-mate, and blamed that respawn; the policy (and
    // now the check) is about the first start of a server a reload added, which waits for the process whose seat it takes.
    const sc = {"intervalMs": 0, "stopTimeoutMs": 0, "alarmMs": 0, "servers": [{"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [], "health": null, "watchdogMs": null, "restart": null, "backoff": null}, {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": true, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [], "health": null, "watchdogMs": null, "restart": null, "backoff": null}, {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [0], "health": null, "watchdogMs": null, "restart": null, "backoff": null}, {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [], "health": null, "watchdogMs": null, "restart": null, "backoff": null}], "group": {"k": 2, "stopFirst": true, "uniform": false}, "failFirst": [], "reviveBeforeStart": false, "terminateBeforeStart": false, "startAt": 0, "hints": "right", "pids": "fresh", "promptTimers": false, "systemd": null, "actions": [{"a": "scale", "k": 452, "count": 1}, {"a": "together", "actions": [{"a": "control", "op": "stop", "k": 0}, {"a": "reload-servers", "k": 0, "add": {"server": {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [0], "health": null, "watchdogMs": null, "restart": null, "backoff": null}, "at": 3, "reuse": true}, "remove": null}]}, {"a": "exit", "k": 190, "status": {"kind": "code", "code": 0}, "life": "zero"}, {"a": "together", "actions": [{"a": "scale", "k": 371, "count": 1}, {"a": "reexec", "fails": false, "delay": 0, "deaths": 0, "status": {"kind": "signal", "signal": 15}}, {"a": "keepalive", "k": 0}]}, {"a": "exit", "k": 793, "status": {"kind": "unknown"}, "life": "zero"}], "drain": {"reexec": true, "revive": true, "second": null}} as unknown as Scenario;
    expect(runScenario(sc).steps).toBeGreaterThan(5);
  });

  test("found by a fuzzer run (seed 1394425444): a rolling restart's swap moves a process whose end is not yet reported", () => {
    // web.1's new process (aside, slot 2) says it is ready while web.1's old process has ended and its end is still
    // queued: the core swaps them and stops the old one, now slot 2's. The harness followed swaps only for processes
    // it had not seen end, and blamed the core for signalling slot 2's process as server 0's.
    const sc = {"intervalMs": 0, "stopTimeoutMs": 0, "alarmMs": 0, "servers": [{"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": {"kind": "notify"}, "readyTimeoutMs": null, "dependsOn": [], "health": null, "watchdogMs": null, "restart": null, "backoff": null}, {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": {"kind": "notify"}, "readyTimeoutMs": null, "dependsOn": [], "health": null, "watchdogMs": null, "restart": null, "backoff": null}], "group": {"k": 2, "stopFirst": false, "uniform": true}, "failFirst": [], "reviveBeforeStart": false, "terminateBeforeStart": false, "startAt": 0, "hints": "right", "pids": "fresh", "promptTimers": false, "systemd": null, "actions": [{"a": "exit", "k": 0, "status": {"kind": "code", "code": 127}, "life": "zero"}, {"a": "roll"}, {"a": "together", "actions": [{"a": "end-now", "k": 0, "status": {"kind": "signal", "signal": 15}, "twice": false}, {"a": "says-ready", "k": 189}, {"a": "end-now", "k": 0, "status": {"kind": "code", "code": 0}, "twice": false}]}], "drain": {"reexec": false, "revive": false, "second": null}} as unknown as Scenario;
    expect(runScenario(sc).steps).toBeGreaterThan(5);
  });

  test("found by a fuzzer run (seed 1420411041): a re-exec takes over a backoff whose setting a reload removed meanwhile", () => {
    // Server 0 crashed too fast and waits in its backoff; a reload takes its backoff setting away (it does not run: the
    // new spec is its own at once, and it waits on until its due time); a re-exec hands the backoff across. The
    // harness took the new image's start for a backoff begun under a spec without one.
    const sc = {"intervalMs": 0, "stopTimeoutMs": 0, "alarmMs": 0, "servers": [{"initialSpawn": false, "intervalMs": 500, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [0], "health": null, "watchdogMs": null, "restart": null, "backoff": {"initialMs": 100, "maxMs": 300, "retries": 1}}, {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [0], "health": null, "watchdogMs": null, "restart": null, "backoff": null}], "group": null, "failFirst": [], "reviveBeforeStart": false, "terminateBeforeStart": false, "startAt": 0, "hints": "right", "pids": "fresh", "promptTimers": false, "systemd": null, "actions": [{"a": "exit", "k": 0, "status": {"kind": "signal", "signal": 1}, "life": "zero"}, {"a": "together", "actions": [{"a": "reload", "k": 0, "which": "one", "undo": true, "policy": "backoff"}, {"a": "end-now", "k": 0, "status": {"kind": "unknown"}, "twice": false}]}, {"a": "together", "actions": [{"a": "reexec", "fails": false, "delay": 0, "deaths": 0, "status": {"kind": "code", "code": 0}}, {"a": "control", "op": "stop", "k": 0}, {"a": "probe-answer", "k": 0, "ok": true}]}], "drain": {"reexec": false, "revive": true, "second": null}} as unknown as Scenario;
    expect(runScenario(sc).steps).toBeGreaterThan(5);
  });

  test("found by a 15-minute fuzzer run (seed 1817105377): a reload's roll ended by a waiting re-exec gives up its new process aside, and systemd is told the counts that follow in that step", () => {
    // A re-exec waited for a spawn; a reload began a rolling restart (its new process aside waiting); the spawn
    // failed, the re-exec was carried out and ended the roll after systemd had been told the step's counts: the aside
    // given up changed them, and nothing told systemd until a life changed again (the model did at the next step).
    const sc = {"intervalMs": 0, "stopTimeoutMs": 0, "alarmMs": 0, "servers": [{"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [0], "health": null, "watchdogMs": null, "restart": null, "backoff": null}, {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": true, "dyingMs": 0, "ready": {"kind": "log", "pattern": "listening on"}, "readyTimeoutMs": null, "dependsOn": [0], "health": null, "watchdogMs": null, "restart": null, "backoff": null}, {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": false, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [0], "health": null, "watchdogMs": null, "restart": null, "backoff": null}], "group": {"k": 2, "stopFirst": false, "uniform": false}, "failFirst": [], "reviveBeforeStart": false, "terminateBeforeStart": false, "startAt": 0, "hints": "right", "pids": "fresh", "promptTimers": false, "systemd": {"watchdogMs": null}, "actions": [{"a": "fail-next-spawn", "k": 0, "error": "ENOENT"}, {"a": "together", "actions": [{"a": "end-now", "k": 0, "status": {"kind": "code", "code": 3}, "twice": false}, {"a": "reexec", "fails": true, "delay": 0, "deaths": 0, "status": {"kind": "unknown"}}, {"a": "reload", "k": 126, "which": "some", "undo": false, "policy": null}, {"a": "keepalive", "k": 0}]}], "drain": {"reexec": false, "revive": false, "second": 0}} as unknown as Scenario;
    expect(runScenario(sc).steps).toBeGreaterThan(5);
  });

  test("found by a 5-minute fuzzer run (seed 764679719): a copy a scale adds does not depend on its own table's copies", () => {
    // web.1 removed by a reload; a scale to 2 put web.1 back with the spec of the highest copy, web.3, which (the
    // harness's non-uniform copies depend on earlier ones) depended on web.2: the new web.1 on a copy of its own table,
    // which no file can say. A scale to 1 then dropped that dependency, a change, and the core restarted web.1, as it
    // must; the harness's scale check blamed it for touching a copy it keeps. New copies now depend on no copy of theirs.
    const sc = {"intervalMs": 0, "stopTimeoutMs": 0, "alarmMs": 0, "servers": [{"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [], "health": null, "watchdogMs": null, "restart": null, "backoff": null}, {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": false, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [0], "health": null, "watchdogMs": null, "restart": null, "backoff": null}, {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": true, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [1], "health": null, "watchdogMs": null, "restart": null, "backoff": null}], "group": {"k": 3, "stopFirst": false, "uniform": false}, "failFirst": [], "reviveBeforeStart": false, "terminateBeforeStart": false, "startAt": 0, "hints": "right", "pids": "fresh", "promptTimers": false, "systemd": null, "actions": [{"a": "reload-servers", "k": 0, "add": null, "remove": "any"}, {"a": "together", "actions": [{"a": "control", "op": "restart", "k": 1}, {"a": "scale", "k": 0, "count": 2}]}, {"a": "scale", "k": 0, "count": 1}], "drain": {"reexec": false, "revive": true, "second": null}} as unknown as Scenario;
    expect(runScenario(sc).steps).toBeGreaterThan(5);
  });

  test("found by a 5-minute fuzzer run (seed 785180380): a scale queued behind a reload was planned from the texts before it", () => {
    // A reload (web.1 given a watchdog) and a scale of web to 1 queued together: the scale, made from the texts in force
    // when it was asked for, gives web.1 its old spec back, a change, and the core restarts it, as it must; the harness's
    // scale check blamed it for touching a copy it keeps. A copy the scale changes (the model's changed) is exempt.
    const sc = {"intervalMs": 0, "stopTimeoutMs": 0, "alarmMs": 0, "servers": [{"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [], "health": null, "watchdogMs": null, "restart": null, "backoff": null}, {"initialSpawn": false, "intervalMs": null, "stopTimeoutMs": null, "stopSignal": null, "autostart": true, "stubborn": false, "dyingMs": 0, "ready": null, "readyTimeoutMs": null, "dependsOn": [0], "health": null, "watchdogMs": null, "restart": null, "backoff": null}], "group": {"k": 2, "stopFirst": false, "uniform": false}, "failFirst": [], "reviveBeforeStart": false, "terminateBeforeStart": false, "startAt": 0, "hints": "right", "pids": "fresh", "promptTimers": false, "systemd": null, "actions": [{"a": "together", "actions": [{"a": "reload", "k": 0, "which": "one", "undo": false, "policy": "watchdog"}, {"a": "scale", "k": 0, "count": 1}]}], "drain": {"reexec": false, "revive": false, "second": 0}} as unknown as Scenario;
    expect(runScenario(sc).steps).toBeGreaterThan(5);
  });

  test("signals only (no operator commands), around the interval boundary", () => {
    fc.assert(
      fc.property(scenarioArb({ control: false, maxActions: 60 }), (sc) => {
        runScenario(sc);
      }),
      budget(300),
    );
  });
});
