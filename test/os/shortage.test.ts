import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { fdRoom, shortageOf } from "../../src/os/shortage.ts";

describe("shortage: what says lazarus itself lacks a resource", () => {
  test("errors that name a shortage, by code, errno number or message", () => {
    expect(shortageOf({ code: "EMFILE" })).toContain("out of file descriptors (EMFILE");
    expect(shortageOf(Object.assign(new Error("EMFILE: Was there a typo in the url or port?"), { code: "EMFILE" }))).toContain("EMFILE");
    expect(shortageOf(new Error("EMFILE: too many open files, open '/dev/null'"))).toContain("EMFILE");
    expect(shortageOf("pipe2: Too many open files (errno 24)")).toContain("EMFILE");
    expect(shortageOf({ code: "ENFILE" })).toContain("ENFILE");
    expect(shortageOf(12)).toContain("ENOMEM");
  });

  test("EAGAIN is a shortage only where it came from starting a process", () => {
    expect(shortageOf(11, true)).toContain("a process or thread limit");
    expect(shortageOf(11)).toBeNull();
    expect(shortageOf({ code: "EAGAIN" })).toBeNull();
  });

  test("other failures are not: a refused connection, a DOMException's numeric code, nothing at all", () => {
    expect(shortageOf({ code: "ECONNREFUSED", message: "EMFILE in the text" })).toBeNull();
    expect(shortageOf(Object.assign(new Error("The operation timed out."), { code: 23 }))).toBeNull();
    expect(shortageOf(2)).toBeNull();
    expect(shortageOf(null)).toBeNull();
  });

  test("fdRoom: room here; in a process at its RLIMIT_NOFILE, the reason", () => {
    expect(fdRoom()).toBeNull();
    // A child that opens descriptors until it cannot, then asks.
    const script = `const { fdRoom } = require(${JSON.stringify(`${import.meta.dir}/../../src/os/shortage.ts`)});
      const { openSync } = require("node:fs"); const held = []; try { for (;;) held.push(openSync("/dev/null")); } catch {}
      const at = fdRoom(2) ?? "room"; require("node:fs").closeSync(held.pop()); console.log(at);`;
    const p = Bun.spawnSync([process.execPath, "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    expect(p.stdout.toString().trim()).toBe("lazarus is out of file descriptors (EMFILE: its RLIMIT_NOFILE is reached)");
  });
});

/** A pids cgroup this test may make (a directory to create a child group in), or why there is none. */
function pidsCgroup(): { readonly dir: string } | { readonly why: string } {
  if (process.getuid?.() !== 0) return { why: `not root (uid ${process.getuid?.()}): cannot make a pids cgroup` };
  for (const dir of ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]) {
    try {
      const v2 = dir === "/sys/fs/cgroup";
      if (v2 && !readFileSync(join(dir, "cgroup.subtree_control"), "utf8").split(/\s+/).includes("pids")) continue;
      if (!existsSync(join(dir, "cgroup.procs"))) continue;
      const probe = mkdtempSync(join(dir, "lazarus-probe-"));
      rmdirSync(probe);
      return { dir };
    } catch { /* not this one */ }
  }
  return { why: "no pids cgroup controller this test may use (cgroup v1 pids, or v2 with pids delegated)" };
}

describe("a spawn refused for want of a free process", () => {
  test("BunPort says it is short (the server is tried again, not buried): a pids cgroup at its limit", () => {
    const cg = pidsCgroup();
    if ("why" in cg) {
      console.log(`pids cgroup test not run: ${cg.why}`);
      expect(cg.why).toMatch(/not root|no pids cgroup/);
      return;
    }
    const group = mkdtempSync(join(cg.dir, "lazarus-test-"));
    try {
      // A child process joins the group, caps it at what it has, asks BunPort for a spawn, and lifts the cap: all
      // in one turn of its event loop (its runtime aborts if it needs a thread meanwhile: docs/spec.md, Known limits).
      const script = `const { readFileSync, writeFileSync } = require("node:fs");
        const { BunPort } = require(${JSON.stringify(`${import.meta.dir}/../../src/os/bun-port.ts`)});
        const port = new BunPort();
        writeFileSync(${JSON.stringify(join(group, "cgroup.procs"))}, String(process.pid));
        writeFileSync(${JSON.stringify(join(group, "pids.max"))}, readFileSync(${JSON.stringify(join(group, "pids.current"))}, "utf8").trim());
        const r = port.spawn({ argv: ["true"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
        writeFileSync(${JSON.stringify(join(group, "pids.max"))}, "max");
        console.log(JSON.stringify(r)); process.exit(0);`;
      const p = Bun.spawnSync([process.execPath, "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
      expect(p.stderr.toString()).not.toContain("panic");
      const r = JSON.parse(p.stdout.toString().trim().split("\n").at(-1) ?? "{}") as { ok: boolean; short?: true; error?: string };
      expect(r).toEqual({ ok: false, short: true, error: expect.stringMatching(/^EAGAIN: resource temporarily unavailable \(.*\/true\)$/) });
    } finally {
      rmdirSync(group);
    }
  });
});
