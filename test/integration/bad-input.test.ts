// Issue 20 through the real binary: bad input never hangs, crashes or
// misleads. Every error is one line on stderr and a known exit status.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, perTest, ROOT } from "../helpers/run.ts";

const { tempDir } = perTest({ tmp: "lazarus-bad-" });

interface Outcome {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** `lazarus ARGS` run to its end, as a user runs it (stdin closed). */
async function lazarus(args: readonly string[], opts: { cwd?: string; timeout?: number } = {}): Promise<Outcome> {
  const p = Bun.spawn([BUN, "run", MAIN, ...args], { cwd: opts.cwd ?? ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const timer = setTimeout(() => p.kill("SIGKILL"), opts.timeout ?? 20_000);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  clearTimeout(timer);
  return { code: p.signalCode === null ? p.exitCode : null, out, err };
}

/** A Unix socket file that nobody listens on: its listener was SIGKILLed. */
async function staleSocket(path: string): Promise<void> {
  const p = Bun.spawn([BUN, "-e", `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data() {} } }); console.log("up"); setInterval(() => {}, 1e6);`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const reader = p.stdout.getReader();
  await reader.read(); // "up": listening
  p.kill("SIGKILL");
  await p.exited;
  expect(existsSync(path)).toBe(true);
}

describe("ctl: every error is one line `lazarus: ctl: …` and an exit status (items 1 and 6)", () => {
  test("--control= (empty) is a usage error, not a stack trace", async () => {
    expect(await lazarus(["ctl", "--control=", "status"])).toEqual({
      code: 2, out: "", err: "lazarus: ctl: --control needs a socket path (see lazarus ctl --help)\n",
    });
  });

  test("--control=FILE says what FILE is when it is not a socket", async () => {
    const dir = tempDir();
    const file = join(dir, "plain.txt");
    writeFileSync(file, "hello\n");
    const sub = join(dir, "sub");
    mkdirSync(sub);
    const fifo = join(dir, "fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const cases: [string, string][] = [
      [file, "it is a regular file, not a socket"],
      [sub, "it is a directory, not a socket"],
      ["/dev/null", "it is a character device, not a socket"],
      [fifo, "it is a FIFO, not a socket"],
      [join(dir, "absent.sock"), "no such socket"],
    ];
    for (const [path, why] of cases) {
      expect(await lazarus(["ctl", `--control=${path}`, "status"])).toEqual({ code: 1, out: "", err: `lazarus: ctl: no supervisor at ${path}: ${why}\n` });
    }
  });

  test("a socket nobody listens on is called stale", async () => {
    const sock = join(tempDir(), "stale.sock");
    await staleSocket(sock);
    expect(await lazarus(["ctl", `--control=${sock}`, "status"])).toEqual({
      code: 1, out: "", err: `lazarus: ctl: no supervisor at ${sock}: nothing listening (a stale socket)\n`,
    });
  });
});
