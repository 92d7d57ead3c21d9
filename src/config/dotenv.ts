// .env files (--env-file): `KEY=value` lines loaded into every server's
// environment. Accepted: blank lines and `#` comments; an `export ` prefix;
// unquoted values (trimmed, ending at ` #` which starts a comment); 'single
// quoted' values taken literally; "double quoted" values with the escapes \n,
// \t, \r, \", \\ and \$; quoted values may span lines. No variable expansion:
// `$HOME` stays `$HOME`. A later line wins over an earlier one. Pure.

export type EnvFileResult =
  | { readonly ok: true; readonly env: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly error: string };

const ESCAPES: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", $: "$" };

export function parseEnvFile(text: string, file: string): EnvFileResult {
  const env: Record<string, string> = {};
  const src = text.replace(/\r\n/g, "\n");
  let i = 0;
  let line = 1;
  const fail = (at: number, message: string): EnvFileResult => ({ ok: false, error: `${file}:${at}: ${message}` });
  while (i < src.length) {
    const eol = src.indexOf("\n", i) < 0 ? src.length : src.indexOf("\n", i);
    const raw = src.slice(i, eol);
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      i = eol + 1;
      line++;
      continue;
    }
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=[ \t]*/.exec(raw);
    if (!m) {
      // What stands before the '=' (no backtracking regular expression: a long line stays linear).
      const eq = raw.indexOf("=");
      const name = eq < 0 ? undefined : raw.slice(0, eq).trim().replace(/^export\s+/, "");
      return fail(line, name !== undefined ? `invalid variable name ${JSON.stringify(name)}.` : `expected KEY=VALUE, got ${JSON.stringify(trimmed.length > 60 ? `${trimmed.slice(0, 60)}...` : trimmed)}.`);
    }
    const key = m[1] as string;
    let j = i + m[0].length;
    const q = src[j];
    let value: string;
    const startLine = line;
    if (q === "'" || q === '"') {
      value = "";
      j++;
      for (;;) {
        if (j >= src.length) return fail(startLine, `${key}: unterminated ${q === "'" ? "single" : "double"} quote.`);
        const c = src[j] as string;
        if (c === q) { j++; break; }
        if (c === "\n") line++;
        if (q === '"' && c === "\\" && src[j + 1] !== undefined && ESCAPES[src[j + 1] as string] !== undefined) {
          value += ESCAPES[src[j + 1] as string];
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      const end = src.indexOf("\n", j) < 0 ? src.length : src.indexOf("\n", j);
      const after = src.slice(j, end);
      if (after.trim() !== "" && !/^\s+#/.test(after) && !after.trim().startsWith("#")) {
        return fail(line, `${key}: unexpected text after the closing quote: ${JSON.stringify(after.trim())}.`);
      }
      i = end + 1;
    } else {
      const rest = src.slice(j, eol);
      const comment = /(^|\s)#/.exec(rest);
      value = (comment ? rest.slice(0, comment.index) : rest).trim();
      i = eol + 1;
    }
    if (value.includes("\0")) return fail(startLine, `${key}: the value contains a NUL character.`);
    env[key] = value;
    line++;
  }
  return { ok: true, env };
}
