// The few libc calls Bun does not offer, through bun:ffi: a boot-relative
// monotonic clock, waitpid on one pid, execve, prctl, and pipe2/fcntl for the
// output pipes that must survive a re-exec. See BUN-NOTES.md.
import { CString, dlopen, FFIType, type Pointer, ptr, read } from "bun:ffi";
import { encodeBytes } from "../text/bytes.ts";
import { LIMIT_RESOURCES, type Limit, type RunAs } from "../config/accounts.ts";
import { fdRoom } from "./shortage.ts";
import { vforkSpawner } from "./spawn-vfork.ts";

const SYMBOLS = {
  clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  pthread_sigmask: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  waitid: { args: [FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  posix_spawn: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  posix_spawnattr_init: { args: [FFIType.ptr], returns: FFIType.i32 },
  posix_spawnattr_destroy: { args: [FFIType.ptr], returns: FFIType.i32 },
  posix_spawnattr_setflags: { args: [FFIType.ptr, FFIType.i16], returns: FFIType.i32 },
  posix_spawnattr_setsigmask: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  posix_spawnattr_setsigdefault: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  posix_spawn_file_actions_init: { args: [FFIType.ptr], returns: FFIType.i32 },
  posix_spawn_file_actions_destroy: { args: [FFIType.ptr], returns: FFIType.i32 },
  posix_spawn_file_actions_adddup2: { args: [FFIType.ptr, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  posix_spawn_file_actions_addchdir_np: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  sigaction: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
  shutdown: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  fchmod: { args: [FFIType.i32, FFIType.u32], returns: FFIType.i32 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  isatty: { args: [FFIType.i32], returns: FFIType.i32 },
  poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  kill: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
  getpwnam: { args: [FFIType.ptr], returns: FFIType.ptr },
  getpwuid: { args: [FFIType.u32], returns: FFIType.ptr },
  getgrnam: { args: [FFIType.ptr], returns: FFIType.ptr },
  getgrgid: { args: [FFIType.u32], returns: FFIType.ptr },
  getgrouplist: { args: [FFIType.ptr, FFIType.u32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
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
/** waitpid's status word, and waitid's siginfo_t: one buffer each for every call (calls are synchronous), their pointers taken once. */
let waitStatus: { readonly buf: Int32Array; readonly ptr: Pointer } | null = null;
let waitInfo: { readonly buf: Int32Array; readonly ptr: Pointer } | null = null;

export function waitpidNoHang(pid: number): WaitResult {
  if (!(pid > 0)) throw new RangeError(`waitpid on a non-positive pid ${pid}`);
  if (waitStatus === null) {
    const buf = new Int32Array(1);
    waitStatus = { buf, ptr: ptr(buf) };
  }
  const status = waitStatus.buf;
  for (;;) {
    const r = libc().waitpid(pid, waitStatus.ptr, WNOHANG);
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

/** A NUL-terminated C string: the bytes `s` stands for (UTF-8, escaped bytes back as themselves: bytes.ts). */
function cstring(s: string): Buffer {
  const bytes = encodeBytes(s);
  const buf = Buffer.alloc(bytes.length + 1);
  buf.set(bytes, 0);
  return buf;
}

/** A NULL-terminated char*[] (keeps its buffers referenced through `keep`). */
function cstringArray(items: readonly string[], keep: unknown[]): BigUint64Array {
  // One buffer for all the strings (NUL-separated), not one each: it is made at every spawn.
  const encoded = items.map(encodeBytes);
  const buf = Buffer.alloc(encoded.reduce((n, b) => n + b.length + 1, 0));
  const arr = new BigUint64Array(items.length + 1);
  if (items.length > 0) {
    const base = BigInt(ptr(buf));
    let off = 0;
    for (let i = 0; i < encoded.length; i++) {
      const bytes = encoded[i] as Uint8Array;
      buf.set(bytes, off);
      arr[i] = base + BigInt(off);
      // By length, not by looking for the NUL: a string that holds one is cut there (as C
      // would see it), and the others still start where they should.
      off += bytes.length + 1;
    }
  }
  keep.push(buf, arr);
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

// --- spawning children ourselves ------------------------------------------------

/** What spawnChild answers when asked for the vfork spawner and it cannot be had. */
const ENOSYS = 38;
const EMFILE = 24;
const ECONNREFUSED = 111;

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM", 2: "ENOENT", 7: "E2BIG", 8: "ENOEXEC", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 23: "ENFILE", 24: "EMFILE",
  20: "ENOTDIR", 21: "EISDIR", 26: "ETXTBSY", 36: "ENAMETOOLONG", 40: "ELOOP",
};

export function errnoName(code: number): string {
  return ERRNO_NAMES[code] ?? `errno ${code}`;
}

export interface SpawnSpec {
  /** The program to execute: a path (relative ones are taken from `cwd`). */
  readonly path: string;
  /** Never changed once passed (argv and env): their marshalled forms are kept by identity. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** dup2(from, to) in the child, in order (e.g. a pipe's write end onto 1 and 2). */
  readonly dup2?: readonly (readonly [number, number])[];
  /** Whom the child runs as; lazarus's user when absent. Never changed once passed (marshalled once, kept by identity). */
  readonly runAs?: RunAs;
  /** Its resource limits; lazarus's when absent. Never changed once passed, as runAs. */
  readonly limits?: readonly Limit[];
}

/** The steps of spawn-child.c that say which failed (STEP_*), by number: what a spawn failure names. */
const SPAWN_STEPS: Readonly<Record<number, string>> = { 1: "setrlimit", 2: "setgroups", 3: "setgid", 4: "setuid", 5: "chdir" };

/** setgroups, setgid and setuid's system call numbers (the child makes the calls itself: spawn-child.c). */
const ID_CALLS: Readonly<Record<string, readonly [number, number, number]>> = { x64: [116, 106, 105], arm64: [159, 144, 146] };

/** RLIM_INFINITY. */
const UNLIMITED = 0xffffffffffffffffn;

/** The ids array of spawn-child.c for a RunAs (made once per object: launches keep theirs). */
const idsCache = new WeakMap<RunAs, Uint32Array>();

function marshalIds(r: RunAs): Uint32Array | null {
  let ids = idsCache.get(r);
  if (ids === undefined) {
    const calls = ID_CALLS[process.arch];
    if (calls === undefined) return null;
    ids = Uint32Array.from([...calls, r.uid, r.gid, r.groups.length, ...r.groups]);
    idsCache.set(r, ids);
  }
  return ids;
}

const limitsCache = new WeakMap<readonly Limit[], BigUint64Array>();

function marshalLimits(limits: readonly Limit[]): BigUint64Array {
  let a = limitsCache.get(limits);
  if (a === undefined) {
    const value = (v: number | null) => (v === null ? UNLIMITED : BigInt(v));
    a = BigUint64Array.from(limits.flatMap((l) => [BigInt(LIMIT_RESOURCES[l.name]), value(l.soft), value(l.hard)]));
    limitsCache.set(limits, a);
  }
  return a;
}

/**
 * What spawnChild says of a failure: the errno; the step of the child's that failed when it was one
 * of SPAWN_STEPS (the index of the limit for setrlimit); `reason`: why it was not even tried.
 */
export type SpawnFailure = { readonly errno: number; readonly step?: string; readonly index?: number; readonly reason?: string };

/** A failed spawn's step as a message says it ("setuid 65534", "setrlimit nofile 1024:1024"), or null for the exec itself. */
export function stepOf(f: SpawnFailure, s: Pick<SpawnSpec, "runAs" | "limits" | "cwd">): string | null {
  if (f.reason !== undefined) return f.reason;
  switch (f.step) {
    case undefined:
      return null;
    case "setrlimit": {
      const l = s.limits?.[f.index ?? -1];
      return l === undefined ? "setrlimit" : `setrlimit ${l.name} ${l.soft ?? "infinity"}:${l.hard ?? "infinity"}`;
    }
    case "setgroups":
      return `setgroups ${s.runAs?.groups.join(",") ?? ""}`;
    case "setgid":
      return `setgid ${s.runAs?.gid ?? ""}`;
    case "setuid":
      return `setuid ${s.runAs?.uid ?? ""}`;
    case "chdir":
      // (entered as the server's user: a directory root may enter and that user may not is EACCES, which says nothing
      // to an operator who looks as root without the uid)
      return `chdir ${s.cwd ?? ""}${s.runAs === undefined ? "" : ` as uid ${s.runAs.uid}`}`;
    default:
      return f.step;
  }
}

/**
 * posix_spawn a child in a new session, with every signal at its default
 * disposition and none blocked, whatever lazarus itself ignores or blocks (it
 * ignores the real-time signals, and blocks its own around a re-exec). Children
 * spawned here are not Bun's: no Bun machinery waits for them, so lazarus reaps
 * every child of its own with one waitid loop (BunPort.reap), servers and
 * orphans alike. Returns the pid or an errno.
 */
const NO_SIGNALS = sigset([]);
const ALL_SIGNALS = sigset(Array.from({ length: 64 }, (_, k) => k + 1));

/** The marshalled C strings of one spawn: kept alive as long as their pointers may be used. */
interface Marshalled {
  readonly ptr: Pointer;
  readonly keep: readonly unknown[];
}

/**
 * The marshalled environments and argvs of spawns. A server is spawned with
 * the same environment object (the plan computes it once: launch.ts) and the
 * same argv array again and again (the core hands it the server's own argv,
 * or that argv's one --respawn form: core/argv.ts), and marshalling ~40
 * variables is most of what lazarus itself does per spawn: so each is made
 * once, keyed by the object (never changed once made: SpawnRequest.env,
 * ServerSpec.argv), and forgotten with it.
 */
const envCache = new WeakMap<object, Marshalled>();

function marshalEnv(env: Readonly<Record<string, string>>): Marshalled {
  let m = envCache.get(env);
  if (m === undefined) {
    const keep: unknown[] = [];
    const arr = cstringArray(Object.entries(env).map(([k, v]) => `${k}=${v}`), keep);
    m = { ptr: ptr(arr), keep };
    envCache.set(env, m);
  }
  return m;
}

/**
 * The path and argv of a spawn as C strings, all in one buffer (kept by the
 * argv array, one per server: the char*[] first, then the words and the path,
 * each NUL-terminated).
 */
interface Words {
  readonly path: string;
  readonly pathPtr: Pointer;
  readonly argvPtr: Pointer;
  readonly keep: ArrayBuffer;
}

const argvCache = new WeakMap<readonly string[], Words>();

function marshalWords(path: string, argv: readonly string[]): Words {
  const seen = argvCache.get(argv);
  if (seen !== undefined && seen.path === path) return seen;
  const words = packWords(path, argv);
  argvCache.set(argv, words);
  return words;
}

function packWords(path: string, argv: readonly string[]): Words {
  const encoded = argv.map(encodeBytes);
  const file = encodeBytes(path);
  const table = (argv.length + 1) * 8;
  let size = table + file.length + 1;
  for (const b of encoded) size += b.length + 1;
  const buf = new ArrayBuffer(size); // zeroed: the table's NULL and every string's NUL are there already
  const bytes = new Uint8Array(buf);
  const pointers = new BigUint64Array(buf, 0, argv.length + 1);
  const base = ptr(buf);
  let off = table;
  for (let i = 0; i < encoded.length; i++) {
    const b = encoded[i] as Uint8Array;
    bytes.set(b, off);
    pointers[i] = BigInt(base + off);
    // By length, not by looking for the NUL: a string that holds one is cut there (as C
    // would see it), and the others still start where they should.
    off += b.length + 1;
  }
  bytes.set(file, off);
  return { path, pathPtr: (base + off) as Pointer, argvPtr: base, keep: buf };
}

/** The spawn attributes, the same for every child: made once. */
let spawnAttr: BigUint64Array | null = null;

function attributes(c: Lib["symbols"]): BigUint64Array {
  if (spawnAttr === null) {
    const attr = new BigUint64Array(128); // posix_spawnattr_t (336 bytes on glibc x86-64), with room to spare
    c.posix_spawnattr_init(ptr(attr));
    c.posix_spawnattr_setflags(ptr(attr), POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID);
    c.posix_spawnattr_setsigmask(ptr(attr), ptr(NO_SIGNALS));
    c.posix_spawnattr_setsigdefault(ptr(attr), ptr(ALL_SIGNALS));
    spawnAttr = attr; // never destroyed: it lives as long as the process
  }
  return spawnAttr;
}

const spawnedPid = new Int32Array(1);

/**
 * How children are spawned: "vfork" is spawn-child.c (compiled at the first spawn; see
 * spawn-vfork.ts), "posix_spawn" glibc's; "auto" is the first where it can be compiled, the
 * second otherwise. Both give the child the same state (a new session, default signal
 * dispositions, no signal blocked, the dup2s, the working directory).
 */
export type SpawnVia = "auto" | "vfork" | "posix_spawn";

export function spawnChild(s: SpawnSpec, via: SpawnVia = "auto"): { pid: number } | SpawnFailure {
  const words = marshalWords(s.path, s.argv);
  const envp = marshalEnv(s.env);
  const vfork = via === "posix_spawn" ? null : vforkSpawner();
  const limits = s.limits === undefined || s.limits.length === 0 ? null : marshalLimits(s.limits);
  if (vfork !== null) {
    const pairs = s.dup2 === undefined || s.dup2.length === 0 ? null : Int32Array.from(s.dup2.flat());
    const dir = s.cwd === undefined ? null : cstring(s.cwd);
    const ids = s.runAs === undefined ? null : marshalIds(s.runAs);
    if (s.runAs !== undefined && ids === null) return { errno: ENOSYS, reason: `setuid: no system call numbers known for ${process.arch}` };
    const r = vfork(
      words.pathPtr, words.argvPtr, envp.ptr, pairs === null ? null : ptr(pairs), pairs === null ? 0 : pairs.length / 2, dir === null ? null : ptr(dir),
      ids === null ? null : ptr(ids), limits === null ? null : ptr(limits), limits === null ? 0 : limits.length / 3,
    );
    if (r > 0) return { pid: r };
    const code = -r;
    const step = code >> 12;
    const name = SPAWN_STEPS[step & 15];
    return name === undefined ? { errno: code & 0xfff } : { errno: code & 0xfff, step: name, ...(name === "setrlimit" ? { index: step >> 4 } : {}) };
  }
  if (via === "vfork") return { errno: ENOSYS };
  // glibc's posix_spawn cannot change the child's user or limits: only lazarus's own spawner does (spawn-child.c).
  // Without it (no compiler in this Bun, or none for want of descriptors: tried again at the next spawn), refused.
  if (s.runAs !== undefined || limits !== null) {
    return fdRoom(4) !== null ? { errno: EMFILE } : { errno: ENOSYS, reason: "lazarus's own spawner could not be compiled, and only it can set a user or limits (posix_spawn cannot)" };
  }
  const c = libc();
  const attr = attributes(c);
  // File actions only when there is something to do (dup2, chdir): none at all is a null pointer.
  const needsActions = (s.dup2 !== undefined && s.dup2.length > 0) || s.cwd !== undefined;
  let actions: BigUint64Array | null = null;
  let dir: Buffer | null = null;
  if (needsActions) {
    actions = new BigUint64Array(64); // posix_spawn_file_actions_t (80 bytes)
    c.posix_spawn_file_actions_init(ptr(actions));
  }
  try {
    if (actions !== null) {
      for (const [from, to] of s.dup2 ?? []) c.posix_spawn_file_actions_adddup2(ptr(actions), from, to);
      if (s.cwd !== undefined) {
        dir = cstring(s.cwd);
        c.posix_spawn_file_actions_addchdir_np(ptr(actions), ptr(dir));
      }
    }
    const r = c.posix_spawn(ptr(spawnedPid), words.pathPtr, actions === null ? null : ptr(actions), ptr(attr), words.argvPtr, envp.ptr);
    void dir;
    return r === 0 ? { pid: spawnedPid[0] as number } : { errno: r };
  } finally {
    if (actions !== null) c.posix_spawn_file_actions_destroy(ptr(actions));
  }
}

const P_ALL = 0;
const WEXITED = 4;
const WNOWAIT = 0x01000000;

/**
 * The pid of one of our children that has ended, without reaping it (waitid
 * with WNOWAIT), or 0 when none has. Only safe because lazarus has no child
 * that Bun itself waits for (it spawns them all through spawnChild).
 */
export function peekEndedChild(): number {
  if (waitInfo === null) {
    const buf = new Int32Array(32); // siginfo_t, 128 bytes; si_pid at byte 16 on every Linux port
    waitInfo = { buf, ptr: ptr(buf) };
  }
  const info = waitInfo.buf;
  info[4] = 0; // (WNOHANG with no child ended leaves si_pid as it was: 0 then means none)
  const r = libc().waitid(P_ALL, 0, waitInfo.ptr, WEXITED | WNOHANG | WNOWAIT);
  if (r !== 0) return 0;
  return info[4] as number;
}

const SYS_PIDFD_OPEN = 434;

/** Does this kernel have pidfds? (Without them Bun's SIGCHLD handlers do not fire: BUN-NOTES.) */
export function hasPidfd(): boolean {
  const fd = Number(libc().syscall(BigInt(SYS_PIDFD_OPEN), BigInt(process.pid), 0n));
  if (fd < 0) return false;
  libc().close(fd);
  return true;
}

/** memfd_create's system call number (not every libc has the function). */
const SYS_MEMFD_CREATE: Readonly<Record<string, number>> = { x64: 319, arm64: 279 };
const MFD_CLOEXEC = 1n;

/** An anonymous file in memory (memfd_create, close-on-exec), or why there is none. */
export function memfdCreate(name: string): number | { readonly error: string } {
  const nr = SYS_MEMFD_CREATE[process.arch];
  if (nr === undefined) return { error: `memfd_create: no system call number known for ${process.arch}` };
  const cname = Buffer.from(`${name}\0`);
  const fd = Number(libc().syscall(BigInt(nr), BigInt(ptr(cname)), MFD_CLOEXEC));
  if (fd < 0) return { error: `memfd_create: ${strerror(errno())}` };
  return fd;
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
 * are close-on-exec; the spawn dup2s the write end onto the child's stdout or
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

const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const ERRNO_CODES: Readonly<Record<number, string>> = {
  4: "EINTR", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 23: "ENFILE", 24: "EMFILE", 28: "ENOSPC", 30: "EROFS", 32: "EPIPE", 98: "EADDRINUSE", 104: "ECONNRESET", 107: "ENOTCONN", 111: "ECONNREFUSED",
};

/**
 * send(fd, buf, length, MSG_DONTWAIT | MSG_NOSIGNAL) on a socket: the bytes
 * written, never blocking. Throws an error with a `code` ("EAGAIN", "EPIPE",
 * …) as fs.writeSync does.
 */
export function sendNoWait(fd: number, buf: Uint8Array, length: number): number {
  if (length === 0) return 0;
  const n = Number(libc().send(fd, ptr(buf), BigInt(length), MSG_DONTWAIT | MSG_NOSIGNAL));
  if (n >= 0) return n;
  const code = errno();
  const e = new Error(`send: ${strerror(code)}`) as Error & { code: string };
  e.code = ERRNO_CODES[code] ?? `errno ${code}`;
  throw e;
}


// --- AF_UNIX datagram sockets (sd_notify: notify-socket.ts, sd-notify.ts) --------

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOL_SOCKET = 1;
const SO_PASSCRED = 16;
const SHUT_RD = 0;

function failure(call: string): string {
  const code = errno();
  return `${call}: ${strerror(code)} (${ERRNO_CODES[code] ?? ERRNO_NAMES[code] ?? `errno ${code}`})`;
}

/** socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC [| SOCK_NONBLOCK]): the fd, or why not. */
export function datagramSocket(nonBlocking: boolean): number | string {
  const fd = libc().socket(AF_UNIX, SOCK_DGRAM | O_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), 0);
  return fd < 0 ? failure("socket(AF_UNIX, SOCK_DGRAM)") : fd;
}

/** bind(fd, address) (a sockaddr_un: unix-address.ts); null or why not. */
export function bindSocket(fd: number, address: Uint8Array): string | null {
  return libc().bind(fd, ptr(address), address.length) === 0 ? null : failure("bind");
}

/**
 * Is a datagram socket bound at `address` (a sockaddr_un) and open? connect() says so without
 * sending anything: ECONNREFUSED when the file is a socket nobody holds any more (left behind).
 * "unknown" when it cannot tell (no socket to try with, or another error).
 */
export function datagramBound(address: Uint8Array): boolean | "unknown" {
  const fd = libc().socket(AF_UNIX, SOCK_DGRAM | O_CLOEXEC, 0);
  if (fd < 0) return "unknown";
  try {
    if (libc().connect(fd, ptr(address), address.length) === 0) return true;
    return errno() === ECONNREFUSED ? false : "unknown";
  } finally {
    libc().close(fd);
  }
}

/** setsockopt(SO_PASSCRED, 1): every datagram received carries its sender's pid, uid and gid (SCM_CREDENTIALS). */
export function passCredentials(fd: number): string | null {
  const one = new Int32Array([1]);
  return libc().setsockopt(fd, SOL_SOCKET, SO_PASSCRED, ptr(one), 4) === 0 ? null : failure("setsockopt(SO_PASSCRED)");
}

/** The address fd is bound to (a sockaddr_un, as getsockname gives it), or null. */
export function socketName(fd: number): Uint8Array | null {
  const buf = new Uint8Array(112);
  const len = new Uint32Array([buf.length]);
  if (libc().getsockname(fd, ptr(buf), ptr(len)) !== 0) return null;
  return buf.slice(0, Math.min(buf.length, len[0] as number));
}

/** fchmod(fd, mode): on a socket not yet bound, the mode its file is created with (less the umask). */
export function fchmod(fd: number, mode: number): string | null {
  return libc().fchmod(fd, mode) === 0 ? null : failure("fchmod");
}

/** One datagram to `address`, never blocking (MSG_DONTWAIT | MSG_NOSIGNAL); null when sent, else why not. */
export function sendDatagram(fd: number, data: Uint8Array, address: Uint8Array): string | null {
  // (ptr() refuses an empty buffer: a datagram of no bytes is sent from a buffer of one, with length 0)
  const buf = data.length > 0 ? data : new Uint8Array(1);
  const n = Number(libc().sendto(fd, ptr(buf), BigInt(data.length), MSG_DONTWAIT | MSG_NOSIGNAL, ptr(address), address.length));
  return n >= 0 ? null : failure("sendto");
}

/** One datagram from fd into buf, never blocking: its bytes (cut to buf's size), or why none (EAGAIN: none waiting). */
export function receiveDatagram(fd: number, buf: Uint8Array): Uint8Array | string {
  const n = Number(libc().recv(fd, ptr(buf), BigInt(buf.length), MSG_DONTWAIT));
  return n >= 0 ? buf.slice(0, n) : failure("recv");
}

/** shutdown(fd, SHUT_RD): wakes a thread blocked reading fd (it reads end-of-file from then on). */
export function shutdownRead(fd: number): void {
  libc().shutdown(fd, SHUT_RD);
}

/**
 * kill(-pgid, 0) through libc: whether process group `pgid` exists and may be signalled
 * (false on ESRCH or EPERM, as process.kill's throwing was taken). process.kill throws
 * an Error, stack and all: at every end of a server that was most of what asking cost.
 */
export function groupExists(pgid: number): boolean {
  return libc().kill(-pgid, 0) === 0;
}

/** isatty(fd): whether fd is a terminal (node:tty's isatty would cost lazarus about 6 MiB of memory: it loads node:net and streams). */
/**
 * Has the reader of `fd` gone? A pipe's write end whose read end is closed polls as POLLERR, a
 * socket whose peer has gone as POLLHUP or POLLERR (a terminal, a file: never). Without writing:
 * `ctl logs -f | grep -m1 …` must end once grep has, even when no new line comes to fail a write.
 */
export function readerGone(fd: number): boolean {
  const POLLOUT = 4;
  const POLLERR = 8;
  const POLLHUP = 16;
  const pfd = new Int32Array(2); // struct pollfd { int fd; short events; short revents; }
  pfd[0] = fd;
  const shorts = new Int16Array(pfd.buffer, 4, 2);
  shorts[0] = POLLOUT;
  if (libc().poll(ptr(pfd), 1n, 0) <= 0) return false;
  return ((shorts[1] as number) & (POLLERR | POLLHUP)) !== 0;
}

export function isTerminal(fd: number): boolean {
  return fd >= 0 && libc().isatty(fd) === 1;
}

export function closeFd(fd: number): void {
  libc().close(fd);
}

// --- the user database (`user`, `group`: config/accounts.ts) ---------------------------------
//
// Through libc's getpwnam/getgrnam/getgrouplist, so NSS answers as it does for systemd
// (files, but also LDAP, sssd, systemd's own dynamic users) rather than /etc/passwd alone.
// Called in lazarus itself when a plan is made, never in a child between fork and exec.
// The structs are read at their offsets on 64-bit Linux (glibc and musl alike):
// struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; char *pw_gecos; char *pw_dir; char *pw_shell; }
// struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }

/** An entry of the user database. */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

function cstringAt(p: Pointer, offset: number): string {
  const at = read.ptr(p, offset);
  return at === 0 ? "" : String(new CString(at as Pointer));
}

/** The user named `key` (a string) or with uid `key` (a number), or null when there is none. */
export function passwdEntry(key: string | number): PasswdEntry | null {
  const name = typeof key === "string" ? cstring(key) : null;
  const p = (name === null ? libc().getpwuid(key as number) : libc().getpwnam(ptr(name))) as Pointer | null;
  if (p === null) return null;
  return { name: cstringAt(p, 0), uid: read.u32(p, 16), gid: read.u32(p, 20), home: cstringAt(p, 32), shell: cstringAt(p, 40) };
}

/** The gid of the group named `key` (a string) or with gid `key` (a number), or null when there is none. */
export function groupId(key: string | number): number | null {
  const name = typeof key === "string" ? cstring(key) : null;
  const p = (name === null ? libc().getgrgid(key as number) : libc().getgrnam(ptr(name))) as Pointer | null;
  return p === null ? null : read.u32(p, 16);
}

/** The groups of user `name` whose primary group is `gid` (getgrouplist: `gid` among them). */
export function groupList(name: string, gid: number): number[] {
  const user = cstring(name);
  let room = 64;
  for (;;) {
    const groups = new Uint32Array(room);
    const count = new Int32Array([room]);
    const r = libc().getgrouplist(ptr(user), gid, ptr(groups), ptr(count));
    const n = count[0] as number;
    if (r >= 0) return Array.from(groups.subarray(0, r));
    // Too small: glibc says how many there are; musl does not (then twice as many).
    room = n > room ? n : room * 2;
    if (room > 1 << 16) return [gid];
  }
}
