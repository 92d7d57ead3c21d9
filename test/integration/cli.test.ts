// The CLI's errors, help and version, from the outside: exact text, exit status, nothing started.
import { describe, expect, test } from "bun:test";
import { Run, SERVER } from "../helpers/run.ts";
import { VERSION } from "../../src/version.ts";

const S = SERVER;

describe("usage errors: one line, exit status 2, nothing started", () => {
  test.each([
    [["}", "{", S, "}"], "Terminating non-started command, aborting."],
    [["{", "}"], "Zero argument command specified, aborting."],
    [["{", S], "Non-terminated command specified, aborting."],
    [[], "No programs to spawn, aborting."],
    [["--intervall=3", "{", S, "}"], "Unrecognised option: --intervall=3, did you forget '='?"],
    [["--interval", "{", S, "}"], "Unrecognised option: --interval, did you forget '='?"],
    [["--interval=x", "{", S, "}"], "Invalid value for --interval: x (seconds from 0 to 60)."],
    [["--alarm=99", "{", S, "}"], "Invalid value for --alarm: 99 (seconds from 0 to 60)."],
    [["--stop-timeout=-2", "{", S, "}"], "Invalid value for --stop-timeout: -2 (seconds from 0 to 3600)."],
    [["--re-exec", "{", S, "}"], "--re-exec is for lazarus's own use: no re-exec state found (LAZARUS_HANDOVER is not set)."],
  ])("%p → %p", async (args, message) => {
    const r = new Run(args);
    const end = await r.ended();
    expect(end.code).toBe(2);
    expect(r.lines).toEqual([`lazarus: ${message}`]);
    expect(r.stdout).toBe("");
  });
});

describe("--help and --version", () => {
  test("--help prints the usage on stdout and exits 0", async () => {
    const r = new Run(["--help"]);
    expect((await r.ended()).code).toBe(0);
    expect(r.stdout).toStartWith("usage: lazarus [OPTIONS] { CMD [ARG...] }");
    expect(r.stdout).toContain("--interval=SECONDS");
    expect(r.lines).toEqual([]);
  });

  test("--version prints the version and exits 0", async () => {
    const r = new Run(["--version"]);
    expect((await r.ended()).code).toBe(0);
    expect(r.stdout).toBe(`lazarus ${VERSION}\n`);
  });
});
