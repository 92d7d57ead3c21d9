// The re-exec handover format (docs/spec.md, "Live re-exec", invariant 10): round trips for generated
// states; corrupt, truncated or mismatched input gives an error value or an
// invalid record, never an exception and never a child the input did not name.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { fingerprint, HANDOVER_VERSION, marshal, PID_MAX, readPayload, seal, unmarshal } from "../../src/core/marshal.ts";
import type { ExitStatus, Handover, HandoverServer, ServerSpec } from "../../src/core/types.ts";
import { budget } from "../properties/budget.ts";

const time = fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true });
const spawns = fc.nat({ max: 1000 });
const stop = fc.option(fc.record({ deadline: time, killed: fc.boolean(), then: fc.constantFrom("cremate" as const, "start" as const, "fail" as const) }));

const lastExit: fc.Arbitrary<ExitStatus | null> = fc.oneof(
  fc.constant(null),
  fc.integer({ min: 0, max: 255 }).map((code): ExitStatus => ({ kind: "code", code })),
  fc.integer({ min: 1, max: 64 }).map((signal): ExitStatus => ({ kind: "signal", signal })),
  fc.constant<ExitStatus>({ kind: "unknown" }),
);

/** In the normal form: retries only when some, ready only when not. */
const retries = fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined });
const withRetries = <T extends object>(r: T & { retries?: number | undefined }): T => {
  const { retries: n, ...rest } = r;
  return (n === undefined ? rest : { ...rest, retries: n }) as T;
};
const serverArb: fc.Arbitrary<HandoverServer> = fc.oneof(
  fc.record({ kind: fc.constant("unborn" as const), spawns, lastExit, retries }).map(withRetries),
  fc.record({ kind: fc.constant("waiting" as const), spawns, lastExit, retries }).map(withRetries),
  fc.record({ kind: fc.constant("backoff" as const), spawns, lastExit, retries, since: time, until: time }).map(withRetries),
  fc.record({
    kind: fc.constant("alive" as const), spawns: fc.integer({ min: 1, max: 1000 }), lastExit, retries, pid: fc.integer({ min: 2, max: PID_MAX }), since: time, stop,
    unready: fc.boolean(),
  }).map(({ unready, ...r }) => withRetries(unready ? { ...r, ready: false } : r)),
  fc.record({ kind: fc.constant("buried" as const), spawns, lastExit, since: time, why: fc.constantFrom("crash-loop" as const, "spawn-failed" as const, "crashed" as const) }),
  fc.record({ kind: fc.constant("cremated" as const), spawns, lastExit, since: time, why: fc.constantFrom("clean-exit" as const, "stopped" as const, "invalid-state" as const) }),
);

/** Valid handovers: alive pids distinct, as a real state has them. */
const caseArb = fc.array(fc.tuple(fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }), serverArb), { minLength: 1, maxLength: 8 })
  .filter((rows) => {
    const pids = rows.flatMap(([, s]) => (s.kind === "alive" ? [s.pid] : []));
    return new Set(pids).size === pids.length;
  })
  .chain((rows) => fc.record({
    specs: fc.constant(rows.map(([argv], i): ServerSpec => ({ argv, name: `s${i}` }))),
    handover: fc.record({ pendingRevive: fc.boolean(), alarmAt: fc.option(time), execAt: fc.option(time) }).map((h): Handover => ({ ...h, servers: rows.map(([, s]) => s) })),
  }));

/** The payload of a sealed handover (behind "lazarus-handover/1 CHECKSUM "). */
const payloadOf = (text: string) => text.slice(text.indexOf("{"));

/** Every child the decoded handover names was named, alive, at the same place in the input. */
function noInventedChild(input: Handover, text: string, specs: readonly ServerSpec[], read = unmarshal): void {
  const r = read(text, specs);
  if (!r.ok) {
    expect(typeof r.error).toBe("string");
    expect(r.error.length).toBeGreaterThan(0);
    return;
  }
  expect(r.handover.servers).toHaveLength(specs.length);
  const pids = new Set<number>();
  r.handover.servers.forEach((s, i) => {
    if (s.kind !== "alive") return;
    const was = input.servers[i];
    expect(was?.kind === "alive" && was.pid === s.pid).toBe(true);
    expect(pids.has(s.pid)).toBe(false);
    pids.add(s.pid);
  });
}

describe("round trips", () => {
  test("marshal then unmarshal gives back the same handover", () => {
    fc.assert(fc.property(caseArb, ({ specs, handover }) => {
      const r = unmarshal(marshal(handover, specs), specs);
      expect(r).toEqual({ ok: true, handover });
    }), budget(500));
  });

  test("the encoding is small: well under the 128 KiB an environment variable may hold, for 1000 servers", () => {
    const specs = Array.from({ length: 1000 }, (_, i): ServerSpec => ({ argv: ["srv", String(i)], name: `s${i}` }));
    const h: Handover = {
      pendingRevive: false,
      alarmAt: null,
      execAt: 123_456_999.5,
      servers: specs.map((_, i) => ({ kind: "alive", spawns: 12, lastExit: { kind: "signal", signal: 11 }, pid: 100_000 + i, since: 123_456_789.123, stop: null })),
    };
    expect(marshal(h, specs).length).toBeLessThan(96 * 1024);
  });
});

describe("corrupt input never throws and never invents a child", () => {
  test("truncated at any point", () => {
    fc.assert(fc.property(caseArb, fc.nat(), ({ specs, handover }, cut) => {
      const text = marshal(handover, specs);
      noInventedChild(handover, text.slice(0, cut % (text.length + 1)), specs);
    }), budget(500));
  });

  test("characters replaced, inserted or deleted", () => {
    const edit = fc.record({ at: fc.nat(), op: fc.constantFrom("replace", "insert", "delete"), ch: fc.constantFrom(..."0123456789[]{},:\"-.aeflnrstu x") });
    fc.assert(fc.property(caseArb, fc.array(edit, { minLength: 1, maxLength: 6 }), ({ specs, handover }, edits) => {
      let text = marshal(handover, specs);
      for (const e of edits) {
        const at = e.at % (text.length + 1);
        text = e.op === "insert" ? text.slice(0, at) + e.ch + text.slice(at)
          : e.op === "delete" ? text.slice(0, at) + text.slice(at + 1)
          : text.slice(0, at) + e.ch + text.slice(at + 1);
      }
      noInventedChild(handover, text, specs);
    }), budget(1000));
  });

  test("edits behind a valid seal: the validation of every field (values replaced by anything JSON can hold)", () => {
    fc.assert(fc.property(caseArb, fc.nat(), fc.nat(), fc.jsonValue(), ({ specs, handover }, row, col, junk) => {
      const data = JSON.parse(payloadOf(marshal(handover, specs)));
      const record = data.servers[row % data.servers.length] as unknown[];
      record[col % (record.length + 1)] = junk;
      noInventedChild(handover, seal(JSON.stringify(data)), specs);
      // and at the top level
      const top = JSON.parse(payloadOf(marshal(handover, specs)));
      top[["v", "revive", "alarm", "servers"][col % 4] as string] = junk;
      noInventedChild(handover, seal(JSON.stringify(top)), specs);
    }), budget(1000));
  });

  test("character edits behind a valid seal: the validation never throws and yields only sane, distinct pids", () => {
    // (A digit of a pid edited into another number, "1000001" into "100000 " or "1e00001",
    // is valid JSON and a valid pid: only the seal's checksum can catch that, and does, above.)
    const edit = fc.record({ at: fc.nat(), ch: fc.constantFrom(..."[]{},:\"-.aeflnrstu x") });
    fc.assert(fc.property(caseArb, fc.array(edit, { minLength: 1, maxLength: 4 }), ({ specs, handover }, edits) => {
      let text = payloadOf(marshal(handover, specs));
      for (const e of edits) {
        const at = e.at % (text.length + 1);
        text = text.slice(0, at) + e.ch + text.slice(at + 1);
      }
      const r = readPayload(text, specs);
      if (!r.ok) {
        expect(r.error.length).toBeGreaterThan(0);
        return;
      }
      expect(r.handover.servers).toHaveLength(specs.length);
      const pids = r.handover.servers.flatMap((s) => (s.kind === "alive" ? [s.pid] : []));
      expect(new Set(pids).size).toBe(pids.length);
      for (const pid of pids) expect(Number.isSafeInteger(pid) && pid > 1 && pid <= PID_MAX).toBe(true);
    }), budget(1000));
  });

  test("records swapped between servers are found by their names (version 4)", () => {
    const specs: ServerSpec[] = [{ argv: ["a"], name: "a" }, { argv: ["b"], name: "b" }];
    const h: Handover = { pendingRevive: false, alarmAt: null, execAt: null, servers: [
      { kind: "alive", spawns: 1, lastExit: null, pid: 10, since: 1, stop: null },
      { kind: "alive", spawns: 1, lastExit: null, pid: 11, since: 1, stop: null },
    ] };
    const data = JSON.parse(payloadOf(marshal(h, specs)));
    data.servers.reverse();
    expect(unmarshal(seal(JSON.stringify(data)), specs)).toEqual({ ok: true, handover: h });
  });

  test("a record under another server's name is refused by its fingerprint", () => {
    const specs: ServerSpec[] = [{ argv: ["a"], name: "a" }, { argv: ["b"], name: "b" }];
    const h: Handover = { pendingRevive: false, alarmAt: null, execAt: null, servers: [
      { kind: "alive", spawns: 1, lastExit: null, pid: 10, since: 1, stop: null },
      { kind: "alive", spawns: 1, lastExit: null, pid: 11, since: 1, stop: null },
    ] };
    const data = JSON.parse(payloadOf(marshal(h, specs)));
    [data.servers[0][0], data.servers[1][0]] = ["b", "a"];
    const r = unmarshal(seal(JSON.stringify(data)), specs);
    expect(r.ok && r.handover.servers.map((s) => s.kind)).toEqual(["invalid", "invalid"]);
  });

  test("version 4 by name: the new image's servers in any order; one without a record is invalid; a running server it does not have is an error", () => {
    const old: ServerSpec[] = [{ argv: ["a"], name: "a" }, { argv: ["b"], name: "b" }, { argv: ["c"], name: "c" }];
    const h: Handover = { pendingRevive: false, alarmAt: null, execAt: null, servers: [
      { kind: "alive", spawns: 1, lastExit: null, pid: 10, since: 1, stop: null },
      { kind: "cremated", spawns: 1, lastExit: null, since: 1, why: "stopped" },
      { kind: "unborn", spawns: 0, lastExit: null },
    ] };
    const text = marshal(h, old);
    const now: ServerSpec[] = [{ argv: ["d"], name: "d" }, { argv: ["a"], name: "a" }];
    expect(unmarshal(text, now)).toEqual({ ok: true, handover: { ...h, servers: [
      { kind: "invalid", spawns: 0, lastExit: null, reason: "no record of it" }, h.servers[0]!,
    ] } });
    expect(unmarshal(text, [{ argv: ["b"], name: "b" }])).toEqual({
      ok: false, error: "re-exec state has server \"a\" running (pid 10), which the configuration does not have",
    });
    const data = JSON.parse(payloadOf(text));
    data.servers[2][0] = "a";
    expect(unmarshal(seal(JSON.stringify(data)), old)).toEqual({ ok: false, error: "unreadable re-exec state: server \"a\" recorded twice" });
    data.servers[2][0] = 7;
    expect(unmarshal(seal(JSON.stringify(data)), old)).toEqual({ ok: false, error: "unreadable re-exec state: a server's record has no name" });
  });

  test("version 3 records swapped between servers are refused by their fingerprints", () => {
    const specs: ServerSpec[] = [{ argv: ["a"], name: "a" }, { argv: ["b"], name: "b" }];
    const h: Handover = { pendingRevive: false, alarmAt: null, execAt: null, servers: [
      { kind: "alive", spawns: 1, lastExit: null, pid: 10, since: 1, stop: null },
      { kind: "alive", spawns: 1, lastExit: null, pid: 11, since: 1, stop: null },
    ] };
    const data = JSON.parse(payloadOf(marshal(h, specs)));
    data.v = 3;
    data.servers = data.servers.map((r: unknown[]) => r.slice(1)).reverse();
    const r = unmarshal(seal(JSON.stringify(data), 3), specs);
    expect(r.ok && r.handover.servers.map((s) => s.kind)).toEqual(["invalid", "invalid"]);
  });

  test("arbitrary text", () => {
    const specs: ServerSpec[] = [{ argv: ["a"], name: "a" }];
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      noInventedChild({ pendingRevive: false, alarmAt: null, execAt: null, servers: [{ kind: "unborn", spawns: 0, lastExit: null }] }, text, specs);
    }), budget(1000));
  });
});

describe("clear errors", () => {
  const specs: ServerSpec[] = [{ argv: ["a"], name: "a" }, { argv: ["b", "1"], name: "b" }];
  const fa = fingerprint(["a"]);
  const fb = fingerprint(["b", "1"]);
  // Version 2 records (the base and the last exit); version 3's own fields are tested below.
  const doc = (servers: unknown[], extra: object = {}) => seal(JSON.stringify({ v: 2, revive: false, alarm: null, exec: null, servers, ...extra }), 2);
  const good = doc([["unborn", 0, fa, null], ["unborn", 0, fb, null]]);

  test.each([
    ["", "unreadable re-exec state: not a lazarus handover (truncated or corrupt)"],
    [good.slice(0, 30), "unreadable re-exec state: not a lazarus handover (truncated or corrupt)"],
    [good.slice(0, 40), "unreadable re-exec state: checksum mismatch (truncated or corrupt)"],
    [good.slice(0, -1), "unreadable re-exec state: checksum mismatch (truncated or corrupt)"],
    [good.replace("unborn", "unbor"), "unreadable re-exec state: checksum mismatch (truncated or corrupt)"],
    [good.replace("lazarus-handover/2", "lazarus-handover/7"), "unsupported re-exec state version 7 (this lazarus reads 1, 2, 3 and 4)"],
    [seal("{\"v\":2,\"revive\":fal"), "unreadable re-exec state: not valid JSON (truncated or corrupt)"],
    [seal("[]"), "unreadable re-exec state: not an object"],
    [doc([], { v: 9 }), "unsupported re-exec state version 9 (this lazarus reads 1, 2, 3 and 4)"],
    [doc([["unborn", 0, fa, null]]), "re-exec state describes 1 server, the command line 2"],
    [doc([["unborn", 0, fa, null], ["unborn", 0, fb, null], ["unborn", 0, fb, null]]), "re-exec state describes 3 servers, the command line 2"],
    [doc([["unborn", 0, fa, null], ["unborn", 0, fb, null]], { revive: "yes" }), "unreadable re-exec state: 'revive' is not true or false"],
    [doc([["unborn", 0, fa, null], ["unborn", 0, fb, null]], { alarm: -5 }), "unreadable re-exec state: 'alarm' is not a time"],
    [doc([["unborn", 0, fa, null], ["unborn", 0, fb, null]], { exec: "now" }), "unreadable re-exec state: 'exec' is not a time"],
  ])("%p → %p", (text, error) => {
    expect(unmarshal(text, specs)).toEqual({ ok: false, error });
  });

  test.each([
    [["alive", 1, fa, 0, 5, null, null], "bad pid 0"],
    [["alive", 1, fa, 1, 5, null, null], "bad pid 1"],
    [["alive", 1, fa, PID_MAX + 1, 5, null, null], `bad pid ${PID_MAX + 1}`],
    [["alive", 1, fa, 2.5, 5, null, null], "bad pid 2.5"],
    [["alive", 0, fa, 77, 5, null, null], "alive but never spawned"],
    [["alive", 1, fa, 77, -1, null, null], "bad start time"],
    [["alive", 1, fa, 77, 5, [1, 2, "cremate"], null], "bad stop order"],
    [["alive", 1, fa, 77, 5, null], "wrong record length"],
    [["alive", 1, fa, 77, 5, null, ["code", 300]], "bad last exit"],
    [["alive", 1, fa, 77, 5, null, ["signal"]], "bad last exit"],
    [["zombie", 1, fa, null], "bad state word \"zombie\""],
    [["buried", 1, fa, 5, "bored", null], "bad reason \"bored\""],
    [["unborn", -1, fa, null], "bad spawn count"],
    [["unborn", 0, fb, null], "recorded for a different command"],
    [["waiting", 0, fa, null], "bad state word \"waiting\""],
    [["backoff", 1, fa, 5, 9, null], "bad state word \"backoff\""],
    ["alive", "record is not a list"],
  ])("server record %p is invalid: %p", (record, reason) => {
    const r = unmarshal(doc([record, ["unborn", 0, fb, null]]), specs);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.handover.servers[0]).toMatchObject({ kind: "invalid", reason });
  });

  test.each([
    [["code", 255], { kind: "code", code: 255 }], [["code", 256], null], [["code", -1], null],
    [["signal", 64], { kind: "signal", signal: 64 }], [["signal", 65], null], [["signal", 0], null], [["unknown"], { kind: "unknown" }], [["unknown", 1], null],
  ])("a last exit of %j reads as %j (null: the record is invalid)", (last, want) => {
    const r = unmarshal(doc([["unborn", 0, fa, last], ["unborn", 0, fb, null]]), specs);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    if (want === null) expect(r.handover.servers[0]).toMatchObject({ kind: "invalid", reason: "bad last exit" });
    else expect(r.handover.servers[0]).toEqual({ kind: "unborn", spawns: 0, lastExit: want as never });
  });

  test.each([[2, true], [1, false], [PID_MAX, true], [PID_MAX + 1, false]])("pid %p %s a child", (pid, ok) => {
    const r = unmarshal(doc([["alive", 1, fa, pid, 5, null, null], ["unborn", 0, fb, null]]), specs);
    expect(r.ok && r.handover.servers[0]!.kind).toBe(ok ? "alive" : "invalid");
  });

  test("the same pid twice: the second record is invalid", () => {
    const r = unmarshal(doc([["alive", 1, fa, 77, 5, null, null], ["alive", 1, fb, 77, 5, null, null]]), specs);
    expect(r.ok && r.handover.servers.map((s) => s.kind)).toEqual(["alive", "invalid"]);
  });
});

describe("version 3: retries, readiness, waiting, backoff, READY=1 sent", () => {
  const specs: ServerSpec[] = [{ argv: ["a"], name: "a" }, { argv: ["b", "1"], name: "b" }];
  const fa = fingerprint(["a"]);
  const fb = fingerprint(["b", "1"]);
  const doc3 = (servers: unknown[], extra: object = {}) => seal(JSON.stringify({ v: 3, revive: false, alarm: null, exec: null, sd: false, servers, ...extra }));

  test("is read in the normal form: defaults left out", () => {
    const r = unmarshal(doc3([["alive", 1, fa, 77, 5, [60, 0, "fail"], null, 2, 0], ["backoff", 3, fb, 10, 510, ["code", 1], 1]], { sd: true }), specs);
    expect(r).toEqual({
      ok: true,
      handover: {
        pendingRevive: false, alarmAt: null, execAt: null, systemdReady: true, servers: [
          { kind: "alive", spawns: 1, lastExit: null, retries: 2, pid: 77, since: 5, stop: { deadline: 60, killed: false, then: "fail" }, ready: false },
          { kind: "backoff", spawns: 3, lastExit: { kind: "code", code: 1 }, retries: 1, since: 10, until: 510 },
        ],
      },
    });
    // Defaults may be written or left out from the end.
    const w = unmarshal(doc3([["waiting", 0, fa, null], ["alive", 1, fb, 78, 5, null, null, 0, 1]]), specs);
    expect(w.ok && w.handover.servers).toEqual([
      { kind: "waiting", spawns: 0, lastExit: null },
      { kind: "alive", spawns: 1, lastExit: null, pid: 78, since: 5, stop: null },
    ]);
  });

  test.each([
    [["unborn", 0, fa, null, -1], "bad retry count"],
    [["unborn", 0, fa, null, 1.5], "bad retry count"],
    [["alive", 1, fa, 77, 5, null, null, 0, 2], "bad ready flag"],
    [["alive", 1, fa, 77, 5, null, null, 0, 1, 0], "wrong record length"],
    [["unborn", 0, fa, null, 0, 1], "wrong record length"],
    [["unborn", 0, fa], "wrong record length"],
    [["backoff", 1, fa, 5, "soon", null, 0], "bad time"],
  ])("server record %p is invalid: %p", (record, reason) => {
    const r = unmarshal(doc3([record, ["unborn", 0, fb, null, 0]]), specs);
    expect(r.ok && r.handover.servers[0]).toMatchObject({ kind: "invalid", reason });
  });

  test("'sd' must be true or false", () => {
    expect(unmarshal(doc3([["unborn", 0, fa, null, 0], ["unborn", 0, fb, null, 0]], { sd: 1 }), specs))
      .toEqual({ ok: false, error: "unreadable re-exec state: 'sd' is not true or false" });
  });
});

describe("version 1 (an older image re-exec'ing into this one)", () => {
  test("is read: the same records without the last exit, no exec instant", () => {
    const specs: ServerSpec[] = [{ argv: ["a"], name: "a" }, { argv: ["b"], name: "b" }, { argv: ["c"], name: "c" }];
    const [fa, fb, fc_] = specs.map((s) => fingerprint(s.argv));
    const text = seal(JSON.stringify({ v: 1, revive: true, alarm: 99, servers: [["alive", 2, fa, 77, 5, [60, 0, "start"]], ["buried", 1, fb, 7, "crash-loop"], ["unborn", 0, fc_]] }), 1);
    expect(unmarshal(text, specs)).toEqual({
      ok: true,
      handover: {
        pendingRevive: true, alarmAt: 99, execAt: null, servers: [
          { kind: "alive", spawns: 2, lastExit: null, pid: 77, since: 5, stop: { deadline: 60, killed: false, then: "start" } },
          { kind: "buried", spawns: 1, lastExit: null, since: 7, why: "crash-loop" },
          { kind: "unborn", spawns: 0, lastExit: null },
        ],
      },
    });
  });

  test("a version 1 record with a version 2 length is refused", () => {
    const specs: ServerSpec[] = [{ argv: ["a"], name: "a" }];
    const text = seal(JSON.stringify({ v: 1, revive: false, alarm: null, servers: [["unborn", 0, fingerprint(["a"]), null]] }), 1);
    const r = unmarshal(text, specs);
    expect(r.ok && r.handover.servers[0]).toMatchObject({ kind: "invalid", reason: "wrong record length" });
  });
});

describe("the spec a rolling reload's old process runs (runs: found on a real supervisor re-exec'd during a rolling reload)", () => {
  const old: ServerSpec = {
    argv: ["srv", "--v1"], name: "web.2", label: "web.2", group: "web", rolling: "stop-first", intervalMs: 1000, stopSignal: 2, stopTimeoutMs: 3000,
    autostart: true, ready: { kind: "log", pattern: "up" }, readyTimeoutMs: 5000, dependsOn: [2], restart: "always", launch: "abc",
    health: { probe: { kind: "tcp", host: "127.0.0.1", port: 8080 }, intervalMs: 5000, timeoutMs: 2000, retries: 3 },
    backoff: { initialMs: 500, maxMs: 30_000, retries: 5 }, watchdogMs: 4000,
  };
  const specs: ServerSpec[] = [{ argv: ["srv"], name: "web.1" }, { argv: ["srv", "--v2"], name: "web.2" }, { argv: ["db"], name: "db" }];
  const h: Handover = { pendingRevive: false, alarmAt: null, execAt: 5, servers: [
    { kind: "alive", spawns: 1, lastExit: null, pid: 10, since: 1, stop: null },
    { kind: "alive", spawns: 1, lastExit: null, pid: 11, since: 1, stop: null, runs: old },
    { kind: "alive", spawns: 1, lastExit: null, pid: 12, since: 1, stop: null },
  ] };

  test("round trips, every field of it, its dependencies by name (the new image's servers in another order)", () => {
    expect(unmarshal(marshal(h, specs), specs)).toEqual({ ok: true, handover: h });
    const now = [specs[2]!, specs[1]!, specs[0]!];
    const r = unmarshal(marshal(h, specs), now);
    expect(r.ok && r.handover.servers[1]).toEqual({ ...h.servers[1]!, runs: { ...old, dependsOn: [0] } } as HandoverServer);
    // A dependency the new image does not have is left out.
    const gone: Handover = { ...h, servers: [h.servers[0]!, h.servers[1]!, { kind: "cremated", spawns: 1, lastExit: null, since: 2, why: "stopped" }] };
    const r2 = unmarshal(marshal(gone, specs), [specs[1]!, specs[0]!]);
    expect(r2.ok && r2.handover.servers[0]).toEqual({ ...h.servers[1]!, runs: { ...old, dependsOn: [] } } as HandoverServer);
  });

  test("is written as the difference from the configuration's spec, grouped: a thousand copies stay well within an environment variable", () => {
    const data = JSON.parse(payloadOf(marshal(h, specs)));
    expect(data.runs).toEqual([[
      {
        argv: ["srv", "--v1"], label: "web.2", group: "web", rolling: "stop-first", intervalMs: 1000, stopSignal: 2, stopTimeoutMs: 3000, autostart: true,
        ready: { kind: "log", pattern: "up" }, readyTimeoutMs: 5000, dependsOn: ["db"], restart: "always", health: old.health, backoff: old.backoff, watchdogMs: 4000,
      },
      [["web.2", "abc"]],
    ]]);
    const many = Array.from({ length: 1000 }, (_, i): ServerSpec => ({
      argv: ["bun", "run", "server.ts", "--v2"], name: `web${i % 10}.${Math.floor(i / 10) + 1}`, group: `web${i % 10}`, launch: `${i}`.padStart(14, "0"),
      ready: { kind: "http", url: "http://127.0.0.1:8080/health" }, health: { probe: { kind: "http", url: "http://127.0.0.1:8080/health" }, intervalMs: 5000, timeoutMs: 2000, retries: 3 },
    }));
    const all: Handover = { pendingRevive: false, alarmAt: null, execAt: 1, servers: many.map((s, i) => ({
      kind: "alive", spawns: 3, lastExit: null, pid: 1000 + i, since: 1, stop: null, runs: { ...s, argv: ["bun", "run", "server.ts"], launch: `${i}`.padStart(14, "f") },
    })) };
    const text = marshal(all, many);
    expect(text.length).toBeLessThan(96 * 1024);
    expect(unmarshal(text, many)).toEqual({ ok: true, handover: all });
  });

  test("is written only when some server has it; an entry that does not validate, or names a server not alive or being stopped, is left out (it runs under the configuration's spec)", () => {
    const none: Handover = { ...h, servers: h.servers.map(({ runs: _, ...s }: HandoverServer & { runs?: unknown }) => s as HandoverServer) };
    expect(JSON.parse(payloadOf(marshal(none, specs))).runs).toBeUndefined();
    const data = JSON.parse(payloadOf(marshal(h, specs)));
    const [diff, members] = data.runs[0] as [Record<string, unknown>, unknown[]];
    const bad: Record<string, unknown>[] = [
      { ...diff, argv: [] }, { ...diff, argv: null }, { ...diff, name: "web.1" }, { ...diff, launch: "x" }, { ...diff, stopSignal: 99 }, { ...diff, ready: { kind: "smoke" } },
      { ...diff, health: { probe: { kind: "tcp", host: "h", port: 0 }, intervalMs: 1, timeoutMs: 1, retries: 1 } }, { ...diff, surprise: 1 },
      { ...diff, intervalMs: -1 }, { ...diff, dependsOn: [1] }, { ...diff, restart: "sometimes" },
    ];
    for (const d of bad) expect(unmarshal(seal(JSON.stringify({ ...data, runs: [[d, members]] })), specs)).toEqual({ ok: true, handover: none });
    for (const runs of [7, [[diff, ["nobody"]]], [[diff, [["web.2", 7]]]], [[diff]], [["web.2", diff]], [[diff, "web.2"]]]) {
      expect(unmarshal(seal(JSON.stringify({ ...data, runs })), specs)).toEqual({ ok: true, handover: none });
    }
    // A field absent in the old spec (null) is taken away from the configuration's; the old launch as given, or none.
    const gone = unmarshal(seal(JSON.stringify({ ...data, runs: [[{ ...diff, readyTimeoutMs: null }, ["web.2"]], [{}, [["web.1", null]]]] })), [{ ...specs[0]!, launch: "L" }, { ...specs[1]!, readyTimeoutMs: 9, launch: "M" }, specs[2]!]);
    if (!gone.ok) throw new Error(gone.error);
    const { readyTimeoutMs: _, launch: __, ...rest } = old;
    expect(gone.handover.servers[1]).toEqual({ ...h.servers[1]!, runs: { ...rest, launch: "M" } } as HandoverServer);
    expect(gone.handover.servers[0]).toEqual({ ...h.servers[0]!, runs: { ...specs[0]! } } as HandoverServer);
    // Not for a server being stopped (its next start is the configuration's anyway).
    const stopping = marshal({ ...h, servers: h.servers.map((s, i) => (i === 1 && s.kind === "alive" ? { ...s, stop: { deadline: 9, killed: false, then: "start" } } : s)) }, specs);
    const r = unmarshal(stopping, specs);
    expect(r.ok && r.handover.servers[1] !== undefined && "runs" in r.handover.servers[1]).toBe(false);
  });

  test("junk in its place never throws nor invents a child", () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), fc.constantFrom("ready", "health", "backoff", "argv", "dependsOn", "x"), (junk, value, key) => {
      const data = JSON.parse(payloadOf(marshal(h, specs)));
      noInventedChild(h, seal(JSON.stringify({ ...data, runs: junk })), specs);
      noInventedChild(h, seal(JSON.stringify({ ...data, runs: [[junk, ["web.2"]]] })), specs);
      noInventedChild(h, seal(JSON.stringify({ ...data, runs: [[{ ...data.runs[0][0], [key]: value }, ["web.2", ["web.1", junk]]]] })), specs);
    }), budget(500));
  });
});
