// The config file: every key, and every error as the one line lazarus prints
// (file, line where it can be told, key, problem).
import { describe, expect, test } from "bun:test";
import { type ConfigFile, parseConfig } from "../../src/config/config.ts";
import { keyLine } from "../../src/config/toml-lines.ts";

const F = "lazarus.toml";
/** The keys an unknown key's error lists (top level, and a server's table). */
const TOP_KEYS = "interval, stop_timeout, alarm, log_format, control, output, http, http_token_file, log_dir, log_max_size, log_keep, log_timestamps, event_log, servers";
const SERVER_KEYS = "cmd, cwd, env, interval, stop_signal, stop_timeout, autostart, instances, rolling, output, log_dir, log_max_size, log_keep, log_timestamps, user, group, limits, ready, ready_timeout, depends_on, health, watchdog, restart, backoff";
const ok = (text: string): ConfigFile => {
  const r = parseConfig(text, F);
  if (!r.ok) throw new Error(`unexpected error: ${r.error}`);
  return r.config;
};
const err = (text: string): string => {
  const r = parseConfig(text, F);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.config)}`);
  return r.error;
};

describe("the issue's example", () => {
  test("reads as two servers with their settings", () => {
    const c = ok(`interval = 1
[servers.web]
cmd = ["bun", "run", "server.ts"]
cwd = "apps/web"
env = { PORT = "8080" }
[servers.worker]
cmd = "python3 worker.py --queue jobs"
interval = 5
`);
    expect(c.settings).toEqual({ intervalMs: 1000 });
    expect(c.servers).toEqual([
      { name: "web", argv: ["bun", "run", "server.ts"], cwd: "apps/web", env: { PORT: "8080" } },
      { name: "worker", argv: ["python3", "worker.py", "--queue", "jobs"], env: {}, intervalMs: 5000 },
    ]);
  });
});

describe("every key", () => {
  test("top-level keys mirror the options", () => {
    const c = ok(`interval = 0.25\nstop_timeout = 3600\nalarm = 60\nlog_format = "json"\ncontrol = "/tmp/l.sock"\noutput = "inherit"\n`);
    expect(c.settings).toEqual({ intervalMs: 250, stopTimeoutMs: 3_600_000, alarmMs: 60_000, logFormat: "json", control: "/tmp/l.sock", output: "inherit" });
    expect(c.servers).toEqual([]);
    expect(ok(`control = "none"\noutput = "prefix"\nlog_format = "text"\ninterval = 0\n`).settings)
      .toEqual({ control: "none", output: "prefix", logFormat: "text", intervalMs: 0 });
  });

  test("log keys: top level and per server (issue 16)", () => {
    const c = ok(`log_dir = "logs"\nlog_max_size = "1.5MiB"\nlog_keep = 0\nlog_timestamps = true\nevent_log = "lazarus.jsonl"\n` +
      `[servers.web]\ncmd = "a"\nlog_dir = "/var/log/web"\nlog_max_size = 0\n[servers.db]\ncmd = "b"\nlog_keep = 1000\noutput = "none"\n`);
    expect(c.settings).toEqual({ logs: { dir: "logs", maxBytes: 1572864, keep: 0, timestamps: true }, eventLog: "lazarus.jsonl" });
    expect(c.servers).toEqual([
      { name: "web", argv: ["a"], env: {}, logs: { dir: "/var/log/web", maxBytes: 0 } },
      { name: "db", argv: ["b"], env: {}, logs: { keep: 1000 }, output: "none" },
    ]);
    expect(ok(`log_max_size = 4096\n`).settings).toEqual({ logs: { maxBytes: 4096 } });
  });

  test("an empty file is an empty config", () => {
    expect(ok("")).toEqual({ settings: {}, servers: [] });
    expect(ok("# nothing\n\n")).toEqual({ settings: {}, servers: [] });
  });

  test("every server key", () => {
    const c = ok(`[servers.a]
cmd = ["./srv", "--x", "two words"]
cwd = "/srv/a"
env = { A = "1", B = 2, C = true, D = "" }
interval = 2.5
stop_signal = "SIGINT"
stop_timeout = 30
autostart = false
output = "inherit"
`);
    expect(c.servers).toEqual([{
      name: "a", argv: ["./srv", "--x", "two words"], cwd: "/srv/a", env: { A: "1", B: "2", C: "true", D: "" },
      intervalMs: 2500, stopSignal: 2, stopTimeoutMs: 30_000, autostart: false, output: "inherit",
    }]);
  });

  test.each([["SIGQUIT", 3], ["quit", 3], ["TERM", 15], [9, 9], ["10", 10], ["SIGRTMIN+2", 36]] as const)("stop_signal %p is %p", (v, n) => {
    expect(ok(`[servers.a]\ncmd = "x"\nstop_signal = ${JSON.stringify(v)}\n`).servers[0]?.stopSignal).toBe(n);
  });

  test("servers keep the order of the file, whatever the syntax", () => {
    const c = ok(`[servers]\nz = { cmd = "z" }\nb.cmd = "b"\n[servers.a]\ncmd = "a"\n`);
    expect(c.servers.map((s) => s.name)).toEqual(["z", "b", "a"]);
  });

  test("names may be any one word that is not all digits", () => {
    const c = ok(`[servers."web.1"]\ncmd = "a"\n[servers."ünï"]\ncmd = "b"\n[servers.a1]\ncmd = "c"\n[servers."x:y"]\ncmd = "d"\n`);
    expect(c.servers.map((s) => s.name)).toEqual(["web.1", "ünï", "a1", "x:y"]);
  });

  test("cmd as a string is split like a shell, never run by one", () => {
    expect(ok(`[servers.a]\ncmd = "node -e 'console.log(1)' --name=\\"a b\\""\n`).servers[0]?.argv)
      .toEqual(["node", "-e", "console.log(1)", "--name=a b"]);
  });
});

describe("errors: one line naming the file, the line and the key", () => {
  test.each([
    // syntax: the parser's message, line and column, and what is there
    // (an unclosed array is reported where the file ends)
    ["interval = 1\nalarm =\n", "lazarus.toml:2:8: invalid TOML: invalid value (at the end of the line)."],
    ["[servers.a]\ncmd = [\"a\",\n\"b\"\n", "lazarus.toml:4:1: invalid TOML: expected comma or end of structure (at the end of the file)."],
    ["[servers.a]\ncmd = \"a\"\n[servers.a]\ncmd = \"b\"\n", "lazarus.toml:3:2: invalid TOML: trying to redefine an already defined table or value (at \"servers.a]\")."],
    ["x = \"abc\n", "lazarus.toml:1:9: invalid TOML: unterminated string (newlines must be escaped in basic strings) (at the end of the line)."],
    ["k = [\n  1,\n  2 3,\n]\n", "lazarus.toml:3:5: invalid TOML: expected comma or end of structure (at \"3,\")."],
    [`x = ${"[".repeat(2000)}`, `lazarus.toml:1:37: invalid TOML: document contains excessively nested structures (at "${"[".repeat(24)}...").`],
    // unknown keys, with a hint when one is close
    ["intervall = 1\n", `lazarus.toml:1: intervall: unknown key (did you mean 'interval'?); expected one of: ${TOP_KEYS}.`],
    ["stop-timeout = 1\n", `lazarus.toml:1: stop-timeout: unknown key (did you mean 'stop_timeout'?); expected one of: ${TOP_KEYS}.`],
    ["[server.web]\ncmd = \"a\"\n", `lazarus.toml:1: server: unknown key (did you mean 'servers'?); expected one of: ${TOP_KEYS}.`],
    ["[servers.web]\ncmd = \"a\"\nenvironment = {}\n", `lazarus.toml:3: servers.web.environment: unknown key; expected one of: ${SERVER_KEYS}.`],
    ["[servers.web]\ncmd = \"a\"\nstopsignal = 1\n", `lazarus.toml:3: servers.web.stopsignal: unknown key (did you mean 'stop_signal'?); expected one of: ${SERVER_KEYS}.`],
    // top-level values
    ["interval = \"5\"\n", "lazarus.toml:1: interval: expected a number of seconds from 0 to 60, got a string (\"5\")."],
    ["interval = 61\n", "lazarus.toml:1: interval: 61 is out of range (seconds from 0 to 60)."],
    ["interval = -1\n", "lazarus.toml:1: interval: -1 is out of range (seconds from 0 to 60)."],
    ["interval = nan\n", "lazarus.toml:1: interval: NaN is out of range (seconds from 0 to 60)."],
    ["interval = inf\n", "lazarus.toml:1: interval: Infinity is out of range (seconds from 0 to 60)."],
    ["stop_timeout = 3601\n", "lazarus.toml:1: stop_timeout: 3601 is out of range (seconds from 0 to 3600)."],
    ["alarm = 60.5\n", "lazarus.toml:1: alarm: 60.5 is out of range (seconds from 0 to 60)."],
    ["alarm = true\n", "lazarus.toml:1: alarm: expected a number of seconds from 0 to 60, got a boolean (true)."],
    ["alarm = 1979-05-27\n", "lazarus.toml:1: alarm: expected a number of seconds from 0 to 60, got a date or time."],
    ["log_format = \"xml\"\n", "lazarus.toml:1: log_format: expected \"text\" or \"json\", got \"xml\"."],
    ["log_format = 1\n", "lazarus.toml:1: log_format: expected \"text\" or \"json\", got an integer (1)."],
    ["control = \"\"\n", "lazarus.toml:1: control: expected a socket path, or \"none\", got an empty string."],
    ["control = [\"a\"]\n", "lazarus.toml:1: control: expected a socket path, or \"none\", got an array."],
    ["output = \"pipe\"\n", "lazarus.toml:1: output: expected \"inherit\", \"prefix\" or \"none\", got \"pipe\"."],
    // the servers table
    ["servers = 1\n", "lazarus.toml:1: servers: expected a table of servers, one [servers.NAME] each, got an integer (1)."],
    ["servers = [\"a\"]\n", "lazarus.toml:1: servers: expected a table of servers, one [servers.NAME] each, got an array."],
    ["[servers]\nweb = \"bun run x\"\n", "lazarus.toml:2: servers.web: expected a table, got a string (\"bun run x\")."],
    ["[[servers]]\ncmd = \"a\"\n", "lazarus.toml:1: servers: expected a table of servers, one [servers.NAME] each, got an array."],
    // names
    ["[servers.\"a b\"]\ncmd = \"x\"\n", "lazarus.toml:1: servers.\"a b\": invalid server name \"a b\": no whitespace allowed."],
    ["[servers.123]\ncmd = \"x\"\n", "lazarus.toml:1: servers.123: invalid server name \"123\": it cannot be all digits."],
    ["[servers.\"\"]\ncmd = \"x\"\n", "lazarus.toml:1: servers.\"\": a server name cannot be empty."],
    ["[servers.\"a\\tb\"]\ncmd = \"x\"\n", "lazarus.toml:1: servers.\"a\\tb\": invalid server name \"a\\tb\": no whitespace allowed."],
    // commands
    ["[servers.web]\ncwd = \"/\"\n", "lazarus.toml:1: servers.web: no cmd: every server needs a command."],
    ["[servers.web]\ncmd = []\n", "lazarus.toml:2: servers.web.cmd: empty command."],
    ["[servers.web]\ncmd = \"\"\n", "lazarus.toml:2: servers.web.cmd: empty command."],
    ["[servers.web]\ncmd = \"   \"\n", "lazarus.toml:2: servers.web.cmd: empty command."],
    ["[servers.web]\ncmd = [\"\", \"x\"]\n", "lazarus.toml:2: servers.web.cmd: empty command: the program name is an empty string."],
    ["[servers.web]\ncmd = [\"a\", 1]\n", "lazarus.toml:2: servers.web.cmd: expected an array of strings, but element 1 is an integer (1)."],
    ["[servers.web]\ncmd = 42\n", "lazarus.toml:2: servers.web.cmd: expected a command (an array of strings, or a string), got an integer (42)."],
    ["[servers.web]\ncmd = [\"a\\u0000b\"]\n", "lazarus.toml:2: servers.web.cmd: word 0 contains a NUL character, which no program can receive."],
    ["[servers.web]\ncmd = \"a 'b\"\n", "lazarus.toml:2: servers.web.cmd: unterminated single quote."],
    ["[servers.web]\ncmd = \"bun run a.ts | tee log\"\n", "lazarus.toml:2: servers.web.cmd: '|' would need a shell, and cmd never runs through one: quote it to pass it literally, or use [\"sh\", \"-c\", \"...\"]."],
    // the other server keys
    ["[servers.web]\ncmd = \"a\"\ncwd = 1\n", "lazarus.toml:3: servers.web.cwd: expected a directory, got an integer (1)."],
    ["[servers.web]\ncmd = \"a\"\ncwd = \"\"\n", "lazarus.toml:3: servers.web.cwd: expected a directory, got an empty string."],
    ["[servers.web]\ncmd = \"a\"\nenv = \"PORT=1\"\n", "lazarus.toml:3: servers.web.env: expected a table of variables, like { PORT = \"8080\" }, got a string (\"PORT=1\")."],
    ["[servers.web]\ncmd = \"a\"\nenv = { PORT = [1] }\n", "lazarus.toml:3: servers.web.env.PORT: expected a string, got an array."],
    ["[servers.web]\ncmd = \"a\"\n[servers.web.env]\nA = \"1\"\nB = { c = 1 }\n", "lazarus.toml:5: servers.web.env.B: expected a string, got a table."],
    ["[servers.web]\ncmd = \"a\"\nenv = { \"A=B\" = \"1\" }\n", "lazarus.toml:3: servers.web.env.\"A=B\": invalid variable name (empty, or with '=' or NUL in it)."],
    ["[servers.web]\ncmd = \"a\"\ninterval = 100\n", "lazarus.toml:3: servers.web.interval: 100 is out of range (seconds from 0 to 60)."],
    ["[servers.web]\ncmd = \"a\"\nstop_timeout = -5\n", "lazarus.toml:3: servers.web.stop_timeout: -5 is out of range (seconds from 0 to 3600)."],
    ["[servers.web]\ncmd = \"a\"\nstop_signal = \"SIGFOO\"\n", "lazarus.toml:3: servers.web.stop_signal: unknown signal \"SIGFOO\"."],
    ["[servers.web]\ncmd = \"a\"\nstop_signal = 99\n", "lazarus.toml:3: servers.web.stop_signal: unknown signal \"99\"."],
    ["[servers.web]\ncmd = \"a\"\nstop_signal = 1.5\n", "lazarus.toml:3: servers.web.stop_signal: expected a signal name like \"SIGINT\" or a number, got a number (1.5)."],
    ["[servers.web]\ncmd = \"a\"\nautostart = \"no\"\n", "lazarus.toml:3: servers.web.autostart: expected true or false, got a string (\"no\")."],
    ["[servers.web]\ncmd = \"a\"\noutput = \"both\"\n", "lazarus.toml:3: servers.web.output: expected \"inherit\", \"prefix\" or \"none\", got \"both\"."],
    // log files (issue 16)
    ["log_dir = \"\"\n", "lazarus.toml:1: log_dir: expected a directory, got an empty string."],
    ["log_dir = 1\n", "lazarus.toml:1: log_dir: expected a directory, got an integer (1)."],
    ["log_max_size = \"10 parsecs\"\n", "lazarus.toml:1: log_max_size: bad size \"10 parsecs\": unknown unit \"parsecs\" (a number of bytes, or a number and a unit: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB; e.g. \"10MiB\")."],
    ["log_max_size = -1\n", "lazarus.toml:1: log_max_size: bad size -1: not a whole number of bytes (a number of bytes, or a number and a unit: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB; e.g. \"10MiB\")."],
    ["log_keep = 1001\n", "lazarus.toml:1: log_keep: 1001 is out of range (0 to 1000 old files)."],
    ["log_keep = 2.5\n", "lazarus.toml:1: log_keep: expected a whole number of files from 0 to 1000, got a number (2.5)."],
    ["log_keep = \"5\"\n", "lazarus.toml:1: log_keep: expected a whole number of files from 0 to 1000, got a string (\"5\")."],
    ["log_timestamps = \"yes\"\n", "lazarus.toml:1: log_timestamps: expected true or false, got a string (\"yes\")."],
    ["event_log = []\n", "lazarus.toml:1: event_log: expected a file name, got an array."],
    ["[servers.web]\ncmd = \"a\"\nlog_keep = -1\n", "lazarus.toml:3: servers.web.log_keep: -1 is out of range (0 to 1000 old files)."],
    ["[servers.web]\ncmd = \"a\"\nlog_max_size = true\n", "lazarus.toml:3: servers.web.log_max_size: bad size true: not a string or a number (a number of bytes, or a number and a unit: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB; e.g. \"10MiB\")."],
    ["[servers.web]\ncmd = \"a\"\nevent_log = \"x\"\n", `lazarus.toml:3: servers.web.event_log: unknown key; expected one of: ${SERVER_KEYS}.`],
  ])("%p", (text, message) => {
    expect(err(text)).toBe(message);
  });

  test("an error in an inline table is reported at the table's line", () => {
    expect(err(`[servers]\nweb = { cmd = "a", interval = "x" }\n`))
      .toBe("lazarus.toml:2: servers.web.interval: expected a number of seconds from 0 to 60, got a string (\"x\").");
  });

  test("the first problem is reported, in the order of the file", () => {
    expect(err(`[servers.a]\ncmd = ""\n[servers.b]\ncmd = []\n`)).toBe("lazarus.toml:2: servers.a.cmd: empty command.");
  });

  test("the file is named as given", () => {
    expect(err("x = 1\n").startsWith("lazarus.toml:1: x: unknown key")).toBe(true);
    const r = parseConfig("x = 1\n", "conf/prod.toml");
    expect(!r.ok && r.error).toStartWith("conf/prod.toml:1: x: unknown key");
  });
});

describe("line numbers", () => {
  const text = `# comment
interval = 1
[servers.web]
cmd = """
interval = 3
"""
  interval = 2   # indented
env = { A = "1" }
[servers."my app"]
"cmd" = 'x'
servers.other.cmd = "y"
`;
  test.each([
    [["interval"], 2],
    [["servers", "web"], 3],
    [["servers", "web", "cmd"], 4],
    [["servers", "web", "interval"], 7],
    [["servers", "web", "env", "A"], 8],
    [["servers", "my app"], 9],
    [["servers", "my app", "cmd"], 10],
    [["servers", "my app", "servers", "other", "cmd"], 11],
    [["servers"], 3],
    [["alarm"], null],
  ] as const)("%p is on line %p", (path, line) => {
    expect(keyLine(text, path)).toBe(line);
  });
});
