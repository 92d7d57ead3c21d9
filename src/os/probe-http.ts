// An http probe: a GET of the URL answers 2xx. Redirects are not followed (a
// 3xx fails: a health URL that redirects is a misconfiguration worth seeing),
// the body is never read (cancelled as soon as the status is known), and every
// probe has a connection of its own, closed after the answer: no keep-alive
// pool (a connection to a server that has since restarted would fail for the
// wrong reason) and no proxy (lazarus's own HTTP_PROXY must not stand between
// it and its servers). The timeout aborts the request, and with it the connection.
// The first fetch of the process starts Bun's HTTP client thread, which Bun 1.4.5
// cannot survive starting without two free file descriptors (the whole process
// ends: shortage.ts): it is not asked for until there is room.
import type { Ms } from "../core/types.ts";
import type { ProbeDone } from "./port.ts";
import { networkFailure, settleOnce, shortOutcome, timedOut, timerDelay } from "./probe.ts";
import { fdRoom } from "./shortage.ts";

let session: Bun.FetchSession | null = null;
/** Bun's HTTP client thread runs (a fetch was made): it needs no more descriptors to start. */
let clientStarted = false;

function probeSession(): Bun.FetchSession {
  session ??= new Bun.FetchSession({ keepAlive: false, proxy: false });
  return session;
}

export function probeHttp(url: string, timeoutMs: Ms, done: ProbeDone): void {
  const settle = settleOnce(done);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    settle({ ok: false, reason: `not a URL: ${JSON.stringify(url)}` });
    return;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    settle({ ok: false, reason: `not an http or https URL: ${JSON.stringify(url)}` });
    return;
  }
  if (!clientStarted) {
    const room = fdRoom();
    if (room !== null) {
      settle(shortOutcome(room));
      return;
    }
  }
  const abort = new AbortController();
  let over = false;
  const timer = setTimeout(() => {
    over = true;
    abort.abort();
    settle(timedOut(timeoutMs));
  }, timerDelay(timeoutMs));
  let answer: Promise<Response>;
  try {
    answer = probeSession().fetch(parsed.href, {
      method: "GET",
      redirect: "manual",
      signal: abort.signal,
      headers: { "user-agent": "lazarus-probe", accept: "*/*" },
    });
    clientStarted = true;
  } catch (e) {
    clearTimeout(timer);
    settle(networkFailure(e));
    return;
  }
  answer.then(
    (res) => {
      clearTimeout(timer);
      // The status is all we need: the body is not read.
      res.body?.cancel().catch(() => {});
      const ok = res.status >= 200 && res.status <= 299;
      settle({ ok, reason: `HTTP ${res.status}` });
    },
    (e: unknown) => {
      clearTimeout(timer);
      if (over) return; // (the abort of a timeout: said already)
      settle(networkFailure(e));
    },
  );
}
