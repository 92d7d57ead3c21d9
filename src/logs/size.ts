// Sizes as an operator writes them in a config file or on the command line:
// `log_max_size = "10MiB"`, `--log-max-size=512KiB`, or a number of bytes.
// Pure. Units (case-insensitive): B; KB MB GB TB are powers of 1000, KiB MiB
// GiB TiB powers of 1024, and the bare K M G T are taken as powers of 1024 (as
// systemd and most tools on Linux read them). A fraction is allowed with a
// unit ("1.5GiB") and rounded down to whole bytes. The result is a whole,
// non-negative, safe integer: a limit of 0 means "no limit" to whoever uses it.

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024, kib: 1024, kb: 1000,
  m: 1024 ** 2, mib: 1024 ** 2, mb: 1000 ** 2,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1000 ** 3,
  t: 1024 ** 4, tib: 1024 ** 4, tb: 1000 ** 4,
};

const SHAPE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

export type SizeResult = { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly error: string };

/** A size in bytes from "10MiB", "512 KiB", "1GB", "4096", or a number of bytes; or a one-line error. */
export function parseSize(input: unknown): SizeResult {
  const bad = (why: string): SizeResult => ({
    ok: false,
    error: `bad size ${JSON.stringify(input)}: ${why} (a number of bytes, or a number and a unit: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB; e.g. "10MiB")`,
  });
  if (typeof input === "number") {
    if (!Number.isSafeInteger(input) || input < 0) return bad("not a whole number of bytes");
    return { ok: true, bytes: input };
  }
  if (typeof input !== "string") return bad("not a string or a number");
  const m = SHAPE.exec(input.trim());
  if (m === null) return bad("not a size");
  const [, num = "", unitText = ""] = m;
  const unit = unitText === "" ? 1 : UNITS[unitText.toLowerCase()];
  if (unit === undefined) return bad(`unknown unit ${JSON.stringify(unitText)}`);
  if (unitText === "" && num.includes(".")) return bad("a fraction of a byte");
  const bytes = Math.floor(Number(num) * unit);
  if (!Number.isSafeInteger(bytes)) return bad("too large");
  return { ok: true, bytes };
}

/** A size for people: "10 MiB", "512 KiB", "1.5 GiB", "100 B". Pure. */
export function formatSize(bytes: number): string {
  const steps = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < steps.length - 1) {
    v /= 1024;
    i++;
  }
  const text = i === 0 || Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, "");
  return `${text} ${steps[i]}`;
}
