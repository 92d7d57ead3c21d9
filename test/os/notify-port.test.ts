// The notify socket across an exec (handOver, then openNotifySocket with the
// fd), and processGroupOf on a process whose name holds spaces and parentheses.
import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processGroupOf } from "../../src/os/proc.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

test("handed across an execve, the socket stays bound: a datagram sent during the exec reaches the new image, the wake-up does not", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lazarus-notify-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "1.notify");
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/notify-handover.ts"), path], { stdout: "pipe", stderr: "inherit" });
  expect(await p.exited).toBe(0);
  expect(await new Response(p.stdout).text()).toBe("first image: STATUS=before\nsecond image: STATUS=sent during the exec (from itself: true)\n");
  expect(existsSync(path)).toBe(false);
});

test("processGroupOf reads /proc/PID/stat after the last `)`: a name with spaces and parentheses", async () => {
  const code = `import ctypes, sys
ctypes.CDLL(None).prctl(15, b"a) b (c d", 0, 0, 0)
print("named", flush=True)
sys.stdin.read()`;
  const p = Bun.spawn(["python3", "-c", code], { stdin: "pipe", stdout: "pipe", detached: true });
  const reader = p.stdout.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toStartWith("named"); // (it is renamed by then)
  expect(await Bun.file(`/proc/${p.pid}/stat`).text()).toContain("(a) b (c d)");
  expect(processGroupOf(p.pid)).toBe(p.pid);
  void p.stdin.end();
  expect(await p.exited).toBe(0);
  expect(processGroupOf(process.pid)).toBe(Number((await Bun.file("/proc/self/stat").text()).split(") ")[1]?.split(" ")[2]));
  expect(processGroupOf(0)).toBeNull();
  expect(processGroupOf(-1)).toBeNull();
  expect(processGroupOf(2 ** 22 + 1)).toBeNull(); // above pid_max's largest value
});

test("BunPort: sdNotify goes to NOTIFY_SOCKET, openNotify's listener gets it with its pid and group, exit removes the socket", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lazarus-notify-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "2.notify");
  // (its own session: the group is its pid)
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/notify-port.ts"), path], { stdout: "pipe", stderr: "inherit", detached: true });
  expect(await p.exited).toBe(0);
  expect(await new Response(p.stdout).text()).toBe("READY=1\nSTATUS=all up from itself in its own group\nSTOPPING=1 from itself in its own group\n");
  expect(existsSync(path)).toBe(false);
});

/** Why `unshare --pid` cannot run here, or ns_last_pid cannot be written in it (null: both can). */
const PID_NAMESPACE: string | null = (() => {
  try {
    const p = Bun.spawnSync(["unshare", "--fork", "--pid", "--mount-proc", "sh", "-c", "echo 100 > /proc/sys/kernel/ns_last_pid"], { stdio: ["ignore", "ignore", "pipe"] });
    return p.exitCode === 0 ? null : `unshare exited with ${p.exitCode ?? p.signalCode}: ${p.stderr.toString().trim() || "no message"}`;
  } catch (e) {
    return `unshare cannot be run: ${e instanceof Error ? e.message : String(e)}`;
  }
})();

/** Not permitted here (no CAP_SYS_ADMIN for a PID namespace, or for its ns_last_pid): say so, show it is that, and say true. */
function noPidNamespace(): boolean {
  if (PID_NAMESPACE === null) return false;
  console.log(`skipped: a pid cannot be handed out again on purpose here: ${PID_NAMESPACE}`);
  expect(PID_NAMESPACE).toMatch(/not permitted|permission denied|read-only|no such file|not found|invalid argument|cannot/i);
  return true;
}

test("BunPort: a datagram its sender sent before it ended is never told as the datagram of the next server handed its pid", async () => {
  if (noPidNamespace()) return;
  const dir = mkdtempSync(join(tmpdir(), "lazarus-notify-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "3.notify");
  const p = Bun.spawn(["unshare", "--fork", "--pid", "--mount-proc", process.execPath, join(import.meta.dir, "fixtures/notify-reuse.ts"), path], {
    stdout: "pipe", stderr: "inherit",
  });
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  const r = JSON.parse(out) as { a: number; b: number; heard: { pid: number | null; text: string }[]; notices: unknown[] };
  // B was handed A's pid, and A's datagram (queued before B was spawned) was not told as B's, only said; B's was.
  expect(r.b).toBe(r.a);
  expect(r.heard).toEqual([{ pid: r.b, text: "READY=1\nSTATUS=from B" }]);
  expect(r.notices).toEqual([{
    kind: "problem",
    text: `a notification (sd_notify) from pid ${r.a} was sent before the process that has that pid now was started (by one that has ended): ignored ("READY=1\\nSTATUS=from A").`,
  }]);
});

test.each(["exec", "cancel", "failed"])("BunPort: around a re-exec (%s), a datagram queued while the socket is stopped for it, from a pid then handed to a new server, is never told as the new server's", async (variant) => {
  if (noPidNamespace()) return;
  const dir = mkdtempSync(join(tmpdir(), "lazarus-notify-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "6.notify");
  const p = Bun.spawn(["unshare", "--fork", "--pid", "--mount-proc", process.execPath, join(import.meta.dir, "fixtures/notify-reuse-exec.ts"), path, variant], {
    stdout: "pipe", stderr: "inherit",
  });
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  const r = JSON.parse(out) as { why: string; image: number; a: number; b: number; heard: { pid: number | null; text: string }[]; notices: unknown[] };
  // Read by the new image (exec), or by this one again (called off, or the exec failed).
  expect(r.why).toBe("heard B");
  expect(r.image).toBe(variant === "exec" ? 2 : 1);
  // B was handed A's pid, and A's datagram (queued before B was spawned, read after the handover) was not told as B's, only said; B's was.
  expect(r.b).toBe(r.a);
  expect(r.heard).toEqual([{ pid: r.b, text: "READY=1\nSTATUS=from B" }]);
  expect(r.notices.filter((n) => !JSON.stringify(n).includes("interrupted by a re-exec"))).toEqual([{
    kind: "problem",
    text: `a notification (sd_notify) from pid ${r.a} was sent before the process that has that pid now was started (by one that has ended): ignored ("READY=1\\nSTATUS=from A").`,
  }]);
});

test.each([
  ["missing", "no spawn marks came across the re-exec with the notify socket (LAZARUS_NOTIFY_MARKS): a notification sent before one of the old image's last spawns is taken by its pid alone."],
  ["corrupt", "the spawn marks carried across the re-exec (LAZARUS_NOTIFY_MARKS) cannot be used: entry 300:9 is out of range (read 2, last 4); a notification sent before one of the old image's last spawns is taken by its pid alone."],
  ["left", "3 spawn mark(s) were not carried across the re-exec (more than 1024): a notification sent before one of those spawns is taken by its pid alone."],
])("BunPort: spawn marks carried across a re-exec that are %s: said in one line, and the socket is read as before", async (variant, said) => {
  const dir = mkdtempSync(join(tmpdir(), "lazarus-notify-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "7.notify");
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/notify-marks-carry.ts"), path, variant], { stdout: "pipe", stderr: "inherit" });
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  expect(JSON.parse(out)).toEqual({ heard: ["STATUS=heard"], notices: [{ kind: "problem", text: said }] });
});

test("BunPort: across a re-exec (prepareExec, then exec), every datagram of a burst is heard by one image or the other, once: none read by the first image's reader thread is lost in the exec", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lazarus-notify-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "4.notify");
  const count = 200;
  for (let round = 0; round < 3; round++) {
    const p = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/notify-exec.ts"), path, String(count)], { stdout: "pipe", stderr: "inherit" });
    const out = await new Response(p.stdout).text();
    expect(await p.exited).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines.at(-1)).toBe("done");
    expect(lines.filter((l) => l.startsWith("notice:") || l.includes("failed"))).toEqual([]);
    const first = lines.filter((l) => l.startsWith("first: ")).length;
    expect(first).toBeGreaterThan(0);
    const heard = lines.flatMap((l) => /^(?:first|second): n=(\d+)$/.exec(l)?.[1] ?? []).map(Number);
    expect(heard).toEqual(Array.from({ length: count }, (_, i) => i));
  }
});

test.each(["ready", "early", "twice"])("BunPort: a re-exec prepared, then called off (%s): the notify socket is read again, and what was sent meanwhile is heard", async (when) => {
  const dir = mkdtempSync(join(tmpdir(), "lazarus-notify-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "5.notify");
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/notify-cancel.ts"), path, when], { stdout: "pipe", stderr: "inherit" });
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  const lines = out.trim().split("\n");
  expect(lines[0]).toBe("prepared: true");
  // (called off early, the preparation never gets as far as ready; prepared again, only the second says so, once)
  expect(lines.includes("ready: null")).toBe(when === "ready");
  expect(lines.filter((l) => l.startsWith("ready again"))).toEqual(when === "twice" ? ["ready again: null"] : []);
  // ("before" is heard by the first reader, or, if it had not read it yet when it stopped, by the next)
  expect(lines.filter((l) => l.startsWith("heard: "))).toEqual(["heard: STATUS=before", "heard: STATUS=while prepared", "heard: STATUS=after"]);
  expect(lines.at(-1)).toBe("done");
  expect(lines.filter((l) => l.startsWith("notice:"))).toEqual([]);
  expect(existsSync(path)).toBe(false);
});
