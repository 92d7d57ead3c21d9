// The page view (what /events carries) and the SSE framing.
import { expect, test } from "bun:test";
import { HTTP_LIMITS } from "../../src/http/limits.ts";
import { pageView, sseMessage, sseRetry, snapshotMessage } from "../../src/http/view.ts";
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
