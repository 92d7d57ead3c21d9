// Pure helpers that turn core data into words: state words of docs/spec.md ("The dump"), exit
// descriptions of docs/spec.md ("When a server's process ends"), a readable command line.
import { signalName } from "./signals.ts";
import type { ExitStatus, LifeKind } from "./types.ts";
import { quoteWord } from "./values.ts";

/** The state words of docs/spec.md. */
export function stateWords(kind: LifeKind): string {
  switch (kind) {
    case "unborn": return "not started yet";
    case "waiting": return "waiting for its dependencies";
    case "starting": return "being started";
    case "alive": return "up and running";
    case "backoff": return "waiting to be retried";
    case "buried": return "requires SIGUSR2 to respawn";
    case "cremated": return "will never respawn";
    default: return unreachable(kind);
  }
}

/** "exited with code 3", "died by signal 11 (SIGSEGV)", "ended with an unknown status". */
export function describeExit(status: ExitStatus): string {
  switch (status.kind) {
    case "code": return `exited with code ${status.code}`;
    case "signal": return `died by signal ${status.signal} (${signalName(status.signal)})`;
    case "unknown": return "ended with an unknown status";
    default: return unreachable(status);
  }
}

/** Short form for tables: "code 3", "SIGSEGV", "unknown". */
export function shortExit(status: ExitStatus | null): string {
  if (status === null) return "-";
  switch (status.kind) {
    case "code": return `code ${status.code}`;
    case "signal": return signalName(status.signal);
    case "unknown": return "unknown";
    default: return unreachable(status);
  }
}

/** A command line as a person would type it (POSIX-shell quoting where needed). Display only. */
export function commandLine(argv: readonly string[]): string {
  return argv.map(quoteWord).join(" ");
}


/** Milliseconds as seconds with three decimals: 1500 → "1.500" (toFixed: 1234.5 gives "1.234", a binary fraction). */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
