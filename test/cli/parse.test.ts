// The command line of docs/spec.md, parsed as data.
import { describe, expect, test } from "bun:test";
import { parseCommandLine, parseSeconds } from "../../src/cli/parse.ts";
import { serverNames } from "../../src/config/names.ts";

const words = (s: string) => s.split(" ").filter((w) => w !== "");
const parse = (s: string) => parseCommandLine(words(s));

describe("braces", () => {
  test("one server per brace pair, options before the first brace", () => {
    const p = parse("--interval=2 { a 1 } { b --x }");
    expect(p.kind).toBe("run");
    if (p.kind !== "run") return;
    expect(p.servers.map((s) => s.argv)).toEqual([["a", "1"], ["b", "--x"]]);
    expect(p.options.settings.intervalMs).toBe(2000);
  });

  test("words that look like options inside braces belong to the server (mds-respawn consumed them)", () => {
    const p = parse("{ srv --interval=3 --re-exec --help --version }");
    expect(p.kind === "run" && p.servers[0]?.argv).toEqual(["srv", "--interval=3", "--re-exec", "--help", "--version"]);
    expect(p.kind === "run" && p.options.settings.intervalMs).toBe(5000);
    expect(p.kind === "run" && p.options.reexec).toBe(false);
  });

  test("nested braces are passed through as ordinary arguments", () => {
    const p = parse("{ lazarus { sleep 9 } { x { y } } } { z }");
    expect(p.kind === "run" && p.servers.map((s) => s.argv)).toEqual([
      ["lazarus", "{", "sleep", "9", "}", "{", "x", "{", "y", "}", "}"],
      ["z"],
    ]);
  });

  test("defaults: interval 5 s, stop timeout 10 s, no alarm", () => {
    const p = parse("{ a }");
    expect(p.kind === "run" && p.options.settings).toEqual({ intervalMs: 5000, stopTimeoutMs: 10_000, alarmMs: 0 });
  });

  test.each([
    ["} { a }", "Terminating non-started command, aborting."],
    ["{ a } }", "Terminating non-started command, aborting."],
    ["{ }", "Zero argument command specified, aborting."],
    ["{ a } { }", "Zero argument command specified, aborting."],
    ["{ a", "Non-terminated command specified, aborting."],
    ["{ a { b }", "Non-terminated command specified, aborting."],
    ["", "No programs to spawn, aborting."],
    ["--interval=1", "No programs to spawn, aborting."],
    ["--bogus { a }", "Unrecognised option: --bogus, did you forget '='?"],
    ["--interval 3 { a }", "Unrecognised option: --interval, did you forget '='?"],
    ["-x { a }", "Unrecognised option: -x (options are written --NAME=VALUE)."],
    ["--interval=abc { a }", "Invalid value for --interval: abc (seconds from 0 to 60)."],
    ["--interval=61 { a }", "Invalid value for --interval: 61 (seconds from 0 to 60)."],
    ["--interval=-1 { a }", "Invalid value for --interval: -1 (seconds from 0 to 60)."],
    ["--interval= { a }", "Invalid value for --interval:  (seconds from 0 to 60)."],
    ["--interval=1e3 { a }", "Invalid value for --interval: 1e3 (seconds from 0 to 60)."],
    ["--alarm=60.5 { a }", "Invalid value for --alarm: 60.5 (seconds from 0 to 60)."],
    ["--stop-timeout=x { a }", "Invalid value for --stop-timeout: x (seconds from 0 to 3600)."],
    ["--log-format=xml { a }", "Invalid value for --log-format: xml (text or json)."],
    ["stray { a }", "Unexpected argument outside braces: stray"],
    ["{ a } stray { b }", "Unexpected argument outside braces: stray"],
    ["{ a } --interval=2", "Unexpected argument outside braces: --interval=2"],
  ])("%p is the error %p", (cmd, message) => {
    expect(parse(cmd)).toEqual({ kind: "error", message });
  });

  test("--help and --version before the braces", () => {
    expect(parse("--help { a }")).toEqual({ kind: "help" });
    expect(parse("--version")).toEqual({ kind: "version" });
  });

  test("--re-exec is recognised as an option", () => {
    const p = parse("--re-exec --interval=1 { a }");
    expect(p.kind === "run" && p.options.reexec).toBe(true);
  });
});

describe("seconds", () => {
  test.each([
    ["0", 0], ["5", 5000], ["0.25", 250], [".5", 500], ["2.", 2000], ["60", 60_000], ["0.0004", 0], ["1.0005", 1001],
  ])("%p is %p ms", (text, ms) => {
    expect(parseSeconds(text, 60)).toBe(ms);
  });
  test.each(["", ".", "+1", "-0", "1e1", "0x10", "60.001", "Infinity", "NaN", " 1"])("%p is refused", (text) => {
    expect(parseSeconds(text, 60)).toBeNull();
  });
});

describe("names", () => {
  test("the base name of the command, with a suffix where two share one", () => {
    expect(serverNames([["./fixtures/server"], ["sleep", "1"], ["/bin/sleep"], ["web"], ["123"]])).toEqual([
      "server", "sleep", "sleep-2", "web", "server123",
    ]);
  });
  test("names are unique even when a suffixed name is taken by another command", () => {
    const names = serverNames([["a-2"], ["a"], ["a"]]);
    expect(new Set(names).size).toBe(3);
  });
});
