// spawnChild (libc.ts) caches each environment (by object) and argv (by its words)
// it marshals: a spawn must still get exactly the words and variables it was given.
import { describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, readFileSync, readSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeFd, decodeWaitStatus, groupExists, ignoreSignals, makePipe, maskSignals, peekEndedChild, restoreSignals, spawnChild, type SpawnSpec, type SpawnVia, stepOf, waitpidNoHang } from "../../src/os/libc.ts";
import { vforkSpawner } from "../../src/os/spawn-vfork.ts";

/** Run argv with env (and cwd) through spawnChild; its stdout. */
async function run(
  path: string, argv: readonly string[], env: Readonly<Record<string, string>>, cwd?: string, via: SpawnVia = "auto", alsoKeep?: number, extra: Partial<SpawnSpec> = {},
): Promise<string> {
  const p = makePipe();
  if ("error" in p) throw new Error(p.error);
  const keep = alsoKeep === undefined ? [] : [[alsoKeep, alsoKeep] as const];
  const r = spawnChild({ path, argv, env, dup2: [[p.write, 1], ...keep], ...(cwd === undefined ? {} : { cwd }), ...extra }, via);
  closeFd(p.write);
  if ("errno" in r) throw new Error(`errno ${r.errno}`);
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    const n = readSync(p.read, buf);
    if (n <= 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  closeSync(p.read);
  for (;;) {
    const w = waitpidNoHang(r.pid);
    if (w.kind === "ended") {
      expect(decodeWaitStatus(w.status)).toEqual({ code: 0 });
      break;
    }
    if (w.kind === "error") throw new Error(`waitpid errno ${w.errno}`);
    await Bun.sleep(1);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const ENV = "/usr/bin/env";

describe("spawnChild", () => {
  test("the same environment object twice: the same variables each time", async () => {
    const env = { A: "1", B: "two words" };
    expect(await run(ENV, ["env"], env)).toBe("A=1\nB=two words\n");
    expect(await run(ENV, ["env"], env)).toBe("A=1\nB=two words\n");
  });

  test("another environment object with other values: its own variables", async () => {
    expect(await run(ENV, ["env"], { A: "1" })).toBe("A=1\n");
    expect(await run(ENV, ["env"], { A: "2", C: "3" })).toBe("A=2\nC=3\n");
  });

  test("argv: other words, and words that would join alike, are not mixed up", async () => {
    const env = { PATH: "/usr/bin:/bin" };
    // env NAME=VALUE… COMMAND: prints the variables given on its command line.
    expect(await run(ENV, ["env", "-i", "X=ab", "/usr/bin/env"], env)).toBe("X=ab\n");
    expect(await run(ENV, ["env", "-i", "X=a", "b=", "/usr/bin/env"], env)).toBe("X=a\nb=\n");
    expect(await run(ENV, ["env", "-i", "X=ab", "/usr/bin/env"], env)).toBe("X=ab\n");
  });

  test("the same argv array again (kept by identity), and another path with it", async () => {
    const env = { PATH: "/usr/bin:/bin" };
    const argv = ["env", "-i", "Y=1", "/usr/bin/env"];
    expect(await run(ENV, argv, env)).toBe("Y=1\n");
    expect(await run(ENV, argv, env)).toBe("Y=1\n");
    // The same words under another program path: that path is executed.
    expect(await run("/bin/echo", argv, env)).toBe("-i Y=1 /usr/bin/env\n");
  });

  test("a working directory is still applied with cached words", async () => {
    const env = {};
    expect(await run("/bin/pwd", ["pwd"], env, "/")).toBe("/\n");
    expect(await run("/bin/pwd", ["pwd"], env, "/tmp")).toBe("/tmp\n");
  });

  test("groupExists: a child's own group (spawnChild makes a new session) while it runs, not once it is reaped", async () => {
    const r = spawnChild({ path: "/bin/sleep", argv: ["sleep", "30"], env: {} });
    if ("errno" in r) throw new Error(`errno ${r.errno}`);
    expect(groupExists(r.pid)).toBe(true);
    process.kill(r.pid, "SIGKILL");
    for (;;) {
      const w = waitpidNoHang(r.pid);
      if (w.kind !== "running") break;
      await Bun.sleep(1);
    }
    expect(groupExists(r.pid)).toBe(false);
  });
});

// The two ways of spawning (spawn-child.c through vfork, glibc's posix_spawn) must give a
// child the same state: lazarus uses the first where it can be compiled, the second otherwise.
describe.each(["vfork", "posix_spawn"] as const)("spawnChild via %s: the child's state", (via) => {
  test("this Bun compiles the vfork spawner (else lazarus would quietly use posix_spawn)", () => {
    expect(vforkSpawner()).not.toBeNull();
  });

  test("a new session, no signal ignored or blocked, whatever lazarus ignores and blocks", async () => {
    // SIGUSR2 (12) and SIGRTMIN+0 (34) ignored, SIGUSR1 (10) blocked in this thread: none of it reaches the child.
    const saved = ignoreSignals([12, 34]);
    maskSignals("block", [10]);
    let status: string;
    let stat: string;
    try {
      status = await run("/bin/cat", ["cat", "/proc/self/status"], {}, undefined, via);
      stat = await run("/bin/cat", ["cat", "/proc/self/stat"], {}, undefined, via);
    } finally {
      maskSignals("unblock", [10]);
      restoreSignals(saved);
    }
    expect(status).toContain("SigIgn:\t0000000000000000\n");
    expect(status).toContain("SigBlk:\t0000000000000000\n");
    // pid (comm) state ppid pgrp session: its own group and session, led by itself.
    const [pid, , , , pgrp, session] = stat.replace(/\(.*\)/, "comm").split(" ");
    expect(pgrp).toBe(pid);
    expect(session).toBe(pid);
  });

  test("the dup2s, the working directory, and a relative path taken from it", async () => {
    expect(await run("/bin/pwd", ["pwd"], {}, "/tmp", via)).toBe("/tmp\n");
    const bin = realpathSync("/bin");
    expect(await run("./pwd", ["pwd"], {}, bin, via)).toBe(`${bin}\n`);
    // dup2(fd, fd) keeps a close-on-exec fd open in the child, as posix_spawn does.
    const extra = makePipe();
    if ("error" in extra) throw new Error(extra.error);
    try {
      const fds = (await run("/bin/ls", ["ls", "/proc/self/fd"], {}, undefined, via, extra.write)).split("\n");
      expect(fds).toContain(String(extra.write));
      expect(fds).not.toContain(String(extra.read));
    } finally {
      closeFd(extra.read);
      closeFd(extra.write);
    }
  });

  test("an exec that fails: its errno, and no child left behind", async () => {
    expect(peekEndedChild()).toBe(0);
    expect(spawnChild({ path: "/nonexistent/program", argv: ["x"], env: {} }, via)).toEqual({ errno: 2 }); // ENOENT
    const plain = join(mkdtempSync(join(tmpdir(), "lazarus-spawn-")), "not-executable");
    writeFileSync(plain, "#!/bin/true\n", { mode: 0o644 });
    expect(spawnChild({ path: plain, argv: ["x"], env: {} }, via)).toEqual({ errno: 13 }); // EACCES
    // (lazarus's own spawner says which step failed: the chdir, made as the server's user)
    expect(spawnChild({ path: "/bin/true", argv: ["x"], env: {}, cwd: "/nonexistent" }, via)).toEqual(via === "vfork" ? { errno: 2, step: "chdir" } : { errno: 2 });
    // The failed children were reaped by spawnChild itself. One that was not would be a zombie
    // by the time a child started after it has ended: then it would still be there to wait for.
    expect(await run("/bin/echo", ["echo", "ok"], {}, undefined, via)).toBe("ok\n");
    expect(peekEndedChild()).toBe(0);
  });
});

describe("limits and a user (spawn-child.c only)", () => {
  test("limits: set in the child (soft and hard, unlimited), lazarus's own unchanged", async () => {
    const limits = [{ name: "nofile" as const, soft: 64, hard: 128 }, { name: "core" as const, soft: 0, hard: null }];
    const text = await run("/bin/cat", ["cat", "/proc/self/limits"], {}, undefined, "vfork", undefined, { limits });
    expect(/^Max open files\s+(\S+)\s+(\S+)/m.exec(text)?.slice(1)).toEqual(["64", "128"]);
    expect(/^Max core file size\s+(\S+)\s+(\S+)/m.exec(text)?.slice(1)).toEqual(["0", "unlimited"]);
    const own = readFileSync("/proc/self/limits", "utf8");
    expect(/^Max open files\s+(\S+)/m.exec(own)?.[1]).not.toBe("64");
  });

  test("a limit the kernel refuses: the step and which limit, and no child left behind", async () => {
    const spec = { path: "/bin/true", argv: ["true"], env: {}, limits: [{ name: "core" as const, soft: 0, hard: 0 }, { name: "nofile" as const, soft: 20, hard: 10 }] };
    const r = spawnChild(spec, "vfork");
    expect(r).toEqual({ errno: 22, step: "setrlimit", index: 1 }); // EINVAL: soft above hard
    expect("errno" in r && stepOf(r, spec)).toBe("setrlimit nofile 20:10");
    expect(await run("/bin/echo", ["echo", "ok"], {}, undefined, "vfork")).toBe("ok\n");
    expect(peekEndedChild()).toBe(0);
  });

  test("posix_spawn cannot set a user or limits: refused, with the reason, rather than run as lazarus", () => {
    const base = { path: "/bin/true", argv: ["true"], env: {} };
    for (const extra of [{ runAs: { uid: 65534, gid: 65534, groups: [65534] } }, { limits: [{ name: "core" as const, soft: 0, hard: 0 }] }]) {
      const r = spawnChild({ ...base, ...extra }, "posix_spawn");
      expect(r).toEqual({ errno: 38, reason: "lazarus's own spawner could not be compiled, and only it can set a user or limits (posix_spawn cannot)" });
    }
    expect(peekEndedChild()).toBe(0);
  });
});
