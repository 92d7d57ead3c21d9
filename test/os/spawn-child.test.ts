// spawnChild (libc.ts) caches each environment (by object) and argv (by its words)
// it marshals: a spawn must still get exactly the words and variables it was given.
import { describe, expect, test } from "bun:test";
import { closeSync, readSync } from "node:fs";
import { closeFd, decodeWaitStatus, groupExists, makePipe, spawnChild, waitpidNoHang } from "../../src/os/libc.ts";

/** Run argv with env (and cwd) through spawnChild; its stdout. */
async function run(path: string, argv: readonly string[], env: Readonly<Record<string, string>>, cwd?: string): Promise<string> {
  const p = makePipe();
  if ("error" in p) throw new Error(p.error);
  const r = spawnChild({ path, argv, env, dup2: [[p.write, 1]], ...(cwd === undefined ? {} : { cwd }) });
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
