// What the three kinds of probe (probe-tcp.ts, probe-http.ts, probe-cmd.ts)
// share: the one way an outcome is handed back (once, never synchronously) and
// the phrases their reasons are made of. docs/design.md, "Probes", says how
// each kind is carried out.
import type { Ms } from "../core/types.ts";
import type { ProbeDone, ProbeOutcome } from "./port.ts";
import { fdRoom, shortageOf } from "./shortage.ts";

/**
 * `done`, made safe to call from anywhere: the first outcome is handed on in a
 * microtask (so never inside the call that settled it, which may be one of the
 * shell's: adopt reaps what has ended, a command probe among it), and any later one is ignored.
 */
export function settleOnce(done: ProbeDone): ProbeDone {
  let settled = false;
  return (outcome: ProbeOutcome) => {
    if (settled) return;
    settled = true;
    queueMicrotask(() => done(outcome));
  };
}

/** "2 s", "1.5 s", "250 ms". */
export function durationText(ms: Ms): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number((ms / 1000).toFixed(3))} s`;
}

export function timedOut(ms: Ms): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason: `timed out after ${durationText(ms)}` };
}

/** The timeout as setTimeout takes it (a probe never waits less than a millisecond, nor more than setTimeout can). */
export function timerDelay(ms: Ms): number {
  return Math.min(2 ** 31 - 1, Math.max(1, Math.ceil(ms)));
}

/** A short phrase for a network error thrown by Bun ("connection refused", "cannot resolve host"). */
export function networkReason(e: unknown): string {
  const code = typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : "";
  switch (code) {
    case "ECONNREFUSED": return "connection refused";
    case "ECONNRESET": return "connection reset";
    case "ENOTFOUND": case "EAI_NONAME": case "EAI_AGAIN": return "cannot resolve host";
    case "EHOSTUNREACH": return "host unreachable";
    case "ENETUNREACH": return "network unreachable";
    case "ETIMEDOUT": return "connection timed out";
    case "EADDRNOTAVAIL": return "address not available";
    case "ConnectionRefused": return "connection refused";
    case "ConnectionClosed": return "connection closed";
    default: break;
  }
  const message = e instanceof Error ? e.message : String(e);
  const text = message.split("\n")[0]?.trim() ?? "";
  const short = text.length > 120 ? `${text.slice(0, 117)}...` : text;
  return code !== "" && !short.includes(code) ? `${code}: ${short}` : short === "" ? "failed" : short;
}

/** No verdict: lazarus itself lacked what the probe needs (`why`: shortage.ts's words), which says nothing about the server. */
export function shortOutcome(why: string): ProbeOutcome {
  return { ok: null, reason: why, short: true };
}

/**
 * How a network error ends a probe: a failure ("connection refused"), or no verdict when it shows
 * that lazarus itself is short of something (EMFILE, ENFILE, ENOMEM, ENOBUFS). A refusal is checked
 * against the descriptors lazarus has free: node:net reports a socket it could not make (EMFILE) as
 * ECONNREFUSED (measured on Bun 1.4.5).
 */
export function networkFailure(e: unknown): ProbeOutcome {
  const why = shortageOf(e);
  if (why !== null) return shortOutcome(why);
  const code = typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : "";
  if (code === "ECONNREFUSED" || code === "ConnectionRefused") {
    const room = fdRoom(2);
    if (room !== null) return shortOutcome(room);
  }
  return { ok: false, reason: networkReason(e) };
}
