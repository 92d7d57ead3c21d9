// The shell side of configuration: read the files the command line names (or
// lazarus.toml), then assemble the plan (pure, plan.ts). Nothing is started
// here; any problem is one line for `lazarus: ...` and exit status 2.
import { readFileSync } from "node:fs";
import type { Options } from "../cli/parse.ts";
import { assemble, type PlanResult, type SourceText } from "./plan.ts";

/** The config file looked for in the working directory when no server and no --config/--procfile is given. */
export const DEFAULT_CONFIG = "lazarus.toml";

export function loadPlan(options: Options, braces: readonly (readonly string[])[], cwd: string = process.cwd()): PlanResult {
  const sources: { config?: SourceText; procfile?: SourceText; envFile?: SourceText } = {};
  for (const key of ["config", "procfile", "envFile"] as const) {
    const file = options[key];
    if (file === null) continue;
    const text = readText(file);
    if (typeof text !== "string") return { ok: false, error: text.error };
    sources[key] = { file, text };
  }
  return assemble(options, braces, sources, cwd);
}

function readText(file: string): string | { error: string } {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const why: Record<string, string> = {
      ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a directory", ENOTDIR: "a part of its path is not a directory",
    };
    const reason = typeof code === "string" && why[code] !== undefined ? `${why[code]} (${code})` : e instanceof Error ? e.message : String(e);
    return { error: `${file}: cannot read it: ${reason}.` };
  }
}
