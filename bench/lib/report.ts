// The results as Markdown and JSON (pure).
import type { Section } from "../scenarios/common.ts";
import type { Meta } from "./meta.ts";
import { markdownTable } from "./table.ts";

export function renderMarkdown(meta: Meta, sections: readonly Section[]): string {
  const out: string[] = [];
  out.push(
    `Measured ${meta.date.slice(0, 16).replace("T", " ")} UTC${meta.quick ? " (--quick)" : ""} on ${meta.cores} × ${meta.cpu}, ` +
      `${meta.memoryGiB} GiB, Linux ${meta.kernel}; Bun ${meta.bun}; lazarus at ${meta.lazarusCommit}. ` +
      `Load average ${meta.loadAtStart.join(" ")} at the start, ${meta.loadAtEnd.join(" ")} at the end (a shared machine: absolute times are noisy, ratios less so).`,
  );
  const versions = Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(", ");
  if (versions !== "") out.push(`Versions: ${versions}.`);
  for (const s of sections) {
    out.push("", `### ${s.title}`, "", markdownTable(s.head, s.rows));
    if (s.notes.length > 0) out.push("", ...s.notes.map((n) => `- ${n}`));
  }
  return `${out.join("\n")}\n`;
}

export function renderJson(meta: Meta, sections: readonly Section[]): string {
  return `${JSON.stringify({ meta, sections }, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2)}\n`;
}
