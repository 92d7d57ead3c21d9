// The JSON log's fields keep their order (records.ts builds the hot records field by field, not by spreads).
import { expect, test } from "bun:test";
import * as say from "../../src/core/records.ts";
import { newServer } from "../../src/core/step.ts";

const s = newServer({ name: "web", argv: ["/bin/web"] });

test("exit and respawn records: event, pid, code or signal, from, to, text, server, name", () => {
  expect(Object.keys(say.server.exit(3, s, 42, { kind: "code", code: 1 }))).toEqual(["event", "pid", "code", "text", "server", "name"]);
  expect(Object.keys(say.server.exit(3, s, 42, { kind: "signal", signal: 9 }))).toEqual(["event", "pid", "signal", "text", "server", "name"]);
  expect(Object.keys(say.server.exit(3, s, 42, { kind: "unknown" }))).toEqual(["event", "pid", "text", "server", "name"]);
  expect(JSON.stringify(say.server.respawn(3, s, 42, { kind: "signal", signal: 9 }))).toBe(
    `{"event":"respawn","pid":42,"signal":"SIGKILL","from":"alive","to":"starting","text":"'/bin/web' died abnormally, respawning.","server":3,"name":"web"}`,
  );
  expect(JSON.stringify(say.server.spawned(3, s, 43))).toBe(
    `{"event":"spawned","pid":43,"from":"starting","to":"alive","text":"'/bin/web' started with pid 43.","server":3,"name":"web"}`,
  );
});
