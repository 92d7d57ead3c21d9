// Procfiles (foreman's format) and .env files.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseEnvFile } from "../../src/config/dotenv.ts";
import { isOneProgram, parseProcfile, plainWords, shellArgv } from "../../src/config/procfile.ts";
import { propertySeed } from "../helpers/seed.ts";

const seed = propertySeed("test/config/procfile.test.ts");

describe("Procfile", () => {
  test("NAME: COMMAND lines, each run by /bin/sh -c, with exec for one program; comments and blank lines skipped", () => {
    const r = parseProcfile("# the app\nweb: bundle exec rails s -p $PORT\n\n  \nworker:python3 worker.py && echo done\r\n   # indented comment\nclock : ./clock\n", "Procfile");
    expect(r).toEqual({
      ok: true,
      servers: [
        { name: "web", command: "bundle exec rails s -p $PORT", argv: ["/bin/sh", "-c", "exec bundle exec rails s -p $PORT"], line: 2 },
        { name: "worker", command: "python3 worker.py && echo done", argv: ["/bin/sh", "-c", "python3 worker.py && echo done"], line: 5 },
        { name: "clock", command: "./clock", argv: ["/bin/sh", "-c", "exec ./clock"], line: 7 },
      ],
    });
  });

  test("a colon in the command belongs to the command", () => {
    const r = parseProcfile("web: env A=b:c ./srv --url=http://x:80\n", "P");
    expect(r.ok && r.servers[0]?.command).toBe("env A=b:c ./srv --url=http://x:80");
  });

  test("an empty Procfile has no servers", () => {
    expect(parseProcfile("", "P")).toEqual({ ok: true, servers: [] });
    expect(parseProcfile("# only comments\n\n", "P")).toEqual({ ok: true, servers: [] });
  });

  test.each([
    ["web ./srv\n", "Procfile:1: expected 'NAME: COMMAND', got \"web ./srv\"."],
    ["web: a\n: b\n", "Procfile:2: expected 'NAME: COMMAND', got \": b\"."],
    ["my web: x\n", "Procfile:1: expected 'NAME: COMMAND', got \"my web: x\"."],
    ["web:\n", "Procfile:1: web: empty command."],
    ["web:   \n", "Procfile:1: web: empty command."],
    ["12: x\n", "Procfile:1: invalid server name \"12\": it cannot be all digits."],
    ["web: a\n\nweb: b\n", "Procfile:3: duplicate server name \"web\" (also on line 1)."],
    ["web: ./srv \"unterminated\n", "Procfile:1: web: unterminated \" quote: /bin/sh would refuse the command."],
    ["a: x\nweb: echo it's\n", "Procfile:2: web: unterminated ' quote: /bin/sh would refuse the command."],
    ["web: ./srv 'a\\'\"b\n", "Procfile:1: web: unterminated \" quote: /bin/sh would refuse the command."],
  ])("%p is the error %p", (text, message) => {
    expect(parseProcfile(text, "Procfile")).toEqual({ ok: false, error: message });
  });
});

describe("a quote left open is refused; what the scanner cannot judge ($(…), backquotes, ${…}) is left to the shell", () => {
  test.each([
    "./srv \"a b\" 'c d' e\\\"f \"g\\\"h\"",
    "./srv # it's a comment",
    "./srv x#it's'",
    "echo \"$(echo \"it's\")\"",
    "./srv `echo \"`",
    "./srv \"${X:-\"a\"}\"",
    "./srv ; # don't",
    "./srv \"it's\" 'say \"hi\"'",
  ])("%p is not refused", (command) => {
    expect(parseProcfile(`web: ${command}\n`, "P").ok).toBe(true);
  });
});

describe("exec only for one program", () => {
  test.each([
    "./srv",
    "bundle exec rails s -p $PORT",
    "./srv --port=${PORT:-5000} \"$HOME/x\" 'a;b' \"c && d\" e\\;f",
    "./srv # a comment; cd /tmp && x",
    "'./my server' -v",
    "\"./srv\" -v",
    "./srv a=b",
    "./srv \"${HOME}\"x",
    "echo hi",
    "env PORT=5000 ./srv",
    "./srv { } !",
    "./srv\tx",
    "./srv x#y",
  ])("%p runs as exec COMMAND", (command) => {
    expect(isOneProgram(command)).toBe(true);
    expect(shellArgv(command, "w")).toEqual(["/bin/sh", "-c", `exec ${command}`]);
  });

  test.each([
    // more than one program, or not a program at all
    "cd /tmp && sleep 306", "a && b", "a || b", "a; b", "a;b", "a | b", "a & b", "a &", "(a)", "a > log", "a 2>&1", "a < in",
    "a\nb", "a `b`", "a $(b)", "a \"$(b; c)\"", "a \"`b`\"", "a\\ #b; c",
    // a leading assignment
    "PORT=5000 sleep 307", "A= ./srv", "A='x y' ./srv", "_a1=\"v\" ./srv",
    // a builtin or a keyword first
    "cd /tmp", "export A=1", "set -e", "source ./env", ". ./env", "if true; then a; fi", "for x in 1; do a; done", "while :",
    "case x in x) a;; esac", "{ a; }", "! a", "exec ./srv", "eval ./srv", "ulimit -n 1024", "umask 022", "trap '' TERM", "'cd' /tmp",
    "time ./srv", "wait",
    // what this cannot tell without running a shell
    "$SERVER --port=1", "\"$SERVER\"", "./srv 'unterminated", "./srv \"unterminated", "-x", "''", "# only a comment", "",
  ])("%p runs unchanged", (command) => {
    expect(isOneProgram(command)).toBe(false);
    expect(shellArgv(command, "w")).toEqual(["/bin/sh", "-c", command]);
  });

  test("the exact lines of the review: cd, an assignment, and what followed && or ; are kept", () => {
    const r = parseProcfile("web: cd /tmp && sleep 306\nenvy: PORT=5000 sleep 307\nboth: a; b\n", "P");
    expect(r.ok && r.servers.map((s) => s.argv)).toEqual([
      ["/bin/sh", "-c", "cd /tmp && sleep 306"],
      ["/bin/sh", "-c", "PORT=5000 sleep 307"],
      ["/bin/sh", "-c", "a; b"],
    ]);
  });

  test("property: whenever exec is added, /bin/sh runs the command exactly as it would without it", () => {
    // Commands made of words, quotes, operators, assignments, builtins and comments; printf and
    // true/false are both builtins and programs, so `exec` changes nothing for them, and `cd` or
    // `A=1` first, or anything after an operator, shows in the output or the status when exec is wrong.
    const token = fc.constantFrom(
      "printf '[%s]'", "printf '<%s>' x", "true", "false", "cd /", "pwd", "A=1", "B=2", "x", "\"y z\"", "'p;q'", "\\;", "\\#",
      "\"$A\"", "$A", "${B:-d}", ";", "&&", "||", "|", "#", "# c", "{", "}", "!", "exit 3", ":", "export A=4", "(printf s)", "2>&1",
      "\"$(printf t)\"", "$(printf u)", "`printf v`",
    );
    fc.assert(fc.property(fc.array(token, { minLength: 1, maxLength: 6 }), (tokens) => {
      const command = tokens.join(" ");
      fc.pre(isOneProgram(command));
      const run = (script: string) => {
        const p = Bun.spawnSync({ cmd: ["/bin/sh", "-c", script], cwd: "/tmp", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", A: "a" }, stderr: "ignore" });
        return { out: p.stdout.toString(), code: p.exitCode };
      };
      expect(run(`exec ${command}`)).toEqual(run(command));
    }), { seed, numRuns: 150 });
  });
});

describe("--initial-spawn in a Procfile command", () => {
  test("an unquoted --initial-spawn word becomes \"$1\", passed as the shell's $1, so lazarus can swap it for --respawn", () => {
    expect(shellArgv("./srv --initial-spawn -v", "web")).toEqual(["/bin/sh", "-c", 'exec ./srv "$1" -v', "web", "--initial-spawn"]);
  });

  test("the same in a command that runs without exec (the shell's $1 is set either way)", () => {
    expect(shellArgv("a --initial-spawn&&b --initial-spawn", "w")).toEqual(["/bin/sh", "-c", 'a "$1"&&b "$1"', "w", "--initial-spawn"]);
    expect(shellArgv("cd sub && ./srv --initial-spawn", "w")).toEqual(["/bin/sh", "-c", 'cd sub && ./srv "$1"', "w", "--initial-spawn"]);
    expect(shellArgv("V=1 ./srv --initial-spawn", "w")).toEqual(["/bin/sh", "-c", 'V=1 ./srv "$1"', "w", "--initial-spawn"]);
  });

  test("anything else is left to the shell as written", () => {
    for (const cmd of ["./srv '--initial-spawn'", './srv "--initial-spawn"', "./srv --initial-spawn=x", "./srv \\--initial-spawn",
      "echo '--initial-spawn x'", "./srv # --initial-spawn", "./srv x--initial-spawn"]) {
      expect(shellArgv(cmd, "w")).toEqual(["/bin/sh", "-c", `exec ${cmd}`]);
    }
  });

  test("plain words and where they are", () => {
    expect(plainWords("a 'b c' d$x e;f # g")).toEqual([
      { text: "a", start: 0, end: 1 }, { text: "e", start: 12, end: 13 }, { text: "f", start: 14, end: 15 },
    ]);
  });

  test("a Procfile line with --initial-spawn", () => {
    const r = parseProcfile("web: ./srv --initial-spawn\n", "P");
    expect(r.ok && r.servers[0]?.argv).toEqual(["/bin/sh", "-c", 'exec ./srv "$1"', "web", "--initial-spawn"]);
  });
});

describe(".env files", () => {
  test("KEY=value lines, quotes, comments and export", () => {
    const r = parseEnvFile([
      "# settings",
      "PORT=8080",
      "export  HOST = example.org  ",
      "EMPTY=",
      "SPACED = a b  c # a comment",
      "HASH=a#b",
      "SINGLE='literal $HOME \\n # not a comment'",
      'DOUBLE="tab\\there \\"quoted\\" \\\\ \\$HOME $HOME"   # comment',
      'MULTI="line one',
      'line two"',
      "A.B-C=dots",
      "PORT=9090",
      "",
    ].join("\n"), ".env");
    expect(r).toEqual({
      ok: true,
      env: {
        PORT: "9090",
        HOST: "example.org",
        EMPTY: "",
        SPACED: "a b  c",
        HASH: "a#b",
        SINGLE: "literal $HOME \\n # not a comment",
        DOUBLE: 'tab\there "quoted" \\ $HOME $HOME',
        MULTI: "line one\nline two",
        "A.B-C": "dots",
      },
    });
  });

  test("CRLF line ends", () => {
    expect(parseEnvFile("A=1\r\nB='2'\r\n", "e")).toEqual({ ok: true, env: { A: "1", B: "2" } });
  });

  test.each([
    ["A=1\nnot a pair\n", ".env:2: expected KEY=VALUE, got \"not a pair\"."],
    ["1A=x\n", ".env:1: invalid variable name \"1A\"."],
    ["A B=x\n", ".env:1: invalid variable name \"A B\"."],
    ["=x\n", ".env:1: invalid variable name \"\"."],
    ["A='abc\nB=2\n", ".env:1: A: unterminated single quote."],
    ["X=1\nA=\"abc\n", ".env:2: A: unterminated double quote."],
    ["A='a' b\n", ".env:1: A: unexpected text after the closing quote: \"b\"."],
    ["M=\"a\nb\" c\nB=1\n", ".env:2: M: unexpected text after the closing quote: \"c\"."],
  ])("%p is the error %p", (text, message) => {
    expect(parseEnvFile(text, ".env")).toEqual({ ok: false, error: message });
  });

  test("line numbers stay right after a value spanning lines", () => {
    expect(parseEnvFile("M=\"a\nb\"\nbad\n", ".env")).toEqual({ ok: false, error: ".env:3: expected KEY=VALUE, got \"bad\"." });
  });
});
