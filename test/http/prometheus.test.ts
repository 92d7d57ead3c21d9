// The exposition writer against the strict parser: escaping, values, and a
// property: any label values and help texts come back as they went in.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { escapeHelp, escapeLabelValue, exposition, type Family, formatValue } from "../../src/http/prometheus.ts";
import { propertySeed } from "../helpers/seed.ts";
import { parsePrometheus, sample } from "../helpers/prom-parse.ts";

const seed = propertySeed("test/http/prometheus.test.ts");

test("label values escape backslash, double quote and line feed, and nothing else", () => {
  expect(escapeLabelValue('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te');
  expect(escapeHelp('a\\b"c\nd')).toBe('a\\\\b"c\\nd');
  const text = exposition([{ name: "x_total", type: "counter", help: "Help with \\ and\nline.", samples: [{ labels: [["server", 'we"b\\\n}{,=']], value: 3 }] }]);
  expect(text).toBe('# HELP x_total Help with \\\\ and\\nline.\n# TYPE x_total counter\nx_total{server="we\\"b\\\\\\n}{,="} 3\n');
  const back = parsePrometheus(text);
  expect(back.get("x_total")?.help).toBe("Help with \\ and\nline.");
  expect(sample(back, "x_total", { server: 'we"b\\\n}{,=' })).toBe(3);
});

test("values: integers, fractions, NaN and infinities as Prometheus reads them", () => {
  expect([0, 1, -2, 0.5, 1e21, 1.5e-7, Number.NaN, Infinity, -Infinity].map(formatValue)).toEqual(["0", "1", "-2", "0.5", "1e+21", "1.5e-7", "NaN", "+Inf", "-Inf"]);
  const text = exposition([{ name: "v", type: "gauge", help: "v", samples: [1e21, 1.5e-7, Number.NaN, Infinity].map((value, i) => ({ labels: [["i", String(i)]], value })) }]);
  const back = parsePrometheus(text);
  expect(sample(back, "v", { i: "0" })).toBe(1e21);
  expect(sample(back, "v", { i: "1" })).toBe(1.5e-7);
  expect(sample(back, "v", { i: "2" })).toBeNaN();
  expect(sample(back, "v", { i: "3" })).toBe(Infinity);
});

test("a family without samples is left out; bad names and a counter without _total are bugs", () => {
  expect(exposition([{ name: "empty", type: "gauge", help: "h", samples: [] }])).toBe("");
  expect(() => exposition([{ name: "bad-name", type: "gauge", help: "h", samples: [] }])).toThrow(/bad metric name/);
  expect(() => exposition([{ name: "c", type: "counter", help: "h", samples: [] }])).toThrow(/_total/);
  expect(() => exposition([{ name: "g", type: "gauge", help: "h", samples: [{ labels: [["__x", "1"]], value: 1 }] }])).toThrow(/bad label name/);
  const twice: Family = { name: "g", type: "gauge", help: "h", samples: [] };
  expect(() => exposition([twice, twice])).toThrow(/twice/);
});

test("the parser refuses what the format does not allow", () => {
  expect(() => parsePrometheus("x 1\n")).toThrow(/before its TYPE/);
  expect(() => parsePrometheus('# TYPE x gauge\nx{a="\\t"} 1\n')).toThrow(/bad escape/);
  expect(() => parsePrometheus("# TYPE x gauge\nx 1\nx 2\n")).toThrow(/twice/);
  expect(() => parsePrometheus("# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx 2\n")).toThrow(/split/);
  expect(() => parsePrometheus("# TYPE x gauge\nx one\n")).toThrow(/bad value/);
  expect(() => parsePrometheus("# TYPE x gauge\nx 1")).toThrow(/line feed/);
});

test("property: any label values and help texts survive the round trip", () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.string({ unit: "binary", maxLength: 30 }), fc.integer({ min: -1e9, max: 1e9 })), { minLength: 1, maxLength: 8 }),
    fc.string({ unit: "binary", maxLength: 60 }),
    (rows, help) => {
      // Lone surrogates cannot be sent as UTF-8: what goes on the wire is the well-formed string.
      const values = [...new Set(rows.map(([v]) => v.toWellFormed()))];
      const text = exposition([{ name: "p", type: "gauge", help: help.toWellFormed(), samples: values.map((v, i) => ({ labels: [["server", v]], value: rows[i]?.[1] ?? 0 })) }]);
      const back = parsePrometheus(text);
      expect(back.get("p")?.help).toBe(help.toWellFormed());
      expect(back.get("p")?.samples.map((s) => s.labels.server)).toEqual(values);
      expect(back.get("p")?.samples.map((s) => s.value)).toEqual(values.map((_, i) => rows[i]?.[1] ?? 0));
    },
  ), { seed, numRuns: 300 });
});
