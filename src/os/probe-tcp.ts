// A tcp probe: a connection to host:port is accepted, then closed at once;
// nothing is written or read. Never blocking: the connection is made in the
// event loop, and the timeout settles the probe whatever the connection does.
//
// node:net, not Bun.connect: Bun.connect hands back no socket until it opens,
// so an attempt still under way at the timeout (a port that drops SYNs) could
// not be given up, and went on until the kernel gave up (tcp_syn_retries: about
// two minutes), holding a file descriptor all along: a health probe every
// second to a firewalled port held a hundred or so. net.connect returns its
// socket at once, and destroying it gives the attempt up.
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
  let socket: Socket | null = null;
  const timer = setTimeout(() => {
    // Given up: a connection still being made is abandoned (its fd closed) now.
    socket?.destroy();
    settle(timedOut(timeoutMs));
  }, timerDelay(timeoutMs));
  try {
    socket = connect({ host, port });
  } catch (e) {
    clearTimeout(timer);
    settle({ ok: false, reason: networkReason(e) });
    return;
  }
  const s = socket;
  s.once("connect", () => {
    // (closed at once, whatever happens next)
    s.destroy();
    clearTimeout(timer);
    settle({ ok: true, reason: "connection accepted" });
  });
  s.on("error", (e: unknown) => {
    s.destroy();
    clearTimeout(timer);
    settle({ ok: false, reason: networkReason(e) });
  });
}
