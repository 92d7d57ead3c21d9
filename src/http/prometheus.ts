// The Prometheus text exposition format, version 0.0.4: families of samples,
// each with its HELP and TYPE lines, label values escaped (backslash, double
// quote, line feed), HELP text escaped (backslash, line feed), values as Go's
// ParseFloat reads them (NaN, +Inf, -Inf). Pure.
//
//   # HELP lazarus_server_up Whether the server is running (1) or not (0).
//   # TYPE lazarus_server_up gauge
//   lazarus_server_up{server="web"} 1

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
