// A program for test/os/probe.test.ts: a real BunPort (its own process, so that
// its reaping never meets the test runner's children) carrying out command
// probes, and telling on stdout, one JSON object a line, what happened.
//
// argv[2] is a JSON Plan. Every probe starts at once (concurrently). Then:
// - "settle": once every outcome is in, a server (`true`) is spawned through
//   the port and its end awaited through the exit listener; then, until every
//   child of ours is gone (reaped: no zombie), each SIGCHLD is looked at. The
//   report has the outcomes, every exit the port reported, and the children
//   left (pid and /proc state) when it gave up.
// - "exit": the probes' pids are told, then port.exit(0) at once (an outcome
//   told after that is told as "late").
// - "exec": the probes' pids are told, then port.exec of this program again in
//   stage "after-exec", which tells its own children (inherited across the exec).
import { writeSync } from "node:fs";
import { BunPort } from "../../src/os/bun-port.ts";
import type { PortExit, ProbeOutcome, ProbeRequest } from "../../src/os/port.ts";
import { ownChildren, stat } from "../../src/os/proc.ts";

export interface Plan {
  readonly subreaper: boolean;
  readonly probes: readonly ProbeRequest[];
  readonly then: "settle" | "exit" | "exec" | "after-exec";
}

export type Line =
  | { readonly kind: "outcome"; readonly index: number; readonly outcome: ProbeOutcome; readonly synchronous: boolean }
  | { readonly kind: "started"; readonly pids: number[] }
  | { readonly kind: "report"; readonly exits: PortExit[]; readonly server: number; readonly left: { pid: number; state: string }[] }
  | { readonly kind: "late"; readonly index: number }
  | { readonly kind: "children"; readonly left: { pid: number; state: string }[] };

const plan = JSON.parse(process.argv[2] as string) as Plan;
const say = (line: Line) => writeSync(1, `${JSON.stringify(line)}\n`);
const children = () => ownChildren().map((pid) => ({ pid, state: stat(pid)?.state ?? "?" }));

if (plan.then === "after-exec") {
  // Whatever the old image left running or unreaped is our child now.
  say({ kind: "children", left: children() });
  process.exit(0);
}

const port = new BunPort({ subreaper: plan.subreaper });
const exits: PortExit[] = [];
port.onExit((x) => exits.push(x));
let exited = false;
let waiting = plan.probes.length;
let inCall = false;

plan.probes.forEach((request, index) => {
  inCall = true;
  port.probe(request, (outcome) => {
    if (exited) return say({ kind: "late", index });
    say({ kind: "outcome", index, outcome, synchronous: inCall });
    if (--waiting === 0 && plan.then === "settle") void settle();
  });
  inCall = false;
});

if (plan.then === "exit" || plan.then === "exec") {
  say({ kind: "started", pids: ownChildren() });
  if (plan.then === "exit") {
    exited = true;
    port.exit(0);
  } else {
    const error = port.exec([process.execPath, import.meta.path, JSON.stringify({ ...plan, probes: [], then: "after-exec" })], process.env as Record<string, string>);
    writeSync(2, `exec failed: ${error}\n`);
    process.exit(1);
  }
}

async function settle(): Promise<void> {
  // The exit listener works: a server's end is told.
  exits.push(...port.takeExits());
  const s = port.spawn({ argv: ["true"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  if (!s.ok) throw new Error(s.error);
  const server = s.pid;
  // Until nothing of ours is left (each SIGCHLD is a chance; the port reaps first), or 20 s at most.
  await new Promise<void>((resolve) => {
    const check = () => {
      if (exits.some((x) => x.pid === server) && ownChildren().length === 0) done();
    };
    const done = () => {
      process.off("SIGCHLD", onChld);
      clearInterval(poll);
      clearTimeout(limit);
      resolve();
    };
    const onChld = () => setImmediate(check);
    process.on("SIGCHLD", onChld);
    // (without pidfds no SIGCHLD handler runs: BUN-NOTES; the port sweeps then, and so do we)
    const poll = setInterval(check, 50);
    const limit = setTimeout(done, 20_000);
    check();
  });
  say({ kind: "report", exits, server, left: children() });
  exited = true;
  port.exit(0);
}
