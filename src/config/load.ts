// Configuration from files: read the files the command line names (or
// lazarus.toml) through the caller's reader, then assemble the plan (pure,
// plan.ts). Nothing is started here; any problem is one line for
// `lazarus: ...` and exit status 2.
//
// A live re-exec runs "the same options and servers" (docs/spec.md, "Live
// re-exec"), so the new image must not read the files again (they may have
// been edited since, or broken): the texts the plan was made from travel across
// the exec in SOURCES_ENV, and the new image makes the same plan from them.
import { resolve } from "node:path";
import { printable } from "../text/bytes.ts";
import type { Accounts } from "./accounts.ts";
import { assemble, type Plan, type Scales, type Sources, type SourceText } from "./plan.ts";
import { DEFAULT_CONFIG, type Options } from "./settings.ts";
import { decodeText } from "./text.ts";

/** The environment variable that carries the files' texts across a re-exec. */
export const SOURCES_ENV = "LAZARUS_SOURCES";

/** What reading a file gave: its bytes, or why not, in one line naming the file (`missing`: it does not exist). */
export type FileRead =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly missing?: boolean; readonly error: string };

/**
 * How configuration files are read: through the OS port in production (only a
 * regular file, at most a size limit: src/os/read-limited.ts), from a
 * simulated file system in the simulator. `name` is how messages call it.
 */
export interface FileReader {
  readFile(path: string, name: string): FileRead;
}

/** A file the user named, as text (UTF-8: text.ts says what else it is), or one error line. */
export function readText(files: FileReader, path: string, name: string): { ok: true; text: string } | { ok: false; missing: boolean; error: string } {
  const r = files.readFile(path, name);
  if (!r.ok) return { ok: false, missing: r.missing === true, error: r.error };
  const t = decodeText(r.bytes, printable(name));
  return t.ok ? t : { ok: false, missing: false, error: t.error };
}

export type Loaded =
  | { readonly ok: true; readonly plan: Plan; readonly sources: Sources }
  | { readonly ok: false; readonly error: string };

/**
 * `accounts`: the user database, for servers with `user` (accounts.ts).
 * `inherited`: lazarus's environment without its private variables (what the
 * servers inherit). `carried`: SOURCES_ENV as a re-exec'd image found it; a file
 * it holds is not read again (a file it does not hold, or a carried text that
 * cannot be understood, is read as usual). An implicit lazarus.toml (the
 * default, not named by --config) that does not exist means there is nothing to run.
 */
export function loadPlan(
  options: Options, braces: readonly (readonly string[])[], cwd: string, inherited: Readonly<Record<string, string>>, files: FileReader, carried?: string,
  scales: Scales = {}, accounts?: Accounts,
): Loaded {
  const kept = carried === undefined ? {} : readCarried(carried);
  const sources: { config?: SourceText; procfile?: SourceText; envFile?: SourceText } = {};
  for (const key of ["config", "procfile", "envFile"] as const) {
    const file = options[key];
    if (file === null) continue;
    const old = kept[key];
    if (old !== undefined && old.file === file) {
      sources[key] = old;
      continue;
    }
    const r = readText(files, resolve(cwd, file), file);
    if (!r.ok) {
      const implicit = key === "config" && file === DEFAULT_CONFIG && !options.given.includes("config");
      if (implicit && r.missing) return { ok: false, error: "No programs to spawn, aborting." };
      return { ok: false, error: r.error };
    }
    sources[key] = { file, text: r.text };
  }
  const r = assemble(options, braces, sources, cwd, inherited, scales, accounts);
  return r.ok ? { ok: true, plan: r.plan, sources } : r;
}

/** SOURCES_ENV's value for these sources (null when there are none). */
export function carrySources(sources: Sources): string | null {
  return Object.keys(sources).length === 0 ? null : JSON.stringify(sources);
}

function readCarried(text: string): Sources {
  const out: { config?: SourceText; procfile?: SourceText; envFile?: SourceText } = {};
  try {
    const data = JSON.parse(text) as Record<string, unknown>;
    for (const key of ["config", "procfile", "envFile"] as const) {
      const s = data?.[key] as { file?: unknown; text?: unknown } | undefined;
      if (typeof s?.file === "string" && typeof s.text === "string") out[key] = { file: s.file, text: s.text };
    }
  } catch {
    // Not understood: the files are read instead.
  }
  return out;
}

/** The environment variable that carries `ctl scale`'s counts across a re-exec. */
export const SCALE_ENV = "LAZARUS_SCALE";

/** SCALE_ENV's value for these counts (null when there are none). */
export function carryScales(scales: Scales): string | null {
  return Object.keys(scales).length === 0 ? null : JSON.stringify(scales);
}

/** The counts a re-exec carried (what cannot be understood is left out: the file's counts hold for it). */
export function readScales(text: string | undefined): Scales {
  const out: Record<string, { count: number; base: number | null }> = {};
  if (text === undefined) return out;
  try {
    const data = JSON.parse(text) as Record<string, { count?: unknown; base?: unknown }>;
    for (const [name, s] of Object.entries(data ?? {})) {
      const { count, base } = s ?? {};
      if (Number.isSafeInteger(count) && (count as number) >= 0 && (base === null || Number.isSafeInteger(base))) out[name] = { count: count as number, base: base as number | null };
    }
  } catch {
    // Not understood: the files' counts.
  }
  return out;
}
