// The Prometheus text exposition format, version 0.0.4: families of samples,
// each with its HELP and TYPE lines, label values escaped (backslash, double
// quote, line feed), HELP text escaped (backslash, line feed), values as Go's
// ParseFloat reads them (NaN, +Inf, -Inf). Pure.
//
//   # HELP lazarus_server_up Whether the server is running (1) or not (0).
//   # TYPE lazarus_server_up gauge
//   lazarus_server_up{server="web"} 1

import type { AnswerBuild } from "./answer.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge";

export type Labels = readonly (readonly [string, string])[];

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n");
}

export function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/**
 * The exposition of these families, in order. A family without samples is left
 * out entirely. Names and label names are checked (they are ours: a bad one is
 * a bug, thrown).
 */
export function exposition(families: readonly Family[]): string {
  const out: string[] = [];
  const seen = new Set<string>();
  // Checked once each: a /metrics of a thousand servers has some 15,000 samples, all with the same few label names.
  const labelNames = new Set<string>();
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`bad metric name ${f.name}`);
    if (seen.has(f.name)) throw new Error(`metric ${f.name} twice`);
    seen.add(f.name);
    if (f.type === "counter" && !f.name.endsWith("_total")) throw new Error(`counter ${f.name} must end in _total`);
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      let labels = "";
      for (const [k, v] of s.labels) {
        if (!labelNames.has(k)) {
          if (!LABEL.test(k) || k.startsWith("__")) throw new Error(`bad label name ${k} in ${f.name}`);
          labelNames.add(k);
        }
        labels += `${labels === "" ? "{" : ","}${k}="${escapeLabelValue(v)}"`;
      }
      out.push(`${f.name}${labels === "" ? "" : `${labels}}`} ${formatValue(s.value)}`);
    }
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/**
 * A family whose samples come a part at a time: `parts` parts, the samples of
 * part i by `part(i)` (a server's samples, or all of a family of the
 * supervisor's in one part). What an ExpositionBuild walks; `familyOf` makes it
 * a Family.
 */
export interface FamilySource {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly parts: number;
  readonly part: (i: number) => readonly Sample[];
}

export function familyOf(f: FamilySource): Family {
  const samples: Sample[] = [];
  for (let i = 0; i < f.parts; i++) for (const s of f.part(i)) samples.push(s);
  return { name: f.name, help: f.help, type: f.type, samples };
}

/**
 * exposition(sources.map(familyOf)), byte for byte, a few parts per step: a
 * /metrics of a thousand servers is some 15,000 lines, 3 to 8 ms of the loop in
 * one go. The names are checked at the start (the constructor throws as
 * exposition does), label names as they come.
 */
export class ExpositionBuild implements AnswerBuild {
  private family = 0;
  private part = 0;
  private headed = false;
  private finished: boolean;
  private readonly labelNames = new Set<string>();

  constructor(private readonly sources: readonly FamilySource[]) {
    const seen = new Set<string>();
    for (const f of sources) {
      if (!NAME.test(f.name)) throw new Error(`bad metric name ${f.name}`);
      if (seen.has(f.name)) throw new Error(`metric ${f.name} twice`);
      seen.add(f.name);
      if (f.type === "counter" && !f.name.endsWith("_total")) throw new Error(`counter ${f.name} must end in _total`);
    }
    this.finished = sources.length === 0;
  }

  get done(): boolean {
    return this.finished;
  }

  /** The next chunk: parts (a server's samples of a family) until it holds `maxChars` characters or `enough()`. */
  step(maxChars: number, enough: () => boolean): string {
    let text = "";
    const sources = this.sources;
    while (this.family < sources.length) {
      const f = sources[this.family] as FamilySource;
      if (this.part >= f.parts) {
        this.family++;
        this.part = 0;
        this.headed = false;
        continue;
      }
      for (const s of f.part(this.part++)) {
        if (!this.headed) {
          text += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
          this.headed = true;
        }
        let labels = "";
        for (const [k, v] of s.labels) {
          if (!this.labelNames.has(k)) {
            if (!LABEL.test(k) || k.startsWith("__")) throw new Error(`bad label name ${k} in ${f.name}`);
            this.labelNames.add(k);
          }
          labels += `${labels === "" ? "{" : ","}${k}="${escapeLabelValue(v)}"`;
        }
        text += `${f.name}${labels === "" ? "" : `${labels}}`} ${formatValue(s.value)}\n`;
      }
      if (text.length >= maxChars || enough()) break;
    }
    // Past the parts that are left in none: the last step is the one that wrote the last line.
    while (this.family < sources.length && this.part >= (sources[this.family] as FamilySource).parts) {
      this.family++;
      this.part = 0;
      this.headed = false;
    }
    this.finished = this.family >= sources.length;
    return text;
  }
}
