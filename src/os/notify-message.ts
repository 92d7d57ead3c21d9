// What one sd_notify datagram says (issue 14): newline-separated KEY=VALUE
// assignments, as systemd reads them (sd_notify(3)). Known keys are read,
// unknown ones ignored (the protocol grows: FDSTORE=1, BARRIER=1, …), and
// garbage is tolerated: a line that is not an assignment, or a known key with
// a value that makes no sense, is reported in `errors` and skipped; the rest
// of the datagram still counts. Pure.

export interface NotifyMessage {
  /** READY=1: start-up is finished. */
  readonly ready: boolean;
  /** RELOADING=1: the server is reloading its configuration (READY=1 follows when done). */
  readonly reloading: boolean;
  /** STOPPING=1: the server is shutting down. */
  readonly stopping: boolean;
  /** WATCHDOG=1: the keep-alive ping. */
  readonly watchdog: boolean;
  /** WATCHDOG=trigger: the server asks to be treated as if its watchdog had expired. */
  readonly watchdogTrigger: boolean;
  /** WATCHDOG_USEC=N: the server asks for another watchdog interval (µs). */
  readonly watchdogUsec: number | null;
  /** STATUS=…: a one-line status for humans (the first STATUS= of the datagram, as systemd takes it). */
  readonly status: string | null;
  /** MAINPID=N: the server says its main process is N. */
  readonly mainpid: number | null;
  /** ERRNO=N: the server failed with this errno. */
  readonly errno: number | null;
  /** One line each: what was skipped and why (at most MAX_ERRORS, the last one saying how many more). */
  readonly errors: readonly string[];
}

export const MAX_ERRORS = 4;
const MAX_SHOWN = 40;

export function parseNotifyMessage(text: string): NotifyMessage {
  let ready = false;
  let reloading = false;
  let stopping = false;
  let watchdog = false;
  let watchdogTrigger = false;
  let watchdogUsec: number | null = null;
  let status: string | null = null;
  let mainpid: number | null = null;
  let errno: number | null = null;
  const errors: string[] = [];
  let more = 0;
  const bad = (why: string) => {
    if (errors.length < MAX_ERRORS - 1) errors.push(why);
    else more++;
  };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      bad(`line ${i + 1} is not KEY=VALUE: ${shown(line)}`);
      continue;
    }
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    switch (key) {
      case "READY":
        if (value === "1") ready = true;
        else bad(`READY=${shown(value)}: only READY=1 means anything`);
        break;
      case "RELOADING":
        if (value === "1") reloading = true;
        else bad(`RELOADING=${shown(value)}: only RELOADING=1 means anything`);
        break;
      case "STOPPING":
        if (value === "1") stopping = true;
        else bad(`STOPPING=${shown(value)}: only STOPPING=1 means anything`);
        break;
      case "WATCHDOG":
        if (value === "1") watchdog = true;
        else if (value === "trigger") watchdogTrigger = true;
        else bad(`WATCHDOG=${shown(value)}: only WATCHDOG=1 and WATCHDOG=trigger mean anything`);
        break;
      case "WATCHDOG_USEC": {
        const n = count(value);
        if (n !== null && n > 0) watchdogUsec = n;
        else bad(`WATCHDOG_USEC=${shown(value)} is not a positive number of microseconds`);
        break;
      }
      case "STATUS":
        status ??= value;
        break;
      case "MAINPID": {
        const n = count(value);
        if (n !== null && n > 0 && n <= 0x7fffffff) mainpid = n;
        else bad(`MAINPID=${shown(value)} is not a pid`);
        break;
      }
      case "ERRNO": {
        const n = count(value);
        if (n !== null && n <= 0x7fffffff) errno = n;
        else bad(`ERRNO=${shown(value)} is not an errno`);
        break;
      }
      default:
        break; // an assignment lazarus does not know (or need): ignored, as systemd ignores them
    }
  }
  if (more > 0) errors.push(`and ${more} more lines skipped`);
  return { ready, reloading, stopping, watchdog, watchdogTrigger, watchdogUsec, status, mainpid, errno, errors };
}

/** A decimal number of digits only (no sign, no spaces), safe as a JavaScript number; else null. */
function count(value: string): number | null {
  if (!/^[0-9]{1,15}$/.test(value)) return null;
  return Number(value);
}

/** A value as a log line may show it: JSON-quoted (control characters escaped), and cut short. */
function shown(s: string): string {
  return JSON.stringify(s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s);
}
