// `bun run build` compiles lazarus into one executable; its re-exec works the
// same (it re-executes process.execPath, the binary itself).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, Run, SERVER, waitGone } from "../helpers/run.ts";

let dir = "";
let binary = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lazarus-build-"));
  binary = join(dir, "lazarus");
  // The same command as `bun run build`, into a temporary place.
  const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
  expect(scripts.build).toBe("bun build --compile src/main.ts --outfile dist/lazarus");
  const p = Bun.spawn([process.execPath, "build", "--compile", "src/main.ts", "--outfile", binary], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  expect(await p.exited).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the compiled binary supervises, re-executes itself keeping its children, and shuts down", async () => {
  const r = new Run(["--control=none", "{", SERVER, "}", "{", SERVER, "--life=0.1", "--exit=1", "}"], { argv0: [binary] });
  try {
    const pid = await r.startedPid();
    await r.waitFor("burying because it died too fast.");
    for (let k = 0; k < 3; k++) {
      const mark = r.lines.length;
      r.signal("SIGUSR1");
      expect(await r.waitFor(/re-exec complete/, { from: mark })).toMatch(/^lazarus: re-exec complete: lazarus 0.1.0 running, adopted [12] running servers?\.$/);
    }
    expect(readFileSync(`/proc/${r.pid}/cmdline`, "utf8").split("\0")[0]).toBe(binary);
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    expect(await r.waitFor(/info: server 0:/, { from: mark })).toContain(`pid ${pid}, up and running`);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(await waitGone(r.fixturePids())).toEqual([]);
  } finally {
    await r.cleanup();
  }
});

test("the compiled binary spawns through vfork: spawn-child.c is embedded and compiled (from a memfd)", async () => {
  const probe = join(dir, "spawner-probe");
  const b = Bun.spawn([process.execPath, "build", "--compile", "test/helpers/spawner-probe.ts", "--outfile", probe], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  expect(await b.exited).toBe(0);
  const r = Bun.spawnSync([probe], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(0);
  expect(r.stdout.toString()).toBe("vfork\n");
  // The same from the sources.
  const s = Bun.spawnSync([process.execPath, "run", "test/helpers/spawner-probe.ts"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  expect(s.stdout.toString()).toBe("vfork\n");
});
