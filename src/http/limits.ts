// Every bound of the HTTP endpoint, in one place. The pure application core
// (app.ts) enforces the ones it can see in a request; the adapter over Bun's HTTP server
// (src/os/http-server.ts) enforces the rest and passes the transport's own
// numbers to Bun. Whatever a client does, it can hold no more than this:
//
//   request line + URL       MAX_URL_BYTES (2 KiB): 414 beyond (Bun itself answers 431 past ~16 KiB of head)
//   request headers          MAX_HEADER_BYTES (8 KiB of names and values) and MAX_HEADERS (64 lines): 431 beyond
//   request body             MAX_BODY_BYTES (4 KiB; actions carry none): 413, from Bun (maxRequestBodySize)
//                            for a declared or chunked body, and from the core for a declared Content-Length
//   request head time        Bun (uWS) closes a connection whose request head is not complete after ~10 s,
//                            however slowly it drips (measured on Bun 1.4.5); idle keep-alive: IDLE_SECONDS
//   request rate             RATE_PER_SECOND sustained, RATE_BURST at once, for the whole endpoint: 429 beyond
//                            (cheaply, before any work); actions have their own ACTION_RATE_PER_SECOND
//   time spent answering     WORK_MS_PER_SECOND of each second of the event loop sustained, WORK_BURST_MS at once,
//                            for the whole endpoint: measured per request, 429 beyond (before any work) until it is
//                            paid back. The request rate alone does not bound it: one /metrics of a thousand servers
//                            takes tens of ms, and a burst of them held supervision (and /livez) for seconds
//   live page clients (SSE)  MAX_SSE_CLIENTS at once: 503 beyond; each holds at most one pending snapshot (a
//                            newer one replaces it; the stream is pulled only as fast as the socket drains),
//                            a heartbeat comment every SSE_HEARTBEAT_MS, closed after SSE_MAX_AGE_MS (the
//                            browser reconnects) or when it has not taken data for SSE_STALL_MS
//   views to live pages      built once for all of them, at most once per SSE_MIN_INTERVAL_MS (250 ms) however
//                            often the state changes, and spaced by what they cost, building them and sending them to
//                            the pages (SSE_SEND_MS_PER_MIB per page), so that it takes at most WORK_MS_PER_SECOND of
//                            each second; each built a few servers at a time, VIEW_SLICE_BYTES or VIEW_SLICE_MS per
//                            turn of the loop (whichever comes first), and sent to each page a piece per pull. A page's
//                            first view is charged to the time spent answering (SSE_SEND_MS_PER_MIB)
//   /metrics, /api/status    built from one snapshot a step per turn of the loop, ANSWER_SLICE_CHARS characters or
//                            ANSWER_SLICE_MS per step, and streamed as built: a step per pull (Bun pulls as the socket
//                            drains), each timed and charged to the time spent answering. At most MAX_ANSWERS_IN_FLIGHT
//                            being sent at once (503, reason "answers", beyond); one whose client has not taken data
//                            for ANSWER_STALL_MS, or not all of it within ANSWER_MAX_MS, is cut off (counted in
//                            lazarus_http_dropped_total): each holds its snapshot and one chunk, no more
//   one snapshot's size      per server MAX_TIMELINE_EVENTS events of the last TIMELINE_WINDOW_MS, MAX_OUTPUT_LINES
//                            lines of MAX_OUTPUT_LINE_CHARS characters, MAX_CRASH_KINDS distinct crash labels
//   actions in flight        MAX_ACTIONS_IN_FLIGHT; each answered within ACTION_TIMEOUT_MS (503 otherwise)
//   bearer token             MAX_TOKEN_BYTES (a longer Authorization header is malformed: 401), token file
//                            MIN_TOKEN_CHARS..MAX_TOKEN_BYTES
//
// Not bounded by lazarus: the number of TCP connections Bun accepts (Bun's HTTP server has no cap). Each costs a file
// descriptor until the head timeout or IDLE_SECONDS closes it; keep the endpoint on loopback (the default) or
// behind a network policy, and give lazarus a generous RLIMIT_NOFILE (servers' pipes need descriptors too).

export const HTTP_LIMITS = {
  MAX_URL_BYTES: 2048,
  MAX_HEADER_BYTES: 8 * 1024,
  MAX_HEADERS: 64,
  MAX_BODY_BYTES: 4 * 1024,
  IDLE_SECONDS: 10,
  RATE_PER_SECOND: 200,
  RATE_BURST: 400,
  ACTION_RATE_PER_SECOND: 5,
  ACTION_RATE_BURST: 20,
  WORK_MS_PER_SECOND: 100,
  WORK_BURST_MS: 250,
  MAX_SSE_CLIENTS: 64,
  SSE_HEARTBEAT_MS: 15_000,
  SSE_MAX_AGE_MS: 15 * 60_000,
  SSE_STALL_MS: 60_000,
  SSE_MIN_INTERVAL_MS: 250,
  SSE_RETRY_MS: 2_000,
  VIEW_SLICE_BYTES: 1024 * 1024,
  VIEW_SLICE_MS: 8,
  SSE_SEND_MS_PER_MIB: 0.25,
  ANSWER_SLICE_CHARS: 64 * 1024,
  ANSWER_SLICE_MS: 4,
  MAX_ANSWERS_IN_FLIGHT: 8,
  ANSWER_STALL_MS: 10_000,
  ANSWER_MAX_MS: 60_000,
  MAX_ACTIONS_IN_FLIGHT: 8,
  ACTION_TIMEOUT_MS: 10_000,
  MAX_TOKEN_BYTES: 1024,
  MIN_TOKEN_CHARS: 16,
  TIMELINE_WINDOW_MS: 3_600_000,
  MAX_TIMELINE_EVENTS: 200,
  MAX_OUTPUT_LINES: 40,
  MAX_OUTPUT_LINE_CHARS: 400,
  MAX_CRASH_KINDS: 32,
} as const;

export type HttpLimits = { readonly [K in keyof typeof HTTP_LIMITS]: number };
