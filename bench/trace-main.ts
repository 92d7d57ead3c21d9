// lazarus with timestamps on the path from a child's end to its replacement's spawn:
// `bun run bench/trace-main.ts --interval=… { server } …` runs src/main.ts with BunPort's
// methods wrapped; at exit the trace goes to $LAZARUS_TRACE (one line per point:
// KIND MONOTONIC_MS [PID]). Used by bench/trace-warm.ts; never by lazarus itself.
import { writeFileSync } from "node:fs";
import { BunPort } from "../src/os/bun-port.ts";
import { monotonicMs } from "../src/os/libc.ts";
import type { PortExit } from "../src/os/port.ts";
import { Supervisor } from "../src/shell/supervisor.ts";

const file = process.env.LAZARUS_TRACE ?? "/dev/null";
const offset = monotonicMs() - performance.now();
const lines: string[] = [];
const mark = (kind: string, pid = 0): void => {
  lines.push(`${kind} ${(offset + performance.now()).toFixed(4)} ${pid}`);
};
// Before BunPort's own handler (listeners run in the order they were added).
process.on("SIGCHLD", () => mark("C"));
// deno-lint-ignore no-explicit-any
const proto = BunPort.prototype as any;
const wrap = (name: string, before: (args: unknown[]) => void, after: (r: unknown) => void): void => {
  const f = proto[name] as (...a: unknown[]) => unknown;
  proto[name] = function (this: unknown, ...args: unknown[]) {
    before(args);
    const r = f.apply(this, args);
    after(r);
    return r;
  };
};
wrap("spawn", () => mark("P0"), (r) => mark("P1", (r as { pid?: number }).pid ?? -1));
wrap("log", () => mark("L0"), () => mark("L1"));
wrap("takeExits", () => mark("T0"), () => mark("T1"));
// The shell's steps (H: the core's step and then its effects, F: one effect).
// deno-lint-ignore no-explicit-any
const sup = Supervisor.prototype as any;
for (const [name, kind] of [["handle", "H"], ["perform", "F"]] as const) {
  const f = sup[name] as (...a: unknown[]) => unknown;
  sup[name] = function (this: unknown, ...args: unknown[]) {
    mark(`${kind}0`);
    const r = f.apply(this, args);
    mark(`${kind}1`);
    return r;
  };
}
const onExit = proto.onExit as (l: (x: PortExit) => void) => void;
proto.onExit = function (this: unknown, listener: (x: PortExit) => void) {
  return onExit.call(this, (x: PortExit) => {
    mark("X0", x.pid);
    listener(x);
    mark("X1", x.pid);
  });
};
process.on("exit", () => writeFileSync(file, `${lines.join("\n")}\n`));
await import("../src/main.ts");
