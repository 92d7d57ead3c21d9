// The shell side of configuration: read the files the command line names (or
// lazarus.toml), then assemble the plan (pure, plan.ts). Nothing is started
// here; any problem is one line for `lazarus: ...` and exit status 2.
//
// A live re-exec runs "the same options and servers" (SPEC 7), so the new image
// must not read the files again (they may have been edited since, or broken):
// the texts the plan was made from travel across the exec in SOURCES_ENV, and
// the new image makes the same plan from them.
import { resolve } from "node:path";
import type { Options } from "../cli/parse.ts";
import { printable } from "../os/bytes.ts";
import { readLimited, TEXT_LIMIT } from "../os/read-limited.ts";
import { decodeText } from "./text.ts";
import { assemble, type Plan, type Sources, type SourceText } from "./plan.ts";

/** The config file looked for in the working directory when no server and no --config/--procfile is given. */
export const DEFAULT_CONFIG = "lazarus.toml";

/** The environment variable that carries the files' texts across a re-exec. */
export const SOURCES_ENV = "LAZARUS_SOURCES";

export type Loaded =
  | { readonly ok: true; readonly plan: Plan; readonly sources: Sources }
  | { readonly ok: false; readonly error: string };

/**
 * `carried`: SOURCES_ENV as a re-exec'd image found it; a file it holds is not
 * read again (a file it does not hold, or a carried text that cannot be
 * understood, is read as usual).
 */
export function loadPlan(options: Options, braces: readonly (readonly string[])[], cwd: string = process.cwd(), carried?: string): Loaded {
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
    const text = readText(file, cwd);
    if (typeof text !== "string") return { ok: false, error: text.error };
    sources[key] = { file, text };
  }
  const r = assemble(options, braces, sources, cwd);
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

function readText(file: string, cwd: string): string | { error: string } {
  // Only a regular file, and at most TEXT_LIMIT bytes: never /dev/zero or a FIFO (read-limited.ts);
  // and UTF-8 text (text.ts): a UTF-16 file is called what it is.
  const r = readLimited(resolve(cwd, file), TEXT_LIMIT, file);
  if (!r.ok) return { error: r.error };
  const t = decodeText(r.bytes, printable(file));
  return t.ok ? t.text : { error: t.error };
}
