// Runs the real supervisor (`bun run src/main.ts ...`) as a child of the test,
// collects its stderr line by line (the children's lines come through it too,
// as they inherit it), and lets a test wait for a line instead of sleeping.
import { afterEach } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const MAIN = join(ROOT, "src/main.ts");
export const SERVER = join(ROOT, "fixtures/server");
export const BUN = process.execPath;

const DEFAULT_TIMEOUT = 20_000;
/** An environment variable every process of a run inherits (lazarus passes its environment on): how its cleanup finds them. */
export const RUN_MARK = "LAZARUS_TEST_RUN";
let runsStarted = 0;
/** How long the end of the supervisor's output may come after its exit before a run is taken as ended anyway. */
const EOF_BOUND_MS = 5000;

interface Waiter {
  readonly test: (line: string) => boolean;
  readonly resolve: (line: string) => void;
  readonly reject: (e: Error) => void;
  readonly pattern: RegExp | string;
  from: number;
}

/** What a wait for a line that can no longer come rejects with. */
export class OutputEndedError extends Error {}

export interface Ended {
  readonly code: number | null;
  readonly signal: string | null;
}

/** Runs not cleaned up yet: what the exit hook below ends. */
const unfinished = new Set<Run>();
/**
 * When the test process ends (bun test done, or a test abandoned at its timeout whose body
 * never reached its cleanup), whatever a run left is ended too: its supervisor, then every
 * process carrying its mark. Synchronous, as an exit hook must be; a signal is all it sends.
 */
process.on("exit", () => {
  for (const r of unfinished) {
    // Only a supervisor that has not ended: one that did was reaped, and its pid may be another program's by now.
    if (r.proc.exitCode === null && r.proc.signalCode === null) {
      try { process.kill(r.proc.pid, "SIGKILL"); } catch { /* gone */ }
    }
    killMarked(r.mark);
  }
});

export class Run {
  readonly lines: string[] = [];
  readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  private waiters: Waiter[] = [];
  private readonly done: Promise<Ended>;
  private stdoutText = "";
  /** Set once both of its output streams have reached their end: no line can come any more. */
  private outputEnded: string | null = null;
  /** The value of RUN_MARK in its environment, and so in every process it starts. */
  readonly mark = `${process.pid}.${++runsStarted}.${Math.random().toString(36).slice(2)}`;

  /**
   * `readStdout: false` leaves the supervisor's stdout unread (`proc.stdout` is the test's
   * to read, or not: a terminal that does not keep up).
   */
  constructor(args: readonly string[], opts: { env?: Record<string, string>; cwd?: string; argv0?: readonly string[]; readStdout?: boolean } = {}) {
    const proc = Bun.spawn({
      cmd: [...(opts.argv0 ?? [BUN, "run", MAIN]), ...args],
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env, [RUN_MARK]: this.mark } as Record<string, string>,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc = proc;
    unfinished.add(this);
    const err = this.pump(proc.stderr, (line) => this.push(line));
    const out = opts.readStdout === false ? Promise.resolve() : this.pump(proc.stdout, (line) => { this.stdoutText += `${line}\n`; });
    // A wait for a line that can no longer come fails at once, not at its timeout, and says why.
    void Promise.all([err, out, proc.exited]).then(() => {
      this.outputEnded = `the supervisor ended (${proc.signalCode ?? `exit ${proc.exitCode}`}) and its output reached its end`;
      const left = this.waiters;
      this.waiters = [];
      for (const w of left) w.reject(this.endedError(w.pattern));
    }, () => undefined);
    this.done = (async () => {
      await proc.exited;
      // Everything it wrote is read: after an exit the pipes reach their end once nothing of it
      // holds them (it leaves nothing behind; the bound only keeps a test that left something
      // running from hanging). Killed, it may have left its children holding them: what is
      // buffered is read, not more.
      await Promise.race([Promise.all([err, out]), Bun.sleep(proc.signalCode === null ? EOF_BOUND_MS : 300)]);
      return { code: proc.exitCode, signal: proc.signalCode as string | null };
    })();
  }

  get pid(): number {
    return this.proc.pid;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get text(): string {
    return this.lines.join("\n");
  }

  /** Lines of the supervisor itself (prefixed `lazarus: `), without the prefix. */
  get own(): string[] {
    return this.lines.filter((l) => l.startsWith("lazarus: ")).map((l) => l.slice("lazarus: ".length));
  }

  /** Wait for the next line (from `from`, default: anywhere) that matches. */
  waitFor(pattern: RegExp | string, opts: { timeout?: number; from?: number } = {}): Promise<string> {
    const test = typeof pattern === "string" ? (l: string) => l.includes(pattern) : (l: string) => pattern.test(l);
    const from = opts.from ?? 0;
    for (let i = from; i < this.lines.length; i++) if (test(this.lines[i] as string)) return Promise.resolve(this.lines[i] as string);
    if (this.outputEnded !== null) return Promise.reject(this.endedError(pattern));
    const timeout = opts.timeout ?? DEFAULT_TIMEOUT;
    return new Promise((resolve, reject) => {
      let t: ReturnType<typeof setTimeout> | undefined;
      const w: Waiter = {
        test,
        pattern,
        from,
        resolve: (l) => { clearTimeout(t); resolve(l); },
        reject: (e) => { clearTimeout(t); reject(e); },
      };
      this.waiters.push(w);
      t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out after ${timeout} ms waiting for ${String(pattern)}; output so far:\n${this.text}`));
      }, timeout);
    });
  }

  private endedError(pattern: RegExp | string): OutputEndedError {
    return new OutputEndedError(`${this.outputEnded}, with no line matching ${String(pattern)}; output:\n${this.text}`);
  }

  /** Wait until `pattern` has matched `n` lines in all. */
  async waitForCount(pattern: RegExp, n: number, timeout = DEFAULT_TIMEOUT): Promise<string[]> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const hits = this.lines.filter((l) => pattern.test(l));
      if (hits.length >= n) return hits;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} lines matching ${pattern}; output:\n${this.text}`);
      await this.waitFor(pattern, { from: this.lines.length, timeout: left }).catch((e: unknown) => {
        if (e instanceof OutputEndedError) throw new OutputEndedError(`${this.outputEnded}, with ${hits.length} of ${n} lines matching ${pattern}; output:\n${this.text}`);
      });
    }
  }

  /** The pid in the next `'X' started with pid N.` line after `from` (a line index). */
  async startedPid(from = 0, name?: string): Promise<number> {
    const re = name === undefined ? /started with pid (\d+)\./ : new RegExp(`'${escape(name)}' started with pid (\\d+)\\.`);
    const line = await this.waitFor(re, { from });
    return Number(re.exec(line)?.[1]);
  }

  /** Pids of every fixture that has started (from the fixtures' own start lines, prefixed with a server name or not). */
  fixturePids(): number[] {
    const pids = this.lines.flatMap((l) => {
      const m = /^(?:\S+ *\| )?fixture: pid=(\d+)(?: (?:grandchild|orphan)=(\d+))?/.exec(l);
      return m ? [Number(m[1]), ...(m[2] ? [Number(m[2])] : [])] : [];
    });
    return [...new Set(pids)];
  }

  signal(sig: NodeJS.Signals | number): void {
    this.proc.kill(sig);
  }

  ended(timeout = DEFAULT_TIMEOUT): Promise<Ended> {
    return Promise.race([
      this.done,
      Bun.sleep(timeout).then(() => { throw new Error(`supervisor did not end within ${timeout} ms; output:\n${this.text}`); }),
    ]);
  }

  /**
   * Make sure nothing of this run is left behind, even when a test failed half-way: the
   * supervisor, then every process that carries this run's mark in its environment (its
   * children, their groups, orphans reparented away), and nothing else. Never by the pids in
   * its log: those of processes that ended may be another program's by now (pids are reused;
   * 32768 of them go fast on a machine that spawns hundreds a second), and those printed in
   * a PID namespace are not ours at all.
   */
  async cleanup(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGKILL");
      await this.proc.exited;
    }
    // Rounds: one may fork between a look and the kills. Bounded: one stuck in the kernel is not waited for.
    const deadline = Date.now() + 2000;
    while (killMarked(this.mark) > 0 && Date.now() < deadline) await Bun.sleep(1);
    unfinished.delete(this);
  }

  private push(line: string): void {
    this.lines.push(line);
    const idx = this.lines.length - 1;
    const hit = this.waiters.filter((w) => idx >= w.from && w.test(line));
    this.waiters = this.waiters.filter((w) => !hit.includes(w));
    for (const w of hit) w.resolve(line);
  }

  private async pump(stream: ReadableStream<Uint8Array>, onLine: (l: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    if (buf !== "") onLine(buf);
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * What one integration test file needs: `start` runs the supervisor (with
 * `prefix` before the test's own arguments), `track` adopts a Run made by hand,
 * `tempDir` makes a scratch directory; after each test every run is cleaned up
 * (nothing left running) and every scratch directory removed.
 */
export function perTest(o: { prefix?: readonly string[]; tmp?: string } = {}) {
  const runs: Run[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const r of runs.splice(0)) await r.cleanup();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const track = (r: Run): Run => {
    runs.push(r);
    return r;
  };
  return {
    track,
    start: (args: readonly string[], opts: ConstructorParameters<typeof Run>[1] = {}): Run => track(new Run([...(o.prefix ?? []), ...args], opts)),
    tempDir: (): string => {
      const d = mkdtempSync(join(tmpdir(), o.tmp ?? "lazarus-test-"));
      dirs.push(d);
      return d;
    },
  };
}

/** One-letter process state from /proc (R, S, Z, ...), or null when the pid does not exist. */
export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? null;
  } catch {
    return null;
  }
}

/** The pids whose parent is `pid` (from /proc), with their states. */
export function childrenOf(pid: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[1]) === pid) out.push({ pid: Number(d), state: rest[0] ?? "?" });
    } catch { /* raced with its exit */ }
  }
  return out;
}

/** Pids of the live processes whose environment has RUN_MARK=mark (a zombie's cannot be read: it is not listed). */
export function marked(mark: string): number[] {
  const needle = `\0${RUN_MARK}=${mark}\0`;
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (`\0${readFileSync(`/proc/${d}/environ`, "latin1")}`.includes(needle)) out.push(Number(d));
    } catch { /* gone, or not ours to read */ }
  }
  return out;
}

/** SIGKILL every live process with RUN_MARK=mark (one look); returns how many there were. */
function killMarked(mark: string): number {
  const left = marked(mark);
  for (const pid of left) {
    try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
  }
  return left.length;
}

/**
 * Whether `pid` is (still) a process of some test run: a zombie (its environment cannot be
 * read, so it is not told apart: it counts), a process exiting (its memory is gone already:
 * it counts until it is a zombie or gone), or a live process with RUN_MARK in its environment.
 * A pid that ended and was taken since by another program or a kernel thread (32768 pids go
 * fast on a machine that spawns hundreds a second) is not.
 */
function stillOurs(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z") return true;
  if ((Number(fields[6]) & 0x200000) !== 0) return false; // PF_KTHREAD
  let env: string;
  try {
    env = readFileSync(`/proc/${pid}/environ`, "latin1");
  } catch {
    return procState(pid) === "Z"; // gone (or became a zombie) meanwhile; not ours to read: not ours
  }
  return env === "" || `\0${env}`.includes(`\0${RUN_MARK}=`);
}

/**
 * Wait (polling /proc, bounded) until none of `pids` exists any more; returns those still there.
 * Only processes of a test run count (see stillOurs): the pids are taken from logs, and one that
 * ended long ago may be another program's now.
 */
export async function waitGone(pids: readonly number[], timeout = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const left = pids.filter((p) => existsSync(`/proc/${p}`) && stillOurs(p));
    if (left.length === 0 || Date.now() > deadline) return left;
    await Bun.sleep(20);
  }
}

/** Poll a condition (for facts only /proc can tell), bounded by a generous timeout. */
export async function eventually<T>(probe: () => T | null | undefined | false, what: string, timeout = 10_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = probe();
    // A promise is truthy: it would be taken for the value at once, and nothing waited for (use until()).
    if (v instanceof Promise) throw new Error(`eventually(${what}): the probe returned a promise; poll an asynchronous probe with until()`);
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** `lazarus ctl ARGS`, as a user runs it (from the repository's root). */
export async function ctl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([BUN, "run", MAIN, "ctl", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code: await p.exited, out, err };
}

/** Poll an asynchronous probe until it gives a value (not null). */
export async function until<T>(probe: () => Promise<T | null>, what: string, timeout = 10_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}
