// Config files, Procfiles, .env files and prefixed output, end to end: the real
// `bun run src/main.ts` on real fixtures, checked from the outside (its stdout
// and stderr, its exit status, the fixtures' own lines, /proc).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makePipe } from "../../src/os/libc.ts";
import { BUN, childrenOf, eventually, MAIN, ROOT, Run, SERVER, waitGone, perTest } from "../helpers/run.ts";

const { start, track } = perTest({ prefix: ["--control=none"] });

/** A scratch directory with links named after servers, all to the fixture (so its lines say which it is). */
let dir = "";
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "lazarus-config-")));
  for (const name of ["clean", "crash", "steady", "chatty-a", "chatty-b", "flood"]) symlinkSync(SERVER, join(dir, name));
  mkdirSync(join(dir, "sub"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The JSON log records of a run (--log-format=json). */
function records(r: Run): Record<string, unknown>[] {
  return r.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A fixture's own line (`fixture: pid=...`), wherever a prefix put it. */
function fixtureLines(r: Run): string[] {
  return r.lines.flatMap((l) => {
    const m = /(?:^|\| )(fixture: pid=.*)$/.exec(l);
    return m ? [m[1] as string] : [];
  });
}

/** Whether `pid` is blocked writing to a full pipe (its kernel wait channel says so). */
function blockedOnPipe(pid: number): boolean {
  try {
    return /pipe/.test(readFileSync(`/proc/${pid}/wchan`, "utf8"));
  } catch {
    return false;
  }
}

async function stopAndCheckClean(r: Run): Promise<void> {
  r.signal("SIGTERM");
  expect(await r.ended()).toEqual({ code: 0, signal: null });
  expect(await waitGone(r.fixturePids())).toEqual([]);
}

describe("the same fixtures by braces, TOML and Procfile", () => {
  // clean exits 0 (cremated), crash crashes too fast (buried, and again after a
  // revive), steady runs until the shutdown stops it.
  const servers = [
    ["clean", "--life=0.3", "tag=c"],
    ["crash", "--life=0.1", "--exit=3", "--initial-spawn", "tag=x"],
    ["steady", "tag=s"],
  ];

  async function scenario(r: Run) {
    await r.waitFor(/"event":"buried".*"name":"crash"|"name":"crash".*"event":"buried"/);
    await r.waitFor(/"event":"cremated"/);
    // steady's own start line (its argv, compared below): lazarus's lines about the others do not imply it.
    await r.waitFor(/fixture: pid=\d+ name=steady argv: tag=s$/);
    const mark = r.lines.length;
    r.signal("SIGUSR2");
    await r.waitFor(/"event":"buried"/, { from: mark });
    await stopAndCheckClean(r);
    // What each server went through, as the JSON log tells it, and what each fixture was given.
    const byName = new Map<string, string[]>();
    for (const rec of records(r)) {
      if (typeof rec.name !== "string") continue;
      const what = [rec.event, rec.from, rec.to, rec.code, rec.signal].filter((x) => x !== undefined).join(" ");
      byName.set(rec.name, [...(byName.get(rec.name) ?? []), what]);
    }
    const argvs = fixtureLines(r).map((l) => l.replace(/pid=\d+ /, "")).sort();
    return { byName: Object.fromEntries([...byName].sort()), argvs, end: records(r).at(-1)?.event };
  }

  test("behave identically: same names, same events, same arguments, same end", async () => {
    const common = ["--log-format=json", "--interval=5", "--stop-timeout=5"];
    const braces = start([...common, ...servers.flatMap(([cmd, ...args]) => ["{", `./${cmd}`, ...args, "}"])], { cwd: dir });
    const viaBraces = await scenario(braces);

    const toml = file("same.toml", servers.map(([cmd, ...args]) =>
      `[servers.${cmd}]\ncmd = ${JSON.stringify([`./${cmd}`, ...args])}\noutput = "inherit"\n`).join(""));
    const viaToml = await scenario(start([...common, `--config=${toml}`]));

    const procfile = file("Procfile.same", servers.map(([cmd, ...args]) => `${cmd}: ./${cmd} ${args.join(" ")}\n`).join(""));
    const viaProcfile = await scenario(start([...common, `--procfile=${procfile}`]));

    expect(Object.keys(viaBraces.byName)).toEqual(["clean", "crash", "steady"]);
    expect(viaBraces.byName).toEqual({
      clean: ["spawned starting alive", "cremated alive cremated 0"],
      crash: ["spawned starting alive", "exit 3", "buried alive buried 3", "spawned starting alive", "exit 3", "buried alive buried 3"],
      steady: ["spawned starting alive", "stopped alive cremated SIGTERM"],
    });
    expect(viaBraces.end).toBe("exiting");
    expect(viaToml).toEqual(viaBraces);
    expect(viaProcfile).toEqual(viaBraces);
    expect(viaBraces.argvs).toEqual([
      "fixture: name=clean argv: --life=0.3 tag=c",
      "fixture: name=crash argv: --life=0.1 --exit=3 --initial-spawn tag=x",
      "fixture: name=crash argv: --life=0.1 --exit=3 --respawn tag=x",
      "fixture: name=steady argv: tag=s",
    ]);
  });
});

describe("environment and working directory reach the child", () => {
  test("TOML: cwd (relative to the file), env over the env file over the inherited environment", async () => {
    const env = file("vars.env", "FROM_FILE=file value\nOVERRIDDEN=from the file\n");
    const toml = file("envcwd.toml", `[servers.steady]
cmd = ["../steady", "--print-env=GREETING", "--print-env=FROM_FILE", "--print-env=OVERRIDDEN", "--print-env=INHERITED", "--print-cwd"]
cwd = "sub"
env = { GREETING = "hello world", OVERRIDDEN = "by the server" }
`);
    const r = start([`--config=${toml}`, `--env-file=${env}`], { env: { INHERITED: "from lazarus", OVERRIDDEN: "inherited" } });
    await r.waitFor(/cwd=/);
    const seen = fixtureLines(r).map((l) => l.replace(/pid=\d+ /, ""));
    expect(seen).toContain("fixture: env GREETING=hello world");
    expect(seen).toContain("fixture: env FROM_FILE=file value");
    expect(seen).toContain("fixture: env OVERRIDDEN=by the server");
    expect(seen).toContain("fixture: env INHERITED=from lazarus");
    expect(seen).toContain(`fixture: cwd=${join(dir, "sub")}`);
    // prefixed: every line of the child carries its name
    expect(r.lines.filter((l) => l.includes("fixture:")).every((l) => l.startsWith("steady | fixture:"))).toBe(true);
    await stopAndCheckClean(r);
  });

  test("Procfile: runs in the Procfile's directory, and the shell expands variables of the env file", async () => {
    const env = file("port.env", "PORT=5123\n");
    const procfile = file("Procfile.env", "steady: ./steady --port=$PORT --print-env=PORT --print-cwd\n");
    const r = start([`--procfile=${procfile}`, `--env-file=${env}`], { cwd: ROOT });
    await r.waitFor(/cwd=/);
    const seen = fixtureLines(r).map((l) => l.replace(/pid=\d+ /, ""));
    expect(seen).toEqual(["fixture: name=steady argv: --port=5123 --print-env=PORT --print-cwd", "fixture: env PORT=5123", `fixture: cwd=${dir}`]);
    // `exec`: the supervised pid is the server itself (its own $$), not a shell waiting for it.
    const pid = await r.startedPid();
    expect(r.fixturePids()).toEqual([pid]);
    await stopAndCheckClean(r);
  });

  test("Procfile lines that need the shell (cd, a leading VAR=x, several commands) run whole, and are not buried", async () => {
    const procfile = file("Procfile.shell", [
      "web: cd sub && ../steady --print-cwd tag=cd",
      "envy: GREETING=x ./steady --print-env=GREETING tag=envy",
      "both: echo first; ./steady tag=second",
      "one: ./steady tag=one",
      "",
    ].join("\n"));
    const r = start([`--procfile=${procfile}`], { cwd: ROOT });
    const pidOf = (line: string) => Number(/pid=(\d+)/.exec(line)?.[1]);
    const web = pidOf(await r.waitFor(/^web  \| fixture: pid=\d+ cwd=/));
    expect(r.lines).toContain(`web  | fixture: pid=${web} cwd=${join(dir, "sub")}`);
    const envy = pidOf(await r.waitFor(/^envy \| fixture: pid=\d+ env GREETING=x$/));
    const both = pidOf(await r.waitFor(/^both \| fixture: pid=\d+ name=steady argv: tag=second$/));
    const one = pidOf(await r.waitFor(/^one  \| fixture: pid=\d+ name=steady argv: tag=one$/));
    await eventually(() => r.stdout.includes("both | first\n"), "the first command's line on stdout");
    // Each is still running: nothing was buried, nothing exited.
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    for (const [i, name] of ["web", "envy", "both", "one"].entries()) {
      await r.waitFor(new RegExp(`info: server ${i}: name ${name}, pid \\d+, up and running`), { from: mark });
    }
    expect(r.own.filter((l) => /bury|burying|exited|died/.test(l))).toEqual([]);
    // The shell is the supervised process of the first three (the fixture is its child);
    // the one-program line is exec'd, so the fixture itself is.
    for (const [name, pid] of [["web", web], ["envy", envy], ["both", both]] as const) {
      const shell = await r.startedPid(0, name);
      expect(shell).not.toBe(pid);
      expect(childrenOf(shell).map((c) => c.pid)).toContain(pid);
    }
    expect(await r.startedPid(0, "one")).toBe(one);
    await stopAndCheckClean(r);
  });

  test("braces: --env-file reaches them too; their output stays inherited", async () => {
    const env = file("one.env", "export ONE='1'\n");
    const r = start([`--env-file=${env}`, "{", SERVER, "--print-env=ONE", "}"]);
    await r.waitFor(/^fixture: pid=\d+ env ONE=1$/);
    await stopAndCheckClean(r);
  });

  test("servers get the environment lazarus was given, not the .env files Bun reads into its own at start-up", async () => {
    // Bun loads .env (and .env.local, .env.NODE_ENV) of its working directory into process.env by itself;
    // a supervisor started in a project's directory must not hand them to servers nobody gave them to.
    const project = join(dir, "dotenv-project");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, ".env"), "FOO_FROM_DOTENV=surprise\nGIVEN=from the .env file\n");
    writeFileSync(join(project, ".env.local"), "LOCAL_FROM_DOTENV=surprise too\n");
    const r = start(["{", SERVER, "--print-env=FOO_FROM_DOTENV", "--print-env=LOCAL_FROM_DOTENV", "--print-env=GIVEN", "}"], { cwd: project, env: { GIVEN: "from lazarus's environment" } });
    await r.waitFor(/^fixture: pid=\d+ env GIVEN=/);
    const seen = fixtureLines(r).map((l) => l.replace(/pid=\d+ /, ""));
    expect(seen).toContain("fixture: env FOO_FROM_DOTENV unset");
    expect(seen).toContain("fixture: env LOCAL_FROM_DOTENV unset");
    expect(seen).toContain("fixture: env GIVEN=from lazarus's environment");
    await stopAndCheckClean(r);
  });

  test("a missing cwd is a spawn failure that says so; the server is buried, the others run", async () => {
    const toml = file("nocwd.toml", `[servers.lost]\ncmd = "./steady"\ncwd = "no/such/dir"\n[servers.steady]\ncmd = "./steady"\n`);
    const r = start([`--config=${toml}`]);
    const line = await r.waitFor("could not spawn");
    expect(line).toBe(`lazarus: could not spawn 'lost': working directory ${join(dir, "no/such/dir")} does not exist (ENOENT); burying.`);
    await r.waitFor(/steady \| fixture: pid=/);
    await stopAndCheckClean(r);
  });
});

describe("prefixed output", () => {
  test("two servers writing at once: every line whole and prefixed, in order, the partial last line ended", async () => {
    const toml = file("chatty.toml", `[servers.a]
cmd = ["./chatty-a", "--chatter=300", "--life=0", "--partial=a's last words"]
[servers.bb]
cmd = ["./chatty-b", "--chatter=300", "--life=0", "--partial=b's last words"]
`);
    const r = start([`--config=${toml}`]);
    expect(await r.ended()).toEqual({ code: 0, signal: null });
    const lines = r.stdout.split("\n").slice(0, -1);
    const x = "x".repeat(2048);
    expect(lines.filter((l) => l.startsWith("a  | "))).toEqual([
      ...Array.from({ length: 300 }, (_, i) => `a  | chatty-a-${i}-${x}`), "a  | a's last words",
    ]);
    expect(lines.filter((l) => l.startsWith("bb | "))).toEqual([
      ...Array.from({ length: 300 }, (_, i) => `bb | chatty-b-${i}-${x}`), "bb | b's last words",
    ]);
    expect(lines).toHaveLength(602);
    // their stderr went to lazarus's stderr, prefixed too
    expect(r.lines.filter((l) => /^(a |bb) \| fixture: pid=\d+ name=chatty-/.test(l))).toHaveLength(2);
  });

  test("stdout and stderr joined into one pipe (2>&1 | cat), two servers flooding one each: every line whole, none mixed", async () => {
    const toml = file("joined.toml", `[servers.a]
cmd = ["./chatty-a", "--chatter=4000", "--life=0"]
[servers.bb]
cmd = ["./chatty-b", "--chatter-err=4000", "--life=0"]
`);
    // lazarus's fds 1 and 2 are the same pipe, read here until lazarus ends.
    const p = makePipe();
    if ("error" in p) throw new Error(p.error);
    const proc = Bun.spawn({ cmd: [BUN, "run", MAIN, "--control=none", `--config=${toml}`], cwd: ROOT, stdio: ["ignore", p.write, p.write] });
    closeSync(p.write);
    const chunks: Uint8Array[] = [];
    try {
      const reader = Bun.file(p.read).stream().getReader();
      const read = async (atMost: number) => {
        for (let got = 0; got < atMost;) {
          const { value, done } = await reader.read();
          if (done) return;
          chunks.push(value.slice());
          got += value.length;
        }
      };
      // A few times over: nobody reads, until both servers are blocked on their full pipes (so
      // both of lazarus's streams have output waiting for the joined pipe); then a reader comes
      // and lets them go on together. 4 MiB in all is read this way: both are still writing then.
      for (let round = 0; round < 16; round++) {
        await eventually(() => {
          const kids = childrenOf(proc.pid).map((c) => c.pid);
          return kids.length === 2 && kids.every(blockedOnPipe);
        }, "both servers to block on their pipes", 20_000);
        await read(256 * 1024);
      }
      await read(Infinity);
      expect(await proc.exited).toBe(0);
    } finally {
      proc.kill("SIGKILL");
      closeSync(p.read);
    }
    const lines = Buffer.concat(chunks).toString("utf8").split("\n");
    expect(lines.pop()).toBe("");
    const x = "x".repeat(2048);
    // Each line is one of these, whole: a server's chatter, a server's start line, lazarus's own.
    const known = new RegExp(`^(?:(?:a |bb) \\| chatty-[ab]-\\d+-${x}|(?:a |bb) \\| fixture: pid=\\d+ name=chatty-[ab] argv: .*|lazarus: [^|]*)$`);
    const odd = lines.filter((l) => !known.test(l));
    expect(odd.map((l) => `${l.slice(0, 60)}... (${l.length} bytes)`)).toEqual([]);
    expect(lines.filter((l) => l.startsWith("a  | chatty-"))).toEqual(Array.from({ length: 4000 }, (_, i) => `a  | chatty-a-${i}-${x}`));
    expect(lines.filter((l) => l.startsWith("bb | chatty-"))).toEqual(Array.from({ length: 4000 }, (_, i) => `bb | chatty-b-${i}-${x}`));
    expect(lines.filter((l) => l.startsWith("lazarus: ") && l.includes("exited normally"))).toHaveLength(2);
  });

  test("--output=prefix for braces, output = \"inherit\" in a config file", async () => {
    const toml = file("inherit.toml", `output = "inherit"\n[servers.steady]\ncmd = "./steady tag=i"\n`);
    const r = start([`--config=${toml}`]);
    await r.waitFor(/^fixture: pid=\d+ name=steady argv: tag=i$/);
    await stopAndCheckClean(r);
    const b = start(["--output=prefix", "{", SERVER, "tag=p", "}"]);
    await b.waitFor(/^server \| fixture: pid=\d+ name=server argv: tag=p$/);
    await stopAndCheckClean(b);
  });
});

describe("names everywhere", () => {
  test("the control interface knows config and Procfile servers by name; the JSON log and the dump too", async () => {
    const sock = join(dir, "ctl.sock");
    const toml = file("names.toml", `[servers.web]\ncmd = "./steady tag=web"\n`);
    const procfile = file("Procfile.names", "worker: ./steady tag=worker\n");
    const r = track(new Run([`--control=${sock}`, "--log-format=json", `--config=${toml}`, `--procfile=${procfile}`, "{", "./steady", "}"], { cwd: dir }));
    await r.waitFor(/^web    \| fixture: pid=\d+ name=steady argv: tag=web$/);
    await r.waitFor(/^worker \| fixture: pid=\d+ name=steady argv: tag=worker$/);
    await r.waitFor(/^fixture: pid=\d+ name=steady argv: $/);
    const ctl = async (...args: string[]) => {
      const p = Bun.spawn([process.execPath, "run", MAIN, "ctl", `--control=${sock}`, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
      return { out, code };
    };
    const status = await ctl("status");
    expect(status.code).toBe(0);
    expect(status.out.split("\n").slice(2, 5).map((l) => l.split(/ +/).slice(0, 3))).toEqual([
      ["0", "web", "alive"], ["1", "worker", "alive"], ["2", "steady", "alive"],
    ]);
    expect((await ctl("stop", "worker")).code).toBe(0);
    await r.waitFor(/"event":"stopped".*"name":"worker"|"name":"worker".*"event":"stopped"/);
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor(/info: server 1: name worker, pid -, will never respawn/, { from: mark });
    await stopAndCheckClean(r);
  });
});

describe("live re-exec (SIGUSR1) with prefixed output", () => {
  test("the server keeps running and its later lines still arrive, prefixed, through the new image", async () => {
    const go = join(dir, "go-after-reexec");
    const toml = file("reexec.toml", `[servers.steady]\ncmd = ["./steady", "--echo-when=${go}"]\n`);
    const r = start([`--config=${toml}`]);
    const pid = Number(/pid=(\d+)/.exec(await r.waitFor(/^steady \| fixture: pid=\d+ name=steady/))?.[1]);
    let mark = r.lines.length;
    r.signal("SIGUSR1");
    await r.waitFor(/re-exec complete/, { from: mark });
    writeFileSync(go, "");
    await r.waitFor(`steady | fixture: pid=${pid} saw ${go}`, { from: mark });
    await eventually(() => r.stdout.includes(`steady | fixture: pid=${pid} saw ${go}\n`), "the line on stdout");
    // Still the same process, alive: it did not die of SIGPIPE when it wrote after the exec.
    mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor(new RegExp(`info: server 0: name steady, pid ${pid}, up and running`), { from: mark });
    expect(r.own.some((l) => l.includes("died by signal"))).toBe(false);
    await stopAndCheckClean(r);
  });
});

describe("live re-exec (SIGUSR1) runs the same servers, whatever became of the files", () => {
  test("an edited, then a broken config file and env file change nothing: the new image uses the texts the old one did", async () => {
    const toml = file("same-after-reexec.toml", `interval = 2\n[servers.steady]\ncmd = ["./steady", "--print-env=V"]\n`);
    const env = file("same-after-reexec.env", "V=1\n");
    const r = start([`--config=${toml}`, `--env-file=${env}`]);
    const pid = Number(/pid=(\d+)/.exec(await r.waitFor(/^steady \| fixture: pid=\d+ env V=1$/))?.[1]);
    for (const [newToml, newEnv] of [
      [`interval = 3\n[servers.other]\ncmd = "./steady"\n`, "V=2\n"],
      ["this is not TOML = = =\n", "not a .env file\n"],
    ]) {
      writeFileSync(toml, newToml as string);
      writeFileSync(env, newEnv as string);
      let mark = r.lines.length;
      r.signal("SIGUSR1");
      await r.waitFor(/re-exec complete/, { from: mark });
      mark = r.lines.length;
      r.signal("SIGQUIT");
      await r.waitFor("info: interval: 2.000 s", { from: mark });
      await r.waitFor(new RegExp(`info: server 0: name steady, pid ${pid}, up and running`), { from: mark });
    }
    expect(r.own.filter((l) => /started with pid|could not|died/.test(l))).toEqual([`'steady' started with pid ${pid}.`]);
    await stopAndCheckClean(r);
  });
});

describe("back-pressure: a server flooding a terminal that does not keep up", () => {  const stat = (pid: number, key: "wchar" | "VmRSS") => {
    const path = key === "wchar" ? `/proc/${pid}/io` : `/proc/${pid}/status`;
    return Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(path, "utf8"))?.[1]);
  };

  test("blocks the server on its pipe: lazarus holds a bounded amount, its memory stays flat, and it stays responsive", async () => {
    const toml = file("flood.toml", `[servers.flood]\ncmd = "./flood --flood"\n`);
    const r = start([`--config=${toml}`], { readStdout: false });
    const pid = Number(/pid=(\d+)/.exec(await r.waitFor(/flood \| fixture: pid=/))?.[1]);
    const reader = r.proc.stdout.getReader();
    let received = 0;
    const ROUND = 8 * 1024 * 1024;
    const rss: number[] = [];
    const ROUNDS = 6;
    for (let round = 0; round < ROUNDS; round++) {
      // Nobody reads lazarus's stdout now: the flood must end up blocked in write(2) on its pipe ...
      await eventually(() => blockedOnPipe(pid), "the flooding server to block on its pipe", 20_000);
      // ... with only a bounded amount written that has not reached the terminal: its pipe,
      // lazarus's line buffer and read-ahead, lazarus's stdout buffer, this test's read-ahead.
      // (Each 1025-byte line of the server reaches the terminal as 1033 bytes, with "flood | ".)
      const held = stat(pid, "wchar") - (received * 1025) / 1033;
      expect(held).toBeLessThan(8 * 1024 * 1024);
      rss.push(stat(r.pid, "VmRSS"));
      // The supervisor still answers while its stdout is stuck.
      const mark = r.lines.length;
      r.signal("SIGQUIT");
      await r.waitFor(/info: server 0: name flood, pid \d+, up and running/, { from: mark });
      // The terminal catches up a little.
      for (let got = 0; got < ROUND;) {
        const { value, done } = await reader.read();
        if (done) throw new Error("lazarus's stdout closed");
        got += value.length;
        received += value.length;
      }
    }
    expect(received).toBeGreaterThanOrEqual(ROUNDS * ROUND);
    // 48 MB went through; lazarus's memory did not follow it (in kB: after the first
    // round, once Bun's heap has grown to its working size, it moves by a few MB).
    expect(Math.max(...rss.slice(1)) - (rss[1] as number)).toBeLessThan(32 * 1024);
    reader.releaseLock();
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(await waitGone([pid])).toEqual([]);
  });
});

describe("errors: one line, exit status 2, nothing started", () => {
  test.each([
    [["--config=/nonexistent/l.toml"], "lazarus: /nonexistent/l.toml: cannot read it: no such file (ENOENT)."],
    [["--procfile=/nonexistent/Procfile"], "lazarus: /nonexistent/Procfile: cannot read it: no such file (ENOENT)."],
    [["--env-file=/nonexistent/.env", "{", SERVER, "}"], "lazarus: /nonexistent/.env: cannot read it: no such file (ENOENT)."],
    [["--config=/"], "lazarus: /: cannot read it: it is a directory, not a regular file."],
  ])("%p", async (args, message) => {
    const r = start(args);
    expect((await r.ended()).code).toBe(2);
    expect(r.lines).toEqual([message]);
    expect(r.stdout).toBe("");
  });

  test("a bad key names the file, the line and the key; the good servers before it are not started", async () => {
    const toml = file("bad.toml", `[servers.steady]\ncmd = "./steady"\n\n[servers.web]\ncmd = "./steady"\nintervall = 3\n`);
    const r = start([`--config=${toml}`]);
    expect((await r.ended()).code).toBe(2);
    expect(r.lines).toEqual([`lazarus: ${toml}:6: servers.web.intervall: unknown key (did you mean 'interval'?); expected one of: cmd, cwd, env, interval, stop_signal, stop_timeout, autostart, instances, rolling, output, log_dir, log_max_size, log_keep, log_timestamps, user, group, limits, ready, ready_timeout, depends_on, health, watchdog, restart, backoff.`]);
  });

  test("a bad Procfile line", async () => {
    const procfile = file("Procfile.bad", "steady: ./steady\nweb ./steady\n");
    const r = start([`--procfile=${procfile}`]);
    expect((await r.ended()).code).toBe(2);
    expect(r.lines).toEqual([`lazarus: ${procfile}:2: expected 'NAME: COMMAND', got "web ./steady".`]);
  });
});

describe("lazarus.toml in the working directory", () => {
  test("is used when no server and no --config is given", async () => {
    const here = mkdtempSync(join(dir, "cwd-"));
    writeFileSync(join(here, "lazarus.toml"), `interval = 2\n[servers.steady]\ncmd = ["../steady", "tag=found"]\n`);
    const r = start([], { cwd: here });
    await r.waitFor(/steady \| fixture: pid=\d+ name=steady argv: tag=found$/);
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor("info: interval: 2.000 s", { from: mark });
    await stopAndCheckClean(r);
  });

  test("without one, the usage error stays", async () => {
    const here = mkdtempSync(join(dir, "empty-"));
    const r = start([], { cwd: here });
    expect((await r.ended()).code).toBe(2);
    expect(r.lines).toEqual(["lazarus: No programs to spawn, aborting."]);
  });
});

describe("examples/", () => {
  test("lazarus.toml: web gets its env and cwd, worker is respawned, flaky buried, batch cremated with its last line", async () => {
    const r = start(["--config=examples/lazarus.toml"], { cwd: ROOT });
    await r.waitFor(/^web +\| fixture: pid=\d+ env PORT=8080$/);
    await r.waitFor(`web    | fixture: pid=`);
    await r.waitFor(new RegExp(`^web +\\| fixture: pid=\\d+ cwd=${realpathSync(ROOT)}$`));
    await r.waitFor(/^worker \| fixture: pid=\d+ name=server argv: --life=1\.5 --exit=3 --respawn$/);
    await r.waitFor("burying because it died too fast.");
    await r.waitFor("exited normally, cremating.");
    await eventually(() => r.stdout.includes("batch  | batch done\n"), "batch's last line on stdout");
    await stopAndCheckClean(r);
  });

  test("Procfile with example.env: $PORT expanded by the shell, every server prefixed", async () => {
    const r = start(["--procfile=examples/Procfile", "--env-file=examples/example.env"], { cwd: ROOT });
    await r.waitFor(/^web +\| fixture: pid=\d+ name=server argv: --print-env=PORT --port=5000$/);
    await r.waitFor(/^worker \| fixture: pid=/);
    await r.waitFor("exited normally, cremating.");
    await eventually(() => r.stdout.includes("batch  | batch done\n"), "batch's last line on stdout");
    await stopAndCheckClean(r);
  });
});
