// A log file as the configuration describes it (log_dir, log_max_size,
// log_keep, log_timestamps; event_log): where it is, when it rotates, how many
// old files are kept, and whether its lines get a timestamp. Pure data: the
// plan (src/config/plan.ts) computes one per server with a log directory, and
// the OS port (src/os/log-files.ts) opens a LogFile for each path.

export interface LogTarget {
  /** Absolute path of the live file (DIR/NAME.log for a server: lines.ts's logFileName). */
  readonly path: string;
  /** Rotate before the file would pass this many bytes; 0: never (an external rotator's job). */
  readonly maxBytes: number;
  /** Rotated files kept: PATH.1 … PATH.keep. */
  readonly keep: number;
  /** An ISO 8601 UTC timestamp in front of every line. */
  readonly timestamps: boolean;
}

export const LOG_DEFAULTS = { maxBytes: 10 * 1024 * 1024, keep: 5, timestamps: false } as const;

/** The most rotated files one log may keep. */
export const LOG_KEEP_MAX = 1000;

/** Whether `x` is a well-formed LogTarget (as handed across a re-exec). */
export function isLogTarget(x: unknown): x is LogTarget {
  const t = x as Partial<Record<keyof LogTarget, unknown>> | null;
  return typeof t === "object" && t !== null && typeof t.path === "string" && t.path.startsWith("/") && !t.path.includes("\0") &&
    Number.isSafeInteger(t.maxBytes) && (t.maxBytes as number) >= 0 &&
    Number.isSafeInteger(t.keep) && (t.keep as number) >= 0 && (t.keep as number) <= LOG_KEEP_MAX &&
    typeof t.timestamps === "boolean";
}
