// What the HTTP status page costs supervision, for two copies of lazarus, rounds alternating:
//
//   bun run bench/page-ab.ts A/src/main.ts B/src/main.ts [--servers=1000] [--crashers=20] [--lines=40x400]
//                            [--seconds=8] [--rounds=3] [--phases=quiet,live,open,status,metrics,healthz]
//                            [--env-a=K=V]… [--env-b=K=V]…
//
// Each lazarus (--http on loopback, --output=prefix, --interval=1) supervises `servers` servers
// that write `lines` lines of output (N lines of LEN characters, the most a view keeps per
// server: 40 of 400) and then sleep, and `crashers` servers that write one line and crash after
// 1.1–1.5 s of life (bench/stamp.c). While it does, each phase makes one kind of request the
// status page makes, back to back, for `seconds`:
//
//   quiet    nothing (the baseline)
//   live     two live pages connected to /events, reading every view (views are rebuilt as the
//            crashers change the state: as often as what they cost allows)
//   open     a page opened again and again: GET /events until its first view has arrived, closed
//   status   GET /api/status        metrics  GET /metrics        healthz  GET /healthz
//
// What supervision suffered is measured from outside, two ways: the respawn latency of the
// crashers (exit stamp to the next start stamp: the time lazarus took to reap and respawn,
// which a loop held by a view makes wait), and a /livez probe every 20 ms (its answer comes
// from the same loop: its latency is how long the loop was held; a 429 answer counts too).
// Per phase: respawn latency p50, p99 and max, /livez p99 and max, the phase's requests
// (answered 200, refused 429, latency p50 and max), and lazarus's RSS at the phase's end (MiB).
// Medians over rounds, and B/A.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sideEnv, sideEnvArgs } from "./lib/ab-env.ts";
import { buildBinaries } from "./lib/build.ts";
import { cleanupAll, onCleanup } from "./lib/cleanup.ts";
import { killTree, startDaemon } from "./lib/daemon.ts";
import { field } from "./lib/proc.ts";
import { StampLog } from "./lib/stamp-log.ts";
import { respawnLatencies } from "./lib/stamps.ts";
import { median, percentile } from "./lib/stats.ts";

const args = process.argv.slice(2);
const mains = args.filter((a) => !a.startsWith("--")).map((a) => resolve(a));
const opt = (k: string, d: string): string => args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d;
const servers = Number(opt("servers", "1000"));
const crashers = Number(opt("crashers", "20"));
const lines = opt("lines", "40x400");
const seconds = Number(opt("seconds", "8"));
const rounds = Number(opt("rounds", "3"));
const phases = opt("phases", "quiet,live,open,status,metrics,healthz").split(",");
if (mains.length !== 2 || !/^\d+x\d+$/.test(lines)) {
  process.stderr.write("usage: bun run bench/page-ab.ts A/src/main.ts B/src/main.ts [--servers=1000] [--crashers=20] [--lines=40x400] [--seconds=8] [--rounds=3]\n");
  process.exit(2);
}
const bins = buildBinaries();
const work = mkdtempSync(join(tmpdir(), "lazarus-page-"));
onCleanup(() => rmSync(work, { recursive: true, force: true }));
const envs = [sideEnv(args, "a"), sideEnv(args, "b")];

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a !== null ? ok(a.port) : fail(new Error("no port"))));
    });
  });
}

interface PhaseResult {
  rss: number; // MiB
  respawn: number[]; // ms
  livez: number[]; // ms
  ok: number;
  refused: number;
  latency: number[]; // ms, the phase's own requests
}

/** Read a response body to its end (or until `stop` says so), without keeping it. */
async function drain(r: Response, stop?: (chunk: Uint8Array) => boolean): Promise<void> {
  const reader = r.body?.getReader();
  if (reader === undefined) return;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (stop?.(value) === true) {
      await reader.cancel();
      return;
    }
  }
}

/**
 * A reader of an event stream that notices each view's end: the blank line after its data (the stream
 * opens with `retry: MS` and a blank line, which is not a view; nor are heartbeat comments, which a
 * phase this short never sees).
 */
function messageEnds(onMessage: () => void): (chunk: Uint8Array) => boolean {
  let last = 0; // the byte before this chunk
  let blanks = 0;
  return (chunk) => {
    let ended = false;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
      const before = i > 0 ? chunk[i - 1] : last;
      if (before === 10 && blanks++ > 0) {
        onMessage();
        ended = true;
      }
    }
    last = chunk.length > 0 ? (chunk[chunk.length - 1] as number) : last;
    return ended;
  };
}

async function phase(kind: string, url: string, log: StampLog, pid: number): Promise<PhaseResult> {
  const out: PhaseResult = { rss: Number.NaN, respawn: [], livez: [], ok: 0, refused: 0, latency: [] };
  const from = log.since(0).length;
  const until = performance.now() + seconds * 1000;
  const probe = (async () => {
    while (performance.now() < until) {
      const t = performance.now();
      const r = await fetch(`${url}/livez`);
      await r.arrayBuffer();
      out.livez.push(performance.now() - t);
      await Bun.sleep(20);
    }
  })();
  const timed = async (path: string) => {
    const t = performance.now();
    const r = await fetch(`${url}${path}`);
    if (r.status === 200) {
      await drain(r);
      out.ok++;
      out.latency.push(performance.now() - t);
    } else {
      await r.arrayBuffer();
      if (r.status === 429) out.refused++;
      await Bun.sleep(Number(r.headers.get("retry-after") ?? "1") * 100); // try again soon, not at once
    }
  };
  const load = (async () => {
    switch (kind) {
      case "quiet":
        await Bun.sleep(until - performance.now());
        return;
      case "live": {
        const pages = [0, 1].map(async () => {
          const a = new AbortController();
          const t = setTimeout(() => a.abort(), until - performance.now());
          try {
            const r = await fetch(`${url}/events`, { signal: a.signal });
            if (r.status !== 200) {
              out.refused++;
              return;
            }
            let at = performance.now();
            const ends = messageEnds(() => {
              out.ok++;
              out.latency.push(performance.now() - at); // between views
              at = performance.now();
            });
            await drain(r, (chunk) => {
              ends(chunk);
              return false; // reads on until the phase ends
            });
          } catch { /* aborted at the end of the phase */ } finally {
            clearTimeout(t);
          }
        });
        await Promise.all(pages);
        return;
      }
      case "open":
        while (performance.now() < until) {
          const t = performance.now();
          await (await fetch(`${url}/`)).arrayBuffer();
          const r = await fetch(`${url}/events`);
          if (r.status !== 200) {
            await r.arrayBuffer();
            out.refused++;
            await Bun.sleep(100);
            continue;
          }
          await drain(r, messageEnds(() => {}));
          out.ok++;
          out.latency.push(performance.now() - t);
        }
        return;
      default: {
        const path = { status: "/api/status", metrics: "/metrics", healthz: "/healthz" }[kind];
        if (path === undefined) throw new Error(`no such phase: ${kind}`);
        while (performance.now() < until) await timed(path);
      }
    }
  })();
  await Promise.all([probe, load]);
  out.rss = field(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"), "Rss") / 1024;
  const stamps = log.since(from).filter((s) => s.tag.startsWith("c"));
  out.respawn = respawnLatencies(stamps).map((ns) => ns / 1e6);
  return out;
}

type Row = { rss: number; p50: number; p99: number; max: number; livezP99: number; livezMax: number; ok: number; refused: number; reqP50: number; reqMax: number };
const results = new Map<string, Row[]>(); // "side phase" → rounds

function row(r: PhaseResult): Row {
  const s = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const rs = s(r.respawn);
  const lz = s(r.livez);
  const lat = s(r.latency);
  return {
    rss: r.rss, p50: percentile(rs, 50), p99: percentile(rs, 99), max: rs.at(-1) ?? Number.NaN,
    livezP99: percentile(lz, 99), livezMax: lz.at(-1) ?? Number.NaN,
    ok: r.ok, refused: r.refused, reqP50: percentile(lat, 50), reqMax: lat.at(-1) ?? Number.NaN,
  };
}

async function side(k: number, r: number): Promise<void> {
  const log = new StampLog(join(work, `stamps-${r}-${k}.txt`));
  const port = await freePort();
  const argv = [process.execPath, "run", mains[k] as string, "--interval=1", "--control=none", "--output=prefix", `--http=127.0.0.1:${port}`];
  for (let i = 0; i < servers; i++) argv.push("{", bins.stamp, log.path, `s${i}`, `say:${lines},life:100000000`, "1", "}");
  for (let i = 0; i < crashers; i++) argv.push("{", bins.stamp, log.path, `c${i}`, "say:1x80,life:1100~400", "1", "}");
  const d = startDaemon(argv, { output: "/dev/null", env: envs[k] as Record<string, string> });
  const stop = onCleanup(() => killTree([d.pid], bins.stamp).then(() => undefined));
  try {
    if (!(await log.waitUntil(() => log.total("S") >= servers + crashers, 120_000))) throw new Error("the fleet did not start");
    await Bun.sleep(3000);
    const url = `http://127.0.0.1:${port}`;
    for (const p of phases) {
      const res = row(await phase(p, url, log, d.pid));
      const key = `${k} ${p}`;
      results.set(key, [...(results.get(key) ?? []), res]);
      process.stderr.write(`round ${r + 1} ${"AB"[k]} ${p.padEnd(7)} respawn p50 ${res.p50.toFixed(2)} p99 ${res.p99.toFixed(1)} max ${res.max.toFixed(1)} ms | livez p99 ${res.livezP99.toFixed(1)} max ${res.livezMax.toFixed(1)} ms | ${res.ok} ok ${res.refused} refused, p50 ${res.reqP50.toFixed(1)} max ${res.reqMax.toFixed(1)} ms | RSS ${res.rss.toFixed(1)} MiB\n`);
    }
  } finally {
    await stop();
    log.close();
  }
}

try {
  for (let r = 0; r < rounds; r++) for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) await side(k, r);
  console.log(`A = ${mains[0]}${sideEnvArgs(args, "a").map((x) => ` ${x}`).join("")}\nB = ${mains[1]}${sideEnvArgs(args, "b").map((x) => ` ${x}`).join("")}`);
  console.log(`${servers} servers writing ${lines} lines, ${crashers} crashing every 1.1-1.5 s; ${rounds} rounds of ${seconds} s per phase; medians over rounds (ms; RSS at the phase's end, MiB)\n`);
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : "-");
  const cols: [keyof Row, string][] = [["p50", "respawn p50"], ["p99", "respawn p99"], ["max", "respawn max"], ["livezP99", "/livez p99"], ["livezMax", "/livez max"], ["ok", "answered"], ["refused", "429"], ["reqP50", "request p50"], ["reqMax", "request max"], ["rss", "RSS MiB"]];
  console.log(`| phase | ${cols.map(([, n]) => `${n} A / B (B/A)`).join(" | ")} |`);
  console.log(`|---|${cols.map(() => "---").join("|")}|`);
  for (const p of phases) {
    const m = (k: number, c: keyof Row) => median((results.get(`${k} ${p}`) ?? []).map((x) => x[c]));
    console.log(`| ${p} | ${cols.map(([c]) => `${f(m(0, c))} / ${f(m(1, c))} (${(m(1, c) / m(0, c)).toFixed(2)})`).join(" | ")} |`);
  }
} finally {
  await cleanupAll();
}
