// A steady stream of HTTP requests, a new TCP connection for each one, several
// in flight at once: what a rolling restart must not refuse (issue 15). Every
// request's outcome is counted: an answer (200 with `pid=N instance=I`), or an
// error by its code (ECONNREFUSED, ECONNRESET, a timeout, a bad answer).
import { connect } from "node:net";

export interface LoadReport {
  readonly requests: number;
  readonly answered: number;
  /** Answers by the pid that gave them: how many, and the instance it said. */
  readonly byPid: Record<string, { readonly count: number; readonly instance: string }>;
  /** Failed requests by what went wrong (an error code, "timeout", "bad answer"). */
  readonly errors: Record<string, number>;
  /** The first few failures, as they were. */
  readonly samples: readonly string[];
}

type Outcome = { readonly kind: "answer"; readonly pid: number; readonly instance: string } | { readonly kind: "error"; readonly what: string; readonly detail: string };

/** How long one request may take before it counts as failed (a bound against a hang, not a speed check). */
const REQUEST_BOUND_MS = 5000;
const SAMPLES = 20;

/** One GET on a new connection to 127.0.0.1:port. */
function once(port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    let text = "";
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(bound);
      s.destroy();
      resolve(o);
    };
    const bound = setTimeout(() => finish({ kind: "error", what: "timeout", detail: `no whole answer within ${REQUEST_BOUND_MS} ms` }), REQUEST_BOUND_MS);
    s.setEncoding("utf8");
    s.on("connect", () => s.write("GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
    s.on("data", (d: string) => { text += d; });
    s.on("end", () => {
      const m = /^HTTP\/1\.[01] 200 [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\npid=(\d+) instance=(\S+)\n$/.exec(text);
      finish(m ? { kind: "answer", pid: Number(m[1]), instance: m[2] as string } : { kind: "error", what: "bad answer", detail: JSON.stringify(text.slice(0, 200)) });
    });
    s.on("error", (e: NodeJS.ErrnoException) => finish({ kind: "error", what: e.code ?? "error", detail: e.message }));
  });
}

export class Load {
  private requests = 0;
  private answered = 0;
  private readonly byPid = new Map<number, { count: number; instance: string }>();
  private readonly errors = new Map<string, number>();
  private readonly samples: string[] = [];
  private running = true;
  private readonly workers: Promise<void>[];

  /**
   * `concurrency` loops, each sending a request, waiting for its outcome, pausing
   * `pauseMs` (a rate, not a synchronisation), and again, until `stop()`.
   * `onNewPid` is told the first answer from each pid.
   */
  constructor(port: number, concurrency: number, pauseMs: number, private readonly onNewPid: (pid: number, instance: string) => void) {
    this.workers = Array.from({ length: concurrency }, async () => {
      while (this.running) {
        this.record(await once(port));
        if (pauseMs > 0) await Bun.sleep(pauseMs);
      }
    });
  }

  /** Stop sending; the report once every request in flight has its outcome. */
  async stop(): Promise<LoadReport> {
    this.running = false;
    await Promise.all(this.workers);
    return {
      requests: this.requests,
      answered: this.answered,
      byPid: Object.fromEntries([...this.byPid].map(([pid, v]) => [String(pid), { ...v }])),
      errors: Object.fromEntries(this.errors),
      samples: [...this.samples],
    };
  }

  private record(o: Outcome): void {
    this.requests++;
    switch (o.kind) {
      case "answer": {
        this.answered++;
        const seen = this.byPid.get(o.pid);
        if (seen === undefined) {
          this.byPid.set(o.pid, { count: 1, instance: o.instance });
          this.onNewPid(o.pid, o.instance);
        } else {
          seen.count++;
        }
        return;
      }
      case "error":
        this.errors.set(o.what, (this.errors.get(o.what) ?? 0) + 1);
        if (this.samples.length < SAMPLES) this.samples.push(`request ${this.requests}: ${o.what}: ${o.detail}`);
        return;
      default:
        o satisfies never;
    }
  }
}
