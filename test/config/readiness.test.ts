// Readiness, health, start order, restart and backoff in lazarus.toml (issue
// 14): every key read as the core wants it, defaults filled in, and every
// error as the one line lazarus prints (file, line, key, problem).
import { describe, expect, test } from "bun:test";
import { type FileServer, parseConfig } from "../../src/config/config.ts";
import { checkOrder } from "../../src/config/readiness.ts";
import { Invalid } from "../../src/config/values.ts";

const F = "lazarus.toml";
const one = (keys: string): FileServer => {
  const r = parseConfig(`[servers.db]\ncmd = "db"\n[servers.web]\ncmd = "web"\n${keys}\n`, F);
  if (!r.ok) throw new Error(`unexpected error: ${r.error}`);
  return r.config.servers[1] as FileServer;
};
const err = (text: string): string => {
  const r = parseConfig(text, F);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.config)}`);
  return r.error;
};
/** The error of server web's keys (web's table starts on line 3, its keys on line 5). */
const webErr = (keys: string): string => err(`[servers.db]\ncmd = "db"\n[servers.web]\ncmd = "web"\n${keys}\n`);

describe("every key, read as the core wants it", () => {
  test.each([
    ["ready = { tcp = 5432 }", { kind: "tcp", host: "127.0.0.1", port: 5432 }],
    ["ready = { tcp = \"db.internal:5432\" }", { kind: "tcp", host: "db.internal", port: 5432 }],
    ["ready = { tcp = \"10.0.0.7:1\" }", { kind: "tcp", host: "10.0.0.7", port: 1 }],
    ["ready = { tcp = \"[::1]:65535\" }", { kind: "tcp", host: "::1", port: 65535 }],
    ["ready = { http = \"http://127.0.0.1:8080/health\" }", { kind: "http", url: "http://127.0.0.1:8080/health" }],
    ["ready = { http = \"HTTPS://example.com/ready?x=1\" }", { kind: "http", url: "HTTPS://example.com/ready?x=1" }],
    ["ready = { notify = true }", { kind: "notify" }],
    ["ready = { log = \"listening on (\\\\d+)\" }", { kind: "log", pattern: "listening on (\\d+)" }],
    ["ready = { log = 'ready\\.$' }", { kind: "log", pattern: "ready\\.$" }],
    ["ready = { log = \"(?i:listening) on\" }", { kind: "log", pattern: "(?i:listening) on" }],
    ["ready = { cmd = [\"./check\", \"arg\"] }", { kind: "cmd", argv: ["./check", "arg"] }],
    ["ready = { cmd = \"./check --quiet 'two words'\" }", { kind: "cmd", argv: ["./check", "--quiet", "two words"] }],
    ["[servers.web.ready]\ntcp = 80", { kind: "tcp", host: "127.0.0.1", port: 80 }],
  ])("%s", (keys, ready) => {
    expect(one(keys).ready).toEqual(ready as never);
  });

  test("ready_timeout, watchdog, restart", () => {
    expect(one("ready = { tcp = 1 }\nready_timeout = 30")).toMatchObject({ readyTimeoutMs: 30_000 });
    expect(one("ready = { tcp = 1 }\nready_timeout = 0.25")).toMatchObject({ readyTimeoutMs: 250 });
    expect(one("ready = { tcp = 1 }\nready_timeout = 3600")).toMatchObject({ readyTimeoutMs: 3_600_000 });
    expect(one("ready = { notify = true }\nwatchdog = 10")).toMatchObject({ ready: { kind: "notify" }, watchdogMs: 10_000 });
    for (const r of ["on-failure", "always", "never"]) expect(one(`restart = "${r}"`).restart).toBe(r as never);
  });

  test("health: the probe and every field, or the defaults (interval 5 s, timeout 2 s, retries 3)", () => {
    expect(one("health = { http = \"http://127.0.0.1:8080/health\", interval = 10, timeout = 1.5, retries = 7 }").health).toEqual({
      probe: { kind: "http", url: "http://127.0.0.1:8080/health" }, intervalMs: 10_000, timeoutMs: 1500, retries: 7,
    });
    expect(one("health = { tcp = 8080 }").health).toEqual({ probe: { kind: "tcp", host: "127.0.0.1", port: 8080 }, intervalMs: 5000, timeoutMs: 2000, retries: 3 });
    expect(one("health = { cmd = [\"./check\"], retries = 1 }").health).toEqual({ probe: { kind: "cmd", argv: ["./check"] }, intervalMs: 5000, timeoutMs: 2000, retries: 1 });
    // the default timeout gives way to a shorter interval; a timeout may equal the interval
    expect(one("health = { tcp = 1, interval = 0.5 }").health).toMatchObject({ intervalMs: 500, timeoutMs: 500 });
    expect(one("health = { tcp = 1, interval = 3, timeout = 3 }").health).toMatchObject({ intervalMs: 3000, timeoutMs: 3000 });
  });

  test("backoff: every field, or the defaults (initial 0.5 s, max 30 s, retries 5); a default gives way to a value given", () => {
    expect(one("backoff = { initial = 1, max = 60, retries = 10 }").backoff).toEqual({ initialMs: 1000, maxMs: 60_000, retries: 10 });
    expect(one("backoff = {}").backoff).toEqual({ initialMs: 500, maxMs: 30_000, retries: 5 });
    expect(one("backoff = { retries = 2 }").backoff).toEqual({ initialMs: 500, maxMs: 30_000, retries: 2 });
    expect(one("backoff = { max = 0.2 }").backoff).toEqual({ initialMs: 200, maxMs: 200, retries: 5 });
    expect(one("backoff = { initial = 60 }").backoff).toEqual({ initialMs: 60_000, maxMs: 60_000, retries: 5 });
    expect(one("backoff = { initial = 2, max = 2 }").backoff).toEqual({ initialMs: 2000, maxMs: 2000, retries: 5 });
    expect(one("restart = \"always\"\nbackoff = {}").backoff).toEqual({ initialMs: 500, maxMs: 30_000, retries: 5 });
  });

  test("depends_on: names of the file's servers, in the order given (any order of the tables); empty is none", () => {
    const r = parseConfig(`[servers.web]\ncmd = "w"\ndepends_on = ["cache", "db"]\n[servers.db]\ncmd = "d"\n[servers.cache]\ncmd = "c"\ndepends_on = ["db"]\n`, F);
    expect(r.ok && r.config.servers.map((s) => [s.name, s.dependsOn])).toEqual([["web", ["cache", "db"]], ["db", undefined], ["cache", ["db"]]]);
    expect(one("depends_on = []").dependsOn).toBeUndefined();
  });

  test("none of the keys: none of the fields (restart stays absent: on-failure is the core's default)", () => {
    expect(one("")).toEqual({ name: "web", argv: ["web"], env: {} });
  });

  test("all of them at once, as in the issue", () => {
    const r = parseConfig(`[servers.db]
cmd = ["postgres", "-D", "data"]
ready = { tcp = 5432 }
ready_timeout = 30

[servers.web]
cmd = ["bun", "run", "server.ts"]
depends_on = ["db"]
health = { http = "http://127.0.0.1:8080/health", interval = 5, timeout = 2, retries = 3 }
ready = { notify = true }
watchdog = 10
restart = "on-failure"
backoff = { initial = 0.5, max = 30, retries = 5 }
`, F);
    expect(r).toEqual({
      ok: true,
      config: {
        settings: {},
        servers: [
          { name: "db", argv: ["postgres", "-D", "data"], env: {}, ready: { kind: "tcp", host: "127.0.0.1", port: 5432 }, readyTimeoutMs: 30_000 },
          {
            name: "web", argv: ["bun", "run", "server.ts"], env: {}, dependsOn: ["db"], ready: { kind: "notify" }, watchdogMs: 10_000, restart: "on-failure",
            health: { probe: { kind: "http", url: "http://127.0.0.1:8080/health" }, intervalMs: 5000, timeoutMs: 2000, retries: 3 },
            backoff: { initialMs: 500, maxMs: 30_000, retries: 5 },
          },
        ],
      },
    });
  });
});

describe("errors: one line naming the file, the line and the key", () => {
  const READY = "tcp, http, notify, log, cmd";
  test.each([
    // ready
    ["ready = 5432", "lazarus.toml:5: servers.web.ready: expected a table with one of tcp, http, notify, log or cmd, like { tcp = 5432 }, got an integer (5432)."],
    ["ready = {}", "lazarus.toml:5: servers.web.ready: expected one of tcp, http, notify, log or cmd, like { tcp = 5432 }."],
    ["ready = { tcp = 1, http = \"http://x/\" }", "lazarus.toml:5: servers.web.ready: give one of tcp, http, notify, log or cmd, not both tcp and http."],
    ["ready = { tpc = 1 }", `lazarus.toml:5: servers.web.ready.tpc: unknown key (did you mean 'tcp'?); expected one of: ${READY}.`],
    ["ready = { tcp = 1, interval = 5 }", `lazarus.toml:5: servers.web.ready.interval: unknown key; expected one of: ${READY}.`],
    ["[servers.web.ready]\ntcp = 1\nhttp = \"http://x/\"", "lazarus.toml:5: servers.web.ready: give one of tcp, http, notify, log or cmd, not both tcp and http."],
    ["[servers.web.ready]\ntcp = 0", "lazarus.toml:6: servers.web.ready.tcp: 0 is not a port (1 to 65535)."],
    ["ready = { tcp = 65536 }", "lazarus.toml:5: servers.web.ready.tcp: 65536 is not a port (1 to 65535)."],
    ["ready = { tcp = 80.5 }", "lazarus.toml:5: servers.web.ready.tcp: expected a port (1 to 65535) or \"HOST:PORT\", got a number (80.5)."],
    ["ready = { tcp = true }", "lazarus.toml:5: servers.web.ready.tcp: expected a port (1 to 65535) or \"HOST:PORT\", got a boolean (true)."],
    ["ready = { tcp = \"5432\" }", "lazarus.toml:5: servers.web.ready.tcp: \"5432\" has no host: write tcp = 5432 (on 127.0.0.1) or tcp = \"HOST:5432\"."],
    ["ready = { tcp = \"db\" }", "lazarus.toml:5: servers.web.ready.tcp: expected a port (1 to 65535) or \"HOST:PORT\", got \"db\"."],
    ["ready = { tcp = \"db:\" }", "lazarus.toml:5: servers.web.ready.tcp: \"db:\": \"\" is not a port (1 to 65535)."],
    ["ready = { tcp = \"db:0\" }", "lazarus.toml:5: servers.web.ready.tcp: \"db:0\": \"0\" is not a port (1 to 65535)."],
    ["ready = { tcp = \"db:http\" }", "lazarus.toml:5: servers.web.ready.tcp: \"db:http\": \"http\" is not a port (1 to 65535)."],
    ["ready = { tcp = \":5432\" }", "lazarus.toml:5: servers.web.ready.tcp: \":5432\": \"\" is not a host name or an address."],
    ["ready = { tcp = \"a b:1\" }", "lazarus.toml:5: servers.web.ready.tcp: \"a b:1\": \"a b\" is not a host name or an address."],
    ["ready = { tcp = \"::1:80\" }", "lazarus.toml:5: servers.web.ready.tcp: \"::1:80\": an IPv6 address goes in brackets, like \"[::1]:80\"."],
    ["ready = { tcp = \"[zz]:80\" }", "lazarus.toml:5: servers.web.ready.tcp: \"zz\" is not an IPv6 address."],
    ["ready = { http = 8080 }", "lazarus.toml:5: servers.web.ready.http: expected an http:// or https:// URL, like \"http://127.0.0.1:8080/health\", got an integer (8080)."],
    ["ready = { http = \"127.0.0.1:8080/health\" }", "lazarus.toml:5: servers.web.ready.http: expected an http:// or https:// URL, like \"http://127.0.0.1:8080/health\", got a string (\"127.0.0.1:8080/health\")."],
    ["ready = { http = \"ftp://x/\" }", "lazarus.toml:5: servers.web.ready.http: expected an http:// or https:// URL, like \"http://127.0.0.1:8080/health\", got a string (\"ftp://x/\")."],
    ["ready = { http = \"http://\" }", "lazarus.toml:5: servers.web.ready.http: \"http://\" is not a valid URL."],
    ["ready = { http = \"http://[x]/\" }", "lazarus.toml:5: servers.web.ready.http: \"http://[x]/\" is not a valid URL."],
    ["ready = { notify = false }", "lazarus.toml:5: servers.web.ready.notify: notify = false is no readiness at all: leave ready out, or give another kind."],
    ["ready = { notify = 1 }", "lazarus.toml:5: servers.web.ready.notify: expected true, got an integer (1)."],
    ["ready = { log = \"\" }", "lazarus.toml:5: servers.web.ready.log: expected a regular expression, got an empty string (it would match any line)."],
    ["ready = { log = \"(listening\" }", "lazarus.toml:5: servers.web.ready.log: invalid regular expression \"(listening\": missing )."],
    ["ready = { log = \"(?i)listening\" }", "lazarus.toml:5: servers.web.ready.log: invalid regular expression \"(?i)listening\": unrecognized character after (?."],
    ["ready = { log = \"a{2,1}\" }", "lazarus.toml:5: servers.web.ready.log: invalid regular expression \"a{2,1}\": numbers out of order in {} quantifier."],
    ["ready = { log = [\"a\"] }", "lazarus.toml:5: servers.web.ready.log: expected a regular expression (a string), got an array."],
    ["ready = { cmd = [] }", "lazarus.toml:5: servers.web.ready.cmd: empty command."],
    ["ready = { cmd = [\"./check\", \"\"] }", "lazarus.toml:5: servers.web.ready.cmd: word 1 is an empty string."],
    ["ready = { cmd = [\"./check\", 1] }", "lazarus.toml:5: servers.web.ready.cmd: expected an array of strings, but element 1 is an integer (1)."],
    ["ready = { cmd = \"check | grep ok\" }", "lazarus.toml:5: servers.web.ready.cmd: '|' would need a shell, and cmd never runs through one: quote it to pass it literally, or use [\"sh\", \"-c\", \"...\"]."],
    // ready_timeout
    ["ready_timeout = 30", "lazarus.toml:5: servers.web.ready_timeout: needs ready: without a way to tell that the server is ready, there is nothing to wait for."],
    ["ready = { tcp = 1 }\nready_timeout = 0", "lazarus.toml:6: servers.web.ready_timeout: 0 is out of range (seconds, more than 0 and at most 3600)."],
    ["ready = { tcp = 1 }\nready_timeout = 0.0001", "lazarus.toml:6: servers.web.ready_timeout: 0.0001 is out of range (seconds, more than 0 and at most 3600)."],
    ["ready = { tcp = 1 }\nready_timeout = 3601", "lazarus.toml:6: servers.web.ready_timeout: 3601 is out of range (seconds, more than 0 and at most 3600)."],
    ["ready = { tcp = 1 }\nready_timeout = -0.0", "lazarus.toml:6: servers.web.ready_timeout: -0 is out of range (seconds, more than 0 and at most 3600)."],
    ["ready = { tcp = 1 }\nready_timeout = \"30s\"", "lazarus.toml:6: servers.web.ready_timeout: expected a number of seconds, more than 0 and at most 3600, got a string (\"30s\")."],
    // depends_on
    ["depends_on = \"db\"", "lazarus.toml:5: servers.web.depends_on: expected an array of server names, like [\"db\"], got a string (\"db\")."],
    ["depends_on = [\"db\", 2]", "lazarus.toml:5: servers.web.depends_on: expected an array of server names, but element 1 is an integer (2)."],
    ["depends_on = [\"dbb\"]", "lazarus.toml:5: servers.web.depends_on: no server \"dbb\" in this file (did you mean \"db\"?); its other servers: \"db\"."],
    ["depends_on = [\"postgres\"]", "lazarus.toml:5: servers.web.depends_on: no server \"postgres\" in this file; its other servers: \"db\"."],
    ["depends_on = [\"web\"]", "lazarus.toml:5: servers.web.depends_on: \"web\" is this server itself: a server cannot depend on itself."],
    ["depends_on = [\"db\", \"db\"]", "lazarus.toml:5: servers.web.depends_on: \"db\" is listed twice."],
    // health
    ["health = \"http://x/\"", "lazarus.toml:5: servers.web.health: expected a table with one of tcp, http or cmd (and interval, timeout, retries), got a string (\"http://x/\")."],
    ["health = { interval = 5 }", "lazarus.toml:5: servers.web.health: expected one of tcp, http or cmd, like { http = \"http://127.0.0.1:8080/health\" }."],
    ["health = { tcp = 1, cmd = [\"x\"] }", "lazarus.toml:5: servers.web.health: give one of tcp, http or cmd, not both tcp and cmd."],
    ["health = { notify = true }", "lazarus.toml:5: servers.web.health.notify: a health check cannot be by notify: give watchdog = SECONDS with ready = { notify = true } instead."],
    ["health = { log = \"ok\" }", "lazarus.toml:5: servers.web.health.log: a health check cannot be by output lines: give tcp, http or cmd."],
    ["health = { tcp = 1, retires = 2 }", "lazarus.toml:5: servers.web.health.retires: unknown key (did you mean 'retries'?); expected one of: tcp, http, cmd, interval, timeout, retries."],
    ["health = { tcp = 0 }", "lazarus.toml:5: servers.web.health.tcp: 0 is not a port (1 to 65535)."],
    ["health = { http = \"file:///x\" }", "lazarus.toml:5: servers.web.health.http: expected an http:// or https:// URL, like \"http://127.0.0.1:8080/health\", got a string (\"file:///x\")."],
    ["health = { cmd = [] }", "lazarus.toml:5: servers.web.health.cmd: empty command."],
    ["health = { tcp = 1, interval = 0 }", "lazarus.toml:5: servers.web.health.interval: 0 is out of range (seconds, more than 0 and at most 3600)."],
    ["health = { tcp = 1, interval = 4000 }", "lazarus.toml:5: servers.web.health.interval: 4000 is out of range (seconds, more than 0 and at most 3600)."],
    ["health = { tcp = 1, timeout = 0 }", "lazarus.toml:5: servers.web.health.timeout: 0 is out of range (seconds, more than 0 and at most 3600)."],
    ["health = { tcp = 1, interval = 1, timeout = 2 }", "lazarus.toml:5: servers.web.health.timeout: 2 s is longer than the interval (1 s): a probe must end before the next one is due."],
    ["health = { tcp = 1, timeout = 6 }", "lazarus.toml:5: servers.web.health.timeout: 6 s is longer than the interval (5 s, the default): a probe must end before the next one is due."],
    ["health = { tcp = 1, retries = 0 }", "lazarus.toml:5: servers.web.health.retries: 0 is out of range (1 to 1000)."],
    ["health = { tcp = 1, retries = 1.5 }", "lazarus.toml:5: servers.web.health.retries: expected a whole number from 1 to 1000, got a number (1.5)."],
    ["health = { tcp = 1, retries = \"3\" }", "lazarus.toml:5: servers.web.health.retries: expected a whole number from 1 to 1000, got a string (\"3\")."],
    ["[servers.web.health]\ntcp = 1\nretries = 1001", "lazarus.toml:7: servers.web.health.retries: 1001 is out of range (1 to 1000)."],
    // watchdog
    ["watchdog = 10", "lazarus.toml:5: servers.web.watchdog: needs ready = { notify = true }: WATCHDOG=1 comes over the notify socket."],
    ["ready = { tcp = 1 }\nwatchdog = 10", "lazarus.toml:6: servers.web.watchdog: needs ready = { notify = true }: WATCHDOG=1 comes over the notify socket."],
    ["ready = { notify = true }\nwatchdog = 0", "lazarus.toml:6: servers.web.watchdog: 0 is out of range (seconds, more than 0 and at most 3600)."],
    ["ready = { notify = true }\nwatchdog = true", "lazarus.toml:6: servers.web.watchdog: expected a number of seconds, more than 0 and at most 3600, got a boolean (true)."],
    // restart
    ["restart = \"on_failure\"", "lazarus.toml:5: servers.web.restart: expected \"on-failure\", \"always\" or \"never\", got \"on_failure\"."],
    ["restart = true", "lazarus.toml:5: servers.web.restart: expected \"on-failure\", \"always\" or \"never\", got a boolean (true)."],
    // backoff
    ["backoff = 5", "lazarus.toml:5: servers.web.backoff: expected a table like { initial = 0.5, max = 30, retries = 5 }, got an integer (5)."],
    ["backoff = { inital = 1 }", "lazarus.toml:5: servers.web.backoff.inital: unknown key (did you mean 'initial'?); expected one of: initial, max, retries."],
    ["backoff = { initial = 0 }", "lazarus.toml:5: servers.web.backoff.initial: 0 is out of range (seconds, more than 0 and at most 3600)."],
    ["backoff = { max = 3601 }", "lazarus.toml:5: servers.web.backoff.max: 3601 is out of range (seconds, more than 0 and at most 3600)."],
    ["backoff = { initial = 10, max = 5 }", "lazarus.toml:5: servers.web.backoff.initial: 10 s is more than max (5 s)."],
    ["backoff = { retries = 0 }", "lazarus.toml:5: servers.web.backoff.retries: 0 is out of range (1 to 1000)."],
    ["backoff = { retries = 2.5 }", "lazarus.toml:5: servers.web.backoff.retries: expected a whole number from 1 to 1000, got a number (2.5)."],
    ["restart = \"never\"\nbackoff = {}", "lazarus.toml:6: servers.web.backoff: has no use with restart = \"never\": nothing is ever retried."],
    ["[servers.web.backoff]\ninitial = 1\nmax = 0.5", "lazarus.toml:6: servers.web.backoff.initial: 1 s is more than max (0.5 s)."],
  ])("%s", (keys, message) => {
    expect(webErr(keys)).toBe(message);
  });

  test("an unknown key of a server lists the new keys too", () => {
    expect(webErr("depends = [\"db\"]")).toMatch(/^lazarus\.toml:5: servers\.web\.depends: unknown key; expected one of: .*, ready, ready_timeout, depends_on, health, watchdog, restart, backoff\.$/);
    expect(webErr("redy = {}")).toMatch(/^lazarus\.toml:5: servers\.web\.redy: unknown key \(did you mean 'ready'\?\)/);
  });

  test("an unknown dependency in a big file: ten of the other servers are listed", () => {
    const text = Array.from({ length: 13 }, (_, i) => `[servers.s${i}]\ncmd = "x"\n`).join("") + "depends_on = [\"zzz\"]\n";
    expect(err(text)).toBe(`lazarus.toml:27: servers.s12.depends_on: no server "zzz" in this file; its other servers: ${Array.from({ length: 10 }, (_, i) => `"s${i}"`).join(", ")}, ….`);
  });

  test("in an inline server table: the table's line", () => {
    expect(err("[servers]\ndb = { cmd = \"d\" }\nweb = { cmd = \"w\", watchdog = 1 }\n"))
      .toBe("lazarus.toml:3: servers.web.watchdog: needs ready = { notify = true }: WATCHDOG=1 comes over the notify socket.");
  });
});

describe("depends_on cycles: named, at the line of the server they return to", () => {
  test.each([
    [
      "[servers.web]\ncmd = \"w\"\ndepends_on = [\"api\"]\n[servers.api]\ncmd = \"a\"\ndepends_on = [\"web\"]\n",
      "lazarus.toml:3: servers.web.depends_on makes a cycle: web → api → web.",
    ],
    [
      // the walk starts at a, which is not on the cycle
      "[servers.a]\ncmd = \"a\"\ndepends_on = [\"web\"]\n[servers.web]\ncmd = \"w\"\ndepends_on = [\"db\", \"api\"]\n[servers.api]\ncmd = \"x\"\ndepends_on = [\"cache\"]\n[servers.cache]\ncmd = \"c\"\ndepends_on = [\"web\"]\n[servers.db]\ncmd = \"d\"\n",
      "lazarus.toml:6: servers.web.depends_on makes a cycle: web → api → cache → web.",
    ],
    [
      "[servers]\nx = { cmd = \"x\", depends_on = [\"y\"] }\ny = { cmd = \"y\", depends_on = [\"x\"] }\n",
      "lazarus.toml:2: servers.x.depends_on makes a cycle: x → y → x.",
    ],
  ])("%#", (text, message) => {
    expect(err(text)).toBe(message);
  });

  test("a diamond is no cycle", () => {
    const r = parseConfig("[servers.web]\ncmd = \"w\"\ndepends_on = [\"a\", \"b\"]\n[servers.a]\ncmd = \"a\"\ndepends_on = [\"db\"]\n[servers.b]\ncmd = \"b\"\ndepends_on = [\"db\"]\n[servers.db]\ncmd = \"d\"\n", F);
    expect(r.ok).toBe(true);
  });

  test("a chain of 20,000 servers is walked without overflowing the stack; closing it makes a cycle, named in short", () => {
    const n = 20_000;
    const chain = Array.from({ length: n }, (_, i) => ({ name: `s${i}`, dependsOn: i + 1 < n ? [`s${i + 1}`] : [] }));
    expect(() => checkOrder(chain)).not.toThrow();
    chain[n - 1] = { name: `s${n - 1}`, dependsOn: ["s0"] };
    let thrown: unknown = null;
    try {
      checkOrder(chain);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Invalid);
    const e = thrown as Invalid;
    expect([e.path, e.verb, e.message]).toEqual([["servers", "s0", "depends_on"], true, "makes a cycle: s0 → s1 → s2 → s3 → s4 → s5 → s6 → s7 → … → s19999 → s0 (20000 servers)."]);
  });
});

describe("docs/configuration.md", () => {
  test("its config file examples are valid, the new keys included", async () => {
    const { ROOT } = await import("../helpers/run.ts");
    const doc = await Bun.file(`${ROOT}/docs/configuration.md`).text();
    const blocks = [...doc.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1] as string).filter((b) => b.includes("[servers."));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) {
      const r = parseConfig(b, "docs");
      expect(r.ok ? null : r.error).toBeNull();
    }
    const section = blocks.find((b) => b.includes("watchdog")) ?? "";
    const r = parseConfig(section, "docs");
    expect(r.ok && r.config.servers.map((s) => [s.name, s.dependsOn ?? [], s.ready?.kind])).toEqual([["db", [], "tcp"], ["web", ["db"], "http"], ["worker", ["db", "web"], "notify"]]);
  });
});
