// Small pure helpers about values, shared by the core and the layers above it.

/** A plain JSON-like object (not an array, not null). */
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** What went wrong, in words: an Error's message, or the value itself. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A word quoted (POSIX-shell style) so that a shell, and config/words.ts's
 * splitWords, read it back unchanged: bare when it is plain, in single quotes
 * otherwise.
 */
export function quoteWord(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
