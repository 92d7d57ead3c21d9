// The command lines of the developer tools (bun run fuzz, sim, bench): GNU-style
// long options through node:util's parseArgs, so `--seed 5` and `--seed=5` both
// work, with `--help`, and one-line errors. (The supervisor's own command line
// keeps mds-respawn's `--interval=N` form: src/cli/parse.ts.)
import { parseArgs } from "node:util";

export interface ToolOption {
  readonly type: "string" | "boolean";
  /** Numbers are checked here: the value must be a finite number. */
  readonly number?: boolean;
}

export type ToolArgs<K extends string> =
  | { readonly kind: "ok"; readonly values: Partial<Record<K, string | boolean>> }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

export function parseToolArgs<K extends string>(argv: readonly string[], options: Readonly<Record<K, ToolOption>>): ToolArgs<K> {
  if (argv.includes("--help") || argv.includes("-h")) return { kind: "help" };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: Object.fromEntries(Object.entries<ToolOption>(options).map(([k, o]) => [k, { type: o.type }])),
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    return { kind: "error", message: oneLine(e) };
  }
  for (const [k, o] of Object.entries<ToolOption>(options)) {
    const v = values[k];
    if (o.number === true && typeof v === "string" && (v.trim() === "" || !Number.isFinite(Number(v)))) {
      return { kind: "error", message: `--${k} wants a number, not ${v}` };
    }
  }
  return { kind: "ok", values: values as Partial<Record<K, string | boolean>> };
}

/** parseArgs's errors, as one line in our words. */
function oneLine(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err.message ?? e);
  const option = /'(-[^' ]*)/.exec(msg)?.[1];
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": return `unrecognised option: ${option?.replace(/=.*$/, "") ?? msg}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL": return `unexpected argument: ${/'([^']*)'/.exec(msg)?.[1] ?? msg}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": return msg.includes("argument missing") ? `${option ?? "an option"} needs a value` : `${option ?? "an option"} takes no value`;
    default: return msg.split("\n")[0] ?? msg;
  }
}
