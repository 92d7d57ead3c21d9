// The pure line helpers of the log files: counting, cutting at line ends,
// timestamps in and out, the merge by time, and file names from server names.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { countLines, joinLines, lineTime, logFileName, mergeByTime, stampLines, stampText, wholeLinesWithin } from "../../src/logs/lines.ts";
import { budget } from "../properties/budget.ts";

const b = (s: string) => Buffer.from(s);
const s = (u: Uint8Array) => Buffer.from(u).toString();

describe("lines", () => {
  test("countLines counts newlines, and an unterminated last line", () => {
    expect(countLines(b(""))).toBe(0);
    expect(countLines(b("a\n"))).toBe(1);
    expect(countLines(b("a\nb\n\n"))).toBe(3);
    expect(countLines(b("a\nb"))).toBe(2);
  });

  test("wholeLinesWithin: the longest run of whole lines that fits", () => {
    expect(wholeLinesWithin(b("ab\ncd\n"), 6)).toBe(6);
    expect(wholeLinesWithin(b("ab\ncd\n"), 5)).toBe(3);
    expect(wholeLinesWithin(b("ab\ncd\n"), 3)).toBe(3);
    expect(wholeLinesWithin(b("ab\ncd\n"), 2)).toBe(0);
    expect(wholeLinesWithin(b("ab\ncd\n"), 0)).toBe(0);
    expect(wholeLinesWithin(b("ab\ncd\n"), -5)).toBe(0);
    expect(wholeLinesWithin(b("ab\ncd\n"), 100)).toBe(6);
    expect(wholeLinesWithin(b("ab\ncd"), 100)).toBe(3); // an unterminated piece is not a whole line
  });

  test("stampLines puts the stamp before every line, and lineTime reads it back", () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    expect(stampText(t)).toBe("2026-01-02T03:04:05.678Z ");
    const out = stampLines(b("one\ntwo\n\n"), b(stampText(t)));
    expect(s(out)).toBe("2026-01-02T03:04:05.678Z one\n2026-01-02T03:04:05.678Z two\n2026-01-02T03:04:05.678Z \n");
    expect(lineTime(out)).toBe(t);
    expect(lineTime(b("2026-01-02T03:04:05+01:00 x\n"))).toBe(Date.UTC(2026, 0, 2, 2, 4, 5));
    expect(lineTime(b('{"time":"2026-01-02T03:04:05.678Z","mono":1,"event":"x"}\n'))).toBe(t);
    expect(lineTime(b('{"lazarus":"0.1.0","log":1,"time":"2026-01-02T03:04:05.678Z","mono":0}\n'))).toBe(t);
    expect(lineTime(b("no time here\n"))).toBeNull();
    expect(lineTime(b("2026-01-02T03:04:05.678Zx\n"))).toBeNull(); // not followed by a space
    expect(lineTime(b("2026-13-45T03:04:05Z bad date\n"))).toBeNull();
  });

  test("joinLines: one copy of all parts, a newline ended, a stamp at each line start (a line may run across parts)", () => {
    const st = b("T ");
    expect(s(joinLines([b("a\n"), b("b\n")], null))).toBe("a\nb\n");
    expect(s(joinLines([b("a\nb")], null))).toBe("a\nb\n");
    expect(s(joinLines([b("a\nb"), b("c\n"), b(""), b("d")], st))).toBe("T a\nT bc\nT d\n");
    expect(s(joinLines([b(""), b("")], st))).toBe("");
    const part = b("x\n");
    const out = joinLines([part], null);
    part[0] = 0x79;
    expect(s(out)).toBe("x\n"); // a copy
  });

  test("mergeByTime: by each line's time; untimed lines stay after the line they follow; each stream's order is kept", () => {
    const at = (ms: number, text: string) => b(`${stampText(ms)}${text}\n`);
    const a = [b("a0 before any time\n"), at(10, "a1"), b("a1 continued\n"), at(30, "a3")];
    const c = [at(20, "c2"), at(5, "c-clock-stepped-back"), at(40, "c4")];
    const merged = mergeByTime([a, c]).map((m) => `${m.stream}:${s(m.line).replace(/^\S+Z /, "").trim()}`);
    expect(merged).toEqual(["0:a0 before any time", "0:a1", "0:a1 continued", "1:c2", "1:c-clock-stepped-back", "0:a3", "1:c4"]);
    // Equal times: the order the streams were given.
    expect(mergeByTime([[at(1, "x")], [at(1, "y")]]).map((m) => m.stream)).toEqual([0, 1]);
    expect(mergeByTime([])).toEqual([]);
  });

  test("mergeByTime (property): a permutation of its input that keeps each stream's order", () => {
    const stream = fc.array(fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }), { maxLength: 12 });
    fc.assert(
      fc.property(fc.array(stream, { maxLength: 5 }), (streams) => {
        const input = streams.map((st, i) => st.map((t, j) => b(`${t === null ? "" : stampText(t)}${i}.${j}\n`)));
        const out = mergeByTime(input);
        expect(out.length).toBe(input.flat().length);
        for (let i = 0; i < input.length; i++) {
          expect(out.filter((m) => m.stream === i).map((m) => m.line)).toEqual(input[i] as Uint8Array[]);
        }
        // Each line that comes out has the smallest time of the lines that could come next
        // (a line's time: its own, else the one before it in its stream, else -Infinity).
        const keys = streams.map((st) => {
          let last = -Infinity;
          return st.map((t) => (last = t ?? last));
        });
        const heads = streams.map(() => 0);
        for (const m of out) {
          const key = keys[m.stream]?.[heads[m.stream] as number] as number;
          keys.forEach((k, i) => {
            const other = k[heads[i] as number];
            if (other !== undefined) expect(key).toBeLessThanOrEqual(other);
          });
          heads[m.stream] = (heads[m.stream] as number) + 1;
        }
      }),
      budget(200),
    );
  });

  test("logFileName: one plain file per name, never two names on one file", () => {
    expect(logFileName("web")).toBe("web.log");
    expect(logFileName("web.1")).toBe("web.1.log");
    expect(logFileName("a/b")).toBe("a%2Fb.log");
    expect(logFileName("..")).toBe("%2E..log");
    expect(logFileName(".hidden")).toBe("%2Ehidden.log");
    expect(logFileName("a%2Fb")).toBe("a%252Fb.log");
    expect(logFileName("café")).toBe("caf%C3%A9.log");
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ minLength: 1, maxLength: 12 }), (x, y) => {
        const fx = logFileName(x);
        expect(fx).toMatch(/^[A-Za-z0-9._@+%-]+\.log$/);
        expect(fx.startsWith(".")).toBe(false);
        if (x !== y) expect(fx).not.toBe(logFileName(y));
      }),
      budget(500),
    );
  });
});
