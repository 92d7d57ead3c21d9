// How the control protocol finds the server a request names (src/control/protocol.ts), and the error lines that
// name one it does not find: found by naming servers oddly on a real supervisor.
import { expect, test } from "bun:test";
import { parseRequest } from "../../src/control/protocol.ts";
import type { ServerSpec } from "../../src/core/types.ts";

// The supervisor's list: a removed server's slot has the name "" (namesView), so that its name finds nothing.
const servers: ServerSpec[] = [{ argv: ["old"], name: "" }, { argv: ["web"], name: "web" }, { argv: ["x"], name: "w\udcffb" }];

test("an empty name finds no server, not the first slot a reload emptied (it answered 'no such server: 0')", () => {
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: "" }), servers)).toEqual({ kind: "error", id: null, error: "no server named \"\"" });
  expect(parseRequest(JSON.stringify({ cmd: "rotate", server: "" }), servers)).toEqual({ kind: "error", id: null, error: "no server named \"\"" });
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: "web" }), servers)).toMatchObject({ kind: "command", command: { op: "stop", server: 1 } });
});

test("a name with a byte that is not UTF-8 is shown as \\xff in the error, as everywhere (it was \\udcff); the server that has it is found", () => {
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: "\udcff" }), servers)).toEqual({ kind: "error", id: null, error: "no server named \"\\xff\"" });
  expect(parseRequest(JSON.stringify({ cmd: "restart", server: "\udcfe", rolling: true }), servers))
    .toEqual({ kind: "error", id: null, error: "no server named \"\\xfe\" (nor copies of it, \"\\xfe.1\" …)" });
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: "w\udcffb" }), servers)).toMatchObject({ kind: "command", command: { op: "stop", server: 2 } });
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: "a\"b\u202e" }), servers)).toEqual({ kind: "error", id: null, error: "no server named \"a\\\"b\\u202e\"" });
});

test("an index too big for any supervisor is no server, echoed as typed (it said 'no such server: 100000000000000000000')", () => {
  for (const cmd of ["stop", "start", "restart", "signal", "rotate", "reopen"]) {
    expect(parseRequest(JSON.stringify({ cmd, server: "99999999999999999999", signal: "HUP" }), servers))
      .toEqual({ kind: "error", id: null, error: "no such server: 99999999999999999999" });
  }
  const long = "9".repeat(300);
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: long }), servers)).toEqual({ kind: "error", id: null, error: `no such server: ${"9".repeat(40)}…` });
  // The largest safe index is still passed on (the core answers for it), and a small one is found.
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: "9007199254740991" }), servers)).toMatchObject({ kind: "command", command: { op: "stop", server: 9007199254740991 } });
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: "1" }), servers)).toMatchObject({ kind: "command", command: { op: "stop", server: 1 } });
  // Leading zeros: the server of that index, or, when there is none (or its slot is a removed server's), said as typed.
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: "01" }), servers)).toMatchObject({ kind: "command", command: { op: "stop", server: 1 } });
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: "007" }), servers)).toEqual({ kind: "error", id: null, error: "no such server: 007" });
  expect(parseRequest(JSON.stringify({ cmd: "stop", server: "00" }), servers)).toEqual({ kind: "error", id: null, error: "no such server: 00" });
});
