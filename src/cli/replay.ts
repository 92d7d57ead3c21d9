// `lazarus replay FILE`: feed a JSON event log back through the core and
// report every step where the recorded records differ from what it decides.
// The log is read line by line through `LogLines` (src/os/read-limited.ts in
// production): a log of any size is checked in bounded memory, and only a
// regular file is read (never /dev/zero or a FIFO).
import { REPORT_MAX, replayer } from "../core/replay.ts";
import { printable } from "../text/bytes.ts";

/** One line of the log: its bytes (without the newline), or the fact that it was too long to read. */
export type LogLine =
  | { readonly kind: "line"; readonly number: number; readonly bytes: Uint8Array }
  | { readonly kind: "too-long"; readonly number: number; readonly length: number; readonly first: number };

/** How replay reads a log: line by line, each at most `maxLine` bytes; or why it cannot (one line naming the file). */
export type LogLines = (path: string, maxLine: number) =>
  | { readonly ok: true; readonly next: () => LogLine | null; readonly close: () => void }
  | { readonly ok: false; readonly error: string };

/** The longest log line read (a header lists every server, about 300 bytes each: 16 MiB is some 50,000 servers). */
export const MAX_LOG_LINE = 16 * 1024 * 1024;

const USAGE = "lazarus: replay: usage: lazarus replay FILE (a --log-format=json log)\n";

/** `args`: the words after `replay`. */
export function replayFile(args: readonly string[], open: LogLines): { status: number; out: string } {
  if (args.length !== 1 || args[0] === "") {
    if (args.length > 1) return { status: 2, out: `lazarus: replay: one log at a time: unexpected ${printable(JSON.stringify(args[1]))} (usage: lazarus replay FILE)\n` };
    return { status: 2, out: USAGE };
  }
  const file = args[0] as string;
  const opened = open(file, MAX_LOG_LINE);
  if (!opened.ok) return { status: 2, out: `lazarus: replay: ${opened.error}\n` };
  const r = replayer();
  const decoder = new TextDecoder();
  try {
    for (let line = opened.next(); line !== null; line = opened.next()) {
      // Other lines (a server's own output on the same stderr) are skipped.
      if (line.kind === "too-long") {
        if (line.first === 0x7b) r.unusable(line.number, `a JSON line over ${MAX_LOG_LINE / 1024 / 1024} MiB (${line.length} bytes), not read`);
        continue;
      }
      if (line.bytes[0] !== 0x7b /* { */) continue;
      const text = decoder.decode(line.bytes);
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        raw = { unparsable: text.slice(0, 80) };
      }
      r.feed(raw, line.number);
    }
  } catch (e) {
    return { status: 2, out: `lazarus: replay: ${printable(file)}: cannot read it: ${e instanceof Error ? e.message : String(e)}.\n` };
  } finally {
    opened.close();
  }
  const report = r.report();
  const lines: string[] = [];
  for (const p of report.problems) lines.push(`lazarus: replay: ${p}`);
  if (report.problemCount > REPORT_MAX) lines.push(`lazarus: replay: ... and ${report.problemCount - REPORT_MAX} more unusable lines`);
  for (const m of report.mismatches) {
    lines.push(`lazarus: replay: step at line ${m.line} (${JSON.stringify(m.input)}): the core decides ${JSON.stringify(m.expected.map((x) => x.text))}, the log records ${JSON.stringify(m.recorded.map((x) => x.text))}`);
  }
  if (report.mismatchCount > REPORT_MAX) lines.push(`lazarus: replay: ... and ${report.mismatchCount - REPORT_MAX} more steps that differ`);
  if (report.inputs === 0) lines.push("lazarus: replay: no recorded inputs found (was the log written with --log-format=json?)");
  const ok = report.mismatchCount === 0 && report.problemCount === 0 && report.inputs > 0;
  lines.push(`lazarus: replay: ${report.inputs} inputs in ${report.images} image${report.images === 1 ? "" : "s"}: ${ok ? "the core agrees with every recorded step" : `${report.mismatchCount} steps differ, ${report.problemCount} unusable lines`}.`);
  return { status: ok ? 0 : 1, out: `${lines.join("\n")}\n` };
}
