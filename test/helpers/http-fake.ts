// The HTTP endpoint in front of a FakeSupervisor (the real core, made-up OS):
// what the adapter and browser tests (and the screenshot script) serve.
import type { ServerSpec } from "../../src/core/types.ts";
import type { HttpLimits } from "../../src/http/limits.ts";
import { HTTP_LIMITS } from "../../src/http/limits.ts";
import { type HttpEndpoint, serveHttp } from "../../src/os/http-server.ts";
import { FakeSupervisor, type FakeOptions, VirtualClock } from "./fake-supervisor.ts";

export const TEST_TOKEN = "test-token-Zm9vYmFyYmF6cXV4";

export interface FakeEndpoint {
  readonly sup: FakeSupervisor;
  readonly clock: VirtualClock;
  readonly http: HttpEndpoint;
  readonly url: string;
  readonly problems: string[];
}

export function serveFake(specs: readonly ServerSpec[], opts: {
  token?: string | null;
  limits?: Partial<HttpLimits>;
  fake?: FakeOptions;
  /** Called before the endpoint starts (history to show). */
  prepare?: (sup: FakeSupervisor, clock: VirtualClock) => void;
  onAction?: FakeSupervisor["onAction"];
  hostname?: string;
} = {}): FakeEndpoint {
  const clock = new VirtualClock();
  const sup = new FakeSupervisor(specs, clock, opts.fake);
  sup.start();
  opts.prepare?.(sup, clock);
  const problems: string[] = [];
  const http = serveHttp({
    address: { hostname: opts.hostname ?? "127.0.0.1", port: 0, loopback: (opts.hostname ?? "127.0.0.1").startsWith("127.") },
    token: opts.token === undefined ? TEST_TOKEN : opts.token,
    snapshot: () => sup.snapshot(),
    now: clock.now,
    wallTime: () => Date.now(),
    onAction: opts.onAction ?? sup.onAction,
    onProblem: (t) => problems.push(t),
    limits: { ...HTTP_LIMITS, ...opts.limits },
  });
  if (typeof http === "string") throw new Error(http);
  sup.onChange(() => http.changed());
  return { sup, clock, http, url: http.url, problems };
}

/** A supervisor with an hour of history: crashes, a crash loop buried, clean exits, stops, output. */
export function busyHistory(sup: FakeSupervisor, clock: VirtualClock): void {
  const minute = 60_000;
  const say = (name: string, lines: readonly string[]) => {
    for (const l of lines) sup.output(name, l.startsWith("!") ? "err" : "out", l.replace(/^!/, ""));
  };
  // The clock is virtual: an hour passes here in a moment.
  say("web", ["listening on :8080", "GET / 200 3ms", "GET /api/users 200 12ms"]);
  for (let k = 0; k < 12; k++) {
    clock.advance(5 * minute);
    if (k % 4 === 1) sup.crash("web", { signal: 11 });
    if (k % 3 === 0) sup.crash("api", { code: 1 });
    if (k === 6) sup.control({ op: "restart", server: sup.index("mailer") }, () => {});
    say("web", [`GET /healthz 200 ${k}ms`]);
    say("api", [`!error: connection to db lost (attempt ${k})`, "reconnecting…"]);
  }
  clock.advance(2 * minute);
  sup.crash("worker", { code: 70 }); // lived long: respawned
  clock.advance(100);
  sup.crash("worker", { code: 70 }); // at once again: buried
  say("worker", ["processing job 1812", "!panic: nil pointer dereference", "!exit status 70"]);
  sup.end("report", { kind: "code", code: 0 });
  sup.control({ op: "start", server: sup.index("cron") }, () => {});
  say("cron", ["nightly cleanup started", "removed 42 stale sessions"]);
  clock.advance(3 * minute);
}

export const BUSY_SERVERS: readonly ServerSpec[] = [
  { name: "web", argv: ["bun", "run", "server.ts"], intervalMs: 1000 },
  { name: "api", argv: ["./api", "--port=9000"], intervalMs: 1000 },
  { name: "worker", argv: ["python3", "worker.py"], intervalMs: 5000 },
  { name: "mailer", argv: ["mailer"], intervalMs: 1000 },
  { name: "report", argv: ["report", "--daily"], intervalMs: 1000 },
  { name: "cron", argv: ["cron"], autostart: false },
  { name: "search", argv: ["search"], autostart: false },
];

export const BUSY_OUTPUT = ["web", "api", "worker", "cron"];
