// The control socket's transport: a Unix domain socket speaking newline-
// delimited JSON, hardened against hostile clients. It knows nothing of the
// requests' meaning: each complete line goes to the handler, whose replies are
// written back. Limits: lines are capped, so are clients, unread output and idle
// time; a client over a limit gets one error line and is disconnected, and
// nothing it does reaches the supervisor beyond its (well-formed) lines.
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Socket, UnixSocketListener } from "bun";
import { socketPid } from "../control/path.ts";
import { messageOf } from "../core/values.ts";

export const MAX_LINE = 64 * 1024;
export const MAX_CLIENTS = 512;
export const MAX_UNREAD = 1024 * 1024;
export const IDLE_SECONDS = 30;

export type RequestHandler = (line: string, respond: (reply: string) => void) => void;

export interface ControlServer {
  readonly path: string;
  close(): void;
}

interface Client {
  buf: string;
  out: string[];
  outBytes: number;
  closed: boolean;
}

/**
 * Make `dir` a private directory of ours (mode 0700), or say why it is not.
 * `strict`: an existing directory must already be private (the default place).
 */
export function privateDir(dir: string, strict: boolean): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (!st.isDirectory()) return `${dir} is not a directory`;
    if (strict && typeof process.getuid === "function" && st.uid !== process.getuid()) return `${dir} belongs to uid ${st.uid}, not to us`;
    if (strict && (st.mode & 0o077) !== 0) return `${dir} is not private (mode ${(st.mode & 0o777).toString(8)}; it must be 700)`;
    return null;
  } catch (e) {
    return `cannot create ${dir}: ${messageOf(e)}`;
  }
}

/** Is something answering on this socket? (A live supervisor is never robbed of it.) */
async function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: boolean) => {
      if (!done) { done = true; resolve(v); }
    };
    const t = setTimeout(() => finish(true), 1000); // it exists but does not answer: treat as live, never steal
    Bun.connect({ unix: path, socket: { open: (s) => { clearTimeout(t); s.end(); finish(true); }, connectError: () => { clearTimeout(t); finish(false); }, data: () => {}, error: () => {} } })
      .catch(() => { clearTimeout(t); finish(false); });
  });
}

/**
 * In the default directory: remove the sockets of supervisors that are gone
 * (their pid no longer exists and nothing answers on them). A socket that
 * answers, or whose process still exists, is never touched.
 */
export async function cleanStaleSockets(dir: string, own: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  await Promise.all(names.map(async (name) => {
    const pid = socketPid(name);
    const path = join(dir, name);
    if (pid === null || path === own || pidExists(pid)) return;
    if (await answers(path)) return;
    try {
      unlinkSync(path);
    } catch { /* gone meanwhile */ }
  }));
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

export async function listenControl(path: string, strictDir: boolean, handler: RequestHandler): Promise<ControlServer | string> {
  const dirProblem = privateDir(dirname(path), strictDir);
  if (dirProblem !== null) return `control socket: ${dirProblem}`;
  if (strictDir) await cleanStaleSockets(dirname(path), path);
  let exists = false;
  try {
    const st = lstatSync(path);
    exists = true;
    if (!st.isSocket()) return `control socket: ${path} exists and is not a socket`;
  } catch { /* absent: fine */ }
  if (exists) {
    if (await answers(path)) return `control socket ${path} is in use by a running lazarus; choose another with --control=PATH, or --control=none`;
    try {
      unlinkSync(path); // stale: its supervisor is gone
    } catch (e) {
      return `control socket: cannot remove the stale ${path}: ${messageOf(e)}`;
    }
  }

  const clients = new Set<Socket<Client>>();
  const write = (s: Socket<Client>, text: string): void => {
    const c = s.data;
    if (c.closed) return;
    if (c.out.length > 0) {
      c.out.push(text);
      c.outBytes += text.length;
    } else {
      const n = s.write(text);
      if (n < text.length) {
        c.out.push(text.slice(Math.max(0, n)));
        c.outBytes += text.length - Math.max(0, n);
      }
    }
    if (c.outBytes > MAX_UNREAD) {
      c.closed = true;
      s.end(); // it does not read its replies
    }
  };
  const refuse = (s: Socket<Client>, message: string): void => {
    write(s, `${JSON.stringify({ ok: false, error: message })}\n`);
    s.data.closed = true;
    s.end();
  };

  const oldMask = process.umask(0o177); // the socket is created 0600: no window with looser rights
  let listener: UnixSocketListener<Client>;
  try {
    listener = Bun.listen<Client>({
      unix: path,
      socket: {
        open(s) {
          s.data = { buf: "", out: [], outBytes: 0, closed: false };
          if (clients.size >= MAX_CLIENTS) return refuse(s, `too many clients (${MAX_CLIENTS})`);
          clients.add(s);
          s.timeout(IDLE_SECONDS);
        },
        data(s, chunk) {
          const c = s.data;
          if (c.closed) return;
          c.buf += chunk.toString("utf8");
          for (let nl = c.buf.indexOf("\n"); nl >= 0 && !c.closed; nl = c.buf.indexOf("\n")) {
            const line = c.buf.slice(0, nl).replace(/\r$/, "");
            c.buf = c.buf.slice(nl + 1);
            if (line.length > MAX_LINE) return refuse(s, `request line too long (over ${MAX_LINE} bytes)`);
            if (line.trim() === "") continue;
            handler(line, (reply) => write(s, `${reply}\n`));
          }
          if (c.buf.length > MAX_LINE) refuse(s, `request line too long (over ${MAX_LINE} bytes)`);
        },
        drain(s) {
          const c = s.data;
          while (c.out.length > 0) {
            const text = c.out[0] as string;
            const n = s.write(text);
            if (n < text.length) {
              c.out[0] = text.slice(Math.max(0, n));
              c.outBytes -= Math.max(0, n);
              return;
            }
            c.out.shift();
            c.outBytes -= text.length;
          }
        },
        end(s) {
          // The client is done sending (it has its answer): let its slot go now,
          // not when the close is noticed, so a busy client never counts twice.
          s.data.closed = true;
          clients.delete(s);
          s.end();
        },
        timeout(s) {
          refuse(s, `idle for ${IDLE_SECONDS} s`);
        },
        close(s) {
          s.data.closed = true;
          clients.delete(s);
        },
        error(s) {
          s.data.closed = true;
          clients.delete(s);
        },
      },
    });
  } catch (e) {
    return `control socket ${path}: ${messageOf(e)}`;
  } finally {
    process.umask(oldMask);
  }
  try {
    chmodSync(path, 0o600);
  } catch { /* the umask already made it so */ }
  const ino = statSync(path).ino;
  return {
    path,
    close() {
      listener.stop(true);
      // Remove it only if it is still ours (not already replaced by a newer supervisor).
      try {
        if (statSync(path).ino === ino) unlinkSync(path);
      } catch { /* gone */ }
    },
  };
}
