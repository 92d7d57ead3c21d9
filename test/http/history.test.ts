// The History's bounds and its reading of the core's records.
import { expect, test } from "bun:test";
import { cleanLine, History } from "../../src/http/history.ts";
import { HTTP_LIMITS } from "../../src/http/limits.ts";

const small = { ...HTTP_LIMITS, MAX_TIMELINE_EVENTS: 5, MAX_OUTPUT_LINES: 3, MAX_OUTPUT_LINE_CHARS: 10, MAX_CRASH_KINDS: 2 };

test("records become starts, crashes, burials, clean exits and stops; other records and servers change nothing", () => {
  const h = new History(2);
  h.noteRecord({ event: "spawned", server: 0, pid: 42, text: "" }, 1000);
  h.noteRecord({ event: "exit", server: 0, pid: 42, code: 3, text: "" }, 2000); // said before the decision: not counted
  h.noteRecord({ event: "respawn", server: 0, pid: 42, code: 3, text: "" }, 2000);
  h.noteRecord({ event: "buried", server: 0, pid: 43, signal: "SIGSEGV", text: "" }, 3000);
  h.noteRecord({ event: "spawn-failed", server: 1, text: "" }, 3000);
  h.noteRecord({ event: "cremated", server: 1, text: "" }, 4000);
  h.noteRecord({ event: "stopped", server: 1, signal: "SIGKILL", text: "" }, 5000);
  h.noteRecord({ event: "revive", server: 0, text: "" }, 5000);
  h.noteRecord({ event: "spawned", server: 9, pid: 1, text: "" }, 5000);
  h.noteRecord({ event: "start", text: "" }, 5000);
  expect(h.of(0, 5000)).toEqual({
    crashes: [{ exit: { kind: "exit", code: 3 }, count: 1 }, { exit: { kind: "signal", signal: "SIGSEGV" }, count: 1 }],
    buried: 1,
    timeline: [
      { at: 1000, kind: "start", detail: "pid 42" },
      { at: 2000, kind: "crash", detail: "code 3" },
      { at: 3000, kind: "buried", detail: "SIGSEGV, crashed too fast" },
    ],
    output: [],
  });
  expect(h.of(1, 5000).timeline.map((e) => [e.kind, e.detail])).toEqual([["buried", "could not be started"], ["exit", "exited normally"], ["stopped", "SIGKILL"]]);
  expect(h.of(1, 5000).buried).toBe(1);
  expect(h.of(9, 5000)).toEqual({ crashes: [], buried: 0, timeline: [], output: [] });
});

test("bounded: the newest events and lines are kept in order, crash kinds beyond the cap count as unknown", () => {
  const h = new History(1, small);
  for (let i = 0; i < 12; i++) h.noteRecord({ event: "respawn", server: 0, code: i, text: "" }, i);
  for (let i = 0; i < 7; i++) h.noteOutput(0, i % 2 === 0 ? "out" : "err", `line ${i}`);
  const s = h.of(0, 12);
  expect(s.timeline.map((e) => e.at)).toEqual([7, 8, 9, 10, 11]);
  expect(s.output).toEqual([{ stream: "out", text: "line 4" }, { stream: "err", text: "line 5" }, { stream: "out", text: "line 6" }]);
  expect(s.crashes).toEqual([{ exit: { kind: "exit", code: 0 }, count: 1 }, { exit: { kind: "exit", code: 1 }, count: 1 }, { exit: { kind: "unknown" }, count: 10 }]);
});

test("the timeline keeps the last hour only", () => {
  const h = new History(1);
  h.noteRecord({ event: "spawned", server: 0, pid: 1, text: "" }, 0);
  h.noteRecord({ event: "spawned", server: 0, pid: 2, text: "" }, 1000);
  expect(h.of(0, HTTP_LIMITS.TIMELINE_WINDOW_MS + 500).timeline.map((e) => e.detail)).toEqual(["pid 2"]);
});

test("output lines lose terminal escapes and control characters, and are cut with an ellipsis", () => {
  expect(cleanLine("\u001b[31mred\u001b[0m text", 100)).toBe("red text");
  expect(cleanLine("a\u0000b\u0007c\td\re", 100)).toBe("a\ufffdb\ufffdc\td\ufffde");
  expect(cleanLine("0123456789abc", 10)).toBe("012345678…");
  expect(cleanLine("x".repeat(1_000_000), 10).length).toBe(10);
});

test("what did not change is given again as the same arrays (views keep what they made of them by identity)", () => {
  const h = new History(2, small);
  h.noteRecord({ event: "spawned", server: 0, pid: 1, text: "" }, 1000);
  h.noteOutput(0, "out", "one");
  const a = h.of(0, 2000);
  const b = h.of(0, 3000);
  expect(b.timeline).toBe(a.timeline);
  expect(b.output).toBe(a.output);
  expect(b.crashes).toBe(a.crashes);
  h.noteOutput(0, "out", "two"); // new lines: a new output array, the rest as it was
  const c = h.of(0, 3000);
  expect(c.output).not.toBe(b.output);
  expect(c.output.map((l) => l.text)).toEqual(["one", "two"]);
  expect(c.timeline).toBe(b.timeline);
  expect(c.crashes).toBe(b.crashes);
  h.noteRecord({ event: "respawn", server: 0, pid: 1, code: 2, text: "" }, 4000); // a crash: a new timeline and crashes
  const d = h.of(0, 4000);
  expect(d.output).toBe(c.output);
  expect(d.timeline).not.toBe(c.timeline);
  expect(d.crashes).not.toBe(c.crashes);
  expect(d.crashes).toEqual([{ exit: { kind: "exit", code: 2 }, count: 1 }]);
  expect(h.of(1, 4000).output).not.toBe(d.output); // another server's are its own
  // The window: the same array while the same events are in it, a new one when one leaves it (or comes back into it).
  const hour = HTTP_LIMITS.TIMELINE_WINDOW_MS;
  expect(h.of(0, 1000 + hour).timeline).toBe(d.timeline);
  const cut = h.of(0, 1001 + hour).timeline;
  expect(cut.map((e) => e.at)).toEqual([4000]);
  expect(h.of(0, 4000 + hour).timeline).toBe(cut);
  expect(h.of(0, 4001 + hour).timeline).toEqual([]);
  expect(h.of(0, 4000).timeline.map((e) => e.at)).toEqual([1000, 4000]);
});
