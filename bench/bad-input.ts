// `bun run bench/bad-input.ts [--quick] [--with-bun-toml]`: issue 20's
// property, measured. Every parser of user input (config file, Procfile, .env
// file, command line) is fed inputs of growing size (x4 each step), shaped to
// be hard (many keys, deep nesting, long lines, an error at the end, repeated
// words...), each run in a fresh process. Per size: the time (best of 3) and
// the peak memory above an empty run. A parser is linear when its time per
// byte does not grow with the size (the ratio largest/smallest stays under 3)
// and its peak memory is a bounded multiple of the input (under 100 bytes per
// byte: JavaScript's two bytes per character, the parsed objects, and the
// garbage of parsing; about 30 to 75 measured, nesting being capped).
// Exits 1 if any case is not. `--with-bun-toml` adds Bun.TOML.parse on the
// same files, for the record of why it is not used (it is quadratic).
import { parseCommandLine } from "../src/cli/parse.ts";
import { parseConfig } from "../src/config/config.ts";
import { parseEnvFile } from "../src/config/dotenv.ts";
import { parseProcfile } from "../src/config/procfile.ts";
import { decodeText } from "../src/config/text.ts";

type Input = { readonly text: string } | { readonly words: readonly string[] } | { readonly bytes: Uint8Array };

interface Case {
  readonly name: string;
  /** An input of about `size` bytes. */
  make(size: number): Input;
  run(input: Input): unknown;
}

/** `line(i)` repeated until the text is `size` long. */
function lines(size: number, line: (i: number) => string): string {
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const l = line(i);
    out.push(l);
    n += l.length + 1;
  }
  return `${out.join("\n")}\n`;
}

const text = (i: Input) => ("text" in i ? i.text : "");
const config = (i: Input) => parseConfig(text(i), "f.toml");

const CASES: readonly Case[] = [
  { name: "config: servers", make: (n) => ({ text: lines(n, (i) => (i % 3 === 0 ? `[servers.s${i}]` : i % 3 === 1 ? `cmd = ["sleep", "${i}"]` : "interval = 1")) }), run: config },
  { name: "config: keys in one table", make: (n) => ({ text: `[servers.a]\ncmd = "x"\n[servers.a.env]\n${lines(n, (i) => `K${i} = "v"`)}` }), run: config },
  { name: "config: error on the last line", make: (n) => ({ text: `${lines(n, (i) => `k${i} = ${i}`)}oops =\n` }), run: config },
  { name: "config: unknown key at the end", make: (n) => ({ text: `${lines(n, (i) => `[servers.s${i}]\ncmd = "x"`)}[servers.z]\ncmd = "x"\nnope = 1\n` }), run: config },
  { name: "config: dotted keys", make: (n) => ({ text: `[servers.a]\ncmd = "x"\nenv.${Array.from({ length: Math.floor(n / 2) }, () => "a").join(".")} = 1\n` }), run: config },
  { name: "config: escapes in a string", make: (n) => ({ text: `[servers.a]\ncmd = "${"\\u00e9\\n".repeat(Math.floor(n / 8))}"\n` }), run: config },
  { name: "config: words of a cmd string", make: (n) => ({ text: `[servers.a]\ncmd = "${"'a b' \\\\c \\\"d\\\" ".repeat(Math.floor(n / 16))}"\n` }), run: config },
  { name: "config: header of spaces", make: (n) => ({ text: `[servers.x${" ".repeat(n)}]\ncmd = "x"\nnope = 1\n` }), run: config },
  { name: "config: random bytes", make: (n) => ({ bytes: Uint8Array.from({ length: n }, (_, i) => (i * 7919 + 13) % 256) }), run: (i) => ("bytes" in i ? decodeText(i.bytes, "f") : null) },
  { name: "config: TOML-looking junk", make: (n) => ({ text: lines(n, (i) => ["[a", "b = [1,", "\"x", "{ c = 1", "'''", "# c", "d.e = 2", "]"][i % 8] as string) }), run: config },
  { name: "Procfile: servers", make: (n) => ({ text: lines(n, (i) => `s${i}: ./srv --port=$PORT --initial-spawn`) }), run: (i) => parseProcfile(text(i), "P") },
  { name: "Procfile: many --initial-spawn", make: (n) => ({ text: `web: ./srv${" --initial-spawn".repeat(Math.floor(n / 16))}\n` }), run: (i) => parseProcfile(text(i), "P") },
  { name: ".env: variables", make: (n) => ({ text: lines(n, (i) => `export K${i}="v\\n${i}" # c`) }), run: (i) => parseEnvFile(text(i), ".env") },
  { name: ".env: a line of spaces", make: (n) => ({ text: `${" ".repeat(n)}x\n` }), run: (i) => parseEnvFile(text(i), ".env") },
  { name: ".env: a long quoted value", make: (n) => ({ text: `K="${"ab\\n".repeat(Math.floor(n / 4))}"\n` }), run: (i) => parseEnvFile(text(i), ".env") },
  {
    name: "command line: servers in braces",
    make: (n) => ({ words: Array.from({ length: 4 * Math.floor(n / 16) }, (_, i) => ["{", "x", String(i), "}"][i % 4] as string) }),
    run: (i) => parseCommandLine("words" in i ? i.words : []),
  },
  {
    name: "command line: same command",
    make: (n) => ({ words: Array.from({ length: 3 * Math.floor(n / 18) }, (_, i) => ["{", "srv", "}"][i % 3] as string) }),
    run: (i) => parseCommandLine("words" in i ? i.words : []),
  },
  { name: "command line: nested braces", make: (n) => ({ words: [...Array(Math.floor(n / 4)).fill("{"), "x", ...Array(Math.floor(n / 4)).fill("}")] }), run: (i) => parseCommandLine("words" in i ? i.words : []) },
  { name: "command line: one long word", make: (n) => ({ words: ["--interval=1", "{", "x".repeat(n), "}"] }), run: (i) => parseCommandLine("words" in i ? i.words : []) },
];

const BUN_TOML: Case = {
  name: "Bun.TOML.parse: keys in one table (not used)",
  make: (n) => ({ text: lines(n, (i) => `K${i} = "v"`) }),
  run: (i) => {
    try {
      return Bun.TOML.parse(text(i));
    } catch (e) {
      return e;
    }
  },
};

// --- one measurement, in a child process: `--one CASE SIZE RUNS` prints {"ms":…,"bytes":…}

async function one(name: string, size: number, runs: number): Promise<void> {
  const c = [...CASES, BUN_TOML].find((x) => x.name === name);
  if (c === undefined) throw new Error(`no case ${name}`);
  const input = size === 0 ? { text: "" } : c.make(size);
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    c.run(input);
    best = Math.min(best, performance.now() - t0);
  }
  const bytes = "text" in input ? input.text.length : "bytes" in input ? input.bytes.length : input.words.reduce((n, w) => n + w.length + 1, 0);
  process.stdout.write(`${JSON.stringify({ ms: best, bytes })}\n`);
}

async function child(name: string, size: number, runs: number): Promise<{ ms: number; bytes: number; rss: number }> {
  const p = Bun.spawn([process.execPath, import.meta.path, "--one", name, String(size), String(runs)], { stdio: ["ignore", "pipe", "inherit"] });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const r = JSON.parse(out) as { ms: number; bytes: number };
  return { ...r, rss: p.resourceUsage()?.maxRSS ?? Number.NaN };
}

/** The time: best of 5 runs in one process (garbage collection makes single runs noisy); the memory: the peak of a process that parses once. */
async function measure(name: string, size: number): Promise<{ ms: number; bytes: number; rss: number }> {
  const timed = await child(name, size, 5);
  const once = await child(name, size, 1);
  return { ...timed, rss: once.rss };
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "--one") {
    await one(argv[1] as string, Number(argv[2]), Number(argv[3]));
    return 0;
  }
  const quick = argv.includes("--quick");
  const sizes = quick ? [64 * 1024, 256 * 1024, 1024 * 1024] : [256 * 1024, 1024 * 1024, 4 * 1024 * 1024];
  const cases = [...CASES];
  if (argv.includes("--with-bun-toml")) cases.push(BUN_TOML);
  console.log(`| case | ${sizes.map((s) => `${s / 1024} KiB: ms, MB peak`).join(" | ")} | time/byte growth | memory/byte | verdict |`);
  console.log(`|---|${sizes.map(() => "---").join("|")}|---|---|---|`);
  let bad = 0;
  for (const c of cases) {
    const base = await measure(c.name, 0);
    const rows = [];
    for (const size of c === BUN_TOML ? sizes.map((s) => s / 16) : sizes) rows.push(await measure(c.name, size));
    const first = rows[0] as { ms: number; bytes: number; rss: number };
    const last = rows[rows.length - 1] as { ms: number; bytes: number; rss: number };
    // Below a millisecond timings are noise: compare against at least 1 ms.
    const growth = (Math.max(last.ms, 1) / last.bytes) / (Math.max(first.ms, 1) / first.bytes);
    const perByte = Math.max(0, last.rss - base.rss) / last.bytes;
    const ok = growth < 3 && perByte < 100;
    if (!ok && c !== BUN_TOML) bad++;
    const cells = rows.map((r) => `${r.ms.toFixed(1)}, ${((r.rss - base.rss) / 1e6).toFixed(1)}`);
    console.log(`| ${c.name} | ${cells.join(" | ")} | ${growth.toFixed(2)} | ${perByte.toFixed(1)} | ${ok ? "linear" : "NOT LINEAR"} |`);
  }
  return bad === 0 ? 0 : 1;
}

process.exit(await main(process.argv.slice(2)));
