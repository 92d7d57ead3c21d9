// Where control sockets live. Pure: the environment, the user id, the system's
// temporary directory and the pid are inputs.
//
// Every supervisor has its own socket by default, so that any number of them
// run side by side with no option given:
//   $XDG_RUNTIME_DIR/lazarus/PID.sock      (a per-user runtime directory, the usual case)
//   TMPDIR/lazarus-UID/PID.sock            (no runtime directory: a per-user one under /tmp)
// The directory is private (0700, ours), the socket 0600. `lazarus ctl` finds
// them all there (see src/cli/ctl.ts for how it picks one).
import { join } from "node:path";

export interface ControlPlace {
  readonly path: string;
  /** The default place: its directory must already be private to us (0700); a chosen path's is created 0700 if missing. */
  readonly strict: boolean;
}

/** What the default place depends on. */
export interface PlaceInputs {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly uid: number;
  readonly tmpdir: string;
}

/** The directory of every supervisor's default socket, for this user. */
export function controlDir(p: PlaceInputs): string {
  const runtime = p.env.XDG_RUNTIME_DIR;
  return runtime !== undefined && runtime !== "" ? join(runtime, "lazarus") : join(p.tmpdir, `lazarus-${p.uid}`);
}

/** The default socket of the supervisor with this pid. */
export function defaultSocket(p: PlaceInputs, pid: number): string {
  return join(controlDir(p), `${pid}.sock`);
}

/**
 * The sd_notify socket of the supervisor with this pid (servers with
 * `ready = { notify = true }` get it as NOTIFY_SOCKET): beside the control
 * sockets, in the same private directory, whatever --control says.
 */
export function notifySocket(p: PlaceInputs, pid: number): string {
  return join(controlDir(p), `${pid}.notify`);
}

/** The pid a notify socket's file name carries ("1234.notify"), or null for any other name. */
export function notifyPid(fileName: string): number | null {
  const m = /^([1-9]\d{0,9})\.notify$/.exec(fileName);
  return m === null ? null : Number(m[1]);
}

/** The pid a default socket's file name carries ("1234.sock"), or null for any other name. */
export function socketPid(fileName: string): number | null {
  const m = /^([1-9]\d{0,9})\.sock$/.exec(fileName);
  return m === null ? null : Number(m[1]);
}

/** --control=PATH, --control=none (null), or the default place of supervisor `pid`. */
export function controlPlace(option: string | null, p: PlaceInputs, pid: number): ControlPlace | null {
  if (option === "none") return null;
  if (option === null) return { path: defaultSocket(p, pid), strict: true };
  return { path: option, strict: false };
}
