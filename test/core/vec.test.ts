// The persistent vector of servers (src/core/vec.ts) against a plain array:
// every method, across chunk boundaries (32, 64, …), and persistence (a
// vector never changes once made, whatever is derived from it).
import { expect, test } from "bun:test";
import fc from "fast-check";
import { Vec } from "../../src/core/vec.ts";
import { budget } from "../properties/budget.ts";

type Op = { op: "set"; i: number; v: number } | { op: "push"; v: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("set" as const), i: fc.nat({ max: 200 }), v: fc.integer() }),
  fc.record({ op: fc.constant("push" as const), v: fc.integer() }),
);

function same(v: Vec<number>, a: readonly number[]): void {
  expect(v.length).toBe(a.length);
  expect(v.toArray()).toEqual([...a]);
  expect([...v]).toEqual([...a]);
  expect(JSON.parse(JSON.stringify(v))).toEqual([...a]);
  for (let i = -1; i <= a.length; i++) expect(v.at(i)).toBe(a[i]);
  expect(v.at(0.5)).toBe(a.length > 0 ? (a[0] as number) : undefined);
  const seen: [number, number][] = [];
  v.forEach((x, i) => { seen.push([x, i]); });
  expect(seen).toEqual(a.map((x, i) => [x, i]));
  expect(v.map((x, i) => x * 2 + i)).toEqual(a.map((x, i) => x * 2 + i));
  expect(v.filter((x) => x % 2 === 0)).toEqual(a.filter((x) => x % 2 === 0));
  for (const probe of [a[0], a[a.length - 1], a[33], 12345]) {
    expect(v.findIndex((x) => x === probe)).toBe(a.findIndex((x) => x === probe));
    expect(v.find((x) => x === probe)).toBe(a.find((x) => x === probe));
    expect(v.some((x) => x === probe)).toBe(a.some((x) => x === probe));
  }
  expect(v.findIndex((_, i) => i === a.length - 1)).toBe(a.length - 1);
  expect(v.every((x) => x < 0)).toBe(a.every((x) => x < 0));
  expect(v.every((x) => typeof x === "number")).toBe(true);
}

test("a vector is the array it was made from, through every method, after any sets and pushes; older vectors never change", () => {
  fc.assert(fc.property(fc.array(fc.integer(), { maxLength: 130 }), fc.array(opArb, { maxLength: 40 }), (init, ops) => {
    let v = Vec.of(init);
    let a = [...init];
    const history: [Vec<number>, number[]][] = [[v, [...a]]];
    for (const o of ops) {
      if (o.op === "push") {
        v = v.push(o.v);
        a = [...a, o.v];
      } else if (o.i < a.length) {
        v = v.set(o.i, o.v);
        a = a.map((x, i) => (i === o.i ? o.v : x));
      } else {
        expect(() => v.set(o.i, o.v)).toThrow(RangeError);
        continue;
      }
      history.push([v, [...a]]);
    }
    same(v, a);
    for (const [old, arr] of history) expect(old.toArray()).toEqual(arr);
  }), budget(300));
});

test("set refuses what is not an index", () => {
  const v = Vec.of([1, 2, 3]);
  for (const i of [-1, 3, 1.5, Number.NaN, 4]) expect(() => v.set(i, 0)).toThrow(RangeError);
  expect(Vec.of<number>([]).at(0)).toBeUndefined();
});

test("at the chunk boundaries: 31, 32, 33, 63, 64, 65 elements", () => {
  for (const n of [31, 32, 33, 63, 64, 65]) {
    const a = Array.from({ length: n }, (_, i) => i * 7);
    same(Vec.of(a), a);
    same(Vec.of(a).push(-1), [...a, -1]);
    same(Vec.of(a).set(n - 1, -2), [...a.slice(0, -1), -2]);
  }
});

test("a transient working copy (one step's): sets change it in place, never the vector it came from nor one frozen before", () => {
  fc.assert(fc.property(fc.array(fc.integer(), { maxLength: 130 }), fc.array(opArb, { maxLength: 40 }), fc.nat({ max: 40 }), (init, ops, freezeAt) => {
    const origin = Vec.of(init);
    let v = origin.transient();
    let a = [...init];
    const frozen: [Vec<number>, number[]][] = [];
    ops.forEach((o, k) => {
      if (k === freezeAt) {
        // A snapshot mid-step (the core's snapshot()): frozen, it never changes after.
        frozen.push([v.freeze(), [...a]]);
      }
      if (o.op === "push") {
        const before = v;
        const beforeArr = [...a];
        v = v.push(o.v);
        a = [...a, o.v];
        frozen.push([before, beforeArr]); // push freezes the vector it was called on
      } else if (o.i < a.length) {
        v = v.set(o.i, o.v);
        a = a.map((x, i) => (i === o.i ? o.v : x));
      } else {
        expect(() => v.set(o.i, o.v)).toThrow(RangeError);
      }
    });
    same(v.freeze(), a);
    expect(origin.toArray()).toEqual(init);
    for (const [old, arr] of frozen) expect(old.toArray()).toEqual(arr);
  }), budget(300));
});
