// The control socket's transport: a Unix domain socket speaking newline-
// delimited JSON, hardened against hostile clients. It knows nothing of the
// requests' meaning: each line goes to the handler, whose replies are written
// back (a last line without a newline too, when the client closes its side
// after it: the reply is still delivered). Limits: what clients send is capped
// (line length, number of clients, idle time), so is what they leave unread;
// our own replies are not cut short (a status of 10,000 servers is a few MB),
// up to MAX_REPLY each and MAX_QUEUED for all clients together. A limit that
// bites sends one error line first; a client that broke one of its own is
// then disconnected. Nothing a client does reaches the supervisor beyond its
// (well-formed) lines. Requests are handled in turns of at most TURN_MS of the
// event loop (at least one request each), every client with requests waiting
// in turn, one request at a time; a client whose requests wait is not read
// from (the kernel holds the rest, and then the client waits): a client that
// sends thousands of costly requests at once (a reload of a thousand servers
// takes tens of ms) never holds supervision up, nor the other clients.
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Socket, UnixSocketListener } from "bun";
import { notifyPid, socketPid } from "../control/path.ts";
import { messageOf } from "../core/values.ts";
import { bindSocket, closeFd, datagramSocket } from "./libc.ts";
import type { ControlHandler } from "./port.ts";
import { unixAddress } from "./unix-address.ts";

export const MAX_REQUEST_LINE = 64 * 1024;
export const MAX_CLIENTS = 512;
/** Replies a client has not read yet: beyond this, it gets no more (one error line), and is disconnected once that is read. */
export const MAX_UNREAD = 1024 * 1024;
/** One reply: a status of 100,000 servers with long commands stays well under it. */
export const MAX_REPLY = 64 * 1024 * 1024;
/** Replies waiting to be read, all clients together: what a crowd of clients that do not read can cost. */
export const MAX_QUEUED = 256 * 1024 * 1024;
export const IDLE_SECONDS = 30;
/** Requests are handled for at most this long in one turn of the event loop (at least one is). */
export const TURN_MS = 10;

export interface Limits {
  readonly maxLine: number;
  readonly maxClients: number;
  readonly maxUnread: number;
  readonly maxReply: number;
  readonly maxQueued: number;
  readonly idleSeconds: number;
  readonly turnMs: number;
}

export const LIMITS: Limits = {
  maxLine: MAX_REQUEST_LINE, maxClients: MAX_CLIENTS, maxUnread: MAX_UNREAD, maxReply: MAX_REPLY, maxQueued: MAX_QUEUED, idleSeconds: IDLE_SECONDS, turnMs: TURN_MS,
};

export interface ControlServer {
  readonly path: string;
  close(): void;
}

interface Client {
  /** What it sent that is not a whole line yet (decoded as UTF-8, a character split across reads included). */
  buf: string;
  readonly decoder: TextDecoder;
  /** Bytes of replies not yet taken by the kernel, oldest first. */
  out: Uint8Array[];
  outBytes: number;
  /** Whole request lines read and not handled yet, oldest first (while there are any, it is not read from). */
  queue: string[];
  /** Requests handed to the handler and not answered yet. */
  waiting: number;
  /** No more requests are read from it: it closed its side, or broke a limit. */
  deaf: boolean;
  /** Its socket is closed once its replies are written (and none is awaited). */
  ending: boolean;
  /** A last error line is queued (a limit bit): nothing is written after it. */
  final: boolean;
  /** The socket is gone: nothing more can be written. */
  gone: boolean;
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
 * (their pid no longer exists and nothing answers on them), and their notify
 * sockets (PID.notify, sockets only). A socket that answers, or whose process
 * still exists, is never touched.
 */
export async function cleanStaleSockets(dir: string, own: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = notifyPid(name);
    const path = join(dir, name);
    if (pid === null || pidExists(pid)) continue;
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch { /* gone meanwhile */ }
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

export async function listenControl(path: string, strictDir: boolean, handler: ControlHandler, limits: Limits = LIMITS): Promise<ControlServer | string> {
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
  /** Clients with request lines waiting to be handled, in turn. */
  const turns = new Set<Socket<Client>>();
  let turnScheduled = false;
  /** Reply bytes waiting in every client's queue. */
  let queued = 0;
  const error = (message: string) => `${JSON.stringify({ ok: false, error: message })}\n`;

  /** Write what the kernel takes now; keep the rest, in order. */
  const flush = (s: Socket<Client>): void => {
    const c = s.data;
    while (c.out.length > 0 && !c.gone) {
      const bytes = c.out[0] as Uint8Array;
      const n = Math.max(0, s.write(bytes));
      c.outBytes -= n;
      queued -= n;
      if (n < bytes.length) {
        c.out[0] = bytes.subarray(n);
        return; // the kernel is full: drain() comes back
      }
      c.out.shift();
    }
    if (c.ending && c.waiting === 0 && c.queue.length === 0 && c.out.length === 0 && !c.gone) {
      c.ending = false;
      c.final = true; // nothing more is written
      s.end();
    }
  };
  const send = (s: Socket<Client>, text: string): void => {
    const c = s.data;
    if (c.gone) return;
    const bytes = Buffer.from(text, "utf8");
    c.out.push(bytes);
    c.outBytes += bytes.length;
    queued += bytes.length;
    if (c.out.length === 1) flush(s);
  };
  /** A reply of the handler: delivered whole, unless a limit bites (then one error line says which). */
  const reply = (s: Socket<Client>, text: string): void => {
    const c = s.data;
    if (c.gone || c.final) return;
    const size = Buffer.byteLength(text, "utf8") + 1;
    if (c.outBytes > limits.maxUnread) {
      // It does not read its replies: no more for it; it is told once it reads again, then disconnected.
      last(s, `more than ${limits.maxUnread} bytes of replies unread: disconnecting`);
    } else if (size > limits.maxReply) {
      send(s, error(`the reply is too large (${size} bytes; the limit is ${limits.maxReply})`));
    } else if (queued + size > limits.maxQueued) {
      send(s, error(`too many replies are waiting to be read by clients (${queued} bytes): try again later`));
    } else {
      send(s, `${text}\n`);
    }
  };
  /** A limit bit: one error line, the last thing it is sent; then the connection ends (replies still to come are not waited for). */
  const last = (s: Socket<Client>, message: string): void => {
    const c = s.data;
    if (c.gone || c.final) return;
    send(s, error(message));
    c.final = true;
    c.deaf = true;
    c.ending = true;
    c.waiting = 0;
    c.queue = [];
    flush(s);
  };
  /** A whole line read: refused at once if too long, else queued for its turn (and the client is not read from meanwhile). */
  const take = (s: Socket<Client>, line: string): void => {
    const c = s.data;
    if (line.length > limits.maxLine) return last(s, `request line too long (over ${limits.maxLine} bytes)`);
    if (line.trim() === "") return;
    c.queue.push(line);
    if (!turns.has(s)) {
      turns.add(s);
      try {
        s.pause();
      } catch { /* closing */ }
    }
    if (!turnScheduled) {
      turnScheduled = true;
      setImmediate(turn);
    }
  };
  /** One turn: a request of each waiting client after the other, round after round, until TURN_MS have passed (one at least). */
  const turn = (): void => {
    turnScheduled = false;
    const until = performance.now() + limits.turnMs;
    do {
      for (const s of [...turns]) {
        const c = s.data;
        const line = c.queue.shift();
        if (line !== undefined && !c.final && !c.gone) handle(s, line);
        if (c.queue.length === 0 || c.final || c.gone) {
          turns.delete(s);
          c.queue = [];
          if (!c.deaf && !c.gone) {
            try {
              s.resume();
            } catch { /* closing */ }
          }
          flush(s);
        } else {
          // To the back of the line: a turn cut short by time begins with the next client, not this one again.
          turns.delete(s);
          turns.add(s);
        }
        if (performance.now() >= until) break;
      }
    } while (turns.size > 0 && performance.now() < until);
    if (turns.size > 0 && !turnScheduled) {
      turnScheduled = true;
      setImmediate(turn);
    }
  };
  const handle = (s: Socket<Client>, line: string): void => {
    const c = s.data;
    c.waiting++;
    let answered = false;
    handler(line, (text) => {
      if (answered) return;
      answered = true;
      if (c.waiting > 0) c.waiting--;
      reply(s, text);
      flush(s);
    });
  };
  const gone = (s: Socket<Client>): void => {
    const c = s.data;
    if (c.gone) return;
    c.gone = true;
    clients.delete(s);
    turns.delete(s);
    c.queue = [];
    queued -= c.outBytes;
    c.out = [];
    c.outBytes = 0;
  };

  const oldMask = process.umask(0o177); // the socket is created 0600: no window with looser rights
  let listener: UnixSocketListener<Client>;
  try {
    listener = Bun.listen<Client>({
      unix: path,
      // A client may close its side as soon as it has sent its request: its reply still goes out.
      allowHalfOpen: true,
      socket: {
        open(s) {
          s.data = { buf: "", decoder: new TextDecoder(), out: [], outBytes: 0, queue: [], waiting: 0, deaf: false, ending: false, final: false, gone: false };
          if (clients.size >= limits.maxClients) return last(s, `too many clients (${limits.maxClients})`);
          clients.add(s);
          s.timeout(limits.idleSeconds);
        },
        data(s, chunk) {
          const c = s.data;
          if (c.deaf || c.gone) return;
          const from = c.buf.length;
          c.buf += c.decoder.decode(chunk, { stream: true });
          let start = 0;
          for (let nl = c.buf.indexOf("\n", from); nl >= 0 && !c.deaf; nl = c.buf.indexOf("\n", start)) {
            take(s, c.buf.slice(start, nl).replace(/\r$/, ""));
            start = nl + 1;
          }
          c.buf = c.deaf ? "" : c.buf.slice(start);
          if (c.buf.length > limits.maxLine) last(s, `request line too long (over ${limits.maxLine} bytes)`);
        },
        drain(s) {
          flush(s);
        },
        end(s) {
          // The client is done sending: a last line without a newline is a request too.
          // Its slot goes now (not when the close is noticed, so a busy client never
          // counts twice); its replies are still written, then the socket is closed.
          const c = s.data;
          clients.delete(s);
          if (!c.deaf) {
            const last = (c.buf + c.decoder.decode()).replace(/\r$/, "");
            c.buf = "";
            c.deaf = true;
            if (last.trim() !== "") take(s, last);
          }
          c.ending = true;
          flush(s);
        },
        timeout(s) {
          // A request the core has not answered yet (a rolling restart answers at its end), or one waiting for its turn: not idle.
          if ((s.data.waiting > 0 || s.data.queue.length > 0) && s.data.out.length === 0 && !s.data.gone) {
            s.timeout(limits.idleSeconds);
            return;
          }
          if (s.data.out.length > 0) {
            // Not even reading what it was sent: nothing more can be said to it.
            gone(s);
            s.terminate();
            return;
          }
          last(s, `idle for ${limits.idleSeconds} s`);
        },
        close(s) {
          gone(s);
        },
        error(s) {
          gone(s);
        },
      },
    });
  } catch (e) {
    return `control socket ${path}: ${messageOf(e)}${whyNoListen(path)}`;
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

/**
 * Why a socket cannot be made at `path` (", bind: No space left on device (ENOSPC)"), or "":
 * Bun.listen says only "Failed to listen at PATH". Found by binding a datagram socket there
 * (removed at once), which fails the same way: a full or read-only file system, no free
 * inode, no file descriptor left.
 */
function whyNoListen(path: string): string {
  const address = unixAddress(path);
  if (typeof address === "string") return `: ${address}`;
  const fd = datagramSocket(true);
  if (typeof fd === "string") return `: ${fd}`;
  try {
    const problem = bindSocket(fd, address);
    if (problem === null) {
      try { unlinkSync(path); } catch { /* gone */ }
      return "";
    }
    return `: ${problem}`;
  } finally {
    closeFd(fd);
  }
}
