// The reducer of two copies of lazarus, rounds alternating (each round a fresh process):
//
//   bun run bench/reducer-ab.ts A_ROOT B_ROOT [--rounds=5] [--servers=1,1000] [--ms=700]
//
// A_ROOT and B_ROOT are checkouts (each with bench/reducer.ts); medians of events/s, and of
// events per CPU second when reducer.ts prints them (steadier on a busy machine).
import { resolve } from "node:path";
import { median } from "./lib/stats.ts";

const args = process.argv.slice(2);
const roots = args.filter((a) => !a.startsWith("--")).map((a) => resolve(a));
const opt = (k: string, d: string): string => args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d;
const rounds = Number(opt("rounds", "5"));
const servers = opt("servers", "1,1000");
const ms = opt("ms", "700");
if (roots.length !== 2) {
  process.stderr.write("usage: bun run bench/reducer-ab.ts A_ROOT B_ROOT [--rounds=5] [--servers=1,1000] [--ms=700]\n");
  process.exit(2);
}
const results: Map<string, number[]>[] = [new Map(), new Map()];
for (let r = 0; r < rounds; r++) {
  for (const [i, root] of roots.entries()) {
    const p = Bun.spawnSync({ cmd: [process.execPath, "run", `${root}/bench/reducer.ts`, `--servers=${servers}`, `--ms=${ms}`], stdout: "pipe", stderr: "inherit" });
    for (const line of p.stdout.toString().split("\n")) {
      const m = /^\s*(\d+) servers: ([\d,]+) events\/s.*?(?:; ([\d,]+) events per CPU second)?$/.exec(line);
      if (m === null) continue;
      const add = (key: string, v: string | undefined): void => {
        if (v === undefined) return;
        const list = results[i]!.get(key) ?? [];
        list.push(Number(v.replaceAll(",", "")));
        results[i]!.set(key, list);
      };
      add(`${m[1]} servers, per s`, m[2]);
      add(`${m[1]} servers, per CPU s`, m[3]);
    }
  }
}
console.log(`A = ${roots[0]}\nB = ${roots[1]}\n${rounds} rounds, medians of events/s`);
for (const [n, a] of results[0]!) {
  const b = results[1]!.get(n) ?? [];
  const ma = median(a);
  const mb = median(b);
  console.log(`${n.padStart(22)}: A ${Math.round(ma).toLocaleString("en").padStart(10)}  B ${Math.round(mb).toLocaleString("en").padStart(10)}  B/A ${(mb / ma).toFixed(2)}`);
}
