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
// node:net is loaded at the first tcp probe, not with lazarus: it costs about
// 1.5 MiB of RSS that a lazarus without tcp probes need not pay (issue 18).
import type { Socket } from "node:net";
import type { Ms } from "../core/types.ts";
import type { ProbeDone, ProbeOutcome } from "./port.ts";
import { networkFailure, settleOnce, timedOut, timerDelay } from "./probe.ts";

type Connect = typeof import("node:net").connect;
let connectFn: Connect | null = null;

export function probeTcp(host: string, port: number, timeoutMs: Ms, done: ProbeDone): void {
  const settle = settleOnce(done);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    settle({ ok: false, reason: `bad port ${port}` });
    return;
  }
  const targets = host.toLowerCase() === "localhost" ? ["127.0.0.1", "::1"] : [host];
  const sockets: Socket[] = [];
  let over = false;
  // Every attempt still under way is given up (its fd closed) once the outcome is known.
  const finish = (outcome: ProbeOutcome) => {
    over = true;
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
    if (--left === 0) finish(networkFailure(first));
  };
  const attempt = (connect: Connect) => {
    if (over) return; // timed out while node:net was loading
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
  };
  if (connectFn !== null) {
    attempt(connectFn);
    return;
  }
  import("node:net").then((net) => {
    connectFn = net.connect;
    attempt(net.connect);
  }, (e: unknown) => finish({ ok: false, reason: `node:net could not be loaded: ${e instanceof Error ? e.message : String(e)}` }));
}
