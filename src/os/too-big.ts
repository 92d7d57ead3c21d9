// Why a spawn failed with E2BIG, in words: the kernel refuses an exec whose
// arguments and environment are too big, without saying which. Linux limits
// one argument or one variable ("NAME=value") to MAX_ARG_STRLEN bytes, and all
// of them together to about a quarter of the stack limit. A .env file with a
// 1 MB value gives "argument list too long", which sends the reader to the
// wrong place: this names the environment, and its largest variable. Pure.
import { byteLength } from "../text/bytes.ts";

/** Linux's limit for one argument or variable: 32 pages of 4 KiB. */
export const MAX_ARG_STRLEN = 128 * 1024;

export function tooBigReason(argv: readonly string[], env: Readonly<Record<string, string>>): string {
  const vars = Object.entries(env).map(([name, value]) => ({ name, bytes: byteLength(`${name}=${value}`) + 1 }));
  const envBytes = vars.reduce((n, v) => n + v.bytes, 0);
  const largest = vars.reduce<{ name: string; bytes: number } | null>((m, v) => (m === null || v.bytes > m.bytes ? v : m), null);
  const args = argv.map((a) => byteLength(a) + 1);
  const argBytes = args.reduce((n, b) => n + b, 0);
  const longest = args.reduce((m, b, i) => (b > (args[m] ?? 0) ? i : m), 0);
  const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;
  const envSummary = `${vars.length} variable${vars.length === 1 ? "" : "s"}, ${kib(envBytes)} in all`;
  if (largest !== null && largest.bytes > MAX_ARG_STRLEN) {
    return `E2BIG: the environment is too big: the variable ${largest.name} holds ${kib(largest.bytes)}, over the kernel's limit of 128 KiB for one variable (${envSummary})`;
  }
  if ((args[longest] ?? 0) > MAX_ARG_STRLEN) {
    return `E2BIG: argument ${longest} holds ${kib(args[longest] ?? 0)}, over the kernel's limit of 128 KiB for one argument`;
  }
  if (envBytes >= argBytes) {
    return `E2BIG: the environment is too big: ${envSummary}, the largest ${largest?.name ?? "-"} with ${kib(largest?.bytes ?? 0)} (and ${kib(argBytes)} of arguments)`;
  }
  return `E2BIG: the arguments are too big: ${argv.length} arguments, ${kib(argBytes)} in all (and ${kib(envBytes)} of environment)`;
}
