// Markdown output (pure): tables and number formats.

/** A Markdown table; `|` in cells is escaped and newlines become spaces. */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(" | ")} |`;
  const sep = `|${head.map(() => "---").join("|")}|`;
  return [line(head), sep, ...rows.map((r) => line(head.map((_, i) => r[i] ?? "")))].join("\n");
}

const dash = "–";

function finite(x: number): boolean {
  return typeof x === "number" && Number.isFinite(x);
}

/** Nanoseconds as µs below 1 ms, else as ms (or s); 3 significant digits. */
export function fmtNs(ns: number): string {
  if (!finite(ns)) return dash;
  if (ns < 999_500) return `${sig(ns / 1e3)} µs`;
  return fmtMs(ns / 1e6);
}

/** Milliseconds as ms below 10 s, else as s; 3 significant digits. */
export function fmtMs(ms: number): string {
  if (!finite(ms)) return dash;
  if (ms < 10_000) return `${sig(ms)} ms`;
  return `${sig(ms / 1000)} s`;
}

/** A ratio as "1.23×". */
export function fmtRatio(x: number): string {
  return finite(x) ? `${sig(x)}×` : dash;
}

/** KiB as MiB. */
export function fmtKiB(kib: number): string {
  return finite(kib) ? `${sig(kib / 1024)} MiB` : dash;
}

/** A count with thin grouping: 12 345. */
export function fmtCount(n: number): string {
  if (!finite(n)) return dash;
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}

/** 3 significant digits, without exponent notation, without trailing zeros past the point. */
export function sig(x: number): string {
  if (!finite(x)) return dash;
  if (x === 0) return "0";
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return Number(x.toFixed(Math.min(digits, 6))).toString();
}
