// `cmd = "python3 worker.py --queue jobs"`: a command written as one string is
// split into words the way a POSIX shell splits them (blanks, 'single quotes',
// "double quotes", backslashes), and is never run through a shell.
//
// What a shell would do beyond splitting (pipes, redirections, `;`, `&&`,
// `$VAR`, `$(...)`, backquotes, comments) cannot happen without one, so those
// characters are refused when they are not quoted, with a message saying how
// to get them: quote them to pass them literally, or write the argv array
// ["sh", "-c", "..."]. Globs (`*`, `?`, `[`) and a leading `~` are passed
// literally, as in a quoted word. Pure.
import { quoteWord } from "../core/values.ts";

export type Split =
  | { readonly ok: true; readonly words: string[] }
  | { readonly ok: false; readonly error: string };

/** Characters that, unquoted, would need a shell to mean what the writer meant. */
const NEEDS_SHELL = new Set(["|", "&", ";", "<", ">", "(", ")", "$", "`"]);
const BLANK = new Set([" ", "\t", "\n", "\r"]);

export function splitWords(text: string): Split {
  const words: string[] = [];
  let word = "";
  /** Whether a word has begun (an empty quoted string '' is a word). */
  let inWord = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (BLANK.has(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return fail("unterminated single quote");
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      for (;;) {
        if (i >= n) return fail("unterminated double quote");
        const d = text[i] as string;
        if (d === '"') { i++; break; }
        if (d === "\\") {
          const e = text[i + 1];
          if (e === undefined) return fail("unterminated double quote");
          // Inside double quotes a backslash escapes only these (POSIX); a
          // backslash-newline is a line continuation and disappears.
          if (e === "\n") { i += 2; continue; }
          if (e === "$" || e === "`" || e === '"' || e === "\\") { word += e; i += 2; continue; }
          word += "\\";
          i++;
          continue;
        }
        if (d === "$" || d === "`") return needsShell(d, "inside double quotes");
        word += d;
        i++;
      }
      inWord = true;
      continue;
    }
    if (c === "\\") {
      const e = text[i + 1];
      if (e === undefined) return fail("a backslash at the end escapes nothing");
      if (e !== "\n") { word += e; inWord = true; }
      i += 2;
      continue;
    }
    if (c === "#" && !inWord) return needsShell(c, "(a comment)");
    if (NEEDS_SHELL.has(c)) return needsShell(c, "");
    word += c;
    inWord = true;
    i++;
  }
  if (inWord) words.push(word);
  return { ok: true, words };
}

function fail(error: string): Split {
  return { ok: false, error };
}

function needsShell(c: string, where: string): Split {
  const what = where === "" ? `'${c}'` : `'${c}' ${where}`;
  return fail(`${what} would need a shell, and cmd never runs through one: quote it to pass it literally, or use ["sh", "-c", "..."]`);
}


/** The inverse of splitWords for any list of words. */
export function joinWords(words: readonly string[]): string {
  return words.map(quoteWord).join(" ");
}
