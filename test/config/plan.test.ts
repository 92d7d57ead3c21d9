// All sources together: command line, config file, Procfile, .env file → the
// servers the policy sees and how the shell launches each. Ends with the
// property that a config file describes the same servers as braces do.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseCommandLine } from "../../src/cli/parse.ts";
import { keyPath } from "../../src/config/config.ts";
import { carrySources, loadPlan } from "../../src/config/load.ts";
import { assemble, type Plan, type Sources } from "../../src/config/plan.ts";
import { bunFiles } from "../../src/os/files.ts";
import { launcher } from "../../src/shell/launch.ts";
import { joinWords } from "../../src/config/words.ts";
import { propertySeed } from "../helpers/seed.ts";

const seed = propertySeed("test/config/plan.test.ts");
const CWD = "/home/u/app";

function plan(args: string[], sources: Sources = {}, defaultConfig: string | null = null): Plan {
  const r = tryPlan(args, sources, defaultConfig);
  if (!r.ok) throw new Error(`unexpected error: ${r.error}`);
  return r.plan;
}
function tryPlan(args: string[], sources: Sources = {}, defaultConfig: string | null = null, inherited: Record<string, string> = {}) {
  // A config file among the sources is the one found (as lazarus.toml would be) unless --config names it.
  const p = parseCommandLine(args, { defaultConfig: defaultConfig ?? sources.config?.file ?? null });
  if (p.kind !== "run") throw new Error(`command line did not parse: ${JSON.stringify(p)}`);
  return assemble(p.options, p.servers.map((s) => s.argv), sources, CWD, inherited);
}
const toml = (text: string, file = "lazarus.toml") => ({ config: { file, text } });

describe("the command line", () => {
  test("--config, --procfile, --env-file and --output are options", () => {
    const p = parseCommandLine(["--config=a.toml", "--procfile=Procfile", "--env-file=.env", "--output=prefix"]);
    expect(p.kind === "run" && p.options).toMatchObject({ config: "a.toml", procfile: "Procfile", envFile: ".env", output: "prefix" });
    expect(p.kind === "run" && p.servers).toEqual([]);
  });

  test.each([
    [["--config="], "Invalid value for --config: empty (a file name)."],
    [["--procfile="], "Invalid value for --procfile: empty (a file name)."],
    [["--env-file=", "{", "a", "}"], "Invalid value for --env-file: empty (a file name)."],
    [["--output=pipe", "{", "a", "}"], "Invalid value for --output: pipe (inherit, prefix or none)."],
    [["--env-file=.env"], "No programs to spawn, aborting."],
    [["--toString=1", "{", "a", "}"], "Unrecognised option: --toString=1, did you forget '='?"],
  ])("%p is the error %p", (args, message) => {
    expect(parseCommandLine(args)).toEqual({ kind: "error", message });
  });

  test("with no servers and no --config: lazarus.toml when the caller found one, the usage error otherwise", () => {
    const found = parseCommandLine(["--interval=1"], { defaultConfig: "lazarus.toml" });
    expect(found.kind === "run" && found.options.config).toBe("lazarus.toml");
    expect(parseCommandLine(["--interval=1"], { defaultConfig: null })).toEqual({ kind: "error", message: "No programs to spawn, aborting." });
    // given servers or a file, lazarus.toml is not looked at
    const braces = parseCommandLine(["{", "a", "}"], { defaultConfig: "lazarus.toml" });
    expect(braces.kind === "run" && braces.options.config).toBeNull();
    const proc = parseCommandLine(["--procfile=P"], { defaultConfig: "lazarus.toml" });
    expect(proc.kind === "run" && [proc.options.config, proc.options.procfile]).toEqual([null, "P"]);
  });

  test("the options given are listed, to win over a config file", () => {
    const p = parseCommandLine(["--interval=2", "--log-format=json", "{", "a", "}"]);
    expect(p.kind === "run" && p.options.given).toEqual(["interval", "log-format"]);
  });
});

describe("settings: command line over config file over defaults", () => {
  const file = toml(`interval = 1\nstop_timeout = 2\nalarm = 3\nlog_format = "json"\ncontrol = "run/l.sock"\n[servers.a]\ncmd = "a"\n`);
  test("the config file's top-level keys apply when no option is given", () => {
    const p = plan([], file);
    expect(p.settings).toEqual({ intervalMs: 1000, stopTimeoutMs: 2000, alarmMs: 3000 });
    expect(p.logFormat).toBe("json");
    expect(p.control).toBe("/home/u/app/run/l.sock"); // relative to the file's directory
  });
  test("options given on the command line win", () => {
    const p = plan(["--interval=4", "--alarm=0", "--log-format=text", "--control=none"], file);
    expect(p.settings).toEqual({ intervalMs: 4000, stopTimeoutMs: 2000, alarmMs: 0 });
    expect(p.logFormat).toBe("text");
    expect(p.control).toBe("none");
  });
  test("defaults when neither says", () => {
    const p = plan([], toml(`[servers.a]\ncmd = "a"\n`));
    expect(p.settings).toEqual({ intervalMs: 5000, stopTimeoutMs: 10_000, alarmMs: 0 });
    expect([p.logFormat, p.control]).toEqual(["text", null]);
  });
});

describe("servers", () => {
  test("a config server: its table key is its name, its settings are the policy's, the rest is launch", () => {
    const p = plan([], toml(`[servers.web]\ncmd = ["bun", "run", "server.ts"]\ncwd = "apps/web"\nenv = { PORT = "8080" }\ninterval = 1\nstop_signal = "INT"\nstop_timeout = 3\nautostart = false\n`, "conf/lazarus.toml"));
    expect(p.servers).toEqual([{ argv: ["bun", "run", "server.ts"], name: "web", label: "web", intervalMs: 1000, stopSignal: 2, stopTimeoutMs: 3000, autostart: false }]);
    expect(p.launches).toEqual([{ source: "config", cwd: "/home/u/app/conf/apps/web", env: { PORT: "8080" }, output: "prefix", log: null, ready: null, runAs: null, limits: [] }]);
  });

  test("cwd: the config file's directory by default; an absolute cwd as written", () => {
    const p = plan([], toml(`[servers.a]\ncmd = "a"\n[servers.b]\ncmd = "b"\ncwd = "/srv/b"\n[servers.c]\ncmd = "c"\ncwd = ".."\n`, "/etc/lazarus/l.toml"));
    expect(p.launches.map((l) => l.cwd)).toEqual(["/etc/lazarus", "/srv/b", "/etc"]);
  });

  test("Procfile servers run through /bin/sh -c 'exec ...' in the Procfile's directory", () => {
    const p = plan(["--procfile=deploy/Procfile"], { procfile: { file: "deploy/Procfile", text: "web: ./web -p $PORT\nworker: ./w\n" } });
    expect(p.servers).toEqual([
      { argv: ["/bin/sh", "-c", "exec ./web -p $PORT"], name: "web", label: "web" },
      { argv: ["/bin/sh", "-c", "exec ./w"], name: "worker", label: "worker" },
    ]);
    expect(p.launches.map((l) => [l.source, l.cwd, l.output])).toEqual([
      ["procfile", "/home/u/app/deploy", "prefix"], ["procfile", "/home/u/app/deploy", "prefix"],
    ]);
  });

  test("all sources at once: config, then Procfile, then braces, whose names avoid the others'", () => {
    const p = plan(["--config=l.toml", "--procfile=P", "{", "./web", "}", "{", "/bin/worker", "}", "{", "sleep", "1", "}"], {
      config: { file: "l.toml", text: `[servers.web]\ncmd = "a"\n` },
      procfile: { file: "P", text: "worker: b\n" },
    });
    expect(p.servers.map((s) => s.name)).toEqual(["web", "worker", "web-2", "worker-2", "sleep"]);
    expect(p.launches.map((l) => [l.source, l.output, l.cwd])).toEqual([
      ["config", "prefix", "/home/u/app"], ["procfile", "prefix", "/home/u/app"],
      ["braces", "inherit", null], ["braces", "inherit", null], ["braces", "inherit", null],
    ]);
  });

  test("a name in both the config file and the Procfile is an error", () => {
    expect(tryPlan(["--procfile=P"], { config: { file: "l.toml", text: `[servers.web]\ncmd = "a"\n` }, procfile: { file: "P", text: "# x\nweb: b\n" } }))
      .toEqual({ ok: false, error: "P:2: duplicate server name \"web\" (also in l.toml)." });
  });

  test("no servers anywhere: an error naming the file", () => {
    expect(tryPlan([], toml("interval = 1\n"))).toEqual({ ok: false, error: "lazarus.toml: no [servers.NAME] table, nothing to run." });
    expect(tryPlan(["--procfile=P"], { procfile: { file: "P", text: "# nothing\n" } })).toEqual({ ok: false, error: "P: no 'NAME: COMMAND' line, nothing to run." });
    // A Procfile with lines that a formation runs none of: said so, not "no line".
    expect(tryPlan(["--procfile=P", "--formation=web=0"], { procfile: { file: "P", text: "web: ./srv\n" } })).toEqual({ ok: false, error: "--formation runs none of the 1 process of P (each is given 0), nothing to run." });
    expect(tryPlan(["--procfile=P", "--formation=all=0"], { procfile: { file: "P", text: "web: ./srv\nworker: ./w\n" } })).toEqual({ ok: false, error: "--formation runs none of the 2 processes of P (each is given 0), nothing to run." });
  });

  test("the files' own errors come through as they are", () => {
    expect(tryPlan([], toml("interval = 99\n"))).toEqual({ ok: false, error: "lazarus.toml:1: interval: 99 is out of range (seconds from 0 to 60)." });
    expect(tryPlan(["--procfile=P"], { procfile: { file: "P", text: "oops\n" } })).toEqual({ ok: false, error: "P:1: expected 'NAME: COMMAND', got \"oops\"." });
    expect(tryPlan(["--env-file=e", "{", "a", "}"], { envFile: { file: "e", text: "oops\n" } })).toEqual({ ok: false, error: "e:1: expected KEY=VALUE, got \"oops\"." });
  });
});

describe("environment and output", () => {
  test("the env file goes to every server; a server's own env wins over it", () => {
    const p = plan(["--env-file=.env", "{", "a", "}"], {
      ...toml(`[servers.s]\ncmd = "s"\nenv = { B = "own", C = "c" }\n`),
      envFile: { file: ".env", text: "A=1\nB=file\n" },
    });
    expect(p.launches.map((l) => l.env)).toEqual([{ A: "1", B: "own", C: "c" }, { A: "1", B: "file" }]);
  });

  test("output: the server's own key, else --output or the global key, else by source", () => {
    const text = `[servers.a]\ncmd = "a"\n[servers.b]\ncmd = "b"\noutput = "inherit"\n`;
    const out = (args: string[], t = text) => plan([...args, "{", "c", "}"], toml(t)).launches.map((l) => l.output);
    expect(out(["--config=lazarus.toml"])).toEqual(["prefix", "inherit", "inherit"]);
    expect(out(["--config=lazarus.toml", "--output=prefix"])).toEqual(["prefix", "inherit", "prefix"]);
    expect(out(["--config=lazarus.toml"], `output = "inherit"\n${text}`)).toEqual(["inherit", "inherit", "inherit"]);
    expect(out(["--config=lazarus.toml", "--output=prefix"], `output = "inherit"\n${text}`)).toEqual(["prefix", "inherit", "prefix"]);
  });

  test("each server's launch: cwd, the complete environment (computed once), and the prefix", () => {
    const sources = {
      ...toml(`[servers.web]\ncmd = "a"\n[servers.longer-name]\ncmd = "b"\noutput = "inherit"\nenv = { B = "2" }\n`, "/etc/l.toml"),
      envFile: { file: ".env", text: "A=1\n" },
    };
    const r = tryPlan(["--env-file=.env", "--output=prefix", "{", "x", "}"], sources, null, { PATH: "/bin", A: "inherited" });
    if (!r.ok) throw new Error(r.error);
    // Servers with nothing of their own share one environment object.
    expect(r.plan.launches[0]!.env).toBe(r.plan.launches[2]!.env);
    expect(r.plan.launches[1]!.env).toEqual({ PATH: "/bin", A: "1", B: "2" });
    const extras = launcher(r.plan);
    expect(extras(0)).toEqual({ cwd: "/etc", env: { PATH: "/bin", A: "1" }, output: { kind: "piped", name: "web", terminal: { kind: "prefix", width: 3, color: "36" }, log: null, ready: null } });
    expect(extras(1)).toEqual({ cwd: "/etc", env: { PATH: "/bin", A: "1", B: "2" } });
    expect(extras(2)).toEqual({ env: { PATH: "/bin", A: "1" }, output: { kind: "piped", name: "x", terminal: { kind: "prefix", width: 3, color: "33" }, log: null, ready: null } });
  });

  test("a plain braces server gets the inherited environment alone, and nothing else", () => {
    const r = tryPlan(["{", "a", "}"], {}, null, { PATH: "/bin" });
    if (!r.ok) throw new Error(r.error);
    expect(launcher(r.plan)(0)).toEqual({ env: { PATH: "/bin" } });
  });
});

describe("log files (issue 16)", () => {
  const logs = (p: Plan) => p.launches.map((l) => l.log);
  const MiB10 = 10 * 1024 * 1024;

  test("none without a log directory", () => {
    expect(logs(plan(["{", "a", "}"]))).toEqual([null]);
    expect(plan(["{", "a", "}"]).eventLog).toBeNull();
  });

  test("--log-dir (relative to the working directory): DIR/NAME.log for every server, with the defaults; names escaped", () => {
    const p = plan(["--log-dir=logs", "--event-log=ev.jsonl", "{", "./srv", "}", "{", "sleep", "1", "}"]);
    expect(logs(p)).toEqual([
      { path: "/home/u/app/logs/srv.log", maxBytes: MiB10, keep: 5, timestamps: false },
      { path: "/home/u/app/logs/sleep.log", maxBytes: MiB10, keep: 5, timestamps: false },
    ]);
    expect(p.eventLog).toEqual({ path: "/home/u/app/ev.jsonl", maxBytes: MiB10, keep: 5, timestamps: false });
    expect(logs(plan(["--log-dir=/var/log/x"], toml(`[servers."a/b"]\ncmd = "a"\n`)))[0]?.path).toBe("/var/log/x/a%2Fb.log");
  });

  test("the config file's keys: relative to its directory; a server's own keys win; --log-dir wins over the top-level key only", () => {
    const text = `log_dir = "logs"\nlog_max_size = "1MiB"\nlog_keep = 2\nlog_timestamps = true\nevent_log = "ev.jsonl"\n` +
      `[servers.a]\ncmd = "a"\n[servers.b]\ncmd = "b"\nlog_dir = "b-logs"\nlog_keep = 9\nlog_timestamps = false\n`;
    const p = plan([], toml(text, "conf/l.toml"));
    expect(logs(p)).toEqual([
      { path: "/home/u/app/conf/logs/a.log", maxBytes: 1048576, keep: 2, timestamps: true },
      { path: "/home/u/app/conf/b-logs/b.log", maxBytes: 1048576, keep: 9, timestamps: false },
    ]);
    expect(p.eventLog).toEqual({ path: "/home/u/app/conf/ev.jsonl", maxBytes: 1048576, keep: 2, timestamps: false });
    const q = plan(["--config=conf/l.toml", "--log-dir=/tmp/l", "--event-log=e.jsonl", "{", "c", "}"], toml(text, "conf/l.toml"));
    expect(logs(q).map((l) => l?.path)).toEqual(["/tmp/l/a.log", "/home/u/app/conf/b-logs/b.log", "/tmp/l/c.log"]);
    expect(q.eventLog?.path).toBe("/home/u/app/e.jsonl");
  });

  test("output = none: the log file alone (piped, nothing to the terminal), or nowhere at all without one", () => {
    const p = plan(["--output=none", "--log-dir=/l", "{", "a", "}"]);
    expect(launcher(p)(0).output).toEqual({ kind: "piped", name: "a", terminal: { kind: "none" }, log: { path: "/l/a.log", maxBytes: MiB10, keep: 5, timestamps: false }, ready: null });
    expect(launcher(plan(["--output=none", "{", "a", "}"]))(0).output).toEqual({ kind: "discard" });
    // inherited output with a log file: piped, plain on the terminal; without one, inherited as ever
    expect(launcher(plan(["--log-dir=/l", "{", "a", "}"]))(0).output).toMatchObject({ kind: "piped", terminal: { kind: "plain" } });
    expect(launcher(plan(["{", "a", "}"]))(0).output).toBeUndefined();
  });

  test("an event log that is also a server's log file is an error", () => {
    expect(tryPlan(["--log-dir=/l", "--event-log=/l/a.log", "{", "a", "}"])).toEqual({
      ok: false, error: "event_log (or --event-log) /l/a.log is also the log file of server \"a\": give it another name.",
    });
  });

  test("--log-max-size and --log-keep: over the file's top-level keys, under a server's own; bad values are one-line errors", () => {
    const text = `log_dir = "logs"\nlog_max_size = "1MiB"\nlog_keep = 2\n[servers.a]\ncmd = "a"\n[servers.b]\ncmd = "b"\nlog_keep = 9\nlog_max_size = 100\n`;
    const rot = (p: Plan) => p.launches.map((l) => [l.log?.maxBytes, l.log?.keep]);
    expect(rot(plan([], toml(text)))).toEqual([[1024 * 1024, 2], [100, 9]]);
    expect(rot(plan(["--log-max-size=50MiB", "--log-keep=7"], toml(text)))).toEqual([[50 * 1024 * 1024, 7], [100, 9]]);
    expect(rot(plan(["--log-dir=l", "--log-max-size=4096", "--log-keep=0", "{", "a", "}"]))).toEqual([[4096, 0]]);
    expect(parseCommandLine(["--log-keep=1001", "{", "a", "}"])).toEqual({ kind: "error", message: "Invalid value for --log-keep: 1001 (a whole number of old files from 0 to 1000)." });
    expect(parseCommandLine(["--log-keep=-1", "{", "a", "}"])).toEqual({ kind: "error", message: "Invalid value for --log-keep: -1 (a whole number of old files from 0 to 1000)." });
    const bad = parseCommandLine(["--log-max-size=10 parsecs", "{", "a", "}"]);
    expect(bad.kind === "error" && bad.message).toStartWith("Invalid value for --log-max-size: bad size \"10 parsecs\": ");
  });

  test("--log-dir and --event-log are options, and need a value", () => {
    expect(parseCommandLine(["--log-dir=", "{", "a", "}"])).toEqual({ kind: "error", message: "Invalid value for --log-dir: empty (a directory)." });
    expect(parseCommandLine(["--event-log=", "{", "a", "}"])).toEqual({ kind: "error", message: "Invalid value for --event-log: empty (a file name)." });
    const p = parseCommandLine(["--log-dir=x", "--event-log=y", "--output=none", "{", "a", "}"]);
    expect(p.kind === "run" && [p.options.logDir, p.options.eventLog, p.options.output, p.options.given]).toEqual(["x", "y", "none", ["log-dir", "event-log", "output"]]);
  });
});

describe("readiness, health, order, restart and backoff (issue 14)", () => {
  const text = `[servers.web]
cmd = "w"
depends_on = ["db", "cache"]
ready = { http = "http://127.0.0.1:8080/health" }
health = { tcp = 8080 }
restart = "always"
backoff = { retries = 2 }
[servers.db]
cmd = "d"
ready = { log = "ready to accept" }
ready_timeout = 30
[servers.cache]
cmd = "c"
ready = { notify = true }
watchdog = 10
restart = "never"
output = "none"
[servers.quiet]
cmd = "q"
ready = { log = "up" }
output = "none"
[servers.loud]
cmd = "l"
ready = { log = "up" }
output = "inherit"
`;

  test("the specs the core gets: depends_on as indices, the rest as read", () => {
    const p = plan(["{", "b", "}"], toml(text));
    expect(p.servers).toEqual([
      {
        argv: ["w"], name: "web", label: "web", dependsOn: [1, 2], ready: { kind: "http", url: "http://127.0.0.1:8080/health" }, restart: "always",
        health: { probe: { kind: "tcp", host: "127.0.0.1", port: 8080 }, intervalMs: 5000, timeoutMs: 2000, retries: 3 },
        backoff: { initialMs: 500, maxMs: 30_000, retries: 2 },
      },
      { argv: ["d"], name: "db", label: "db", ready: { kind: "log", pattern: "ready to accept" }, readyTimeoutMs: 30_000 },
      { argv: ["c"], name: "cache", label: "cache", ready: { kind: "notify" }, watchdogMs: 10_000, restart: "never" },
      { argv: ["q"], name: "quiet", label: "quiet", ready: { kind: "log", pattern: "up" } },
      { argv: ["l"], name: "loud", label: "loud", ready: { kind: "log", pattern: "up" } },
      { argv: ["b"], name: "b" },
    ]);
    expect(p.launches.map((l) => l.ready)).toEqual([null, "ready to accept", null, "up", "up", null]);
  });

  test("a server ready by a log line: its output passes through lazarus (prefixed, plain, or to nowhere), with the pattern", () => {
    const extras = launcher(plan(["{", "b", "}"], toml(text)));
    const name = (n: string) => ({ kind: "piped", name: n, log: null }) as const;
    expect(extras(1).output).toEqual({ ...name("db"), terminal: { kind: "prefix", width: 3, color: "33" }, ready: "ready to accept" });
    expect(extras(0).output).toEqual({ ...name("web"), terminal: { kind: "prefix", width: 3, color: "36" }, ready: null });
    // output = "none" without a log file: piped to nowhere instead of /dev/null, so that its lines can be read
    expect(extras(3).output).toEqual({ ...name("quiet"), terminal: { kind: "none" }, ready: "up" });
    expect(extras(2).output).toEqual({ kind: "discard" });
    // inherited output: piped, written unprefixed
    expect(extras(4).output).toEqual({ ...name("loud"), terminal: { kind: "plain" }, ready: "up" });
    expect(extras(5).output).toBeUndefined();
  });

  test("servers in braces and a Procfile's have none of it", () => {
    const p = plan(["--procfile=Procfile", "{", "b", "}"], { procfile: { file: "Procfile", text: "web: ./w\n" } });
    expect(p.servers).toEqual([{ argv: ["/bin/sh", "-c", "exec ./w"], name: "web", label: "web" }, { argv: ["b"], name: "b" }]);
    expect(p.launches.map((l) => l.ready)).toEqual([null, null]);
  });

  test("a Procfile's server cannot be depended on (depends_on names the config file's servers)", () => {
    const r = tryPlan(["--config=lazarus.toml", "--procfile=Procfile"], { ...toml(`[servers.web]\ncmd = "w"\ndepends_on = ["db"]\n`), procfile: { file: "Procfile", text: "db: ./d\n" } });
    expect(r).toEqual({ ok: false, error: "lazarus.toml:3: servers.web.depends_on: no server \"db\" in this file; it has no other server." });
  });
});

describe("property: a config file describes the same servers as the equivalent braces", () => {
  // Words with quotes, backslashes, blanks, braces inside words, unicode; never
  // a bare brace (which braces would read as nesting) nor NUL (which no program can get).
  const word = fc.oneof(
    fc.string({ unit: "binary", maxLength: 8 }),
    fc.constantFrom("--initial-spawn", "--interval=3", "two words", "it's", 'say "hi"', "a\\b", "$HOME", "{x}", "#", ""),
  ).filter((w) => !w.includes("\0") && w !== "{" && w !== "}");
  const argv = fc.tuple(word.filter((w) => w !== ""), fc.array(word, { maxLength: 5 })).map(([h, t]) => [h, ...t]);
  const secs = (max: number) => fc.integer({ min: 0, max: max * 1000 }).map((ms) => ms / 1000);
  const settings = fc.record({ interval: fc.option(secs(60)), stop_timeout: fc.option(secs(3600)), alarm: fc.option(secs(60)) });

  /** A TOML basic string for any text (JSON's escapes are TOML's, but DEL must be escaped too). */
  const tomlString = (s: string) => JSON.stringify(s).replace(/\u007f/g, "\\u007F");

  test("argv, names and settings agree", () => {
    fc.assert(fc.property(fc.array(argv, { minLength: 1, maxLength: 5 }), settings, (argvs, set) => {
      // The braces command line.
      const options = Object.entries(set).flatMap(([k, v]) => (v === null ? [] : [`--${k.replace("_", "-")}=${v}`]));
      const viaBraces = plan([...options, ...argvs.flatMap((a) => ["{", ...a, "}"])]);
      // The config file, with the names braces gave.
      const names = viaBraces.servers.map((s) => s.name);
      const lines = Object.entries(set).flatMap(([k, v]) => (v === null ? [] : [`${k} = ${v}`]));
      argvs.forEach((a, i) => {
        lines.push(`[${keyPath(["servers", names[i] as string])}]`);
        lines.push(`cmd = [${a.map(tomlString).join(", ")}]`);
      });
      const viaConfig = plan([], toml(`${lines.join("\n")}\n`));
      // The same servers; only the word their log lines use differs: their name, not argv[0].
      expect(viaConfig.servers.map(({ label: _, ...s }) => s)).toEqual([...viaBraces.servers]);
      expect(viaConfig.servers.every((s) => s.label === s.name)).toBe(true);
      expect(viaConfig.settings).toEqual(viaBraces.settings);
    }), { seed, numRuns: 300 });
  });

  test("cmd as a quoted string reads as the same argv", () => {
    fc.assert(fc.property(argv, (a) => {
      const viaConfig = plan([], toml(`[servers.s]\ncmd = ${tomlString(joinWords(a))}\n`));
      expect(viaConfig.servers[0]?.argv).toEqual(a);
    }), { seed, numRuns: 300 });
  });
});

describe("loadPlan: the files, or after a re-exec the texts carried across it", () => {
  const options = (args: string[]) => {
    const p = parseCommandLine(args);
    if (p.kind !== "run") throw new Error("bad args");
    return p.options;
  };
  const missing = "/nonexistent/lazarus-test.toml";

  test("a file that cannot be read is one error line", () => {
    expect(loadPlan(options([`--config=${missing}`]), [], "/", {}, bunFiles)).toEqual({ ok: false, error: `${missing}: cannot read it: no such file (ENOENT).` });
  });

  test("carried texts are used instead of the files they name, and carried on again", () => {
    const sources = { config: { file: missing, text: `[servers.web]\ncmd = "w"\n` } };
    const r = loadPlan(options([`--config=${missing}`]), [], "/", {}, bunFiles, carrySources(sources) ?? undefined);
    expect(r.ok && r.plan.servers).toEqual([{ argv: ["w"], name: "web", label: "web" }]);
    expect(r.ok && r.sources).toEqual(sources);
    expect(carrySources({})).toBeNull();
  });

  test("a carried text for another file, or one that cannot be understood, is not used: the file is read", () => {
    const other = carrySources({ config: { file: "other.toml", text: `[servers.web]\ncmd = "w"\n` } }) ?? "";
    for (const carried of [other, "{not json", "[]", '{"config":{"file":1}}']) {
      expect(loadPlan(options([`--config=${missing}`]), [], "/", {}, bunFiles, carried).ok).toBe(false);
    }
  });
});

describe("instances = N", () => {
  test("N copies named NAME.1 … NAME.N, each with LAZARUS_INSTANCE, its own log file; a dependency on them is one on each", () => {
    const p = plan([], toml(`log_dir = "logs"\n[servers.web]\ncmd = ["srv"]\ninstances = 3\nenv = { A = "1" }\n[servers.proxy]\ncmd = ["px"]\ndepends_on = ["web"]\n`));
    expect(p.servers.map((s) => s.name)).toEqual(["web.1", "web.2", "web.3", "proxy"]);
    expect(p.servers.map((s) => s.label)).toEqual(["web.1", "web.2", "web.3", "proxy"]);
    expect(p.launches.map((l) => l.env.LAZARUS_INSTANCE)).toEqual(["1", "2", "3", undefined]);
    expect(p.launches.every((l, i) => i === 3 || l.env.A === "1")).toBe(true);
    expect(p.launches.map((l) => l.log?.path)).toEqual(["web.1", "web.2", "web.3", "proxy"].map((n) => `${CWD}/logs/${n}.log`));
    expect(p.servers[3]?.dependsOn).toEqual([0, 1, 2]);
  });

  test("instances = 1 is named NAME.1 (so that scaling to 1 and back keeps it); without the key, NAME", () => {
    expect(plan([], toml(`[servers.web]\ncmd = ["srv"]\ninstances = 1\n`)).servers.map((s) => s.name)).toEqual(["web.1"]);
    expect(plan([], toml(`[servers.web]\ncmd = ["srv"]\n`)).servers.map((s) => s.name)).toEqual(["web"]);
  });

  test.each([
    ["instances = 0", "lazarus.toml:3: servers.web.instances: 0 is out of range (1 to 100 copies)."],
    ["instances = 101", "lazarus.toml:3: servers.web.instances: 101 is out of range (1 to 100 copies)."],
    ["instances = \"2\"", "lazarus.toml:3: servers.web.instances: expected a whole number of copies from 1 to 100, got a string (\"2\")."],
    ["instances = 1.5", "lazarus.toml:3: servers.web.instances: expected a whole number of copies from 1 to 100, got a number (1.5)."],
  ])("%s is refused: %s", (line, error) => {
    expect(tryPlan([], toml(`[servers.web]\ncmd = ["srv"]\n${line}\n`))).toEqual({ ok: false, error });
  });

  test("the copies of a table are one group (a reload rolls them); `rolling` is passed on as written; a lone server has no group", () => {
    const p = plan([], toml(`[servers.web]\ncmd = ["srv"]\ninstances = 2\nrolling = "stop-first"\n[servers.api]\ncmd = ["api"]\ninstances = 1\n[servers.db]\ncmd = ["db"]\n`));
    expect(p.servers.map((s) => [s.name, s.group, s.rolling])).toEqual([
      ["web.1", "web", "stop-first"], ["web.2", "web", "stop-first"], ["api.1", "api", undefined], ["db", undefined, undefined],
    ]);
    expect(tryPlan([], toml(`[servers.web]\ncmd = ["srv"]\nrolling = "sideways"\n`))).toEqual({
      ok: false, error: "lazarus.toml:3: servers.web.rolling: expected \"start-first\" or \"stop-first\", got \"sideways\".",
    });
  });

  test("a copy's name that another server has is refused", () => {
    const r = tryPlan([], toml(`[servers.web]\ncmd = ["srv"]\ninstances = 2\n[servers."web.2"]\ncmd = ["x"]\n`));
    expect(r).toEqual({ ok: false, error: "lazarus.toml: servers.web.instances: its copy \"web.2\" has the name of another server." });
  });
});
