// Linux signal numbers and names (x86-64, arm64 and most other ports agree on
// these). Pure data: the core names signals in its logs, the shell turns them
// into what the runtime wants.
import type { Signal } from "./types.ts";

const NAMES: readonly (readonly [number, string])[] = [
  [1, "SIGHUP"], [2, "SIGINT"], [3, "SIGQUIT"], [4, "SIGILL"], [5, "SIGTRAP"],
  [6, "SIGABRT"], [7, "SIGBUS"], [8, "SIGFPE"], [9, "SIGKILL"], [10, "SIGUSR1"],
  [11, "SIGSEGV"], [12, "SIGUSR2"], [13, "SIGPIPE"], [14, "SIGALRM"], [15, "SIGTERM"],
  [16, "SIGSTKFLT"], [17, "SIGCHLD"], [18, "SIGCONT"], [19, "SIGSTOP"], [20, "SIGTSTP"],
  [21, "SIGTTIN"], [22, "SIGTTOU"], [23, "SIGURG"], [24, "SIGXCPU"], [25, "SIGXFSZ"],
  [26, "SIGVTALRM"], [27, "SIGPROF"], [28, "SIGWINCH"], [29, "SIGIO"], [30, "SIGPWR"],
  [31, "SIGSYS"],
];

const BY_NUMBER = new Map<number, string>(NAMES);
const BY_NAME = new Map<string, number>(NAMES.map(([n, s]) => [s, n]));
// Aliases a user or the runtime may use.
BY_NAME.set("SIGIOT", 6);
BY_NAME.set("SIGPOLL", 29);
BY_NAME.set("SIGCLD", 17);

export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGABRT = 6;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGXCPU = 24;
export const SIGXFSZ = 25;
export const SIGVTALRM = 26;
export const SIGPROF = 27;
export const SIGIO = 29;

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

/** "SIGTERM" for 15, "SIGRTMIN+2" for 36, "SIG99" for what Linux does not have. */
export function signalName(signal: Signal): string {
  const name = BY_NUMBER.get(signal);
  if (name !== undefined) return name;
  if (signal >= SIGRTMIN && signal <= SIGRTMAX) return signal === SIGRTMIN ? "SIGRTMIN" : `SIGRTMIN+${signal - SIGRTMIN}`;
  return `SIG${signal}`;
}

/**
 * Accepts "SIGTERM", "TERM", "term", "15", "SIGRTMIN+2"; null for anything else.
 */
export function parseSignal(text: string): Signal | null {
  const t = text.trim().toUpperCase();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n >= 1 && n <= SIGRTMAX && (BY_NUMBER.has(n) || n >= SIGRTMIN) ? n : null;
  }
  const name = t.startsWith("SIG") ? t : `SIG${t}`;
  const known = BY_NAME.get(name);
  if (known !== undefined) return known;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name);
  if (rt) {
    const n = SIGRTMIN + Number(rt[1] ?? 0);
    return n <= SIGRTMAX ? n : null;
  }
  const rtmax = /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rtmax) {
    const n = SIGRTMAX - Number(rtmax[1] ?? 0);
    return n >= SIGRTMIN ? n : null;
  }
  return null;
}

/** A clean end by signal (docs/spec.md, "When a server's process ends"): the server was asked to stop. */
export function isCleanSignal(signal: Signal): boolean {
  return signal === SIGTERM || signal === SIGINT;
}
