// `lazarus replay FILE`: feed a JSON event log back through the core and
// report every step where the recorded records differ from what it decides.
// FILE may be the live file of a rotated set (event_log): `setOf` gives its
// files, oldest first (FILE.N … FILE.1, FILE), read in that order.
import { readFileSync } from "node:fs";
import { replay } from "../core/replay.ts";

export function replayFile(file: string | undefined, setOf: (file: string) => readonly string[] = (f) => [f]): { status: number; out: string } {
  if (file === undefined) return { status: 2, out: "lazarus: replay: usage: lazarus replay FILE (a --log-format=json log)\n" };
  const texts: string[] = [];
  for (const f of setOf(file)) {
    try {
      texts.push(readFileSync(f, "utf8"));
    } catch (e) {
      return { status: 2, out: `lazarus: replay: cannot read ${f}: ${(e as Error).message}\n` };
    }
  }
  const text = texts.join("\n");
  // Other lines (a server's own output on the same stderr) are skipped.
  const objects = text.split("\n").filter((l) => l.startsWith("{")).flatMap((l) => {
    try {
      return [JSON.parse(l) as unknown];
    } catch {
      return [{ unparsable: l.slice(0, 80) }];
    }
  });
  const r = replay(objects);
  const lines: string[] = [];
  for (const p of r.problems) lines.push(`lazarus: replay: ${p}`);
  for (const m of r.mismatches) {
    lines.push(`lazarus: replay: step at JSON line ${m.line} (${JSON.stringify(m.input)}): the core decides ${JSON.stringify(m.expected.map((x) => x.text))}, the log records ${JSON.stringify(m.recorded.map((x) => x.text))}`);
  }
  if (r.inputs === 0) lines.push("lazarus: replay: no recorded inputs found (was the log written with --log-format=json?)");
  const ok = r.mismatches.length === 0 && r.problems.length === 0 && r.inputs > 0;
  lines.push(`lazarus: replay: ${r.inputs} inputs in ${r.images} image${r.images === 1 ? "" : "s"}: ${ok ? "the core agrees with every recorded step" : `${r.mismatches.length} steps differ, ${r.problems.length} unusable lines`}.`);
  return { status: ok ? 0 : 1, out: `${lines.join("\n")}\n` };
}
