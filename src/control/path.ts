// Where the control socket lives by default: $XDG_RUNTIME_DIR/lazarus/control.sock,
// or a per-user directory under the system temp dir when there is no runtime dir.
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ControlPlace {
  readonly path: string;
  /** The default directory must already be private to us (0700); a chosen path's is created 0700 if missing. */
  readonly strict: boolean;
}

export function defaultControlPlace(env: Readonly<Record<string, string | undefined>> = process.env): ControlPlace {
  const runtime = env.XDG_RUNTIME_DIR;
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  const dir = runtime !== undefined && runtime !== "" ? join(runtime, "lazarus") : join(tmpdir(), `lazarus-${uid}`);
  return { path: join(dir, "control.sock"), strict: true };
}

/** --control=PATH, --control=none (null), or the default place. */
export function controlPlace(option: string | null): ControlPlace | null {
  if (option === "none") return null;
  if (option === null) return defaultControlPlace();
  return { path: option, strict: false };
}
