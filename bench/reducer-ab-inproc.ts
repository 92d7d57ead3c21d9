// The reducer of two copies of lazarus in ONE process, interleaved in short slices, so that
// both meet the same load on a shared machine (bench/reducer-ab.ts runs them in turns, a
// process each, and a busy neighbour can land on either):
//
//   bun run bench/reducer-ab-inproc.ts A_ROOT B_ROOT [--servers=1,1000] [--slices=30] [--slice-ms=200]
//
// Each copy (its own src/core and bench/scenarios/core.ts) is imported, warmed up, then the
// two take turns (ABBA…) at driving their reducer for slice-ms each. It is done twice, with A
// imported first and then B (the order of loading moves the result by a few per cent), and the
// geometric mean of the two B/A is printed with each.
import { resolve } from "node:path";
import { median } from "./lib/stats.ts";

const args = process.argv.slice(2);
const roots = args.filter((a) => !a.startsWith("--")).map((a) => resolve(a));
const opt = (k: string, d: string): string => args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d;
const sizes = opt("servers", "1,1000").split(",").map(Number);
const slices = Number(opt("slices", "30"));
const sliceMs = Number(opt("slice-ms", "200"));
if (roots.length !== 2) {
  process.stderr.write("usage: bun run bench/reducer-ab-inproc.ts A_ROOT B_ROOT [--servers=1,1000] [--slices=30] [--slice-ms=200]\n");
  process.exit(2);
}

if (process.env.REDUCER_AB_CHILD !== undefined) {
  // One run: roots in the order given (the first is loaded first); prints "n ratio" lines.
  type Core = typeof import("./scenarios/core.ts");
  const cores: Core[] = [];
  for (const root of roots) cores.push((await import(`${root}/bench/scenarios/core.ts`)) as Core);
  for (const n of sizes) {
    const ws = cores.map((c) => c.workload(n, 400_000));
    cores.forEach((c, k) => c.driveReducer(ws[k]!, 300));
    const rates: number[][] = [[], []];
    for (let s = 0; s < slices; s++) {
      for (const k of s % 2 === 0 ? [0, 1] : [1, 0]) rates[k]!.push(cores[k]!.driveReducer(ws[k]!, sliceMs).eventsPerSecond);
    }
    console.log(`${n} ${median(rates[0]!)} ${median(rates[1]!)}`);
  }
  process.exit(0);
}

function run(first: string, second: string): Map<number, [number, number]> {
  const p = Bun.spawnSync({
    cmd: [process.execPath, "run", import.meta.path, first, second, `--servers=${sizes.join(",")}`, `--slices=${slices}`, `--slice-ms=${sliceMs}`],
    env: { ...process.env, REDUCER_AB_CHILD: "1" }, stdout: "pipe", stderr: "inherit",
  });
  const out = new Map<number, [number, number]>();
  for (const line of p.stdout.toString().trim().split("\n")) {
    const [n, x, y] = line.split(" ").map(Number);
    if (n !== undefined && x !== undefined && y !== undefined) out.set(n, [x, y]);
  }
  return out;
}

const ab = run(roots[0]!, roots[1]!);
const ba = run(roots[1]!, roots[0]!);
console.log(`A = ${roots[0]}\nB = ${roots[1]}\n${slices} slices of ${sliceMs} ms each, interleaved in one process; medians of events/s`);
for (const n of sizes) {
  const [a1, b1] = ab.get(n) ?? [Number.NaN, Number.NaN];
  const [b2, a2] = ba.get(n) ?? [Number.NaN, Number.NaN];
  const r1 = b1 / a1;
  const r2 = b2 / a2;
  const fmt = (x: number) => Math.round(x).toLocaleString("en").padStart(10);
  console.log(`${String(n).padStart(5)} servers: A first: A ${fmt(a1)}  B ${fmt(b1)}  B/A ${r1.toFixed(3)};  B first: A ${fmt(a2)}  B ${fmt(b2)}  B/A ${r2.toFixed(3)};  geometric mean B/A ${Math.sqrt(r1 * r2).toFixed(3)}`);
}
