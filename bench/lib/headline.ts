// The headline: lazarus's figure for each measure, and its ratio to each floor and
// peer (lazarus ÷ it: below 1 lazarus is faster, leaner or cheaper), built from the
// other sections' data (pure).
import type { Section } from "../scenarios/common.ts";
import type { CrashLoopResult } from "../scenarios/crashloop.ts";
import type { FleetResult } from "../scenarios/fleet.ts";
import type { LatencyRow } from "../scenarios/latency.ts";
import { median, ratio } from "./stats.ts";
import { fmtKiB, fmtMs, fmtNs, fmtRatio } from "./table.ts";

export const COLUMNS = ["floor: C fork/exec/waitpid", "floor: Bun.spawn + onExit", "runit (runsv)", "s6 (s6-supervise)", "supervisord", "PM2"] as const;
const SHORT: Record<(typeof COLUMNS)[number], string> = {
  "floor: C fork/exec/waitpid": "C floor",
  "floor: Bun.spawn + onExit": "Bun floor",
  "runit (runsv)": "runit",
  "s6 (s6-supervise)": "s6",
  supervisord: "supervisord",
  PM2: "PM2",
};

interface Measure {
  readonly label: string;
  /** The value for a supervisor's name, NaN if not measured. */
  readonly value: (name: string) => number;
  readonly format: (x: number) => string;
  /** Why a supervisor's figure is not comparable here (shown instead of a ratio), or null. */
  readonly caveat?: (name: string) => string | null;
}

function data<T>(sections: readonly Section[], id: string): T[] {
  return (sections.find((s) => s.id === id)?.data as T[] | undefined) ?? [];
}

function fleet(results: readonly FleetResult[], name: string, n: number): FleetResult | undefined {
  return results.find((r) => r.target === name && r.n === n && r.error === null);
}

export function measures(sections: readonly Section[]): Measure[] {
  const hot = data<LatencyRow>(sections, "latency-hot");
  const warm = data<LatencyRow>(sections, "latency-warm");
  const storms = data<FleetResult>(sections, "storms");
  const loop = data<CrashLoopResult>(sections, "crashloop");
  const row = (rows: readonly LatencyRow[], name: string): LatencyRow | undefined => rows.find((r) => r.name === name && r.error === null);
  const storm = (name: string, n: number, f: (s: FleetResult["storms"][number]) => number): number => median(fleet(storms, name, n)?.storms.map(f) ?? []);
  // A supervisor that holds back a run that died at once (runsv, s6-supervise: 1 s by
  // design; supervisord: its 1 s loop) is not in a hot loop at all: say so, no ratio.
  const heldBack = (n: string): string | null => ((row(hot, n)?.p50 ?? 0) > 500e6 ? `held back ~1 s (${fmtNs(row(hot, n)?.p50 ?? Number.NaN)})` : null);
  const out: Measure[] = [
    { label: "respawn latency p50, hot loop", value: (n) => row(hot, n)?.p50 ?? Number.NaN, format: fmtNs, caveat: heldBack },
    { label: "respawn latency p99, hot loop", value: (n) => row(hot, n)?.p99 ?? Number.NaN, format: fmtNs, caveat: heldBack },
    { label: "CPU per respawn, hot loop", value: (n) => (row(hot, n)?.cpuPerRespawnMs ?? Number.NaN) * 1e6, format: fmtNs, caveat: (n) => (heldBack(n) === null ? null : "–") },
    { label: "respawn latency p50, warm", value: (n) => row(warm, n)?.p50 ?? Number.NaN, format: fmtNs },
    { label: "respawn latency p99, warm", value: (n) => row(warm, n)?.p99 ?? Number.NaN, format: fmtNs },
    { label: "CPU per respawn, warm", value: (n) => (row(warm, n)?.cpuPerRespawnMs ?? Number.NaN) * 1e6, format: fmtNs },
  ];
  for (const n of [100, 1000]) {
    if (!storms.some((r) => r.n === n && r.storms.length > 0)) continue;
    out.push({ label: `storm of ${n}: all back`, value: (x) => storm(x, n, (s) => s.allBackNs), format: fmtNs });
    out.push({ label: `storm of ${n}: CPU`, value: (x) => storm(x, n, (s) => s.cpuMs), format: fmtMs });
  }
  const loopN = loop[0]?.n;
  if (loopN !== undefined) {
    // lazarus runs this one with its log in a file.
    const find = (name: string): CrashLoopResult | undefined => loop.find((r) => (r.target === name || r.target === `${name} (log to file)`) && r.error === null);
    out.push({ label: `crash loop of ${loopN}: all given up`, value: (n) => find(n)?.allGivenUpMs ?? Number.NaN, format: fmtMs });
  }
  const idle = data<FleetResult>(sections, "idle");
  const idleN = idle.some((r) => r.idle !== null && r.n === 100) ? 100 : idle.find((r) => r.idle !== null && r.n > 0)?.n;
  if (idleN !== undefined) {
    out.push({
      label: `idle CPU per 10 s, ${idleN} server${idleN === 1 ? "" : "s"}`,
      value: (n) => {
        const i = fleet(idle, n, idleN)?.idle;
        return i ? (i.cpuMs * 10_000) / i.windowMs : Number.NaN;
      },
      format: fmtMs,
    });
  }
  const mem = data<FleetResult>(sections, "memory");
  for (const n of [1, 1000]) {
    if (!mem.some((r) => r.n === n && r.memory !== null)) continue;
    out.push({ label: `memory (PSS), ${n} server${n === 1 ? "" : "s"}`, value: (x) => fleet(mem, x, n)?.memory?.pssKiB ?? Number.NaN, format: fmtKiB });
  }
  return out;
}

export function headline(sections: readonly Section[]): Section {
  const ms = measures(sections).filter((m) => Number.isFinite(m.value("lazarus")));
  return {
    id: "headline",
    title: "Headline: lazarus, and lazarus ÷ each other (below 1× lazarus is faster, cheaper or leaner)",
    head: ["measure", "lazarus", ...COLUMNS.map((c) => `÷ ${SHORT[c]}`)],
    rows: ms.map((m) => {
      const l = m.value("lazarus");
      return [
        m.label,
        m.format(l),
        ...COLUMNS.map((c) => {
          const caveat = m.caveat?.(c) ?? null;
          if (caveat !== null) return caveat;
          const x = m.value(c);
          if (!Number.isFinite(x)) return "–";
          const r = ratio(l, x);
          return `${Number.isFinite(r) ? fmtRatio(r) : "–"} (${m.format(x)})`;
        }),
      ];
    }),
    notes: ["Each cell: lazarus's figure ÷ that supervisor's, with that supervisor's own figure in brackets; details and settings in the sections below."],
    data: ms.map((m) => ({ label: m.label, values: Object.fromEntries(["lazarus", ...COLUMNS].map((c) => [c, m.value(c)])) })),
  };
}
