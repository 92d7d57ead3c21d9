// A strict parser of the Prometheus text exposition format 0.0.4, for tests: it
// reads /metrics back and refuses what Prometheus would refuse or what breaks
// the format's rules (an invalid name, an escape other than \\ \" \n, a sample
// before its family's TYPE, a family split in two, a series twice, a bad value).

export interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface ParsedFamily {
  readonly name: string;
  help: string | null;
  type: string | null;
  readonly samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(s: string, line: number): number {
  if (s === "NaN") return Number.NaN;
  if (s === "+Inf" || s === "Inf") return Number.POSITIVE_INFINITY;
  if (s === "-Inf") return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

function unescapeHelp(s: string, line: number): string {
  return s.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new Error(`line ${line}: bad escape \\${c} in HELP`);
  });
}

/** Parse `{a="x",b="y"}` starting at text[0] === "{"; returns the labels and the rest. */
function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === "}") return { labels, rest: text.slice(i + 1) };
    const m = LABEL.exec(text.slice(i));
    if (m === null) throw new Error(`line ${line}: bad label name at ${JSON.stringify(text.slice(i, i + 10))}`);
    const name = m[0];
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`);
    i += name.length;
    if (text[i] !== "=" || text[i + 1] !== "\"") throw new Error(`line ${line}: expected =" after ${name}`);
    i += 2;
    let value = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === "\"") break;
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "\\") value += "\\";
        else if (e === "\"") value += "\"";
        else if (e === "n") value += "\n";
        else throw new Error(`line ${line}: bad escape \\${e ?? ""} in a label value`);
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    labels[name] = value;
    i++;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new Error(`line ${line}: expected , or } after a label`);
  }
}

export function parsePrometheus(text: string): Map<string, ParsedFamily> {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const families = new Map<string, ParsedFamily>();
  const series = new Set<string>();
  let current: string | null = null;
  const family = (name: string, line: number): ParsedFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, help: null, type: null, samples: [] };
      families.set(name, f);
    } else if (current !== name) {
      throw new Error(`line ${line}: family ${name} is split (its lines must be together)`);
    }
    current = name;
    return f;
  };
  const lines = text.split("\n");
  lines.pop();
  lines.forEach((raw, k) => {
    const line = k + 1;
    if (raw.trim() === "") return;
    if (raw.startsWith("#")) {
      const m = /^# (HELP|TYPE) ([^ ]+)(?: (.*))?$/s.exec(raw);
      if (m === null) return; // a plain comment
      const name = m[2] as string;
      if (NAME.exec(name)?.[0] !== name) throw new Error(`line ${line}: bad metric name ${name}`);
      const f = family(name, line);
      if (m[1] === "HELP") {
        if (f.help !== null) throw new Error(`line ${line}: HELP of ${name} twice`);
        f.help = unescapeHelp(m[3] ?? "", line);
      } else {
        if (f.type !== null) throw new Error(`line ${line}: TYPE of ${name} twice`);
        if (f.samples.length > 0) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
        if (!TYPES.has(m[3] ?? "")) throw new Error(`line ${line}: bad type ${m[3]}`);
        f.type = m[3] as string;
      }
      return;
    }
    const nm = NAME.exec(raw);
    if (nm === null) throw new Error(`line ${line}: bad sample ${JSON.stringify(raw.slice(0, 40))}`);
    const name = nm[0];
    let rest = raw.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, line));
    const parts = rest.trim().split(/ +/);
    if (!rest.startsWith(" ") || parts.length < 1 || parts.length > 2) throw new Error(`line ${line}: expected ' VALUE [TIMESTAMP]'`);
    const value = parseValue(parts[0] as string, line);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${line}: bad timestamp`);
    const f = family(name, line);
    if (f.type === null) throw new Error(`line ${line}: sample of ${name} before its TYPE`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
    if (series.has(key)) throw new Error(`line ${line}: series ${key} twice`);
    series.add(key);
    f.samples.push({ name, labels, value });
  });
  return families;
}

/** The value of the one sample of `name` whose labels include `match`. */
export function sample(families: Map<string, ParsedFamily>, name: string, match: Record<string, string> = {}): number | undefined {
  const f = families.get(name);
  const hits = (f?.samples ?? []).filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(match)}`);
  return hits[0]?.value;
}
