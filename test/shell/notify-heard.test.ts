// What the shell does with a server's sd_notify datagram before the core sees it:
// it maps the sender to a server, and what it does not act on (MAINPID=,
// WATCHDOG_USEC=, a line it cannot read) is said once per server, never silently dropped.
import { expect, test } from "bun:test";
import type { Event } from "../../src/core/types.ts";
import { Supervisor } from "../../src/shell/supervisor.ts";
import { fakePort } from "../helpers/fake-port.ts";

type Heard = (pid: number | null, text: string, pgid: number | null) => void;

function supervisor() {
  let heard: Heard = () => {};
  const { port } = fakePort({
    spawn: () => ({ ok: true, pid: 100 }),
    openNotify: (_path: string, h: Heard) => { heard = h; return null; },
  });
  const seen: Event[] = [];
  const sup = new Supervisor(port, {
    settings: { intervalMs: 0, stopTimeoutMs: 1000, alarmMs: 0 },
    servers: [{ name: "web", argv: ["/bin/web"], ready: { kind: "notify" } }],
    logFormat: "text",
    spawnExtras: () => ({ env: {} }),
    onStep: (e) => { seen.push(e); },
  });
  sup.start(null);
  expect(sup.openNotify("/tmp/notify.sock")).toBeNull();
  const problems = () => seen.flatMap((e) => (e.type === "problem" ? [e.text] : []));
  return { heard: (text: string, pid = 100) => heard(pid, text, pid), seen, problems };
}

test("WATCHDOG_USEC= and MAINPID= are said once per server, and the rest of the datagram still counts", () => {
  const s = supervisor();
  s.heard("WATCHDOG_USEC=5000000\nMAINPID=4242\nREADY=1");
  s.heard("WATCHDOG_USEC=7000000\nMAINPID=4243");
  expect(s.problems()).toEqual([
    "'web' sent MAINPID=4242: ignored (its main process is the one lazarus started, pid 100).",
    "'web' sent WATCHDOG_USEC=5000000: ignored (its watchdog period is its configuration's `watchdog`).",
  ]);
  expect(s.seen.filter((e) => e.type === "notify")).toEqual([expect.objectContaining({ pid: 100, ready: true })]);
});

test("a datagram from a process that is no server's is said once, and reaches no server", () => {
  const s = supervisor();
  s.heard("READY=1", 555);
  s.heard("READY=1", 555);
  expect(s.problems()).toEqual(["a notification (sd_notify) from pid 555, which is no server's process: ignored."]);
  expect(s.seen.filter((e) => e.type === "notify")).toEqual([]);
});

test("WATCHDOG=trigger reaches the core (alone, or with the rest of its datagram)", () => {
  const s = supervisor();
  s.heard("WATCHDOG=trigger");
  s.heard("READY=1\nWATCHDOG=trigger");
  expect(s.seen.filter((e) => e.type === "notify")).toEqual([
    expect.objectContaining({ pid: 100, ready: false, trigger: true }),
    expect.objectContaining({ pid: 100, ready: true, trigger: true }),
  ]);
  expect(s.problems()).toEqual([]);
});
