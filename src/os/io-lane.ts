// A lane for file-system calls that may block: one call at a time goes to
// Bun's thread pool, the others wait their turn here. Mechanics only.
//
// Why (measured on Bun 1.4.5, Linux, see test/os/log-file.test.ts): node:fs's
// callback functions (open, write, rename, stat, fstat, ftruncate, close,
// unlink, mkdir, read) run on a thread pool of max(CPUs, 2) threads
// (UV_THREADPOOL_SIZE changes it), never on the event loop. A call that hangs
// (a hung NFS server, a FIFO nobody reads, a disk that stopped answering)
// holds its thread; once every thread is held, *every* async file call of the
// process waits, the Sink's threaded writes among them. So the log files of
// one directory share one lane: whatever that directory does, it holds at most
// one pool thread, and the event loop itself is never held at all. (The price:
// files in one directory are written one call at a time; the disk is the
// limit there anyway, and a write takes a batch of lines.)
import { dirname, resolve } from "node:path";

type Job = () => void;

export class IoLane {
  private readonly waiting: Job[] = [];
  private busy = false;

  /** Calls waiting for their turn (each log file has at most one waiting). */
  get length(): number {
    return this.waiting.length + (this.busy ? 1 : 0);
  }

  /**
   * Run `start` when the lane is free; it must call `done` exactly once (from
   * a node:fs callback). Resolves with what it passed to `done`, or rejects
   * with the error.
   */
  run<T>(start: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolvePromise, reject) => {
      const job = () => {
        let finished = false;
        const done = (err: NodeJS.ErrnoException | null, value?: T) => {
          if (finished) return;
          finished = true;
          this.busy = false;
          this.next();
          if (err) reject(err);
          else resolvePromise(value as T);
        };
        try {
          start(done);
        } catch (e) {
          done(e as NodeJS.ErrnoException);
        }
      };
      this.waiting.push(job);
      this.next();
    });
  }

  private next(): void {
    if (this.busy) return;
    const job = this.waiting.shift();
    if (job === undefined) return;
    this.busy = true;
    job();
  }
}

const lanes = new Map<string, IoLane>();

/** The lane shared by every file in the directory of `path`. */
export function laneFor(path: string): IoLane {
  const dir = dirname(resolve(path));
  let lane = lanes.get(dir);
  if (lane === undefined) {
    lane = new IoLane();
    lanes.set(dir, lane);
  }
  return lane;
}
