// The thread that reads the notify socket (notify-socket.ts). Blocking reads
// must not run on the event loop, so a Worker does them: poll() until a
// datagram is there, then recvmsg() it (boundaries kept) with its sender's
// credentials, and post it to the main thread. Its source is a string run from
// a blob URL, so that it needs no file of its own next to a compiled binary
// (`bun build --compile` bundles only what is imported); it imports only
// bun:ffi and node:fs.
//
// Shared with the main thread (an Int32Array over a SharedArrayBuffer):
//   [STATE] 0 reading; 1 stop (a handover: leave the fd open and every datagram
//           queued in it); 2 close (close the fd); 3 stopped (set by the worker,
//           with Atomics.notify, once it will read no more, the fd left open:
//           whoever closes it then closes it itself); 4 closed (the same, the
//           worker having closed the fd: told to, or on a failure of its own).
//   [IN_FLIGHT] datagrams posted and not yet taken by the main thread;
//   [OVERSIZE] datagrams dropped for their size; [OVERFLOW] dropped because
//   IN_FLIGHT was at its bound; [MARK_READ] the sequence number of the last
//   spawn marker read (spawn-marks.ts): the main thread sets it before the
//   worker starts (0, or the last one an earlier reader of the socket read:
//   the stamp of what is still queued), the worker as it reads markers.
// A spawn marker: a datagram of MARKER_BYTES from lazarus itself (the kernel's
// credentials: no server can send one): MARKER_MAGIC, the image's nonce, the
// sequence number, 32-bit each. Taken here, never posted; one with another
// nonce (an earlier image's, handed across in the queue without its marks) is
// skipped. An image that took the marks over goes on with their nonce.
// Messages to the main thread: { kind: "datagram", pid, pgid, bytes, dropped (the drops before it), mark (the last marker read before it) } |
// { kind: "dropped" } | { kind: "problem", text } | { kind: "finished" }.

export const STATE = 0;
export const IN_FLIGHT = 1;
export const OVERSIZE = 2;
export const OVERFLOW = 3;
export const MARK_READ = 4;
export const SHARED_INTS = 5;

/** A spawn marker's size: MARKER_MAGIC, the image's nonce and the sequence number, 32-bit each (native byte order). */
export const MARKER_BYTES = 12;
export const MARKER_MAGIC = 0x6b6d7a6c;

export const READING = 0;
export const STOP = 1;
export const CLOSE = 2;
export const STOPPED = 3;
export const CLOSED = 4;

export interface WorkerStart {
  readonly fd: number;
  readonly shared: SharedArrayBuffer;
  readonly maxBytes: number;
  readonly queueMax: number;
  /** This image's markers carry it (a marker an earlier image sent, handed across in the queue, is not this image's). */
  readonly nonce: number;
}

export type WorkerMessage =
  | { readonly kind: "datagram"; readonly pid: number | null; readonly pgid: number | null; readonly bytes: Uint8Array; readonly dropped: number; readonly mark: number }
  | { readonly kind: "dropped" }
  | { readonly kind: "problem"; readonly text: string }
  | { readonly kind: "finished" };

export const NOTIFY_WORKER_SOURCE = `
const { dlopen, FFIType, ptr, read } = require("bun:ffi");
const { readFileSync } = require("node:fs");
const STATE = ${STATE}, IN_FLIGHT = ${IN_FLIGHT}, OVERSIZE = ${OVERSIZE}, OVERFLOW = ${OVERFLOW}, MARK_READ = ${MARK_READ};
const MARKER_BYTES = ${MARKER_BYTES}, MARKER_MAGIC = ${MARKER_MAGIC};
const READING = ${READING}, CLOSE = ${CLOSE}, STOPPED = ${STOPPED};
const POLLIN = 1, EINTR = 4, EAGAIN = 11;
const MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20, MSG_CMSG_CLOEXEC = 0x40000000;
const SOL_SOCKET = 1, SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
const CONTROL_BYTES = 256;
const SYMBOLS = {
  poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  recvmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
};
let lib = null;
for (const name of ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"]) {
  try { lib = dlopen(name, SYMBOLS).symbols; break; } catch {}
}
function errno() {
  const p = lib.__errno_location();
  return p === null ? 0 : read.i32(p, 0);
}
/** The process group of pid from /proc/PID/stat (the comm field may hold spaces and parentheses: read after the last one). */
function pgidOf(pid) {
  try {
    const text = readFileSync("/proc/" + pid + "/stat", "latin1");
    const g = Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[2]);
    return Number.isSafeInteger(g) && g > 0 ? g : null;
  } catch { return null; }
}
self.onmessage = (event) => {
  self.onmessage = null;
  const { fd, shared, maxBytes, queueMax, nonce } = event.data;
  const s = new Int32Array(shared);
  let closeFd = true;
  try {
    if (lib === null) { postMessage({ kind: "problem", text: "notify socket: cannot load libc in the reader thread" }); return; }
    closeFd = readAll(fd, s, maxBytes, queueMax, nonce);
  } finally {
    // Told to stop (a handover): the fd is left open, unless a close came meanwhile; after this, whoever closes
    // finds STOPPED and closes it itself (the main thread, with a compare-and-swap of its own). Closed here
    // (told to, or on a failure of its own): CLOSED, and nobody closes that number again.
    if (!closeFd && Atomics.compareExchange(s, STATE, ${STOP}, STOPPED) !== ${STOP}) closeFd = true;
    if (closeFd && lib !== null) {
      lib.close(fd);
      Atomics.store(s, STATE, ${CLOSED});
    } else {
      Atomics.store(s, STATE, STOPPED);
    }
    Atomics.notify(s, STATE);
    postMessage({ kind: "finished" });
  }
};
/** Read until told to stop; whether the fd is to be closed (not after a STOP: it is handed over). */
function readAll(fd, s, maxBytes, queueMax, nonce) {
  const buf = new Uint8Array(Math.max(maxBytes + 1, MARKER_BYTES));
  const words = new Int32Array(buf.buffer, 0, 3);
  // (0: none read yet; after a handover, the last one the reader before read: what is queued came after it)
  let mark = Atomics.load(s, MARK_READ);
  const control = new Uint8Array(CONTROL_BYTES);
  const view = new DataView(control.buffer);
  const iov = new BigUint64Array([BigInt(ptr(buf)), BigInt(buf.length)]);
  const msg = new BigUint64Array(7); // struct msghdr (56 bytes on 64-bit Linux)
  const pfd = new Int32Array([fd, POLLIN]); // struct pollfd: fd, events (and revents, 0)
  for (;;) {
    // Waiting happens in poll, which takes nothing: when told to stop, every datagram is still queued.
    if (Atomics.load(s, STATE) !== READING) break;
    const r = lib.poll(ptr(pfd), 1n, -1);
    if (Atomics.load(s, STATE) !== READING) break;
    if (r < 0) {
      const e = errno();
      if (e === EINTR) continue;
      postMessage({ kind: "problem", text: "notify socket: poll failed with errno " + e + "; no more notifications are read" });
      break;
    }
    msg[0] = 0n; msg[1] = 0n; // no sender address
    msg[2] = BigInt(ptr(iov)); msg[3] = 1n;
    msg[4] = BigInt(ptr(control)); msg[5] = BigInt(CONTROL_BYTES);
    msg[6] = 0n;
    const n = Number(lib.recvmsg(fd, ptr(msg), MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC));
    if (n < 0) {
      const e = errno();
      if (e === EINTR || e === EAGAIN) continue;
      postMessage({ kind: "problem", text: "notify socket: recvmsg failed with errno " + e + "; no more notifications are read" });
      break;
    }
    const flags = Number(msg[6] & 0xffffffffn);
    const controlLength = Math.min(CONTROL_BYTES, Number(msg[5]));
    // Control messages: the sender's credentials; and any fds it passed (FDSTORE=1), which lazarus
    // does not keep: closed at once (those that did not fit, MSG_CTRUNC, the kernel closed).
    let pid = null;
    for (let off = 0; off + 16 <= controlLength;) {
      const len = Number(view.getBigUint64(off, true));
      if (len < 16 || off + len > controlLength) break;
      const level = view.getInt32(off + 8, true);
      const type = view.getInt32(off + 12, true);
      if (level === SOL_SOCKET && type === SCM_CREDENTIALS && len >= 28) pid = view.getInt32(off + 16, true);
      if (level === SOL_SOCKET && type === SCM_RIGHTS) {
        for (let k = off + 16; k + 4 <= off + len; k += 4) lib.close(view.getInt32(k, true));
      }
      off += (len + 7) & ~7;
    }
    // The wake-up a handover sends: no bytes, from lazarus itself (no server can claim its pid: the kernel checks).
    if (pid === process.pid && n === 0) continue;
    // A spawn marker (of this image's: every datagram read from now on was sent after it).
    if (pid === process.pid && n === MARKER_BYTES && words[0] === MARKER_MAGIC) {
      if (words[1] === nonce) {
        mark = words[2];
        Atomics.store(s, MARK_READ, mark);
      }
      continue;
    }
    if (n > maxBytes || (flags & MSG_TRUNC) !== 0) {
      Atomics.add(s, OVERSIZE, 1);
      tell(s, queueMax, { kind: "dropped" });
      continue;
    }
    const sender = pid !== null && pid > 0 ? pid : null;
    // The group now: a short-lived sender (systemd-notify) may be gone, and its group with it, by the time the main thread looks.
    const message = { kind: "datagram", pid: sender, pgid: sender === null ? null : pgidOf(sender), bytes: buf.slice(0, n), dropped: 0, mark };
    message.dropped = Atomics.load(s, OVERSIZE) + Atomics.load(s, OVERFLOW);
    if (!tell(s, queueMax, message)) Atomics.add(s, OVERFLOW, 1);
  }
  return Atomics.load(s, STATE) !== ${STOP};
}
/** Post a message unless queueMax are on their way already. */
function tell(s, queueMax, message) {
  if (Atomics.load(s, IN_FLIGHT) >= queueMax) return false;
  Atomics.add(s, IN_FLIGHT, 1);
  postMessage(message);
  return true;
}
`;
