// When lazarus itself runs short of something the kernel hands out (file
// descriptors, processes, memory), as opposed to a server failing. Two uses:
//
// - A probe that cannot be carried out for want of one says nothing about its
//   server: it is no verdict (ProbeOutcome ok: null, `short`), not a failed
//   check. Otherwise a supervisor out of file descriptors fails every health
//   check of healthy servers, restarts them, and then cannot spawn them again.
// - Bun 1.4.5 ends the whole process ("bun ran out of file descriptors", exit
//   status 1) when a thread it starts cannot make its event loop: its HTTP
//   client thread (started by the first fetch of the process) and a Worker. That
//   would leave every server unsupervised, so lazarus first makes sure a few
//   descriptors are free (`fdRoom`) and otherwise does not ask.
//
// Measured on Bun 1.4.5, Linux 6.18: each of those threads needs 2 descriptors
// at its start; node:net reports a connection that could not get a socket
// (EMFILE) as ECONNREFUSED, so a tcp probe's refusal is checked against `fdRoom`.
import { closeFd, makePipe } from "./libc.ts";

/** Descriptors kept free before Bun starts a thread (it needs 2: measured), with room for other threads meanwhile. */
export const THREAD_FDS = 8;

/**
 * Why `n` more file descriptors cannot be opened now ("lazarus is out of file
 * descriptors (EMFILE)"), or null when they can. Measured by opening pipes and
 * closing them at once: nothing of the file system is needed.
 */
export function fdRoom(n = THREAD_FDS): string | null {
  const opened: number[] = [];
  try {
    while (opened.length < n) {
      const p = makePipe();
      if ("error" in p) {
        const why = shortageOf(p.error);
        // (another failure says nothing about descriptors: let the caller go on and meet it)
        return why;
      }
      opened.push(p.read, p.write);
    }
    return null;
  } finally {
    for (const fd of opened) closeFd(fd);
  }
}

/** The errno names that mean lazarus lacks a resource, and how a log line says so. */
const SHORTAGES: Readonly<Record<string, string>> = {
  EMFILE: "lazarus is out of file descriptors (EMFILE: its RLIMIT_NOFILE is reached)",
  ENFILE: "the system is out of file descriptors (ENFILE)",
  ENOMEM: "out of memory (ENOMEM)",
  ENOBUFS: "out of memory for sockets (ENOBUFS)",
  EAGAIN: "no process can be started (EAGAIN: a process or thread limit is reached)",
};

/** errno numbers (Linux) of SHORTAGES, for callers that have a number. */
const NUMBERS: Readonly<Record<number, string>> = { 24: "EMFILE", 23: "ENFILE", 12: "ENOMEM", 105: "ENOBUFS", 11: "EAGAIN" };

/**
 * The shortage an error shows (`code` such as "EMFILE", an errno number, or an
 * error whose code or message names one), in words; null when it shows none.
 * EAGAIN counts only where `fork` says it came from starting a process.
 */
export function shortageOf(e: unknown, fork = false): string | null {
  const name = codeOf(e);
  if (name === null) return null;
  if (name === "EAGAIN" && !fork) return null;
  return SHORTAGES[name] ?? null;
}

function codeOf(e: unknown): string | null {
  if (typeof e === "number") return NUMBERS[e] ?? null;
  if (typeof e === "object" && e !== null && "code" in e) {
    const code = (e as { code: unknown }).code;
    // (a number there is not an errno: a DOMException's code, say)
    if (typeof code === "string") return code in SHORTAGES ? code : null;
  }
  const text = typeof e === "string" ? e : e instanceof Error ? e.message : "";
  const m = /\b(EMFILE|ENFILE|ENOMEM|ENOBUFS|EAGAIN)\b/.exec(text) ?? /\((?:errno )?(24|23)\)/.exec(text);
  if (m === null) return null;
  const word = m[1] as string;
  return word in SHORTAGES ? word : NUMBERS[Number(word)] ?? null;
}
