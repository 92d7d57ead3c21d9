// Issue 20 through the real binary: bad input never hangs, crashes or
// misleads. Every error is one line on stderr and a known exit status.
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { BUN, eventually, MAIN, perTest, procState, ROOT, SERVER } from "../helpers/run.ts";

const { start, tempDir } = perTest({ tmp: "lazarus-bad-" });

interface Outcome {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/**
 * The peak resident memory (bytes) of `lazarus ARGS`. Measured through a small
 * intermediate process: the peak of a child counts what its parent held when
 * it was spawned (the kernel keeps the high-water mark across the exec), and
 * the test process holds a lot.
 */
async function peakRss(args: readonly string[]): Promise<number> {
  const script = `const p = Bun.spawn(${JSON.stringify([BUN, "run", MAIN, ...args])}, { stdio: ["ignore", "ignore", "ignore"] }); await p.exited; console.log(p.resourceUsage().maxRSS);`;
  const p = Bun.spawn([BUN, "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return Number(out.trim());
}

/** `lazarus ARGS` run to its end, as a user runs it (stdin closed). */
async function lazarus(args: readonly string[], opts: { cwd?: string; timeout?: number } = {}): Promise<Outcome> {
  const p = Bun.spawn([BUN, "run", MAIN, ...args], { cwd: opts.cwd ?? ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const timer = setTimeout(() => p.kill("SIGKILL"), opts.timeout ?? 20_000);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  clearTimeout(timer);
  return { code: p.signalCode === null ? p.exitCode : null, out, err };
}

/** A Unix socket file that nobody listens on: its listener was SIGKILLed. */
async function staleSocket(path: string): Promise<void> {
  const p = Bun.spawn([BUN, "-e", `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data() {} } }); console.log("up"); setInterval(() => {}, 1e6);`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const reader = p.stdout.getReader();
  await reader.read(); // "up": listening
  p.kill("SIGKILL");
  await p.exited;
  expect(existsSync(path)).toBe(true);
}

describe("ctl: every error is one line `lazarus: ctl: …` and an exit status (items 1 and 6)", () => {
  test("--control= (empty) is a usage error, not a stack trace", async () => {
    expect(await lazarus(["ctl", "--control=", "status"])).toEqual({
      code: 2, out: "", err: "lazarus: ctl: --control needs a socket path (see lazarus ctl --help)\n",
    });
  });

  test("--control=FILE says what FILE is when it is not a socket", async () => {
    const dir = tempDir();
    const file = join(dir, "plain.txt");
    writeFileSync(file, "hello\n");
    const sub = join(dir, "sub");
    mkdirSync(sub);
    const fifo = join(dir, "fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const cases: [string, string][] = [
      [file, "it is a regular file, not a socket"],
      [sub, "it is a directory, not a socket"],
      ["/dev/null", "it is a character device, not a socket"],
      [fifo, "it is a FIFO, not a socket"],
      [join(dir, "absent.sock"), "no such socket"],
      [join(dir, "dangling.sock"), "it is a symbolic link to nothing, not a socket"],
    ];
    symlinkSync(join(dir, "gone.sock"), join(dir, "dangling.sock"));
    for (const [path, why] of cases) {
      expect(await lazarus(["ctl", `--control=${path}`, "status"])).toEqual({ code: 1, out: "", err: `lazarus: ctl: no supervisor at ${path}: ${why}\n` });
    }
  });

  test("a symbolic link to a supervisor's socket reaches it (a fixed name for a socket named by its pid); a socket out of this user's reach is 'permission denied', not 'no such socket'", async () => {
    const dir = tempDir();
    const sock = join(dir, "real.sock");
    const r = start([`--control=${sock}`, "{", SERVER, "}"]);
    await r.waitFor("started, supervising");
    const link = join(dir, "lazarus.sock");
    symlinkSync(sock, link);
    const res = await lazarus(["ctl", `--control=${link}`, "--json", "status"]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out).status.pid).toBe(r.pid);
    // Another user, where a directory on the way is not searchable: run as nobody when this test is root (else as is).
    const closed = join(dir, "closed");
    mkdirSync(closed, { mode: 0o700 });
    symlinkSync(sock, join(closed, "x.sock"));
    const asNobody = process.getuid?.() === 0 && Bun.which("setpriv") !== null ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : null;
    if (asNobody === null) {
      console.log("skipped the other user's part: not root, or no setpriv");
    } else {
      chmodSync(dir, 0o755);
      const p = Bun.spawn([...asNobody, BUN, "run", MAIN, "ctl", `--control=${join(closed, "x.sock")}`, "status"], { cwd: "/", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HOME: "/" } });
      const err = await new Response(p.stderr).text();
      expect(await p.exited).toBe(1);
      expect(err).toBe(`lazarus: ctl: no supervisor at ${join(closed, "x.sock")}: permission denied (a directory on its way may not be searched by this user)\n`);
    }
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("a socket nobody listens on is called stale", async () => {
    const sock = join(tempDir(), "stale.sock");
    await staleSocket(sock);
    expect(await lazarus(["ctl", `--control=${sock}`, "status"])).toEqual({
      code: 1, out: "", err: `lazarus: ctl: no supervisor at ${sock}: nothing listening (a stale socket)\n`,
    });
  });
});

describe("files that never end, or are not files, are refused at once (item 2)", () => {
  test("--config, --procfile and --env-file: a device, a FIFO nobody writes to, a directory, a file over 1 MiB: one line, exit 2", async () => {
    const dir = tempDir();
    const fifo = join(dir, "fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const big = join(dir, "big.toml");
    writeFileSync(big, `# ${"x".repeat(1024 * 1024)}\n`);
    const cases: [string[], string][] = [
      [["--config=/dev/zero"], "/dev/zero: cannot read it: it is a character device, not a regular file."],
      [["--config=/dev/urandom"], "/dev/urandom: cannot read it: it is a character device, not a regular file."],
      [[`--config=${fifo}`], `${fifo}: cannot read it: it is a FIFO (a named pipe), not a regular file.`],
      [[`--procfile=${dir}`], `${dir}: cannot read it: it is a directory, not a regular file.`],
      [["--env-file=/dev/zero", "{", "true", "}"], "/dev/zero: cannot read it: it is a character device, not a regular file."],
      [[`--config=${big}`], `${big}: cannot read it: it is 1048579 bytes, over the limit of 1 MiB.`],
    ];
    for (const [args, message] of cases) {
      expect(await lazarus(["--control=none", ...args])).toEqual({ code: 2, out: "", err: `lazarus: ${message}\n` });
    }
  });

  test("replay: /dev/zero, a FIFO nobody writes to and a directory are refused at once; a missing or extra argument is a usage line", async () => {
    const dir = tempDir();
    const fifo = join(dir, "fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    expect(await lazarus(["replay", "/dev/zero"])).toEqual({ code: 2, out: "", err: "lazarus: replay: /dev/zero: cannot read it: it is a character device, not a regular file.\n" });
    expect(await lazarus(["replay", fifo])).toEqual({ code: 2, out: "", err: `lazarus: replay: ${fifo}: cannot read it: it is a FIFO (a named pipe), not a regular file.\n` });
    expect(await lazarus(["replay", dir])).toEqual({ code: 2, out: "", err: `lazarus: replay: ${dir}: cannot read it: it is a directory, not a regular file.\n` });
    expect(await lazarus(["replay"])).toEqual({ code: 2, out: "", err: "lazarus: replay: usage: lazarus replay FILE (a --log-format=json log)\n" });
    expect(await lazarus(["replay", "a.log", "b.log"])).toEqual({ code: 2, out: "", err: "lazarus: replay: one log at a time: unexpected \"b.log\" (usage: lazarus replay FILE)\n" });
  });

  test("replay streams: a log with a 70 MB line of server output and a 70 MB JSON-looking line is read line by line, the JSON one reported", async () => {
    const file = join(tempDir(), "big.log");
    const header = JSON.stringify({ lazarus: "0.1.0", log: 1, time: "2026-01-01T00:00:00.000Z", mono: 1, settings: { intervalMs: 5000, stopTimeoutMs: 10000, alarmMs: 0 }, servers: [{ argv: ["x"], name: "x" }] });
    const noise = Buffer.alloc(70 * 1024 * 1024, 0x61);
    const jsonish = Buffer.alloc(70 * 1024 * 1024, 0x20);
    jsonish[0] = 0x7b;
    writeFileSync(file, Buffer.concat([Buffer.from(`${header}\n`), noise, Buffer.from("\n"), jsonish, Buffer.from("\n")]));
    const r = await lazarus(["replay", file], { timeout: 60_000 });
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toBe([
      "lazarus: replay: line 3: a JSON line over 16 MiB (73400320 bytes), not read",
      "lazarus: replay: no recorded inputs found (was the log written with --log-format=json?)",
      "lazarus: replay: 0 inputs in 1 image: 0 steps differ, 1 unusable lines.",
      "",
    ].join("\n"));
    // Bounded memory: far less than the file (140 MB; the runtime itself takes about 40 MB).
    expect(await peakRss(["replay", file])).toBeLessThan(100 * 1024 * 1024);
  }, 60_000);
});

describe("the control socket of a real supervisor (items 4 and 5)", () => {
  test("a status of about 2 MB (ten servers with 95 KB commands of tabs, two bytes each in JSON; the old cap was 1 MiB) reaches ctl, as a table and as JSON", async () => {
    const dir = tempDir();
    const sock = join(dir, "ctl.sock");
    const servers = Array.from({ length: 10 }, (_, k) => `[servers.s${k}]\ncmd = ["/bin/sh", "-c", "exec sleep 1000", "s${k}", "${"\t".repeat(95_000)}"]\n`);
    writeFileSync(join(dir, "lazarus.toml"), `control = "ctl.sock"\n${servers.join("")}`);
    const r = start(["--config=lazarus.toml"], { cwd: dir });
    await r.waitForCount(/started with pid/, 10);
    const json = await lazarus(["ctl", `--control=${sock}`, "--json", "status"]);
    expect(json.code).toBe(0);
    expect(json.out.length).toBeGreaterThan(1024 * 1024);
    const reply = JSON.parse(json.out);
    expect(reply.status.servers.map((s: { command: string[] }) => s.command[4]?.length)).toEqual(Array(10).fill(95_000));
    const table = await lazarus(["ctl", `--control=${sock}`, "status"]);
    expect(table.code).toBe(0);
    expect(table.out.split("\n").filter((l) => / alive /.test(l))).toHaveLength(10);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("a request without a newline, then the client closes its side: answered", async () => {
    const sock = join(tempDir(), "ctl.sock");
    const r = start([`--control=${sock}`, "{", "sleep", "1000", "}"]);
    await r.waitFor("started with pid");
    const answer = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const c = connect(sock);
      c.on("error", reject);
      c.on("data", (d: Buffer) => chunks.push(d));
      c.on("end", () => resolve(Buffer.concat(chunks).toString()));
      c.end("{\"cmd\":\"about\",\"id\":7}");
    });
    expect(answer.endsWith("\n")).toBe(true);
    expect(JSON.parse(answer)).toMatchObject({ ok: true, id: 7, about: { pid: r.pid, servers: 1 } });
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});

describe("words are bytes from the command line to the server (item 7)", () => {
  /** lazarus ARGS started by a shell, so that a word can hold the byte 0xFF ($B is A\xffB). */
  const viaShell = (args: string, opts: { cwd?: string } = {}) =>
    start([], { ...opts, argv0: ["/bin/sh", "-c", `B=$(printf 'A\\377B'); exec "$0" run "$1" ${args}`, BUN, MAIN] });

  test("A\\xffB reaches the server as the bytes 41 FF 42 (not EF BF BD)", async () => {
    const out = join(tempDir(), "argv");
    const r = viaShell(`--control=none { /bin/sh -c 'printf %s "$1" > "$2"' sh "$B" ${out} }`);
    expect((await r.ended()).code).toBe(0);
    expect([...(await Bun.file(out).bytes())]).toEqual([0x41, 0xff, 0x42]);
  });

  test("a live re-exec passes the same bytes again: the server is adopted (same command), the dump shows \\xff, a respawn gets the bytes", async () => {
    const r = viaShell("--control=none --interval=0 { /bin/sh -c 'sleep 1000; exit 0' \"$B\" }");
    const pid = await r.startedPid();
    const cmdline = (p: number) => [...require("node:fs").readFileSync(`/proc/${p}/cmdline`)] as number[];
    const mark = r.lines.length;
    r.signal("SIGUSR1");
    await r.waitFor("re-exec complete", { from: mark });
    expect(r.lines.slice(mark).filter((l) => l.includes("invalid re-exec state"))).toEqual([]);
    // The new image was given the byte itself (execve), not U+FFFD.
    expect(cmdline(r.pid)).toContain(0xff);
    r.signal("SIGQUIT");
    expect(await r.waitFor(/info: server 0:/, { from: mark })).toContain(`pid ${pid}, `);
    expect(r.lines.slice(mark).find((l) => l.includes("info: server 0:"))).toContain("command: /bin/sh -c 'sleep 1000; exit 0' 'A\\xffB'");
    process.kill(pid, "SIGKILL");
    const respawned = await r.startedPid(r.lines.length);
    const args = await eventually(() => { const a = cmdline(respawned); return a.length > 0 ? a : null; }, `the command line of ${respawned}: ${procState(respawned)}`);
    expect(args.slice(-4)).toEqual([0x41, 0xff, 0x42, 0]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});

describe("messages that do not mislead (item 8)", () => {
  test("usage and file errors: one line each, exit 2", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "utf16.toml"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("interval = 1\n", "utf16le")]));
    writeFileSync(join(dir, "Procfile"), "web\u007f: ./srv\n");
    writeFileSync(join(dir, "zero.toml"), "interval = -0.0\n[servers.a]\ncmd = \"true\"\n");
    writeFileSync(join(dir, "bidi.toml"), "[servers.\"evil\u202etxt\"]\ncmd = \"true\"\n");
    const cases: [string[], string][] = [
      [["--config=utf16.toml"], "utf16.toml: it is UTF-16 (little-endian) text (it begins with a byte-order mark); lazarus reads UTF-8: convert it (iconv -f UTF-16 -t UTF-8)."],
      [["--procfile=Procfile"], "Procfile:1: invalid server name \"web\\u007f\": no control, invisible or bidirectional characters allowed."],
      [["--config=bidi.toml"], "bidi.toml:1: servers.\"evil\\u202etxt\": invalid server name \"evil\\u202etxt\": no control, invisible or bidirectional characters allowed."],
      [["--config=zero.toml"], "zero.toml:1: interval: -0 is out of range (seconds from 0 to 60, without a sign)."],
      [["--", "{", "true", "}"], "Unrecognised option: -- (options come before the first '{', as --NAME=VALUE; a server's words go between braces)."],
      [["--=x", "{", "true", "}"], "Unrecognised option: --=x (options are written --NAME=VALUE)."],
      [["-v", "{", "true", "}"], "Unrecognised option: -v (options are written --NAME=VALUE)."],
      [["--interval=1", "--interval=7", "{", "true", "}"], "Repeated option: --interval=7 (--interval was given already)."],
      [["--config=a.toml", "--config=b.toml"], "Repeated option: --config=b.toml (--config was given already)."],
    ];
    for (const [args, message] of cases) {
      expect(await lazarus(["--control=none", ...args], { cwd: dir })).toEqual({ code: 2, out: "", err: `lazarus: ${message}\n` });
    }
  });

  test("a .env value too big for the kernel: the spawn failure says the environment is too big and names the variable", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "big.env"), `SMALL=1\nBIG=${"x".repeat(200_000)}\n`);
    const r = start(["--control=none", "--env-file=big.env", "{", "true", "}"], { cwd: dir });
    const line = await r.waitFor("could not spawn");
    expect(line).toMatch(/^lazarus: could not spawn 'true': E2BIG: the environment is too big: the variable BIG holds 196 KiB, over the kernel's limit of 128 KiB for one variable \(\d+ variables, \d+ KiB in all\); burying\.$/);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});
