// The private sd_notify socket of lazarus's servers (issue 14): an AF_UNIX
// datagram socket at a path in lazarus's private control directory, named to
// servers by NOTIFY_SOCKET, so that programs written for systemd's sd_notify
// (libsystemd, systemd-notify, a python socket.sendto) work unchanged.
//
// Mechanics only: each datagram is handed over with its sender's pid (from the
// kernel: SO_PASSCRED, so no sender can claim another's pid) and that pid's
// process group, read at once; what the datagram means is notify-message.ts's
// business and what to do with it the core's.
//
// Never blocks the event loop: a Worker thread does the blocking reads
// (notify-worker.ts). Bounded: a datagram over MAX_BYTES is dropped, and so is
// one that finds QUEUE_MAX on their way to the main thread already; both are
// counted (dropped(), and onDropped when the count grows). The socket never
// keeps the process alive.
//
// Never a datagram sent before the spawn of the process that now has its
// sender's pid (a pid handed out again): BunPort calls markSpawn before each
// spawn and spawned after it (spawn-marks.ts says how). The marks go on with
// the socket when it is handed over: marks() for the next reader, in this
// image (an exec called off or failed: the same table) or in the new one
// (spawn-marks-carry.ts).
//
// Across a re-exec the socket is handed over (handOver: the fd, not
// close-on-exec) rather than closed: it stays bound all along, so a datagram a
// server sends during the exec waits in the kernel for the new image instead
// of being refused, and none queued is lost.
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { decodeBytes } from "../text/bytes.ts";
import {
  bindSocket, closeFd, datagramBound, datagramSocket, fchmod, passCredentials, sendDatagram, setCloseOnExec, shutdownRead, socketName,
} from "./libc.ts";
import {
  CLOSE, CLOSED, IN_FLIGHT, MARK_READ, MARKER_BYTES, MARKER_MAGIC, NOTIFY_WORKER_SOURCE, OVERFLOW, OVERSIZE, READING, SHARED_INTS, STATE, STOP, STOPPED,
  type WorkerMessage,
  type WorkerStart,
} from "./notify-worker.ts";
import { fdRoom } from "./shortage.ts";
import { after, SpawnMarks } from "./spawn-marks.ts";
import { unixAddress } from "./unix-address.ts";

/** The largest datagram taken (systemd reads at most PIPE_BUF = 4096 bytes of one too). */
export const MAX_BYTES = 4096;
/** How many datagrams may be on their way to the main thread at once. */
export const QUEUE_MAX = 1024;
/** How long handOver waits for the reader thread to stop (it stops at once unless it has not started). */
const HANDOVER_WAIT_MS = 200;
/**
 * At most this many spawn markers go into the socket while it is quiesced for a re-exec (nobody reads them
 * then, and each takes a place in the queue that a server's datagram could have had); the spawns after them
 * are given the last marker sent.
 */
export const QUIESCED_MARKERS = 4;

/** The spawn marks a reader of a handed-over socket goes on from (NotifySocket.marks). */
export interface MarksHandover {
  /** The markers' nonce: those of it still queued are read as this reader's own. */
  readonly nonce: number;
  readonly table: SpawnMarks;
  /** The last marker the reader before read: what is still queued is stamped from it on. */
  readonly read: number;
  /**
   * In the same image: the earliest stamp of a datagram the reader before posted and the main thread has
   * not handled yet (null: none can come any more), so that the entries it needs are not swept.
   */
  readonly pending?: () => number | null;
}

/** One datagram: its text (bytes as bytes.ts carries them), its sender's pid and that process's group (null when unknown). */
export interface NotifyDatagram {
  readonly pid: number | null;
  readonly pgid: number | null;
  readonly text: string;
  /** How many datagrams had been dropped before this one was read (dropped() as of then). */
  readonly droppedBefore: number;
}

export interface NotifyOptions {
  /** A problem of the socket's own (the reader thread failed): one line. */
  readonly onProblem?: (text: string) => void;
  /** A datagram was not handed over: sent before the spawn of the process that now has its sender's pid (its sender ended). */
  readonly onStale?: (pid: number | null, text: string) => void;
  /** The count of dropped datagrams grew (to `total`): told when the next message gets through, or at once for an oversize one. */
  readonly onDropped?: (total: number) => void;
  /** After a re-exec: the fd the old image handed over; taken when it is bound at `path`, closed otherwise. */
  readonly fd?: number;
  /** With `fd`: the spawn marks of its reader before (used only when `fd` is taken: a socket bound anew starts afresh). */
  readonly marks?: MarksHandover;
  readonly maxBytes?: number;
  readonly queueMax?: number;
}

export interface NotifySocket {
  readonly path: string;
  /** Datagrams dropped so far: too large, or more than the queue toward the main thread holds. */
  dropped(): number;
  /** Stop reading, close the fd (the reader thread does, as it wakes) and remove the path. Idempotent. */
  close(): void;
  /**
   * For a re-exec: stop reading (every datagram not yet read stays queued in
   * the socket) and return the fd, with close-on-exec cleared, for the new
   * image's openNotifySocket({ fd }); or why not (the socket is then closed).
   * Waits a bounded time for the reader thread: call it just before execve.
   */
  handOver(): number | string;
  /**
   * Before a re-exec: stop reading (what is not read yet stays queued in the
   * socket, for the new image) and let what the reader thread has read reach
   * the listener first. Resolves once it has (true), or after `timeoutMs`
   * (false: the rest may still come). handOver follows (a re-exec called off:
   * BunPort hands the fd to a new reader of its own). Markers are still sent
   * then, a few (QUIESCED_MARKERS): they wait in the queue for the next reader.
   */
  quiesce(timeoutMs: number): Promise<boolean>;
  /** Whether quiesce has stopped the reader thread (a re-exec that is called off needs a new one: BunPort reopens the socket). */
  readonly quiesced: boolean;
  /**
   * Just before a spawn: send a marker through the socket; its number for
   * spawned(); when it could not be sent (the queue is full), or beyond
   * QUIESCED_MARKERS while quiesced, the last marker that was (an earlier
   * boundary); null when there is none (that spawn's datagrams are then taken
   * by their pid alone).
   */
  markSpawn(): number | null;
  /** The process spawned after marker `mark` has `pid`: no datagram sent before the marker counts for it. */
  spawned(pid: number, mark: number): void;
  /** Datagrams not handed over because they were sent before their sender's pid was spawned again (a process that ended). */
  stale(): number;
  /** The last spawn marker the reader thread has read (0: none yet): for tests and diagnostics. */
  markerRead(): number;
  /**
   * After handOver: the spawn marks for the socket's next reader (openNotifySocket's `marks`, or
   * spawn-marks-carry.ts for a new image); null when the reader thread has not stopped (handOver's wait ran
   * out): it may still read a marker, which the next reader would then never see, and take the datagrams
   * of that spawn for older than they are. The next reader then starts afresh.
   */
  marks(): MarksHandover | null;
  /** Settles once the reader thread has let go of the fd (after close or handOver). */
  readonly finished: Promise<void>;
}

let workerUrl: string | null = null;

/**
 * Bind the notify socket at `path` (a stale socket there is removed first; the
 * socket is made 0600) and read it from a Worker thread; or a one-line reason.
 */
export function openNotifySocket(path: string, onMessage: (m: NotifyDatagram) => void, opts: NotifyOptions = {}): NotifySocket | string {
  if (path.startsWith("@")) return `notify socket ${JSON.stringify(path)}: a filesystem path is needed, not an abstract name`;
  const address = unixAddress(path);
  if (typeof address === "string") return `notify socket: ${address}`;
  let fd = opts.fd !== undefined ? adopt(opts.fd, address) : null;
  const marks = fd === null ? undefined : opts.marks;
  if (fd === null) {
    const made = bindNew(path, address);
    if (typeof made === "string") return made;
    fd = made;
  }
  return start(path, fd, onMessage, opts, marks);
}

/** The handed-over fd when it is the socket bound at `address` (close-on-exec again); else it is closed. */
function adopt(fd: number, address: Uint8Array): number | null {
  const name = socketName(fd);
  const same = name !== null && sunPath(name) === sunPath(address);
  if (same && setCloseOnExec(fd, true) === null) return fd;
  if (name !== null) closeFd(fd);
  return null;
}

/** The path bytes of a sockaddr_un, up to its NUL. */
function sunPath(address: Uint8Array): string {
  const bytes = address.subarray(2);
  const nul = bytes.indexOf(0);
  return Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul)).toString("latin1");
}

function bindNew(path: string, address: Uint8Array): number | string {
  const stale = staleProblem(path, address);
  if (stale !== null) return stale;
  const fd = datagramSocket(true);
  if (typeof fd === "string") return `notify socket ${path}: ${fd}`;
  // The mode the socket file is created with (less the umask), then again on the file: 0600 whatever the umask.
  const problem = fchmod(fd, 0o600) ?? bindSocket(fd, address) ?? chmodFile(path) ?? passCredentials(fd);
  if (problem !== null) {
    closeFd(fd);
    return `notify socket ${path}: ${problem}`;
  }
  return fd;
}

/**
 * Remove a socket left at `path` (by an earlier lazarus with this pid, killed); refuse anything else
 * there, and a socket still held open: another lazarus with this pid, in another PID namespace (two
 * containers whose lazarus is PID 1, sharing this directory), whose servers' READY=1 would come here.
 */
function staleProblem(path: string, address: Uint8Array): string | null {
  try {
    if (!lstatSync(path).isSocket()) return `notify socket ${path}: something that is not a socket is in the way`;
    if (datagramBound(address) === true) {
      return `notify socket ${path} is in use by a running process (a lazarus with the same pid in another PID namespace, ` +
        "a container sharing this directory?): give each its own directory (XDG_RUNTIME_DIR or TMPDIR)";
    }
    unlinkSync(path);
    return null;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return code === "ENOENT" ? null : `notify socket ${path}: ${(e as Error).message}`;
  }
}

function chmodFile(path: string): string | null {
  try {
    chmodSync(path, 0o600);
    return null;
  } catch (e) {
    return `chmod: ${(e as Error).message}`;
  }
}

function start(path: string, fd: number, onMessage: (m: NotifyDatagram) => void, opts: NotifyOptions, handed: MarksHandover | undefined): NotifySocket | string {
  const shared = new SharedArrayBuffer(4 * SHARED_INTS);
  const s = new Int32Array(shared);
  let worker: Worker;
  // A Worker makes its own event loop at its start, which Bun 1.4.5 does not survive without two free
  // file descriptors (the whole process ends: shortage.ts): not asked for without room.
  const room = fdRoom();
  if (room !== null) {
    closeFd(fd);
    return `notify socket ${path}: cannot start its reader thread: ${room}`;
  }
  try {
    workerUrl ??= URL.createObjectURL(new Blob([NOTIFY_WORKER_SOURCE], { type: "application/javascript" }));
    worker = new Worker(workerUrl);
  } catch (e) {
    closeFd(fd);
    return `notify socket ${path}: cannot start its reader thread: ${(e as Error).message}`;
  }
  // The reader thread never keeps lazarus alive (it blocks in poll for ever otherwise).
  worker.unref();
  let open = true;
  /**
   * Datagrams the reader posted still reach the listener after a handOver (the image goes on if the exec
   * fails or is called off: they were read out of the socket, and are nobody else's), not after close.
   */
  let delivering = true;
  let reported = 0;
  let stale = 0;
  const marks = handed?.table ?? new SpawnMarks();
  // What is still queued was read after the reader before's last marker: stamped from it on.
  Atomics.store(s, MARK_READ, handed?.read ?? 0);
  /** The stamp of the last datagram handed to this thread: those still to come are stamped as late or later. */
  let handledMark = handed?.read ?? 0;
  /** The reader before's datagrams still on their way to this thread (same image), until none can come. */
  let before = handed?.pending ?? null;
  const nonce = handed?.nonce ?? ((Math.random() * 0x7fffffff) | 0 || 1);
  /** Markers sent while quiesced. */
  let quiescedMarkers = 0;
  /** The earliest stamp of a datagram still to reach this thread, from this reader or one before; null when none can come. */
  const pending = (): number | null => {
    const state = Atomics.load(s, STATE);
    const finishedReading = state === STOPPED || state === CLOSED;
    let own: number | null = Atomics.load(s, IN_FLIGHT) > 0 ? handledMark : finishedReading ? null : Atomics.load(s, MARK_READ);
    const older = before?.() ?? null;
    if (older === null) before = null;
    else if (own === null || after(own, older)) own = older;
    return own;
  };
  const marker = new Int32Array([MARKER_MAGIC, nonce, 0]);
  const markerBytes = new Uint8Array(marker.buffer, 0, MARKER_BYTES);
  const ownAddress = unixAddress(path);
  let markerFd: number | null = null;
  let resolveFinished = () => {};
  const finished = new Promise<void>((resolve) => { resolveFinished = resolve; });
  const dropped = () => Atomics.load(s, OVERSIZE) + Atomics.load(s, OVERFLOW);
  const checkDropped = () => {
    const total = dropped();
    if (total > reported) {
      reported = total;
      opts.onDropped?.(total);
    }
  };
  worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
    const m = event.data;
    switch (m.kind) {
      case "datagram":
        Atomics.sub(s, IN_FLIGHT, 1);
        handledMark = m.mark;
        if (!delivering) return;
        checkDropped();
        if (marks.sentBefore(m.mark, m.pid, m.pgid)) {
          stale++;
          opts.onStale?.(m.pid, decodeBytes(m.bytes));
          return;
        }
        onMessage({ pid: m.pid, pgid: m.pgid, text: decodeBytes(m.bytes), droppedBefore: m.dropped });
        return;
      case "dropped":
        Atomics.sub(s, IN_FLIGHT, 1);
        if (open) checkDropped();
        return;
      case "problem":
        if (open) opts.onProblem?.(m.text);
        return;
      case "finished":
        resolveFinished();
        return;
    }
  };
  worker.onerror = (event: ErrorEvent) => {
    if (open) opts.onProblem?.(`notify socket ${path}: its reader thread failed: ${event.message}`);
    resolveFinished();
  };
  const init: WorkerStart = { fd, shared, maxBytes: opts.maxBytes ?? MAX_BYTES, queueMax: opts.queueMax ?? QUEUE_MAX, nonce };
  worker.postMessage(init);

  const removePath = () => {
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch { /* gone already */ }
  };
  const closeMarker = () => {
    if (markerFd !== null) closeFd(markerFd);
    markerFd = null;
  };
  let quiesced = false;
  /** Tell the reader thread to stop, leaving the fd open and what it has not read queued, and wake its poll. */
  const stopReading = () => {
    if (Atomics.load(s, STATE) !== READING) return;
    Atomics.store(s, STATE, STOP);
    // Wake its poll with a datagram of no bytes from ourselves (which a reader skips: no server has our pid).
    // The worker then leaves every datagram queued; if the send fails, the queue is not empty, so poll is not waiting.
    const waker = datagramSocket(true);
    if (typeof waker === "number") {
      if (typeof ownAddress !== "string") sendDatagram(waker, new Uint8Array(0), ownAddress);
      closeFd(waker);
    }
  };
  return {
    path,
    dropped,
    finished,
    stale: () => stale,
    markerRead: () => Atomics.load(s, MARK_READ),
    markSpawn() {
      if (!open || typeof ownAddress === "string") return null;
      // The last marker sent is an earlier boundary than this spawn's: safe, if less sharp.
      const earlier = () => (marks.lastSent === 0 ? null : marks.lastSent);
      // Quiesced (a re-exec being prepared), nobody reads them, but they go into the queue at their place all the
      // same: the next reader (the new image's, or this one's again) reads them there. A few only (see QUIESCED_MARKERS).
      if (quiesced && quiescedMarkers >= QUIESCED_MARKERS) return earlier();
      if (markerFd === null) {
        const fd = datagramSocket(true);
        if (typeof fd === "string") return earlier();
        markerFd = fd;
      }
      const mark = marks.next();
      marker[2] = mark;
      if (sendDatagram(markerFd, markerBytes, ownAddress) !== null) return earlier();
      marks.sent(mark);
      if (quiesced) quiescedMarkers++;
      return mark;
    },
    spawned(pid, mark) {
      // How far no stamp before can still arrive: the last one handled here; or, when nothing is on its way to
      // this thread, the last marker read (whatever was read before it was posted before it was stored: handled);
      // or earlier still, what a reader before (an exec called off) posted and this thread has not handled yet.
      marks.spawned(pid, mark, pending() ?? Atomics.load(s, MARK_READ));
    },
    marks: () => (Atomics.load(s, STATE) === STOPPED ? { nonce, table: marks, read: Atomics.load(s, MARK_READ), pending } : null),
    close() {
      if (!open) return;
      open = false;
      delivering = false;
      closeMarker();
      // The reader thread closes the fd as it wakes (shutdown wakes its poll): never this thread,
      // while the other may still be about to read it (a reused fd number would be read instead).
      // Once it has stopped (quiesce), it has let go of the fd: closed here; once it has closed it
      // (CLOSED: it ended on a failure of its own), nothing is left to close.
      for (;;) {
        const now = Atomics.load(s, STATE);
        if (now === CLOSED) break;
        if (Atomics.compareExchange(s, STATE, now, CLOSE) !== now) continue;
        if (now === STOPPED) closeFd(fd);
        else if (now === READING) shutdownRead(fd);
        // (STOP: it was woken already, and closes the fd as it ends, seeing CLOSE)
        break;
      }
      removePath();
    },
    get quiesced() {
      return quiesced;
    },
    async quiesce(timeoutMs) {
      if (!open) return true;
      quiesced = true;
      stopReading();
      // The reader's "finished" comes after every datagram it posted (messages keep their order): once it is
      // handled here, so are they.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
      const done = await Promise.race([finished.then(() => true as const), timedOut]);
      clearTimeout(timer);
      return done;
    },
    handOver() {
      if (!open) return `notify socket ${path}: closed already`;
      open = false;
      closeMarker();
      stopReading();
      Atomics.wait(s, STATE, STOP, HANDOVER_WAIT_MS);
      // It ended on a failure of its own and closed the fd: that number may be another file's by now.
      if (Atomics.load(s, STATE) === CLOSED) {
        removePath();
        return `notify socket ${path}: its reader thread had ended and closed it`;
      }
      const problem = setCloseOnExec(fd, false);
      if (problem !== null) {
        shutdownRead(fd);
        closeFd(fd);
        removePath();
        return `notify socket ${path}: ${problem}`;
      }
      return fd;
    },
  };
}
