// A tcp probe: a connection to host:port is accepted, then closed at once;
// nothing is written or read. Never blocking: the connection is made in the
// event loop, and the timeout settles the probe whatever the connection does.
//
// node:net, not Bun.connect: Bun.connect hands back no socket until it opens,
// so an attempt still under way at the timeout (a port that drops SYNs) could
// not be given up, and went on until the kernel gave up (tcp_syn_retries: about
// two minutes), holding a file descriptor all along: a health probe every
// second to a firewalled port held a hundred or so. net.connect returns its
// socket at once, and destroying it gives the attempt up. "localhost" is both
// loopbacks, tried at once (as Bun.connect did: a server listening on ::1 alone
// is reached too; node:net would take the resolver's first address only).
import { connect, type Socket } from "node:net";
import type { Ms } from "../core/types.ts";
import type { ProbeDone } from "./port.ts";
import { networkReason, settleOnce, timedOut, timerDelay } from "./probe.ts";

export function probeTcp(host: string, port: number, timeoutMs: Ms, done: ProbeDone): void {
  const settle = settleOnce(done);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    settle({ ok: false, reason: `bad port ${port}` });
    return;
  }
  const targets = host.toLowerCase() === "localhost" ? ["127.0.0.1", "::1"] : [host];
  const sockets: Socket[] = [];
  // Every attempt still under way is given up (its fd closed) once the outcome is known.
  const finish = (outcome: { ok: boolean; reason: string }) => {
    clearTimeout(timer);
    for (const s of sockets) s.destroy();
    settle(outcome);
  };
  const timer = setTimeout(() => finish(timedOut(timeoutMs)), timerDelay(timeoutMs));
  let left = targets.length;
  let first: unknown = null;
  // An attempt failed: the probe fails once every attempt has (with the first one's reason).
  const failed = (e: unknown) => {
    if (first === null) first = e;
    if (--left === 0) finish({ ok: false, reason: networkReason(first) });
  };
  for (const target of targets) {
    let s: Socket;
    try {
      s = connect({ host: target, port });
    } catch (e) {
      failed(e);
      continue;
    }
    sockets.push(s);
    s.once("connect", () => finish({ ok: true, reason: "connection accepted" }));
    s.on("error", (e: unknown) => {
      s.destroy();
      failed(e);
    });
  }
}
