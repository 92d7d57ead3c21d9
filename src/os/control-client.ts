// The control client's I/O: one request line out, one reply line back, over a
// Unix socket; and the few file-system facts `lazarus ctl` needs to find
// supervisors. What to ask and whom is decided in src/cli/ctl.ts.
import { lstatSync, readdirSync, statSync, unlinkSync, writeSync } from "node:fs";
import type { ClientResult, CtlIo, LogSource } from "../cli/ctl.ts";
import { showLogs } from "./log-read.ts";
import { readerGone } from "./libc.ts";
import { readLimited } from "./read-limited.ts";

/**
 * What is at `path`, for a message: "socket", "file", "directory", "character device", "FIFO", ...;
 * "dangling link" (a symbolic link to nothing), "forbidden" (a directory on the way may not be
 * searched), or null when nothing is. A symbolic link is followed, as connect() follows it: a link
 * to a supervisor's socket (a fixed name for a socket named by its pid) is that socket.
 */
export function kindOf(path: string): string | null {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as { code?: unknown }).code === "EACCES") return "forbidden";
    try {
      if (lstatSync(path).isSymbolicLink()) return "dangling link";
    } catch { /* nothing there */ }
    return null;
  }
  if (st.isSocket()) return "socket";
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "directory";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  if (st.isFIFO()) return "FIFO";
  return "other";
}

const WHAT: Readonly<Record<string, string>> = {
  file: "a regular file", directory: "a directory", "character device": "a character device", "block device": "a block device", FIFO: "a FIFO", "dangling link": "a symbolic link to nothing", other: "not a socket",
};

/** The longest answer read (a status of 100,000 servers with long commands is well under it). */
const MAX_ANSWER = 256 * 1024 * 1024;

/** What a failed connect to the control socket at `path` means, for people (pure). */
export function connectFailure(path: string, e: unknown): ClientResult {
  const code = (e as { code?: string } | null)?.code;
  // A supervisor at its limit of clients answers "too many clients" and closes at once; Bun (1.4.5)
  // reports that as a reset connect, without the line, when this process comes to it late (test/integration/control.test.ts pins it).
  if (code === "ECONNRESET") return { ok: false, error: `the supervisor at ${path} closed the connection at once (is it at its limit of control clients?)` };
  const why = code === "ENOENT" ? "no such socket"
    : code === "ECONNREFUSED" ? "nothing listening (a stale socket)"
    : code === "EACCES" ? "permission denied"
    : String((e as Error)?.message ?? e);
  return { ok: false, error: `no supervisor at ${path}: ${why}`, ...(code === "ECONNREFUSED" ? { refused: true } : {}) };
}

export function request(path: string, body: Record<string, unknown>, timeoutMs = 5000): Promise<ClientResult> {
  if (path === "") return Promise.resolve({ ok: false, error: "no socket path given" });
  const kind = kindOf(path);
  if (kind === null) return Promise.resolve({ ok: false, error: `no supervisor at ${path}: no such socket` });
  if (kind === "forbidden") return Promise.resolve({ ok: false, error: `no supervisor at ${path}: permission denied (a directory on its way may not be searched by this user)` });
  if (kind !== "socket") return Promise.resolve({ ok: false, error: `no supervisor at ${path}: it is ${WHAT[kind] ?? "not a socket"}, not a socket` });
  return new Promise((resolve) => {
    let done = false;
    // The answer is one line, read in chunks: a status of thousands of servers is megabytes.
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (r: ClientResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `no answer from ${path} within ${timeoutMs / 1000} s` }), timeoutMs);
    const notThere = (e: unknown) => finish(connectFailure(path, e));
    try {
      Bun.connect({
        unix: path,
        socket: {
          open(s) {
            s.write(`${JSON.stringify(body)}\n`);
          },
          data(s, chunk) {
            if (done) return;
            const nl = chunk.indexOf(10);
            if (nl < 0) {
              chunks.push(Buffer.from(chunk));
              size += chunk.length;
              if (size > MAX_ANSWER) {
                finish({ ok: false, error: `the answer from ${path} is over ${MAX_ANSWER} bytes` });
                s.end();
              }
              return;
            }
            chunks.push(Buffer.from(chunk.subarray(0, nl)));
            try {
              finish({ ok: true, reply: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> });
            } catch {
              finish({ ok: false, error: `unreadable answer from ${path}` });
            }
            s.end(); // (its close handler runs at once, after the answer was taken)
          },
          close() {
            finish({ ok: false, error: `${path} closed the connection without answering` });
          },
          connectError(_s, e) {
            notThere(e);
          },
          error(_s, e) {
            notThere(e);
          },
        },
      }).catch(notThere);
    } catch (e) {
      notThere(e);
    }
  });
}

/** The production I/O of `lazarus ctl`. */
export function bunCtlIo(cwd: string, place: CtlIo["place"]): CtlIo {
  return {
    cwd,
    place,
    now: () => performance.now(),
    sleep: (ms) => Bun.sleep(ms),
    readText(path) {
      const r = readLimited(path, 1024 * 1024);
      return r.ok ? new TextDecoder().decode(r.bytes) : null;
    },
    listDir(dir) {
      try {
        return readdirSync(dir);
      } catch {
        return null;
      }
    },
    pidAlive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        return (e as { code?: string }).code === "EPERM";
      }
    },
    unlink(path) {
      try {
        unlinkSync(path);
      } catch { /* gone already */ }
    },
    request,
    showLogs: (opts) => printLogs(opts.sources, opts.lines, opts.follow),
  };
}

/** How often `ctl logs -f` looks whether its reader has gone (`| head`, `| grep -m1`). */
const READER_WATCH_MS = 200;

/**
 * `ctl logs` in the ctl process (never in a supervisor: it reads the files
 * synchronously, log-read.ts): print to stdout; follow until SIGINT or SIGTERM, or until
 * stdout's reader has gone (`| head`, `| grep -m1`: said by a failed write, or by poll while idle).
 */
async function printLogs(sources: readonly LogSource[], lines: number, follow: boolean): Promise<string | null> {
  const stop = new AbortController();
  const interrupted = () => stop.abort();
  process.on("SIGINT", interrupted);
  process.on("SIGTERM", interrupted);
  let problem: string | null = null;
  const write = (bytes: Uint8Array) => {
    if (stop.signal.aborted) return;
    let at = 0;
    while (at < bytes.length) {
      try {
        at += writeSync(1, bytes, at);
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") {
          Bun.sleepSync(1);
          continue;
        }
        stop.abort(); // stdout is gone (EPIPE): nobody reads any more
        return;
      }
    }
  };
  // Following, nothing may be written for a long time: the reader's end is looked at meanwhile.
  const watch = follow ? setInterval(() => { if (readerGone(1)) stop.abort(); }, READER_WATCH_MS) : null;
  try {
    await showLogs({
      sources, lines, follow, write, signal: stop.signal,
      onMissed: (s) => {
        try {
          writeSync(2, `lazarus: ctl: ${s.name}: lines may have been missed (its files rotated faster than they were read)\n`);
        } catch { /* stderr is gone */ }
      },
    });
  } catch (e) {
    problem = `cannot read the logs: ${(e as Error).message}`;
  } finally {
    if (watch !== null) clearInterval(watch);
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
  }
  return problem;
}
