// Issue 12: a supervisor never blocks on its own output. lazarus's stderr is a
// pipe that nobody reads (a paused pager, a hung collector, Ctrl-S): it is
// full before lazarus even starts. Supervision, signals and the control socket
// must go on; once the pipe is read again, one line says how many lines were lost.
import { describe, expect, test } from "bun:test";
import { closeSync, constants, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { request } from "../../src/os/control-client.ts";
import { makePipe } from "../../src/os/libc.ts";
import { childrenOf, MAIN, perTest, SERVER } from "../helpers/run.ts";

const { tempDir } = perTest({ tmp: "lazarus-stall-" });

interface ServerRow { readonly name: string; readonly state: string; readonly pid: number | null; readonly restarts: number }

async function servers(sock: string): Promise<ServerRow[]> {
  const r = await request(sock, { cmd: "status" });
  if (!r.ok || r.reply.ok !== true) throw new Error(`status failed: ${JSON.stringify(r)}`);
  return (r.reply.status as { servers: ServerRow[] }).servers;
}

/** A pipe filled to the brim before anyone writes to it: the next write would block. */
function fullPipe(): { read: number; write: number } {
  const p = makePipe();
  if ("error" in p) throw new Error(p.error);
  const filler = openSync(`/proc/self/fd/${p.write}`, constants.O_WRONLY | constants.O_NONBLOCK);
  const chunk = Buffer.alloc(4096, "x".charCodeAt(0));
  try {
    for (;;) writeSync(filler, chunk);
  } catch (e) {
    if ((e as { code?: string }).code !== "EAGAIN") throw e;
  } finally {
    closeSync(filler);
  }
  return p;
}

/** Poll an asynchronous probe (the control socket) until it gives a value, bounded. */
async function until<T>(probe: () => Promise<T | null | false>, what: string, timeout = 20_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** Read `fd` from now on, line by line; `lines` grows as they come, `ended` resolves at EOF. */
function follow(fd: number): { lines: string[]; ended: Promise<void> } {
  const lines: string[] = [];
  const ended = (async () => {
    let buf = "";
    const dec = new TextDecoder();
    for await (const c of Bun.file(fd).stream()) {
      buf += dec.decode(c, { stream: true });
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    if (buf !== "") lines.push(buf);
  })();
  return { lines, ended };
}

for (const format of ["text", "json"] as const) {
  describe(`a stderr nobody reads (--log-format=${format})`, () => {
    test("crash loops are respawned, a killed server comes back, SIGTERM shuts down with status 0, and the loss is said once the pipe is read", async () => {
      const sock = join(tempDir(), "ctl.sock");
      const pipe = fullPipe();
      const proc = Bun.spawn({
        cmd: [process.execPath, "run", MAIN, `--log-format=${format}`, "--interval=0", "--stop-timeout=5", `--control=${sock}`,
          "{", SERVER, "--quiet", "}",
          // Eight crash loops: three log lines per respawn, far more than the pipe and the log's queue hold.
          ...Array.from({ length: 8 }, () => ["{", SERVER, "--quiet", "--life=0.02", "--exit=1", "}"]).flat()],
        stdio: ["ignore", "ignore", pipe.write],
      });
      closeSync(pipe.write);
      try {
        // The crash loops go on: each respawn is three log lines that cannot be written.
        const restarts = async () => (await servers(sock)).slice(1).reduce((n, s) => n + s.restarts, 0);
        const first = await until(restarts, "the control socket to answer");
        const now = await until(async () => {
          const n = await restarts();
          return n >= first + 1000 ? n : null;
        }, "1000 more respawns of the crash loops", 80_000); // about 3 s here; a loaded machine may take ten times that
        expect(now).toBeGreaterThanOrEqual(first + 1000);
        // A server killed from outside is reaped and respawned.
        const steady = (await servers(sock))[0]!;
        expect(steady.state).toBe("alive");
        process.kill(steady.pid!, "SIGKILL");
        const back = await until(async () => {
          const s = (await servers(sock))[0]!;
          return s.state === "alive" && s.pid !== steady.pid ? s : null;
        }, "the killed server to come back");
        expect(back.restarts).toBe(steady.restarts + 1);
        // No zombie piles up under it: every exit is reaped though nothing can be logged. Eight
        // crash loops each leave a zombie for the moment between its exit and its reaping (more
        // of them at once on a loaded machine), so one look may see several; exits that were
        // never reaped would pile up and never let the count fall back.
        const zombies = () => childrenOf(proc.pid).filter((c) => c.state === "Z").length;
        expect(await until(async () => (zombies() <= 1 ? true : null), "the zombies under lazarus to be reaped")).toBe(true);
        // Now the pipe is read: the stale filler comes first, then lazarus's lines; once its
        // backlog is written, one line says how many were lost.
        const out = follow(pipe.read);
        const report = format === "text"
          ? /^lazarus: (\d+) lines? could not be written and (?:was|were) dropped: the reader of lazarus's output did not keep up\.$/
          : /^\{.*"event":"log-dropped".*\}$/;
        const hit = await until(async () => out.lines.find((l) => report.test(l)) ?? null, "the line that reports the loss");
        // SIGTERM still ends it all, with status 0.
        proc.kill("SIGTERM");
        const status = await Promise.race([proc.exited, Bun.sleep(30_000).then(() => "timeout")]);
        expect(status).toBe(0);
        // Everything it wrote, to the end of the pipe (after its exit nothing of it holds the pipe any more).
        await Promise.race([out.ended, Bun.sleep(20_000).then(() => { throw new Error("its stderr never reached its end after the exit"); })]);
        const lines = out.lines.map((l) => l.replace(/^x+/, "")).filter((l) => l !== "");
        if (format === "json") {
          // Every line lazarus wrote is one JSON object; the report counts what was lost.
          for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
          const o = JSON.parse(hit!) as { dropped: { log: number; output: number } };
          expect(o.dropped.log).toBeGreaterThan(0);
        } else {
          expect(Number(report.exec(hit!)![1])).toBeGreaterThan(0);
          expect(lines.every((l) => l.startsWith("lazarus: "))).toBe(true);
        }
        // It ended as it should: the shutdown is in the log, after the loss.
        expect(lines.findIndex((l) => l.includes("terminate signal received"))).toBeGreaterThan(lines.indexOf(hit!));
      } finally {
        if (proc.exitCode === null) proc.kill("SIGKILL");
        for (const c of childrenOf(proc.pid)) {
          try { process.kill(-c.pid, "SIGKILL"); } catch { /* gone */ }
        }
      }
    }, 150_000); // its waits are for events, bounded generously: a loaded machine is slow at 1000 respawns
  });
}

describe("a stdout and stderr whose reader has gone (the container runtime's pipe closed: EPIPE)", () => {
  test("lazarus neither dies nor stalls: crash loops go on, a server flooding prefixed output is not held up, SIGTERM ends it with status 0", async () => {
    const sock = join(tempDir(), "ctl.sock");
    const p = makePipe();
    if ("error" in p) throw new Error(p.error);
    closeSync(p.read); // gone before lazarus writes a byte: every write of its own fails with EPIPE (and SIGPIPE)
    const proc = Bun.spawn({
      cmd: [process.execPath, "run", MAIN, "--output=prefix", "--interval=0", "--stop-timeout=5", `--control=${sock}`,
        "{", SERVER, "--flood", "}", "{", SERVER, "--life=0.02", "--exit=1", "}"],
      stdio: ["ignore", p.write, p.write],
    });
    closeSync(p.write);
    try {
      const first = await until(async () => (await servers(sock))[1]?.restarts ?? null, "the control socket to answer");
      await until(async () => ((await servers(sock))[1]!.restarts >= first + 200 ? true : null), "200 more respawns of the crash loop", 80_000);
      // The flood's lines are read and dropped: the server writes on (a pipe would hold it after 64 KiB).
      const flood = (await servers(sock))[0]!;
      expect(flood.state).toBe("alive");
      const wrote = () => Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${flood.pid}/io`, "utf8"))?.[1]);
      const before = wrote();
      await until(async () => (wrote() > before + 16 * 1024 * 1024 ? true : null), "the flooding server to write 16 MiB more", 60_000);
      proc.kill("SIGTERM");
      const status = await Promise.race([proc.exited, Bun.sleep(30_000).then(() => "timeout")]);
      expect({ status, signal: proc.signalCode }).toEqual({ status: 0, signal: null });
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      for (const c of childrenOf(proc.pid)) {
        try { process.kill(-c.pid, "SIGKILL"); } catch { /* gone */ }
      }
    }
  }, 150_000);
});
