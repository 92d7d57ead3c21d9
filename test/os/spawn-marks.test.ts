// The table that says which sd_notify datagrams were sent before the spawn of
// the process that now has their sender's pid (src/os/spawn-marks.ts).
import { describe, expect, test } from "bun:test";
import { MAX_ENTRIES, SpawnMarks } from "../../src/os/spawn-marks.ts";

describe("SpawnMarks", () => {
  test("a datagram read before the marker of its pid's spawn was sent before it; one read after, or at it, was not", () => {
    const t = new SpawnMarks();
    const m1 = t.next();
    t.spawned(100, m1, 0);
    expect(t.sentBefore(0, 100, 100)).toBe(true);
    expect(t.sentBefore(m1, 100, 100)).toBe(false);
    expect(t.sentBefore(m1 + 5, 100, 100)).toBe(false);
    // A pid it never spawned (a server's helper), or none known: taken by its pid alone.
    expect(t.sentBefore(0, 7, 7)).toBe(false);
    expect(t.sentBefore(0, null, null)).toBe(false);
  });

  test("the same pid spawned again: its newest spawn's marker counts", () => {
    const t = new SpawnMarks();
    t.spawned(100, t.next(), 0);
    const m2 = t.next();
    t.spawned(100, m2, 0);
    expect(t.sentBefore(m2 - 1, 100, 100)).toBe(true);
    expect(t.sentBefore(m2, 100, 100)).toBe(false);
  });

  test("a helper in a server's group: the group's spawn counts too (a group id is its leader's pid)", () => {
    const t = new SpawnMarks();
    const m = t.next();
    t.spawned(200, m, 0);
    // pid 7 (not one of its spawns) in group 200: read before 200's marker, so sent before that group existed.
    expect(t.sentBefore(m - 1, 7, 200)).toBe(true);
    expect(t.sentBefore(m, 7, 200)).toBe(false);
  });

  test("sequence numbers wrap around 2^32 and still compare", () => {
    const t = new SpawnMarks();
    let last = 0;
    for (let i = 0; i < 5; i++) last = t.next();
    expect(last).toBe(5);
    // Far along: the numbers pass 2^31 − 1 and 0 (never 0: that is "no marker read yet").
    (t as unknown as { last: number }).last = 0x7ffffffe;
    const a = t.next();
    const b = t.next();
    const c = t.next();
    expect([a, b, c]).toEqual([0x7fffffff, -0x80000000, -0x7fffffff]);
    t.spawned(1, b, a);
    expect(t.sentBefore(a, 1, 1)).toBe(true);
    expect(t.sentBefore(b, 1, 1)).toBe(false);
    expect(t.sentBefore(c, 1, 1)).toBe(false);
    (t as unknown as { last: number }).last = -1;
    expect(t.next()).toBe(1);
  });

  test("bounded: entries whose marker has been read are swept; with none read, the oldest go beyond MAX_ENTRIES", () => {
    const t = new SpawnMarks();
    let read = 0;
    for (let pid = 1; pid <= 10_000; pid++) {
      const m = t.next();
      t.spawned(pid, m, read);
      read = m - 1; // the reader keeps up to the marker before
    }
    expect(t.size).toBeLessThan(200);
    // The newest is still there: a datagram read before its marker is still refused.
    expect(t.sentBefore(read, 10_000, 10_000)).toBe(true);
    const stuck = new SpawnMarks();
    for (let pid = 1; pid <= MAX_ENTRIES + 10; pid++) stuck.spawned(pid, stuck.next(), 0);
    expect(stuck.size).toBeLessThanOrEqual(MAX_ENTRIES);
    expect(stuck.sentBefore(0, MAX_ENTRIES + 10, null)).toBe(true);
    expect(stuck.sentBefore(0, 1, null)).toBe(false);
    // The reader catches up: sweeps go on, and the table shrinks again.
    let last = 0;
    for (let pid = 1; pid <= 2 * MAX_ENTRIES; pid++) {
      const m = stuck.next();
      stuck.spawned(MAX_ENTRIES + 10 + pid, m, last);
      last = m;
    }
    expect(stuck.size).toBeLessThan(200);
  });
});
