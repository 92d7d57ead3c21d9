// The page view (what /events carries), the SSE framing, and the view built a few servers at a time.
import { expect, test } from "bun:test";
import { SIGSEGV } from "../../src/core/signals.ts";
import { HTTP_LIMITS } from "../../src/http/limits.ts";
import { pageView, sseMessage, sseRetry, snapshotMessage, ViewBuild, ViewCache } from "../../src/http/view.ts";
import { FakeSupervisor, ManualClock } from "../helpers/fake-supervisor.ts";

test("page view: ages relative to now, the window applied, crashes summed", () => {
  const clock = new ManualClock(0);
  const sup = new FakeSupervisor([{ name: "web", argv: ["web"] }], clock, { seesOutput: ["web"] });
  sup.start();
  clock.advance(5000);
  sup.crash("web", { code: 2 });
  sup.output("web", "err", "boom");
  clock.advance(1000);
  const v = pageView(sup.snapshot(), clock.now(), false, HTTP_LIMITS.TIMELINE_WINDOW_MS);
  expect(v).toMatchObject({ version: "0.1.0", phase: "running", uptime: 6000, readOnly: false, window: 3_600_000 });
  expect(v.servers[0]).toMatchObject({ name: "web", state: "alive", uptime: 1000, restarts: 1, crashes: 1, lastExit: "code 2", output: [{ stream: "err", text: "boom" }] });
  expect(v.servers[0]?.timeline).toEqual([
    { ago: 6000, kind: "start", detail: "pid 4200" },
    { ago: 1000, kind: "crash", detail: "code 2" },
    { ago: 1000, kind: "start", detail: "pid 4201" },
  ]);
  expect(pageView(sup.snapshot(), clock.now() + 3_600_000, false, 3_600_000).servers[0]?.timeline).toEqual([]);
});

test("SSE framing: one data field per line, an id, a blank line at the end", () => {
  expect(sseMessage("snapshot", '{"a":1}', 3)).toBe('event: snapshot\nid: 3\ndata: {"a":1}\n\n');
  expect(sseMessage("note", "two\nlines\r\nthree")).toBe("event: note\ndata: two\ndata: lines\ndata: three\n\n");
  expect(() => sseMessage("bad\nname", "x")).toThrow();
  expect(sseRetry(2000)).toBe("retry: 2000\n\n");
  const clock = new ManualClock(0);
  const sup = new FakeSupervisor([{ name: "we\nb", argv: ["x"] }], clock);
  const m = snapshotMessage(pageView(sup.snapshot(), 0, true, 1000), 1);
  expect(m.split("\n").filter((l) => l.startsWith("data: ")).length).toBe(1); // JSON escapes line feeds
  expect(JSON.parse(m.split("\n")[2]?.slice(6) ?? "").servers[0].name).toBe("we\nb");
});

/** The message a ViewBuild makes, built `maxBytes` at a time, and how many steps it took. */
function built(b: ViewBuild, maxBytes: number): { text: string; steps: number } {
  let steps = 0;
  while (!b.step(maxBytes, () => false)) steps++;
  const bytes = Buffer.concat(b.chunks);
  return { text: bytes.toString("utf8"), steps: steps + 1 };
}

/** Servers in every state, with names that need escaping, output seen and not, and a timeline partly out of the window. */
function varied(clock: ManualClock): FakeSupervisor {
  const sup = new FakeSupervisor([
    { name: "web", argv: ["web"] },
    { name: 'quo"te\\back\nline', argv: ["q"] },
    { name: "ünïcødé ☃ </script>", argv: ["u"], intervalMs: 3_600_000 },
    { name: "manual", argv: ["m"], autostart: false },
    { name: "quiet", argv: ["z"] },
  ], clock, { seesOutput: ["web", 'quo"te\\back\nline', "manual"] });
  sup.start();
  sup.output("web", "out", 'a "quoted" line\twith a tab');
  clock.advance(2_000_000);
  sup.crash("web", { code: 3 });
  sup.crash("ünïcødé ☃ </script>", { signal: SIGSEGV });
  sup.output('quo"te\\back\nline', "err", "\u2028 separators \u2029 and ✓");
  clock.advance(2_000_000); // the first start is out of the window now
  sup.crash("web", { code: 1 });
  clock.advance(1234.5);
  return sup;
}

test("a view built a few servers at a time is, byte for byte, the message pageView and snapshotMessage make", () => {
  const clock = new ManualClock(0);
  const sup = varied(clock);
  for (const readOnly of [false, true]) {
    const snap = sup.snapshot();
    const want = snapshotMessage(pageView(snap, clock.now(), readOnly, HTTP_LIMITS.TIMELINE_WINDOW_MS), 7);
    const cache = new ViewCache();
    // One server per step (and the end with the last), then the whole in one step: the same bytes.
    const one = built(new ViewBuild(snap, clock.now(), readOnly, HTTP_LIMITS.TIMELINE_WINDOW_MS, 7, cache), 1);
    expect(one.steps).toBe(5);
    expect(one.text).toBe(want);
    const all = built(new ViewBuild(snap, clock.now(), readOnly, HTTP_LIMITS.TIMELINE_WINDOW_MS, 7, cache), Number.POSITIVE_INFINITY);
    expect(all.steps).toBe(1);
    expect(all.text).toBe(want);
  }
  // A step also ends when told to, and it always makes some progress.
  const b = new ViewBuild(sup.snapshot(), clock.now(), false, HTTP_LIMITS.TIMELINE_WINDOW_MS, 1, new ViewCache());
  expect(b.step(Number.POSITIVE_INFINITY, () => true)).toBe(false);
  expect(b.chunks).toHaveLength(1);
  // No servers at all.
  const none = new FakeSupervisor([], clock);
  none.start();
  const empty = built(new ViewBuild(none.snapshot(), clock.now(), true, 1000, 1, new ViewCache()), 1);
  expect(empty).toEqual({ text: snapshotMessage(pageView(none.snapshot(), clock.now(), true, 1000), 1), steps: 1 });
});

test("views keep each server's output lines as JSON until they change: a quiet server's are reused, a server's that wrote are made again", () => {
  const clock = new ManualClock(0);
  const names = ["a", "b", "c"];
  const sup = new FakeSupervisor(names.map((name) => ({ name, argv: [name] })), clock, { seesOutput: names });
  sup.start();
  for (const n of names) sup.output(n, "out", `hello from ${n}`);
  const cache = new ViewCache();
  const view = (id: number) => {
    const snap = sup.snapshot();
    const text = built(new ViewBuild(snap, clock.now(), false, 60_000, id, cache), 1).text;
    expect(text).toBe(snapshotMessage(pageView(snap, clock.now(), false, 60_000), id)); // ages as of now: nothing stale is reused
    return text;
  };
  view(1);
  expect({ made: cache.made, reused: cache.reused }).toEqual({ made: 3, reused: 0 });
  clock.advance(5000);
  view(2);
  expect({ made: cache.made, reused: cache.reused }).toEqual({ made: 3, reused: 3 });
  sup.output("b", "err", "b wrote again");
  sup.crash("c", { code: 2 }); // a crash changes c's row, not its output lines
  clock.advance(70_000); // and the timeline's window moves
  const third = view(3);
  expect({ made: cache.made, reused: cache.reused }).toEqual({ made: 4, reused: 5 });
  expect(third).toContain("b wrote again");
});
