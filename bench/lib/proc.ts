// Readings from /proc: CPU time, context switches, memory, and the process tree.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Clock ticks per second of /proc/PID/stat's utime and stime (sysconf(_SC_CLK_TCK); 100 on Linux). */
export const CLK_TCK = 100;

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  /** utime + stime, in clock ticks. */
  readonly cpuTicks: number;
}

/** Parse the text of /proc/PID/stat (pure: comm may hold spaces and parentheses). */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).split(" ");
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (![pid, ppid, utime, stime].every(Number.isFinite)) return null;
  return { pid, comm: text.slice(open + 1, close), state: rest[0] ?? "?", ppid, cpuTicks: utime + stime };
}

export function readStat(pid: number): ProcStat | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** CPU time and context switches of every live thread of some processes, read at one moment. */
export interface CpuSnapshot {
  readonly pids: readonly number[];
  /** "pid/tid" → CPU time in ns, and voluntary + involuntary context switches. */
  readonly threads: ReadonlyMap<string, { readonly ns: number; readonly switches: number }>;
}

/**
 * Per thread: CPU time with nanosecond precision from /proc/PID/task/TID/schedstat
 * (utime + stime in /proc/PID/stat count whole 10 ms ticks per process, which rounds
 * a thousand small runsv processes down to 0), and context switches from its status.
 */
export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  const threads = new Map<string, { ns: number; switches: number }>();
  for (const pid of pids) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const ns = Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
        const status = readFileSync(`/proc/${pid}/task/${t}/status`, "utf8");
        const switches = field(status, "voluntary_ctxt_switches") + field(status, "nonvoluntary_ctxt_switches");
        threads.set(`${pid}/${t}`, { ns, switches });
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return { pids, threads };
}

/**
 * What the snapshot's processes used since it was taken: for each thread alive now,
 * its count now minus its count then (all of it for a thread born since). A thread
 * that ended meanwhile takes its last slice with it: a lower bound, never negative.
 */
export function usageSince(before: CpuSnapshot): { cpuMs: number; switches: number } {
  const now = cpuSnapshot(before.pids);
  let ns = 0;
  let switches = 0;
  for (const [k, v] of now.threads) {
    const b = before.threads.get(k);
    ns += Math.max(0, v.ns - (b?.ns ?? 0));
    switches += Math.max(0, v.switches - (b?.switches ?? 0));
  }
  return { cpuMs: ns / 1e6, switches };
}

/** CPU time (ms) used since the snapshot (see usageSince). */
export function cpuSince(before: CpuSnapshot): number {
  return usageSince(before).cpuMs;
}

/** Number of threads of a process. */
export function threadCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).length;
  } catch {
    return 0;
  }
}

export interface Memory {
  /** Resident set, KiB, summed. */
  readonly rssKiB: number;
  /** Proportional set (shared pages divided among their sharers), KiB, summed. */
  readonly pssKiB: number;
}

/** RSS and PSS of these processes, from /proc/PID/smaps_rollup. */
export function memory(pids: readonly number[]): Memory {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      rss += field(text, "Rss");
      pss += field(text, "Pss");
    } catch {
      // gone
    }
  }
  return { rssKiB: rss, pssKiB: pss };
}

/** `Name:   123 kB` → 123 (pure). */
export function field(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** Every live process: pid → ppid. */
export function processTable(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s !== null) table.set(s.pid, s);
  }
  return table;
}

/** The roots and all their descendants (pure over a table). */
export function treeOf(table: ReadonlyMap<number, ProcStat>, roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const s of table.values()) {
    const list = children.get(s.ppid);
    if (list === undefined) children.set(s.ppid, [s.pid]);
    else list.push(s.pid);
  }
  const out: number[] = [];
  const todo = roots.filter((r) => table.has(r));
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The executable of a process, or null (gone, a zombie, or a kernel thread). */
export function exeOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

/** Every live process running this executable. */
export function pidsRunning(exe: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (/^\d+$/.test(name) && exeOf(Number(name)) === exe) out.push(Number(name));
  }
  return out;
}

export function isAlive(pid: number): boolean {
  const s = readStat(pid);
  return s !== null && s.state !== "Z" && s.state !== "X";
}
