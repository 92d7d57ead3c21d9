// The few libc calls Bun does not offer, through bun:ffi: a boot-relative
// monotonic clock, waitpid on one pid, execve, prctl, and pipe2/fcntl for the
// output pipes that must survive a re-exec. See BUN-NOTES.md.
import { dlopen, FFIType, ptr, read, type Pointer } from "bun:ffi";

const SYMBOLS = {
  clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  pthread_sigmask: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  sigaction: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
} as const;

type Lib = ReturnType<typeof dlopen<typeof SYMBOLS>>;

let lib: Lib | null = null;

function libc(): Lib["symbols"] {
  if (lib === null) {
    let lastError: unknown = null;
    for (const name of ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"]) {
      try {
        lib = dlopen(name, SYMBOLS);
        break;
      } catch (e) {
        lastError = e;
      }
    }
    if (lib === null) throw new Error(`cannot load libc through bun:ffi: ${String(lastError)}`);
  }
  return lib.symbols;
}

function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : read.i32(p, 0);
}

export function strerror(code: number): string {
  return String(libc().strerror(code));
}

const CLOCK_MONOTONIC = 1;

/** CLOCK_MONOTONIC in milliseconds: time since boot, the same in every process and across exec. */
export function monotonicMs(): number {
  const ts = new BigInt64Array(2);
  if (libc().clock_gettime(CLOCK_MONOTONIC, ptr(ts)) !== 0) throw new Error(`clock_gettime: ${strerror(errno())}`);
  return Number(ts[0]) * 1000 + Number(ts[1]) / 1e6;
}

export const WNOHANG = 1;
export const ECHILD = 10;
export const EINTR = 4;

export type WaitResult =
  | { readonly kind: "running" }
  | { readonly kind: "ended"; readonly status: number }
  | { readonly kind: "error"; readonly errno: number };

/** waitpid(pid, &status, WNOHANG) on one known pid. Never call this with -1 (BUN-NOTES). */
export function waitpidNoHang(pid: number): WaitResult {
  if (!(pid > 0)) throw new RangeError(`waitpid on a non-positive pid ${pid}`);
  const status = new Int32Array(1);
  for (;;) {
    const r = libc().waitpid(pid, ptr(status), WNOHANG);
    if (r === pid) return { kind: "ended", status: status[0] as number };
    if (r === 0) return { kind: "running" };
    const e = errno();
    if (e === EINTR) continue;
    return { kind: "error", errno: e };
  }
}

/** Decode a wait status: exit code or terminating signal; null for stopped/continued. */
export function decodeWaitStatus(status: number): { code: number } | { signal: number } | null {
  const sig = status & 0x7f;
  if (sig === 0) return { code: (status >> 8) & 0xff };
  if (sig !== 0x7f && status !== 0xffff) return { signal: sig };
  return null;
}

function cstring(s: string): Buffer {
  return Buffer.from(`${s}\0`, "utf8");
}

/** A NULL-terminated char*[] (keeps its buffers referenced through `keep`). */
function cstringArray(items: readonly string[], keep: unknown[]): BigUint64Array {
  const arr = new BigUint64Array(items.length + 1);
  items.forEach((s, i) => {
    const b = cstring(s);
    keep.push(b);
    arr[i] = BigInt(ptr(b));
  });
  keep.push(arr);
  return arr;
}

/** execve(path, argv, envp): returns only on failure, with the reason. */
export function execve(path: string, argv: readonly string[], env: Readonly<Record<string, string>>): string {
  const keep: unknown[] = [];
  const file = cstring(path);
  const a = cstringArray(argv, keep);
  const e = cstringArray(Object.entries(env).map(([k, v]) => `${k}=${v}`), keep);
  libc().execve(ptr(file), ptr(a), ptr(e));
  const code = errno();
  void keep;
  return `execve ${path}: ${strerror(code)} (errno ${code})`;
}

const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;

function sigset(signals: readonly number[]): BigUint64Array {
  const set = new BigUint64Array(16); // glibc's sigset_t: 1024 bits
  for (const s of signals) set[Math.floor((s - 1) / 64)]! |= 1n << BigInt((s - 1) % 64);
  return set;
}

/** A saved signal disposition (glibc's struct sigaction, kept opaque; 256 bytes covers every port). */
export type SavedAction = { readonly signal: number; readonly buf: BigUint64Array };

const SIG_IGN = 1n;

/** Set the signals to SIG_IGN, returning what they were (for restoreSignals). */
export function ignoreSignals(signals: readonly number[]): SavedAction[] {
  return signals.map((signal) => {
    const ign = new BigUint64Array(32);
    ign[0] = SIG_IGN; // sa_handler is the first field on every Linux port
    const old = new BigUint64Array(32);
    libc().sigaction(signal, ptr(ign), ptr(old));
    return { signal, buf: old };
  });
}

/** Was this signal ignored (SIG_IGN) when we looked? (e.g. SIGHUP under nohup) */
export function signalIgnored(signal: number): boolean {
  const old = new BigUint64Array(32);
  libc().sigaction(signal, null, ptr(old));
  return old[0] === SIG_IGN;
}

export function restoreSignals(saved: readonly SavedAction[]): void {
  for (const s of saved) libc().sigaction(s.signal, ptr(s.buf), null);
}

/**
 * Block or unblock signals in the calling (JavaScript) thread. The mask
 * survives execve, and a blocked signal that arrives stays pending: this is how
 * a signal sent while lazarus re-executes itself waits for the new image's
 * handler instead of killing it (see BunPort.exec).
 */
export function maskSignals(how: "block" | "unblock", signals: readonly number[]): void {
  libc().pthread_sigmask(how === "block" ? SIG_BLOCK : SIG_UNBLOCK, ptr(sigset(signals)), null);
}

const PR_SET_CHILD_SUBREAPER = 36;

/** Become a child subreaper: orphaned descendants are reparented to us. */
export function setChildSubreaper(): string | null {
  const r = libc().prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n);
  return r === 0 ? null : `prctl(PR_SET_CHILD_SUBREAPER): ${strerror(errno())}`;
}

const O_CLOEXEC = 0o2000000;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/**
 * pipe2(O_CLOEXEC): a pipe lazarus owns (not Bun), so that a child writing to
 * it survives a re-exec of lazarus (BUN-NOTES: exec'ing yourself). Both ends
 * are close-on-exec; Bun.spawn dup2s the write end onto the child's stdout or
 * stderr, which clears the flag there only.
 */
export function makePipe(): { readonly read: number; readonly write: number } | { readonly error: string } {
  const fds = new Int32Array(2);
  if (libc().pipe2(ptr(fds), O_CLOEXEC) !== 0) {
    const code = errno();
    return { error: `pipe2: ${strerror(code)} (errno ${code})` };
  }
  return { read: fds[0] as number, write: fds[1] as number };
}

/** Set or clear FD_CLOEXEC on fd (an fd handed across a re-exec must have it cleared); null or the reason it failed. */
export function setCloseOnExec(fd: number, on: boolean): string | null {
  const flags = libc().fcntl(fd, F_GETFD, 0);
  if (flags < 0 || libc().fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) < 0) {
    return `fcntl(${fd}, F_SETFD): ${strerror(errno())}`;
  }
  return null;
}

/** Whether FD_CLOEXEC is set on fd; null when fd is not open. */
export function isCloseOnExec(fd: number): boolean | null {
  const flags = libc().fcntl(fd, F_GETFD, 0);
  return flags < 0 ? null : (flags & FD_CLOEXEC) !== 0;
}

export type { Pointer };
