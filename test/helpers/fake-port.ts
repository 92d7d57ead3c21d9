// An OsPort for the shell's unit tests (test/shell/): a clock that moves a
// millisecond per look, the exit listener kept so that a test can report an
// exit, no exits held back, inert timers; `own` replaces any of it and adds
// what a test watches (spawns, log lines, probes). Every other call does nothing.
import type { ExitListener, OsPort } from "../../src/os/port.ts";

export type PortCalls = Partial<Record<keyof OsPort, unknown>>;

export function fakePort(own: PortCalls = {}): { port: OsPort; exit: (pid: number) => void } {
  let listener: ExitListener = () => {};
  let t = 1000;
  const base: PortCalls = {
    now: () => (t += 1),
    wallTime: () => 1_700_000_000_000 + t,
    onExit: (l: ExitListener) => { listener = l; },
    takeExits: () => [],
    setTimer: () => ({ cancel: () => {} }),
    logState: () => null,
  };
  const calls: PortCalls = { ...base, ...own };
  const port = new Proxy(calls, { get: (o, k) => o[k as keyof OsPort] ?? (() => undefined) }) as unknown as OsPort;
  return { port, exit: (pid) => listener({ pid, status: { kind: "code", code: 1 }, atTakeover: false }) };
}
