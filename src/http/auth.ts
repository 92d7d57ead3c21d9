// The bearer token that allows actions (`--http-token-file`): what a token file
// may hold, how an Authorization header is read, and a comparison that takes
// the same time whatever the guess (both sides are hashed to 32 bytes first, so
// neither the length nor a common prefix of the real token shows in the timing).
//
// A token file holds one token: 16 to 1024 characters of RFC 6750's b64token
// alphabet (A-Z a-z 0-9 - . _ ~ + / and trailing =), optionally followed by a
// line feed; e.g. `head -c 32 /dev/urandom | base64 > token`. Anything else is
// refused with a one-line error, so a token never contains what a header cannot.
import { HTTP_LIMITS } from "./limits.ts";

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The token in a token file's text, or a one-line reason it is not one. */
export function parseTokenFile(text: string, path: string): { ok: true; token: string } | { ok: false; error: string } {
  const token = text.replace(/\r?\n$/, "");
  const where = `--http-token-file=${path}`;
  if (token.length === 0) return { ok: false, error: `${where}: the file is empty (it must hold one token)` };
  if (/[\r\n]/.test(token)) return { ok: false, error: `${where}: the token must be one line` };
  if (token.length < HTTP_LIMITS.MIN_TOKEN_CHARS) return { ok: false, error: `${where}: the token is ${token.length} characters; it needs at least ${HTTP_LIMITS.MIN_TOKEN_CHARS}` };
  if (token.length > HTTP_LIMITS.MAX_TOKEN_BYTES) return { ok: false, error: `${where}: the token is longer than ${HTTP_LIMITS.MAX_TOKEN_BYTES} characters` };
  if (!B64TOKEN.test(token)) return { ok: false, error: `${where}: the token may hold only A-Z a-z 0-9 - . _ ~ + / (and = at its end)` };
  return { ok: true, token };
}

export type Credentials =
  | { readonly kind: "none" }
  | { readonly kind: "malformed"; readonly why: string }
  | { readonly kind: "bearer"; readonly token: string };

/** What an Authorization header carries (null: no header). */
export function readAuthorization(header: string | null): Credentials {
  if (header === null) return { kind: "none" };
  if (header.length > HTTP_LIMITS.MAX_TOKEN_BYTES + 16) return { kind: "malformed", why: "the Authorization header is too long" };
  const m = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  if (m === null) return { kind: "malformed", why: "the Authorization header is not 'Bearer TOKEN'" };
  if ((m[1] as string).toLowerCase() !== "bearer") return { kind: "malformed", why: `the Authorization scheme must be Bearer, not ${(m[1] as string).slice(0, 20)}` };
  const token = m[2] as string;
  if (!B64TOKEN.test(token)) return { kind: "malformed", why: "the bearer token has characters a token cannot have" };
  return { kind: "bearer", token };
}

function digest(s: string): Buffer {
  // Bun's own hasher: node:crypto would cost lazarus about 7 MiB of memory (see page.ts).
  return new Bun.CryptoHasher("sha256").update(s, "utf8").digest();
}

/** A checker for one token: compares in constant time (of the digests). */
export function tokenChecker(token: string): (guess: string) => boolean {
  const want = digest(token);
  return (guess) => sameBytes(digest(guess), want);
}

/** Whether two digests are equal, in a time that does not depend on where they differ (node:crypto's timingSafeEqual, without loading it). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
