// A tcp probe: a connection to host:port is accepted (Bun.connect), then
// closed at once; nothing is written or read. Never blocking: Bun connects in
// the event loop, and the timeout settles the probe whatever the connection does.
import type { Ms } from "../core/types.ts";
import type { ProbeDone } from "./port.ts";
import { networkReason, settleOnce, timedOut, timerDelay } from "./probe.ts";

export function probeTcp(host: string, port: number, timeoutMs: Ms, done: ProbeDone): void {
  const settle = settleOnce(done);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    settle({ ok: false, reason: `bad port ${port}` });
    return;
  }
  let over = false;
  const timer = setTimeout(() => {
    over = true;
    settle(timedOut(timeoutMs));
  }, timerDelay(timeoutMs));
  // Bun.connect cannot be cancelled while it connects: past the timeout the
  // attempt runs on (the kernel bounds it: tcp_syn_retries) and a connection
  // that opens that late is closed at once; its outcome is no longer told.
  let connecting: Promise<unknown>;
  try {
    connecting = Bun.connect({
      hostname: host,
      port,
      socket: {
        open(socket) {
          // (the one place a connection opens: closed at once, whatever happens next)
          socket.terminate();
          clearTimeout(timer);
          if (!over) settle({ ok: true, reason: "connection accepted" });
        },
        data() {},
        connectError(_socket, error) {
          clearTimeout(timer);
          settle({ ok: false, reason: networkReason(error) });
        },
        error() {},
      },
    });
  } catch (e) {
    clearTimeout(timer);
    settle({ ok: false, reason: networkReason(e) });
    return;
  }
  connecting.catch((e: unknown) => {
    clearTimeout(timer);
    settle({ ok: false, reason: networkReason(e) });
  });
}
