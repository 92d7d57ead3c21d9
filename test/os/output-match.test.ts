// Readiness by a line of output through the real port: BunPort.spawn with a
// `ready` pattern, and its match listener (OsPort.onOutputMatch) told once, with
// the server's pid, whether it was registered before the match or after it.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { BUN, ROOT } from "../helpers/run.ts";

test.each(["early", "late"])("the listener registered %s: told once, the pid spawned; the lines written unprefixed", async (when) => {
  const proc = Bun.spawn({ cmd: [BUN, join(ROOT, "test/helpers/port-match.ts"), when], stdio: ["ignore", "pipe", "pipe"] });
  const [out, err, status] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ status, err: err.split("\n").filter((l) => !l.startsWith("spawned ") && !l.startsWith("matched ")) }).toEqual({ status: 0, err: ["listening on 8080", ""] });
  const spawned = /^spawned (\d+)$/m.exec(err)?.[1];
  expect([...err.matchAll(/^matched (\d+)$/gm)].map((m) => m[1])).toEqual([spawned]);
  expect(out).toBe("starting\nlistening on 8081\nno newline\n");
});
