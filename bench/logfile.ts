// The cost of keeping a server's output in rotated log files (issue 16): CPU
// per MB of output written, and memory during a flood, for lazarus's LogFile
// beside svlogd (runit) and s6-log (s6) where installed (sh bench/peers.sh),
// and a floor: `cat` into a file, the kernel's own cost of moving the bytes.
//
//   bun run bench/logfile.ts [--mb=200] [--line=100] [--out=FILE]
//
// Every row gets the same flood: a producer process writes MB megabytes of
// LINE-byte numbered lines into a pipe as fast as it can. Each logger rotates
// at 10 MiB and keeps 5 old files, with and without timestamps. For lazarus
// the path is the supervisor's: the pipe is read by Bun (Bun.file(fd).stream()),
// split into lines (output.ts's LineSplitter) and appended to a LogFile; its CPU
// is this process's (main thread and Bun's thread pool, where the writes run),
// sampled with process.cpuUsage(); its memory is sampled every 20 ms during the
// flood (it should stay flat: the queue is bounded). A peer's CPU and peak RSS
// come from its rusage. The producer's CPU is nobody's.
//
// The "lazarus (the supervisor)" rows run the real thing: `lazarus --log-dir=DIR
// --output=none` supervising the producer (it waits for a go file, so lazarus's
// start-up is not counted); lazarus's own CPU (utime + stime from /proc, not its
// children's) from the go to the moment the last byte is in the files, and its
// RSS during the flood.
//
// Caveat: a LogFile by itself never slows a server down, so a flood faster than
// the file system loses lines (counted: the "dropped" column); the peers block
// the producer instead. lazarus's reader waits for room (bounded patience,
// output.ts): the "patient reader" rows and the supervisor's. Not run by `bun test`.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makePipe } from "../src/os/libc.ts";
import { LogFile } from "../src/os/log-file.ts";
import { LineSplitter } from "../src/os/output.ts";
import { parseToolArgs } from "../test/helpers/tool-args.ts";
import { markdownTable, sig } from "./lib/table.ts";

const MAX_BYTES = 10 * 1024 * 1024;
const KEEP = 5;

const USAGE = "usage: bun run bench/logfile.ts [--mb=200] [--line=100] [--out=FILE]";

interface Row {
  readonly logger: string;
  readonly mb: number;
  readonly cpuS: number;
  readonly wallS: number;
  readonly rss: string;
  readonly dropped: number;
  readonly files: number;
  /** How late a 5 ms timer fired at worst during the flood (lazarus: its event loop). */
  readonly lateMs: number | null;
}

/** The producer: MB megabytes of LINE-byte lines to stdout (a pipe), then exit; one prebuilt chunk, so its CPU is the kernel's copy. */
function produce(mb: number, line: number): void {
  const per = Math.floor((64 * 1024) / line);
  const chunk = Buffer.from(Array.from({ length: per }, (_, j) => `${String(j).padStart(16, "0")} ${"x".repeat(line - 18)}\n`).join(""));
  let left = Math.floor((mb * 1024 * 1024) / line);
  while (left > 0) {
    const buf = left >= per ? chunk : chunk.subarray(0, left * line);
    let off = 0;
    while (off < buf.length) off += writeSync(1, buf, off);
    left -= per;
  }
}

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    try {
      const p = join(dir, cmd);
      if (statSync(p).isFile()) return p;
    } catch { /* not there */ }
  }
  return null;
}

function pipe(): { read: number; write: number } {
  const p = makePipe();
  if ("error" in p) throw new Error(p.error);
  return p;
}

function producer(out: number, mb: number, line: number): Bun.Subprocess {
  return Bun.spawn({ cmd: [process.execPath, import.meta.path, "--produce", String(mb), "--line", String(line)], stdio: ["ignore", out, "inherit"] });
}

function filesIn(dir: string): number {
  return readdirSync(dir).filter((n) => !n.startsWith("lock") && n !== "config" && n !== "state" && n !== "newstate").length;
}

/** A peer logger reading the flood on its stdin. */
async function peer(name: string, cmd: string[], dir: string, mb: number, line: number): Promise<Row> {
  const p = pipe();
  const t0 = performance.now();
  const logger = Bun.spawn({ cmd, stdio: [p.read, "ignore", "inherit"] });
  const rss = sampleRss(logger.pid);
  const prod = producer(p.write, mb, line);
  closeSync(p.read);
  closeSync(p.write);
  await prod.exited;
  await logger.exited;
  const wallS = (performance.now() - t0) / 1000;
  rss.stop();
  const ru = logger.resourceUsage();
  const cpuS = ru === undefined ? Number.NaN : Number(ru.cpuTime.total) / 1e6;
  return { logger: name, mb, cpuS, wallS, rss: rss.text(), dropped: 0, files: filesIn(dir), lateMs: null };
}

/** RSS of a process (from /proc) every 20 ms until stopped; the text shows it at 10%, 50% and 90% of the run, and its peak. */
function sampleRss(pid: number): { stop: () => void; text: () => string } {
  const mib: number[] = [];
  const page = 4096;
  const timer = setInterval(() => {
    try {
      const statm = readFileSync(`/proc/${pid}/statm`, "utf8").split(" ");
      mib.push((Number(statm[1]) * page) / 1024 / 1024);
    } catch { /* ended */ }
  }, 20);
  return {
    stop: () => clearInterval(timer),
    text: () => {
      if (mib.length === 0) return "–";
      const at = (f: number) => sig(mib[Math.min(mib.length - 1, Math.floor(mib.length * f))] as number);
      return `${at(0.1)} → ${at(0.5)} → ${at(0.9)} MiB (peak ${sig(Math.max(...mib))})`;
    },
  };
}

/**
 * lazarus: the pipe read by Bun, split into lines, appended to a LogFile.
 * "drop": as the issue asks (a log file never slows a server down): lines that
 * do not fit in the queue are dropped. "patient": the reader waits up to 100 ms
 * for room in the queue before reading on (LogFile.whenRoom).
 */
async function lazarus(name: string, dir: string, mb: number, line: number, timestamps: boolean, mode: "drop" | "patient"): Promise<Row> {
  const p = pipe();
  const log = new LogFile(join(dir, "current.log"), { maxBytes: MAX_BYTES, keep: KEEP, timestamps });
  const splitter = new LineSplitter();
  const rss = sampleRss(process.pid);
  let late = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    late = Math.max(late, now - last - 5);
    last = now;
  }, 5);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const prod = producer(p.write, mb, line);
  closeSync(p.write);
  const reader = Bun.file(p.read).stream().getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const lines = splitter.push(value);
    if (lines.length > 0) log.append(lines);
    if (mode === "patient" && log.pressing) await log.whenRoom(100);
  }
  await prod.exited;
  await log.close(60_000);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(ticker);
  rss.stop();
  return {
    logger: name,
    mb,
    cpuS: (cpu.user + cpu.system) / 1e6,
    wallS,
    rss: rss.text(),
    dropped: log.state.dropped,
    files: filesIn(dir),
    lateMs: late,
  };
}

/** CPU seconds (utime + stime, its own, not its children's) of a process, from /proc. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // clock ticks (100 a second on Linux)
}

const END = "END-OF-THE-FLOOD";

/** The last bytes of a file ("" when there is none). */
function readTail(path: string): string {
  try {
    const fd = openSync(path, "r");
    try {
      const size = statSync(path).size;
      const buf = Buffer.alloc(Math.min(64, size));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString();
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

/** The real supervisor: lazarus --log-dir=DIR --output=none, supervising the producer. */
async function supervisor(name: string, dir: string, mb: number, line: number, timestamps: boolean): Promise<Row> {
  const go = join(dir, "go");
  const logs = join(dir, "logs");
  const toml = join(dir, "lazarus.toml");
  const producerCmd = [process.execPath, import.meta.path, "--produce", String(mb), "--line", String(line)];
  writeFileSync(toml, [
    `log_dir = ${JSON.stringify(logs)}`, `log_max_size = ${MAX_BYTES}`, `log_keep = ${KEEP}`, `log_timestamps = ${timestamps}`, 'control = "none"',
    "[servers.flood]",
    `cmd = ["sh", "-c", ${JSON.stringify(`while [ ! -e '${go}' ]; do sleep 0.01; done; ${producerCmd.map((w) => `'${w}'`).join(" ")}; echo ${END}; exec sleep 1000`)}]`,
    'output = "none"', "",
  ].join("\n"));
  const main = join(import.meta.dir, "../src/main.ts");
  const sup = Bun.spawn([process.execPath, "run", main, `--config=${toml}`], { stdio: ["ignore", "ignore", "pipe"] });
  const err = new Response(sup.stderr).text();
  try {
    const path = join(logs, "flood.log");
    while (!existsSync(path)) await Bun.sleep(10);
    await Bun.sleep(200); // settled after its start
    const cpu0 = cpuOf(sup.pid);
    const rss = sampleRss(sup.pid);
    const t0 = performance.now();
    writeFileSync(go, "");
    // The producer's flood, then a last line: once that is in the live file, every byte before it is too.
    while (!readTail(path).endsWith(`${END}\n`)) {
      if (performance.now() - t0 > 600_000) throw new Error(`${name}: not all written after 10 minutes`);
      await Bun.sleep(10);
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpuS = cpuOf(sup.pid) - cpu0;
    rss.stop();
    const files = filesIn(logs);
    sup.kill("SIGTERM");
    await sup.exited;
    // Lines it dropped are said in its log ("N lines could not be written and were dropped").
    const dropped = [...(await err).matchAll(/(\d+) lines? could not be written and were dropped/g)].reduce((n, m) => n + Number(m[1]), 0);
    return { logger: name, mb, cpuS, wallS, rss: rss.text(), dropped, files, lateMs: null };
  } finally {
    sup.kill("SIGKILL");
  }
}

/** The floor: cat into one file (no rotation, no timestamps). */
async function floor(dir: string, mb: number, line: number): Promise<Row> {
  const out = openSync(join(dir, "current"), "w");
  const p = pipe();
  const t0 = performance.now();
  const cat = Bun.spawn({ cmd: ["cat"], stdio: [p.read, out, "inherit"] });
  const rss = sampleRss(cat.pid);
  const prod = producer(p.write, mb, line);
  closeSync(p.read);
  closeSync(p.write);
  closeSync(out);
  await prod.exited;
  await cat.exited;
  rss.stop();
  const ru = cat.resourceUsage();
  return {
    logger: "floor: cat > file",
    mb,
    cpuS: ru === undefined ? Number.NaN : Number(ru.cpuTime.total) / 1e6,
    wallS: (performance.now() - t0) / 1000,
    rss: rss.text(),
    dropped: 0,
    files: 1,
    lateMs: null,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const r = parseToolArgs(argv, { mb: { type: "string", number: true }, line: { type: "string", number: true }, out: { type: "string" }, produce: { type: "string", number: true } });
  if (r.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (r.kind === "error") {
    console.error(`bench/logfile.ts: ${r.message}\n${USAGE}`);
    return 2;
  }
  const v = r.values as { mb?: string; line?: string; out?: string; produce?: string };
  const line = Number(v.line ?? 100);
  if (!Number.isInteger(line) || line < 20 || line > 16 * 1024) {
    console.error(`bench/logfile.ts: --line must be a whole number of bytes from 20 to 16384\n${USAGE}`);
    return 2;
  }
  if (v.produce !== undefined) {
    produce(Number(v.produce), line);
    return 0;
  }
  const mb = Number(v.mb ?? 200);
  if (!(mb > 0)) {
    console.error(`bench/logfile.ts: --mb must be more than 0\n${USAGE}`);
    return 2;
  }
  const base = join(tmpdir(), `lazarus-bench-logfile-${process.pid}`);
  const fresh = (name: string) => {
    const d = join(base, name);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
    return d;
  };
  const rows: Row[] = [];
  const skipped: string[] = [];
  try {
    rows.push(await floor(fresh("floor"), mb, line));
    rows.push(await lazarus("lazarus LogFile", fresh("lazarus"), mb, line, false, "drop"));
    rows.push(await lazarus("lazarus LogFile, timestamps", fresh("lazarus-ts"), mb, line, true, "drop"));
    rows.push(await lazarus("lazarus LogFile, patient reader", fresh("lazarus-p"), mb, line, false, "patient"));
    rows.push(await lazarus("lazarus LogFile, timestamps, patient reader", fresh("lazarus-pts"), mb, line, true, "patient"));
    rows.push(await supervisor("lazarus (the supervisor, output = none)", fresh("sup"), mb, line, false));
    rows.push(await supervisor("lazarus (the supervisor), timestamps", fresh("sup-ts"), mb, line, true));
    const svlogd = which("svlogd");
    if (svlogd !== null) {
      for (const [label, flags] of [["svlogd", []], ["svlogd -tt (timestamps)", ["-tt"]]] as const) {
        const d = fresh(`svlogd${flags.length}`);
        writeFileSync(join(d, "config"), `s${MAX_BYTES}\nn${KEEP}\n`);
        rows.push(await peer(label, [svlogd, ...flags, d], d, mb, line));
      }
    } else skipped.push("svlogd (not installed: sh bench/peers.sh)");
    const s6log = which("s6-log");
    if (s6log !== null) {
      for (const [label, flags] of [["s6-log", []], ["s6-log T (timestamps)", ["T"]]] as const) {
        const d = fresh(`s6log${flags.length}`);
        rows.push(await peer(label, [s6log, "-b", `n${KEEP}`, `s${MAX_BYTES}`, ...flags, d], d, mb, line));
      }
    } else skipped.push("s6-log (not installed: sh bench/peers.sh)");
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  const table = markdownTable(
    ["logger", "MB", "CPU s", "CPU ms / MB", "wall s", "MB/s", "RSS during the flood (at 10% → 50% → 90%)", "lines dropped", "files", "timer late (max)"],
    rows.map((x) => [x.logger, String(x.mb), sig(x.cpuS), sig((x.cpuS * 1000) / x.mb), sig(x.wallS), sig(x.mb / x.wallS), x.rss, String(x.dropped), String(x.files), x.lateMs === null ? "–" : `${sig(x.lateMs)} ms`]),
  );
  const fs = Bun.spawnSync(["df", "-T", tmpdir()]).stdout.toString().trim().split("\n").at(-1)?.split(/\s+/)[1] ?? "?";
  const text = [
    `## Log files: CPU per MB of server output (${mb} MB of ${line}-byte lines, 10 MiB files, keep ${KEEP}, ${tmpdir()} on ${fs})`,
    "",
    table,
    "",
    ...skipped.map((s) => `Not measured: ${s}.`),
    `Bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs.`,
    "",
  ].join("\n");
  console.log(text);
  if (v.out !== undefined) writeFileSync(v.out, text);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
