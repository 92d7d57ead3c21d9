// The two libc calls the bench needs and Bun lacks: a boot-relative monotonic clock
// (the one the stamp fixture writes) and mkfifo.
import { dlopen, FFIType, ptr } from "bun:ffi";

const lib = dlopen("libc.so.6", {
  clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  mkfifo: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
});

const ts = new BigInt64Array(2);

/** CLOCK_MONOTONIC in nanoseconds: comparable with the stamps of bench/stamp.c. */
export function monotonicNs(): number {
  if (lib.symbols.clock_gettime(1, ptr(ts)) !== 0) throw new Error("clock_gettime failed");
  return Number(ts[0]) * 1e9 + Number(ts[1]);
}

export function mkfifo(path: string, mode = 0o600): void {
  if (lib.symbols.mkfifo(ptr(Buffer.from(`${path}\0`)), mode) !== 0) throw new Error(`mkfifo ${path} failed`);
}
