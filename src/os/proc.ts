// What /proc tells about our own children: needed to reap orphans reparented
// to us (child subreaper, or PID 1) and to finish off what is left of a
// stopped server's process group. Linux only, like the rest of the OS port.
import { readdirSync, readFileSync } from "node:fs";

/** The pids whose parent is this process (every thread's children). */
export function ownChildren(): number[] {
  const out = new Set<number>();
  let tasks: string[] = [];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return scanForChildren();
  }
  let readAny = false;
  for (const t of tasks) {
    try {
      const text = readFileSync(`/proc/self/task/${t}/children`, "utf8");
      readAny = true;
      for (const w of text.split(" ")) if (w !== "" && w !== "\n") out.add(Number(w));
    } catch { /* the thread ended, or the kernel lacks CONFIG_PROC_CHILDREN */ }
  }
  return readAny ? [...out].filter((p) => p > 0) : scanForChildren();
}

/** Fallback without /proc/PID/task/TID/children: every process whose parent we are. */
function scanForChildren(): number[] {
  const me = process.pid;
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const st = stat(Number(d));
    if (st !== null && st.ppid === me) out.push(Number(d));
  }
  return out;
}

/** Fields of /proc/PID/stat we need, or null when it is gone. */
export function stat(pid: number): { state: string; ppid: number; pgid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0] ?? "?", ppid: Number(rest[1]), pgid: Number(rest[2]) };
  } catch {
    return null;
  }
}

/**
 * The process group of `pid` (null when it is gone or unreadable): how a
 * notification from a server's child (a shell wrapper's, systemd-notify's) is
 * traced to the server, whose pid is its group's id (servers run in their own
 * session). The comm field of /proc/PID/stat may hold spaces and parentheses:
 * the fields are read after its last `)`.
 */
export function processGroupOf(pid: number): number | null {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  const g = stat(pid)?.pgid;
  return g !== undefined && Number.isSafeInteger(g) && g > 0 ? g : null;
}
