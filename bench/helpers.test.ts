// Smoke tests of the bench's pure helpers. No timing is asserted anywhere: the bench's
// numbers are measurements, not test outcomes.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseBenchArgs } from "./lib/args.ts";
import { goals, goalsSection } from "./lib/goals.ts";
import { headline } from "./lib/headline.ts";
import { cpuSnapshot, field, parseStat, treeOf, usageSince, type ProcStat } from "./lib/proc.ts";
import { parseStamps, respawnLatencies, stormOutcome, unfinishedPids } from "./lib/stamps.ts";
import { median, percentile, ratio, summarize } from "./lib/stats.ts";
import { fmtCount, fmtKiB, fmtMs, fmtNs, fmtRatio, markdownTable, sig } from "./lib/table.ts";
import { droppedNote } from "./scenarios/crashloop.ts";
import { driveReducer, parseFuzzRate, workload } from "./scenarios/core.ts";
import { idleLastPer10s, idlePer10s, type IdleBeside } from "./scenarios/idle-beside.ts";
import { lazarusArgv } from "./targets/lazarus.ts";
import { appSettings, ecosystem } from "./targets/pm2.ts";
import { programSettings, supervisordConf } from "./targets/supervisord.ts";

describe("stats", () => {
  test("percentiles interpolate between ranks", () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(s, 0)).toBe(1);
    expect(percentile(s, 100)).toBe(10);
    expect(percentile(s, 50)).toBe(5.5);
    expect(percentile(s, 90)).toBeCloseTo(9.1);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile(s, 101)).toThrow();
  });
  test("summaries sort their input and leave it alone", () => {
    const v = [5, 1, 4, 2, 3];
    const s = summarize(v);
    expect(v).toEqual([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ n: 5, min: 1, p50: 3, max: 5, mean: 3 });
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(summarize([]).p50).toBeNaN();
  });
  test("ratios of missing measurements are NaN", () => {
    expect(ratio(2, 4)).toBe(0.5);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(Number.NaN, 1)).toBeNaN();
  });
});

describe("stamps", () => {
  const text = ["S a 10 1000", "E a 10 1500", "S b 11 1100", "S a 12 1700", "E b 11 2000", "junk", "S b 13 2600", "E a 12 3000", "S a 1"].join("\n");
  test("complete lines only; a partial last line is left for later", () => {
    const { stamps, consumed, malformed } = parseStamps(text);
    expect(stamps).toHaveLength(7);
    expect(malformed).toBe(1);
    expect(text.slice(consumed)).toBe("S a 1");
    expect(stamps[0]).toEqual({ kind: "S", tag: "a", pid: 10, ns: 1000 });
  });
  test("latency is the next start of the same tag minus the exit", () => {
    const { stamps } = parseStamps(text);
    expect(respawnLatencies(stamps).sort((x, y) => x - y)).toEqual([200, 600]);
    expect(unfinishedPids(stamps)).toEqual([13]);
  });
  test("a storm is complete when every crashed server started again", () => {
    const { stamps } = parseStamps("E a 1 100\nE b 2 110\nS a 3 150\nS b 4 400\n");
    const o = stormOutcome(stamps);
    expect(o).toMatchObject({ crashed: 2, restarted: 2, allBackNs: 300 });
    expect(o.latencies.sort((x, y) => x - y)).toEqual([50, 290]);
    expect(stormOutcome(stamps.slice(0, 3)).allBackNs).toBeNaN();
  });
});

describe("table", () => {
  test("numbers keep 3 significant digits in a readable unit", () => {
    expect(sig(1234.5)).toBe("1235");
    expect(sig(0.012345)).toBe("0.0123");
    expect(sig(12.5)).toBe("12.5");
    expect(fmtNs(649_000)).toBe("649 µs");
    expect(fmtNs(1_316_000)).toBe("1.32 ms");
    expect(fmtNs(18_900_000_000)).toBe("18.9 s");
    expect(fmtMs(Number.NaN)).toBe("–");
    expect(fmtRatio(0.1149)).toBe("0.115×");
    expect(fmtKiB(2048)).toBe("2 MiB");
    expect(fmtCount(1234567)).toBe("1 234 567");
  });
  test("markdown tables escape pipes and pad short rows", () => {
    expect(markdownTable(["a", "b"], [["x|y"]])).toBe("| a | b |\n|---|---|\n| x\\|y |  |");
  });
});

describe("/proc parsing", () => {
  test("comm may hold spaces and parentheses", () => {
    const line = "42 (PM2 v7: God (x)) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 100 1000 10";
    expect(parseStat(line)).toEqual({ pid: 42, comm: "PM2 v7: God (x)", state: "S", ppid: 1, cpuTicks: 325 });
    expect(parseStat("garbage")).toBeNull();
  });
  test("fields of status and smaps_rollup", () => {
    expect(field("Name:\tbun\nRss:      1234 kB\nPss: 99 kB\n", "Rss")).toBe(1234);
    expect(field("voluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t3\n", "nonvoluntary_ctxt_switches")).toBe(3);
    expect(field("", "Pss")).toBe(0);
  });
  test("a tree is its roots and every descendant", () => {
    const p = (pid: number, ppid: number): [number, ProcStat] => [pid, { pid, ppid, comm: "x", state: "S", cpuTicks: 0 }];
    const table = new Map([p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(20, 1)]);
    expect(treeOf(table, [10]).sort()).toEqual([10, 11, 12]);
    expect(treeOf(table, [99])).toEqual([]);
  });
});

describe("command lines and configurations", () => {
  test("bench arguments", () => {
    expect(parseBenchArgs(["--quick", "--only=latency,core", "--peers=runit"])).toMatchObject({ quick: true, only: ["latency", "core"], peers: ["runit"] });
    expect(parseBenchArgs(["--peers=none"])).toMatchObject({ peers: [] });
    expect(parseBenchArgs(["--only=nope"])).toBeString();
    expect(parseBenchArgs(["--peers=systemd"])).toBeString();
    // --name value as well as --name=value; --help; one-line errors
    expect(parseBenchArgs(["--only", "fleet", "--out", "/tmp/x"])).toMatchObject({ only: ["fleet"], out: "/tmp/x", help: false });
    expect(parseBenchArgs(["--help"])).toMatchObject({ help: true });
    expect(parseBenchArgs(["--bogus"])).toBe("unrecognised option: --bogus");
    expect(parseBenchArgs(["--only"])).toBe("--only needs a value");
  });
  test("lazarus gets every server between braces, its interval in seconds", () => {
    const argv = lazarusArgv("bun", { policy: { kind: "respawn", intervalMs: 1500 }, servers: [{ tag: "a", argv: ["/x", "1"] }, { tag: "b", argv: ["/y"] }] });
    expect(argv.slice(3)).toEqual(["--interval=1.5", "--control=none", "{", "/x", "1", "}", "{", "/y", "}"]);
  });
  test("supervisord: restart at once, or give up at the first early death", () => {
    expect(programSettings({ kind: "respawn", intervalMs: 0 })).toMatchObject({ autorestart: "true", startsecs: "0" });
    expect(programSettings({ kind: "crashloop", intervalMs: 60_000 })).toMatchObject({ startsecs: "60", startretries: "0" });
    const conf = supervisordConf({ dir: "/d", policy: { kind: "respawn", intervalMs: 0 }, servers: [{ tag: "s0", argv: ["/bin/x", "a"] }] });
    expect(conf).toContain("[program:s0]\ncommand=/bin/x a\n");
    expect(() => supervisordConf({ dir: "/d", policy: { kind: "respawn", intervalMs: 0 }, servers: [{ tag: "s0", argv: ["/a b"] }] })).toThrow();
  });
  test("PM2: no app ever ends up errored when respawning; the first early death errors it in a crash loop", () => {
    expect(appSettings({ kind: "respawn", intervalMs: 0 })).toMatchObject({ restart_delay: 0, min_uptime: 100, max_restarts: 1_000_000_000 });
    expect(appSettings({ kind: "crashloop", intervalMs: 60_000 })).toMatchObject({ min_uptime: 60_000, max_restarts: 1 });
    const eco = ecosystem({ policy: { kind: "respawn", intervalMs: 0 }, servers: [{ tag: "s0", argv: ["/bin/x", "a", "b"] }] });
    expect(eco.apps[0]).toMatchObject({ name: "s0", script: "/bin/x", args: ["a", "b"], interpreter: "none" });
  });
});

describe("core throughput", () => {
  test("the reducer workload respawns at every crash (the driver checks it)", () => {
    const w = workload(3, 10);
    expect(w.events).toHaveLength(20);
    const r = driveReducer(w, 10_000);
    expect(r.events).toBe(20);
    expect(r.servers).toBe(3);
  });
  test("fuzzer rate lines", () => {
    expect(parseFuzzRate("fuzz: 5000 scenarios in 2 s, 2500.5 scenarios/s\n")).toBe(2500.5);
    expect(parseFuzzRate("12 scenarios per second")).toBe(12);
    // The line of the lead's test/fuzz/main.ts (on main, not yet on this branch).
    expect(parseFuzzRate("fuzz: 4200 scenarios (250000 steps) in 20.0 s: 210.0 scenarios/s, 12500 steps/s")).toBe(210);
    expect(parseFuzzRate("nothing here")).toBeNull();
  });
});

describe("headline", () => {
  test("lazarus's figure and its ratio to each other supervisor", () => {
    const row = (name: string, p50: number) => ({ name, settings: "", runs: [], cpuPerRespawnMs: p50 / 1e6, p50, p95: p50, p99: p50, n: 10, error: null });
    const sections = [{ id: "latency-hot", title: "", head: [], rows: [], notes: [], data: [row("lazarus", 600_000), row("floor: C fork/exec/waitpid", 400_000), row("PM2", 6_000_000)] }];
    const h = headline(sections);
    const first = h.rows[0] as string[];
    expect(first.slice(0, 3)).toEqual(["respawn latency p50, hot loop", "600 µs", "1.5× (400 µs)"]);
    expect(first[first.length - 1]).toBe("0.1× (6 ms)");
    expect(first[3]).toBe("–");
  });
});

describe("crash loop", () => {
  test("lines lazarus's log says it dropped are noted (its own, not a log file's)", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-test-"));
    try {
      const log = join(dir, "lazarus.log");
      writeFileSync(log, [
        "lazarus: 'a' died abnormally, burying because it died too fast.",
        "lazarus: 1001 lines could not be written and were dropped: the reader of lazarus's output did not keep up.",
        "lazarus: 2 lines of lazarus's log and 5 lines of server output could not be written and were dropped: the reader of lazarus's output did not keep up.",
        "lazarus: /x/a.log can be written again; 7 lines could not be written and were dropped.",
        "",
      ].join("\n"));
      expect(droppedNote(log)).toBe(" (its log says 1 003 of its lines were dropped: the burials may be among them)");
      writeFileSync(log, "lazarus: 'a' died abnormally, burying because it died too fast.\n");
      expect(droppedNote(log)).toBe("");
      expect(droppedNote(join(dir, "none.log"))).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("goals (issue 18)", () => {
  const lat = (name: string, p50: number, p99: number, cpuMs: number) => ({ name, settings: "", runs: [], cpuPerRespawnMs: cpuMs, p50, p95: p99, p99, n: 10, error: null });
  const fleet = (target: string, n: number, rssKiB: number, storms: { allBackNs: number; cpuMs: number }[] = []) => ({
    target,
    n,
    processes: 1,
    memory: { rssKiB, pssKiB: rssKiB / 2 },
    idle: null,
    storms: storms.map((s) => ({ ...s, p50Ns: 0, p99Ns: 0, restarted: n })),
    error: null,
  });
  const idle: IdleBeside = {
    settleMs: 0,
    windowMs: 10_000,
    subjects: [
      { target: "lazarus", n: 1000, cpuMs: [9, 3], switches: [1, 1], memory: null },
      { target: "lazarus", n: 1, cpuMs: [5, 1], switches: [1, 1], memory: null },
      { target: "bare Bun (idle, one timer)", n: 0, cpuMs: [4, 0], switches: [1, 1], memory: null },
    ],
    error: null,
  };
  const section = (id: string, data: unknown) => ({ id, title: "", head: [], rows: [], notes: [], data });
  const sections = [
    section("latency-hot", [lat("lazarus", 600_000, 1e6, 0.2), lat("floor: Bun.spawn + onExit", 550_000, 9e5, 0.1)]),
    section("latency-warm", [lat("lazarus", 1_100_000, 1_600_000, 0.5), lat("floor: C fork/exec/waitpid", 1_000_000, 1_000_000, 0.2), lat("floor: Bun.spawn + onExit", 1e6, 1e6, 0.4)]),
    section("latency-hot-settled", [lat("lazarus", 500_000, 8e5, 0.14), lat("floor: Bun.spawn + onExit", 480_000, 8e5, 0.1)]),
    section("latency-warm-settled", [lat("lazarus", 1_300_000, 1_400_000, 0.3), lat("floor: C fork/exec/waitpid", 1_000_000, 1_000_000, 0.2), lat("floor: Bun.spawn + onExit", 1e6, 1e6, 0.25)]),
    section("storms", [
      fleet("lazarus", 1000, 0, [{ allBackNs: 500e6, cpuMs: 250 }, { allBackNs: 600e6, cpuMs: 200 }, { allBackNs: 700e6, cpuMs: 300 }]),
      fleet("floor: Bun.spawn + onExit", 1000, 0, [{ allBackNs: 500e6, cpuMs: 100 }]),
    ]),
    section("memory", [fleet("lazarus", 1, 30 * 1024), fleet("floor: Bun.spawn + onExit", 1, 24 * 1024), fleet("lazarus", 1000, 30 * 1024 + 999 * 12), fleet("floor: Bun.spawn + onExit", 1000, 25 * 1024),
      fleet("lazarus", 2000, 30 * 1024 + 999 * 12 + 1000 * 4), fleet("floor: Bun.spawn + onExit", 2000, 25 * 1024 + 1000 * 3)]),
    section("idle-beside", idle),
    section("core", { reducer: [{ servers: 1000, events: 1, seconds: 1, eventsPerSecond: 1_200_000, effectsPerEvent: 2.5 }], fuzz: null }),
  ];
  test("idle per 10 s over every window", () => {
    expect(idlePer10s(idle, "lazarus", 1000)).toBe(6);
    expect(idlePer10s(idle, "bare Bun (idle, one timer)", 0)).toBe(2);
    expect(idlePer10s(idle, "lazarus", 5)).toBeNaN();
    expect(idlePer10s(undefined, "lazarus", 1)).toBeNaN();
    expect(idleLastPer10s(idle, "lazarus", 1000)).toBe(3);
    expect(idleLastPer10s(idle, "lazarus", 5)).toBeNaN();
  });
  test("each goal: ratio or difference against its floor, and met or not", () => {
    const byGoal = new Map(goals(sections).map((g) => [g.goal, g]));
    expect(byGoal.size).toBe(18);
    const g = (name: string) => {
      const x = byGoal.get(name);
      if (x === undefined) throw new Error(`no goal ${name}`);
      return x;
    };
    expect(g("respawn latency p50, warm")).toMatchObject({ value: 1.1, met: true, valueText: "1.1×", reference: "C floor: 1 ms" });
    expect(g("respawn latency p99, warm")).toMatchObject({ met: false });
    expect(g("respawn latency p99, warm").value).toBeCloseTo(1.6);
    expect(g("CPU per respawn, hot loop")).toMatchObject({ value: 2, met: false });
    expect(g("CPU per respawn, warm")).toMatchObject({ value: 1.25, met: true });
    expect(g("CPU per respawn, warm").settled).toBeUndefined();
    // The same goals from the settled tables, marked as such.
    expect(g("respawn latency p50, warm, settled")).toMatchObject({ met: false, settled: true, reference: "C floor: 1 ms" });
    expect(g("respawn latency p50, warm, settled").value).toBeCloseTo(1.3);
    expect(g("respawn latency p99, warm, settled")).toMatchObject({ met: true, settled: true });
    expect(g("CPU per respawn, hot loop, settled")).toMatchObject({ met: true, settled: true });
    expect(g("CPU per respawn, hot loop, settled").value).toBeCloseTo(1.4);
    expect(g("CPU per respawn, warm, settled")).toMatchObject({ value: 1.2, met: true, settled: true });
    // Medians over the storms: 600 ms against 500 ms, 250 ms of CPU against 100.
    expect(g("storm of 1000: all back")).toMatchObject({ value: 1.2, met: true });
    expect(g("storm of 1000: CPU")).toMatchObject({ value: 2.5, met: false });
    expect(g("idle CPU per 10 s, 1 server")).toMatchObject({ kind: "above", value: 1, met: true, valueText: "+1 ms" });
    expect(g("idle CPU per 10 s, 1000 servers")).toMatchObject({ value: 4, met: false });
    // Settled: the last window alone (3 and 1 ms against the bare Bun's 0).
    expect(g("idle CPU per 10 s, 1000 servers, settled (last window)")).toMatchObject({ value: 3, met: false, settled: true });
    expect(g("idle CPU per 10 s, 1 server, settled (last window)")).toMatchObject({ value: 1, met: true, settled: true });
    expect(g("memory (RSS), 1 server")).toMatchObject({ value: 6 * 1024, met: true });
    expect(g("memory (RSS) per extra server, 1 → 1000")).toMatchObject({ value: 12, met: false, valueText: "12 KiB per server" });
    expect(g("memory (RSS) per extra server, 1 → 1000").settled).toBeUndefined();
    // Settled: from the fleet of 1000 to the fleet of 2000 (4 KiB per server; the floor's 3).
    expect(g("memory (RSS) per extra server, settled: 1000 → 2000")).toMatchObject({ value: 4, met: true, settled: true, valueText: "4 KiB per server" });
    expect(g("memory (RSS) per extra server, settled: 1000 → 2000").reference).toContain("3 KiB per server");
    expect(g("reducer at 1000 servers")).toMatchObject({ met: true, bound: { at: "least", limit: 1_000_000 } });
  });
  test("a goal the run did not measure says so instead of a verdict", () => {
    const gs = goals(sections.filter((s) => s.id !== "idle-beside" && s.id !== "latency-warm"));
    const idleGoal = gs.find((x) => x.goal === "idle CPU per 10 s, 1 server");
    expect(idleGoal).toMatchObject({ met: null, note: "not measured: no idle section in this run" });
    expect(gs.find((x) => x.goal === "respawn latency p50, warm")?.met).toBeNull();
    const s = goalsSection(sections.filter((x) => x.id !== "core"));
    expect(s.notes[0]).toBe("As the issue measures them: 5 of 10 measured goal(s) met; 1 not measured in this run. The latency, idle and memory-per-server goals again once settled (the rows marked settled): 5 of 7 measured goal(s) met.");
    const unsettled = goalsSection(sections.filter((x) => !x.id.endsWith("-settled")));
    expect(unsettled.notes[0]).toBe("As the issue measures them: 6 of 11 measured goal(s) met. The latency, idle and memory-per-server goals again once settled (the rows marked settled): 2 of 3 measured goal(s) met; 4 not measured in this run.");
    expect(unsettled.rows.find((r) => r[0] === "CPU per respawn, hot loop, settled")?.[5]).toBe("not measured: no hot, settled latency section in this run");
    expect(s.rows[s.rows.length - 1]?.[5]).toBe("not measured: no core section in this run");
    expect(s.rows[0]?.[5]).toBe("met");
  });
});

describe("CPU readings", () => {
  test("usage since a snapshot is never negative", () => {
    const before = cpuSnapshot([process.pid]);
    expect(before.threads.size).toBeGreaterThan(0);
    const used = usageSince(before);
    expect(used.cpuMs).toBeGreaterThanOrEqual(0);
    expect(used.switches).toBeGreaterThanOrEqual(0);
  });
});
