// Reading --http-token-file: at most a few KiB of one file (what it may hold is
// checked by src/http/auth.ts parseTokenFile), with one-line errors. Read once at
// start-up (and again by a re-exec'd image, which reads its command line anew).
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parseTokenFile } from "../http/auth.ts";
import { HTTP_LIMITS } from "../http/limits.ts";

export function readTokenFile(path: string): { ok: true; token: string } | { ok: false; error: string } {
  const where = `--http-token-file=${path}`;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { ok: false, error: `${where}: cannot open it (${code ?? (e instanceof Error ? e.message : String(e))})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, error: `${where}: not a regular file` };
    const cap = HTTP_LIMITS.MAX_TOKEN_BYTES + 2;
    if (st.size > cap) return { ok: false, error: `${where}: ${st.size} bytes; a token file holds one token of at most ${HTTP_LIMITS.MAX_TOKEN_BYTES} characters` };
    const buf = Buffer.alloc(cap + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > cap) return { ok: false, error: `${where}: longer than ${cap} bytes` };
    const text = buf.subarray(0, n).toString("utf8");
    return parseTokenFile(text, path);
  } catch (e) {
    return { ok: false, error: `${where}: cannot read it (${e instanceof Error ? e.message : String(e)})` };
  } finally {
    closeSync(fd);
  }
}
