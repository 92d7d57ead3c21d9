import { describe, expect, test } from "bun:test";
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
