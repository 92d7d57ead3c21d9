// Prefixed output across an exec (BUN-NOTES: a child writing to a Bun-managed
// pipe dies of SIGPIPE after the exec): with handOverOutput/takeOverOutput a
// server keeps running across an exec of its supervisor, and its lines keep
// coming, read by the new image. (The whole lazarus does this on SIGUSR1:
// test/integration/config.test.ts.)
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, ROOT } from "../helpers/run.ts";

test("prefixed output survives an exec: same pid, the server lives on, its lines arrive prefixed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lazarus-exec-"));
  try {
    const proc = Bun.spawn({ cmd: [BUN, join(ROOT, "test/helpers/exec-output.ts"), join(dir, "go")], stdio: ["ignore", "pipe", "pipe"] });
    const [out, err, status] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(status).toBe(0);
    const pids = [...err.matchAll(/stage \d: pid (\d+)/g)].map((m) => m[1]);
    expect(pids).toHaveLength(2);
    expect(pids[0]).toBe(pids[1]); // an exec, not a new process
    expect(out).toBe("srv | after the exec\nsrv | no newline\n");
    expect(err).toContain("srv | to stderr\n");
    // Not killed by SIGPIPE: it wrote after the exec, then exited 0.
    expect(err).toContain('stage 2: server ended: {"code":0}');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
