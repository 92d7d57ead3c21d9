// A re-exec the core carries out in the middle of a dispatch (one it had deferred, released
// by an exit) must not leave behind exits already queued in the shell for the core: the
// handover would call those processes alive, and the new image would find them gone, their
// statuses lost. (Found by the simulator: "pid 7 ended with SIGKILL but the core was told
// unknown", seed 443902307.)
import { expect, test } from "bun:test";
import type { Event, Handover } from "../../src/core/types.ts";
import type { SpawnRequest } from "../../src/os/port.ts";
import { Supervisor } from "../../src/shell/supervisor.ts";
import { fakePort } from "../helpers/fake-port.ts";

function scriptedPort() {
  let pid = 100;
  return fakePort({
    spawn: (_r: SpawnRequest) => ({ ok: true, pid: pid++ }),
    prepareExec: () => false,
    exec: () => "execve: simulated failure (the test looks at the handover only)",
  });
}

test("a deferred re-exec released by one exit waits for the exits queued behind it", () => {
  const p = scriptedPort();
  const handovers: Handover[] = [];
  const seen: Event[] = [];
  const a = { name: "a", argv: ["/bin/a"] };
  const b = { name: "b", argv: ["/bin/b"] };
  const sup = new Supervisor(p.port, {
    settings: { intervalMs: 0, stopTimeoutMs: 60_000, alarmMs: 0 },
    servers: [a, b],
    logFormat: "text",
    spawnExtras: () => ({ env: {} }),
    reexecCommand: (h) => { handovers.push(h); return { argv: ["/bin/lazarus"], env: {} }; },
    onStep: (e) => { seen.push(e); },
  });
  sup.start(null); // a is pid 100, b pid 101
  // A reload removes a: it is stopped, and a re-exec asked for now waits for its end.
  sup.dispatch({ type: "reconfigure", at: 2000, id: null, settings: { intervalMs: 0, stopTimeoutMs: 60_000, alarmMs: 0 }, servers: [b] });
  sup.dispatch({ type: "reexec", at: 2001 });
  expect(handovers).toEqual([]);
  // Both end, told together: a's end releases the re-exec while b's is still queued.
  sup.dispatch(
    { type: "exited", at: 2002, pid: 100, status: { kind: "signal", signal: 15 } },
    { type: "exited", at: 2002, pid: 101, status: { kind: "code", code: 1 } },
  );
  // The core heard of b's end before any exec was tried: no handover calls pid 101 alive.
  const told = seen.findIndex((e) => e.type === "exited" && e.pid === 101);
  expect(told).toBeGreaterThanOrEqual(0);
  expect(handovers.length).toBeGreaterThan(0);
  for (const h of handovers) {
    expect(h.servers.some((s) => s.kind === "alive" && s.pid === 101)).toBe(false);
  }
});
