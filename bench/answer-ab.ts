// What answering /metrics and /api/status costs the loop that supervises, for two copies of the
// HTTP endpoint, rounds alternating, without the noise of a real fleet:
//
//   bun run bench/answer-ab.ts A/ B/ [--servers=1000] [--seconds=4] [--rounds=3] [--paths=/api/status,/metrics]
//
// A and B are checkouts (their src/os/http-server.ts is served). Per side and path, a process serves the
// endpoint of a made-up supervisor of `servers` servers (test/helpers/fake-supervisor.ts: the real core,
// this checkout's) and measures its own loop: a timer chain (setTimeout 0) notes every gap between two
// of its turns, that is how long the loop was held; a client process asks for `path` back to back
// for `seconds` (after a 429 it waits 100 ms). Reported: answers, refusals, the endpoint process's CPU
// per answer, and the loop's gaps (p99, p99.9, max). Medians over rounds, and B/A.
import { resolve } from "node:path";
import { median } from "./lib/stats.ts";

const args = process.argv.slice(2);

if (args[0] === "--serve") {
  const [, root, path, secs, n] = args as [string, string, string, string, string];
  const { serveHttp } = await import(`${root}/src/os/http-server.ts`);
  const { FakeSupervisor } = await import("../test/helpers/fake-supervisor.ts");
  // Servers as bench/page-ab.ts names them: their argv is in /api/status.
  const servers = Array.from({ length: Number(n) }, (_, i) => ({ name: `s${i}`, argv: ["/tmp/bench/.build/stamp", "/tmp/stamps.txt", `s${i}`, "say:40x400,life:100000000", "1"] }));
  const sup = new FakeSupervisor(servers, { now: () => performance.now() });
  sup.start();
  const http = serveHttp({
    address: { hostname: "127.0.0.1", port: 0, loopback: true }, token: null, now: () => performance.now(), wallTime: () => Date.now(),
    onAction: () => {}, snapshot: () => sup.snapshot(),
  });
  if (typeof http === "string") throw new Error(http);
  const gaps: number[] = [];
  let last = performance.now();
  let running = true;
  const tick = () => {
    const t = performance.now();
    gaps.push(t - last);
    last = t;
    if (running) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const cpu0 = process.cpuUsage();
  const client = Bun.spawn([process.execPath, "-e", `
    const until = performance.now() + ${Number(secs) * 1000};
    let ok = 0, refused = 0;
    while (performance.now() < until) {
      const r = await fetch(${JSON.stringify(`${http.url}${path}`)});
      await r.arrayBuffer();
      if (r.status === 200) ok++; else { refused++; await Bun.sleep(100); }
    }
    console.log(JSON.stringify({ ok, refused }));`], { stdout: "pipe" });
  const counts = JSON.parse(await new Response(client.stdout).text()) as { ok: number; refused: number };
  running = false;
  const cpu = process.cpuUsage(cpu0);
  gaps.sort((a, b) => a - b);
  const at = (p: number) => gaps[Math.min(gaps.length - 1, Math.floor((gaps.length * p) / 100))] as number;
  console.log(JSON.stringify({ ...counts, cpuPerAnswer: (cpu.user + cpu.system) / 1000 / Math.max(1, counts.ok), p99: at(99), p999: at(99.9), max: gaps.at(-1) }));
  http.close();
  process.exit(0);
}

const roots = args.filter((a) => !a.startsWith("--")).map((a) => resolve(a));
const opt = (k: string, d: string): string => args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d;
const servers = opt("servers", "1000");
const seconds = opt("seconds", "4");
const rounds = Number(opt("rounds", "3"));
const paths = opt("paths", "/api/status,/metrics").split(",");
if (roots.length !== 2) {
  process.stderr.write("usage: bun run bench/answer-ab.ts A/ B/ [--servers=1000] [--seconds=4] [--rounds=3] [--paths=/api/status,/metrics]\n");
  process.exit(2);
}

type Row = { ok: number; refused: number; cpuPerAnswer: number; p99: number; p999: number; max: number };
const results = new Map<string, Row[]>();
for (let r = 0; r < rounds; r++) {
  for (const path of paths) {
    for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const p = Bun.spawn(["nice", "-n", "10", process.execPath, "run", import.meta.path, "--serve", roots[k] as string, path, seconds, servers], { stdout: "pipe", stderr: "inherit" });
      const row = JSON.parse(await new Response(p.stdout).text()) as Row;
      const key = `${k} ${path}`;
      results.set(key, [...(results.get(key) ?? []), row]);
      process.stderr.write(`round ${r + 1} ${"AB"[k]} ${path.padEnd(11)} ${row.ok} ok ${row.refused} refused | ${row.cpuPerAnswer.toFixed(2)} ms CPU per answer | loop held p99 ${row.p99.toFixed(2)} p99.9 ${row.p999.toFixed(2)} max ${row.max.toFixed(2)} ms\n`);
    }
  }
}
console.log(`A = ${roots[0]}\nB = ${roots[1]}\n${servers} servers (made up), ${rounds} rounds of ${seconds} s per path; medians over rounds\n`);
const cols: [keyof Row, string][] = [["ok", "answered"], ["refused", "429"], ["cpuPerAnswer", "CPU per answer ms"], ["p99", "loop held p99 ms"], ["p999", "p99.9"], ["max", "max"]];
console.log(`| path | ${cols.map(([, n]) => `${n} A / B (B/A)`).join(" | ")} |`);
console.log(`|---|${cols.map(() => "---").join("|")}|`);
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : "-");
for (const path of paths) {
  const m = (k: number, c: keyof Row) => median((results.get(`${k} ${path}`) ?? []).map((x) => x[c]));
  console.log(`| ${path} | ${cols.map(([c]) => `${f(m(0, c))} / ${f(m(1, c))} (${(m(1, c) / m(0, c)).toFixed(2)})`).join(" | ")} |`);
}
