// The process metrics Prometheus expects of every exporter (process_cpu_seconds_total,
// process_resident_memory_bytes, …), read from the runtime and /proc when
// /metrics is scraped. Linux only; a figure that cannot be read is null (left out
// of the exposition), never an error. Cost: a few small /proc reads and one
// listing of /proc/self/fd (as many entries as open descriptors: some 3 ms with a
// thousand servers' pipes). The endpoint uses measureProcessAsync: the reads and
// the listing are done off the loop that supervises (Bun's thread pool).
import { readdirSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import type { ProcessMetrics } from "../http/snapshot.ts";

function attempt<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

/** The soft limit on open files ("Max open files" of /proc/self/limits); null when unlimited or unknown. */
export function parseMaxFds(limits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  return m === null || m[1] === "unlimited" ? null : Number(m[1]);
}

/** VmSize of /proc/self/status, in bytes. */
export function parseVirtualBytes(status: string): number | null {
  const m = /^VmSize:\s+(\d+) kB$/m.exec(status);
  return m === null ? null : Number(m[1]) * 1024;
}

export function measureProcess(): ProcessMetrics {
  const cpu = attempt(() => process.cpuUsage());
  return {
    cpuSeconds: cpu === null ? null : (cpu.user + cpu.system) / 1e6,
    residentBytes: attempt(() => process.memoryUsage.rss()),
    virtualBytes: attempt(() => parseVirtualBytes(readFileSync("/proc/self/status", "utf8"))),
    // The listing's own descriptor is among the entries: not counted.
    openFds: attempt(() => Math.max(0, readdirSync("/proc/self/fd").length - 1)),
    maxFds: attempt(() => parseMaxFds(readFileSync("/proc/self/limits", "utf8"))),
  };
}

async function attemptAsync<T>(f: () => Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch {
    return null;
  }
}

/** measureProcess, its /proc reads done off the loop (the listing alone first: the reads' own descriptors are not in it). */
export async function measureProcessAsync(): Promise<ProcessMetrics> {
  const fds = await attemptAsync(() => readdir("/proc/self/fd"));
  const [status, limits] = await Promise.all([
    attemptAsync(() => readFile("/proc/self/status", "utf8")),
    attemptAsync(() => readFile("/proc/self/limits", "utf8")),
  ]);
  const cpu = attempt(() => process.cpuUsage());
  return {
    cpuSeconds: cpu === null ? null : (cpu.user + cpu.system) / 1e6,
    residentBytes: attempt(() => process.memoryUsage.rss()),
    virtualBytes: status === null ? null : parseVirtualBytes(status),
    // The listing's own descriptor is among the entries: not counted.
    openFds: fds === null ? null : Math.max(0, fds.length - 1),
    maxFds: limits === null ? null : parseMaxFds(limits),
  };
}
