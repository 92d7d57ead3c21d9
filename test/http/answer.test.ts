// /metrics and /api/status built a step at a time (answer.ts, prometheus.ts
// ExpositionBuild): byte for byte the one-go answers, whatever the steps, and a
// big fleet's answer in many steps.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { type AnswerBuild, JsonBuild } from "../../src/http/answer.ts";
import { HTTP_LIMITS } from "../../src/http/limits.ts";
import { metricSources, metricsBuild, metricsText } from "../../src/http/metrics.ts";
import { ExpositionBuild, exposition, familyOf } from "../../src/http/prometheus.ts";
import { ManualClock } from "../helpers/fake-supervisor.ts";
import { propertySeed } from "../helpers/seed.ts";
import { VARIED_PROC, VARIED_STATS, variedFleet } from "../helpers/varied-fleet.ts";

const seed = propertySeed("test/http/answer.test.ts");
/** What lazarus answered to /metrics of variedFleet in one go before answers were built a step at a time (commit 4522f6b). */
const GOLDEN = readFileSync(join(import.meta.dir, "golden/metrics-varied.txt"), "utf8");
const CLOCK = (clock: ManualClock) => ({ now: clock.now(), wall: 1_800_000_000_123 });

/** Step a build to its end: its text and its number of steps. */
function built(b: AnswerBuild, maxChars: number, enough: () => boolean = () => false): { text: string; steps: number; chunks: number[] } {
  const chunks: string[] = [];
  while (!b.done) {
    chunks.push(b.step(maxChars, enough));
    if (chunks.length > 1_000_000) throw new Error("the build never ends");
  }
  return { text: chunks.join(""), steps: chunks.length, chunks: chunks.map((c) => c.length) };
}

test("/metrics built a server per step, or all in one, is byte for byte what lazarus answered in one go", () => {
  const clock = new ManualClock(0);
  const snap = variedFleet(clock).snapshot();
  expect(metricsText(snap, CLOCK(clock), VARIED_PROC, VARIED_STATS)).toBe(GOLDEN);
  const one = built(metricsBuild(snap, CLOCK(clock), VARIED_PROC, VARIED_STATS), 1);
  expect(one.text).toBe(GOLDEN);
  // A step per part that writes something: a server's samples of a family (5 servers in 9 families, less the
  // samples some have not: ready 2, crashes 3, state age 4, last exit 3: 37), then 15 of the supervisor's families.
  expect(one.steps).toBe(37 + 15);
  const all = built(metricsBuild(snap, CLOCK(clock), VARIED_PROC, VARIED_STATS), Number.POSITIVE_INFINITY);
  expect(all).toMatchObject({ text: GOLDEN, steps: 1 });
  // A step ends when told to (after each part, one that writes nothing too), and always makes progress.
  const told = built(metricsBuild(snap, CLOCK(clock), VARIED_PROC, VARIED_STATS), Number.POSITIVE_INFINITY, () => true);
  const parts = metricSources(snap, CLOCK(clock), VARIED_PROC, VARIED_STATS).reduce((n, f) => n + f.parts, 0);
  expect(told).toMatchObject({ text: GOLDEN, steps: parts });
  // Without the endpoint's figures and the process's, and with answers cut off.
  const dropped = { ...VARIED_STATS, dropped: { stalled: 2, "sse-stalled": 1 } };
  for (const [proc, stats] of [[null, null], [VARIED_PROC, dropped]] as const) {
    expect(built(metricsBuild(snap, CLOCK(clock), proc, stats), 100).text).toBe(metricsText(snap, CLOCK(clock), proc, stats));
  }
  expect(metricsText(snap, CLOCK(clock), VARIED_PROC, dropped)).toContain('lazarus_http_dropped_total{reason="sse-stalled"} 1\nlazarus_http_dropped_total{reason="stalled"} 2\n');
});

test("the exposition built a part at a time checks names as the one-go exposition does, and writes nothing for no samples", () => {
  const empty = new ExpositionBuild([]);
  expect(empty.done).toBe(true);
  const none = { name: "g", type: "gauge" as const, help: "h", parts: 3, part: () => [] };
  expect(built(new ExpositionBuild([none, { ...none, name: "h" }]), 1)).toMatchObject({ text: "", steps: 1 }); // parts that write nothing do not end a step
  expect(() => new ExpositionBuild([{ ...none, name: "bad-name" }])).toThrow(/bad metric name/);
  expect(() => new ExpositionBuild([{ ...none, name: "c", type: "counter" }])).toThrow(/_total/);
  expect(() => new ExpositionBuild([none, none])).toThrow(/twice/);
  const bad = new ExpositionBuild([{ ...none, parts: 1, part: () => [{ labels: [["__x", "1"]], value: 1 }] }]);
  expect(() => bad.step(1, () => false)).toThrow(/bad label name/);
  const sources = [{ name: "x_total", type: "counter" as const, help: "a\\b\nc", parts: 4, part: (i: number) => [{ labels: [["i", `"${i}"`]] as const, value: i / 3 }] }];
  expect(built(new ExpositionBuild(sources), 1).text).toBe(exposition(sources.map(familyOf)));
});

test("a thousand servers' /metrics is built in many steps of at most about ANSWER_SLICE_CHARS, the same bytes", () => {
  const clock = new ManualClock(0);
  const snap = variedFleet(clock, 1000).snapshot();
  const want = metricsText(snap, CLOCK(clock), VARIED_PROC, VARIED_STATS);
  const b = built(metricsBuild(snap, CLOCK(clock), VARIED_PROC, VARIED_STATS), HTTP_LIMITS.ANSWER_SLICE_CHARS);
  expect(b.text).toBe(want);
  expect(want.length).toBeGreaterThan(8 * HTTP_LIMITS.ANSWER_SLICE_CHARS);
  expect(b.steps).toBeGreaterThanOrEqual(Math.floor(want.length / (HTTP_LIMITS.ANSWER_SLICE_CHARS + 1000)));
  // A step stops at the first server past the bound: a server's samples of a family are a few hundred bytes.
  expect(Math.max(...b.chunks)).toBeLessThan(HTTP_LIMITS.ANSWER_SLICE_CHARS + 1000);
});

test("/api/status built a member at a time is byte for byte JSON.stringify of it, and a thousand servers' is many steps", () => {
  const clock = new ManualClock(0);
  for (const extra of [0, 1000]) {
    const snap = variedFleet(clock, extra).snapshot();
    const value = { ok: true, status: snap.status(clock.now()) };
    const want = `${JSON.stringify(value)}\n`;
    const one = built(new JsonBuild(value, "\n"), 1);
    expect(one.text).toBe(want);
    expect(built(new JsonBuild(value, "\n"), Number.POSITIVE_INFINITY)).toMatchObject({ text: want, steps: 1 });
    expect(built(new JsonBuild(value, "\n"), 1, () => true).text).toBe(want);
    if (extra > 0) {
      // Down to each server's row: at least one step per server.
      expect(one.steps).toBeGreaterThan(extra);
      const sliced = built(new JsonBuild(value, "\n"), HTTP_LIMITS.ANSWER_SLICE_CHARS);
      expect(sliced.text).toBe(want);
      expect(sliced.steps).toBeGreaterThanOrEqual(Math.floor(want.length / (HTTP_LIMITS.ANSWER_SLICE_CHARS + 2000)));
    }
  }
});

test("JsonBuild writes what JSON.stringify writes: left-out members, holes, toJSON, null prototypes, primitives", () => {
  const nullProto = Object.assign(Object.create(null) as object, { b: 1, a: [undefined, () => 1, Symbol("s")] });
  const cases: unknown[] = [
    { a: undefined, b: () => 1, c: Symbol("x"), d: 1, e: [undefined, null, 2], f: {}, g: [], h: [[[[1]]]], i: { j: { k: { l: {} } } } },
    { a: undefined },
    [undefined],
    [1, , 3],
    { date: new Date(86_400_000), bad: new Date(Number.NaN), own: { toJSON: () => ({ x: 1 }) } },
    nullProto,
    { 2: "two", 1: "one", b: "b", a: "a" },
    { s: "\u2028\u2029\"\\\n\u0000 ☃ \ud800" },
    { n: [Number.NaN, -0, Infinity, 1e21] },
    new Map([[1, 2]]),
    "a string", 3, null, true, undefined, () => 1,
  ];
  for (const v of cases) {
    for (const max of [1, 7, Number.POSITIVE_INFINITY]) {
      expect(built(new JsonBuild(v, "\n"), max).text).toBe(`${JSON.stringify(v)}\n`);
      expect(built(new JsonBuild(v), max).text).toBe(`${JSON.stringify(v) ?? "undefined"}`);
    }
  }
});

test("property: JsonBuild, stepped at any size, writes what JSON.stringify writes", () => {
  fc.assert(fc.property(
    fc.anything({ maxDepth: 5, withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true, withDate: true, withUnicodeString: true }),
    fc.integer({ min: 1, max: 200 }),
    (v, max) => {
      expect(built(new JsonBuild(v, "\n"), max).text).toBe(`${JSON.stringify(v)}\n`);
    },
  ), { seed, numRuns: 500 });
});
