// The servers' notify socket (issue 14) with real senders: python's
// socket.sendto as a program written for systemd does it, systemd-notify, a
// grandchild inside a server's process group, and lazarus's own sdNotify
// (filesystem and abstract addresses). Bounds: an oversize datagram is dropped
// and counted, a burst is delivered or counted, never silently lost. close()
// removes the path, and an open socket never keeps a process alive.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, fstatSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindSocket, closeFd, datagramSocket, receiveDatagram } from "../../src/os/libc.ts";
import { type NotifyDatagram, type NotifyOptions, type NotifySocket, openNotifySocket, QUIESCED_MARKERS } from "../../src/os/notify-socket.ts";
import { CLOSED, NOTIFY_WORKER_SOURCE, SHARED_INTS, STATE, type WorkerMessage } from "../../src/os/notify-worker.ts";
import { processGroupOf } from "../../src/os/proc.ts";
import { sdNotify } from "../../src/os/sd-notify.ts";
import { SpawnMarks } from "../../src/os/spawn-marks.ts";
import { formatMarks, marksCarry, parseMarks } from "../../src/os/spawn-marks-carry.ts";
import { unixAddress } from "../../src/os/unix-address.ts";

const ROOT = join(import.meta.dir, "../..");
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

function privateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lazarus-notify-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A notify socket whose datagrams and drop reports are awaited, never slept for. */
class Inbox {
  readonly got: NotifyDatagram[] = [];
  readonly dropReports: number[] = [];
  readonly problems: string[] = [];
  private waiters: (() => void)[] = [];
  readonly socket: NotifySocket;

  constructor(readonly path: string, opts: NotifyOptions = {}) {
    const s = openNotifySocket(path, (m) => {
      this.got.push(m);
      this.wake();
    }, {
      ...opts,
      onDropped: (n) => {
        this.dropReports.push(n);
        this.wake();
      },
      onProblem: (t) => this.problems.push(t),
    });
    if (typeof s === "string") throw new Error(s);
    this.socket = s;
    cleanup.push(() => s.close());
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next event (a datagram or a drop report). */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async until(pred: () => boolean): Promise<void> {
    while (!pred()) await this.next();
  }

  async first(pred: (m: NotifyDatagram) => boolean): Promise<NotifyDatagram> {
    await this.until(() => this.got.some(pred));
    return this.got.find(pred) as NotifyDatagram;
  }
}

function python(code: string, env: Record<string, string>, stdin: "ignore" | "pipe" = "ignore") {
  return Bun.spawn(["python3", "-c", code], { env: { ...process.env, ...env }, stdin, stdout: "pipe", stderr: "inherit" });
}

const PY_SEND = `import os, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
def send(b): s.sendto(b, os.environ["NOTIFY_SOCKET"])
`;

describe("programs written for sd_notify work unchanged", () => {
  test("python socket.sendto: READY=1 and STATUS=, with the sender's pid from the kernel", async () => {
    const inbox = new Inbox(join(privateDir(), "1.notify"));
    expect(statSync(inbox.path).mode & 0o777).toBe(0o600);
    const p = python(`${PY_SEND}send(b"READY=1\\nSTATUS=listening on 8080")`, { NOTIFY_SOCKET: inbox.path });
    const m = await inbox.first(() => true);
    expect(m.text).toBe("READY=1\nSTATUS=listening on 8080");
    expect(m.pid).toBe(p.pid);
    expect(await p.exited).toBe(0);
    expect(inbox.socket.dropped()).toBe(0);
  });

  test("systemd-notify --ready --status (its BARRIER=1 fd is closed at once, so it does not hang)", async () => {
    const inbox = new Inbox(join(privateDir(), "2.notify"));
    const p = Bun.spawn(["systemd-notify", "--ready", "--status=warming up"], { env: { ...process.env, NOTIFY_SOCKET: inbox.path }, stderr: "pipe" });
    const m = await inbox.first((x) => x.text.includes("READY=1"));
    expect(m.text.split("\n")).toEqual(expect.arrayContaining(["READY=1", "STATUS=warming up"]));
    // systemd-notify (v254 and later) sends on behalf of its parent (the server, typically) where it may: as
    // root, the kernel lets it claim that pid in its credentials; as anyone else it is refused and sends as itself.
    expect(m.pid === p.pid || (m.pid === process.pid && process.getuid?.() === 0)).toBe(true);
    // It waits for its barrier's fd to be closed by the manager: it exits, so the fd was closed.
    expect(await p.exited).toBe(0);
  });

  test("a grandchild in a server's process group: its group is the server's pid", async () => {
    const inbox = new Inbox(join(privateDir(), "3.notify"));
    // The "server" is a shell in its own session (pgid = its pid, as lazarus spawns servers); python is its child,
    // and stays alive (reading its stdin) until the test has looked at it.
    const code = `${PY_SEND}send(b"READY=1")\nimport sys\nsys.stdin.read()`;
    const server = Bun.spawn(["sh", "-c", `python3 -c '${code}'; echo done`], {
      env: { ...process.env, NOTIFY_SOCKET: inbox.path }, stdin: "pipe", stdout: "pipe", detached: true,
    });
    const m = await inbox.first(() => true);
    expect(m.pid).not.toBe(server.pid);
    expect(m.pgid).toBe(server.pid);
    expect(processGroupOf(m.pid as number)).toBe(server.pid);
    void server.stdin.end();
    expect(await server.exited).toBe(0);
    expect(await new Response(server.stdout).text()).toBe("done\n");
  });

  test("lazarus's sdNotify from another Bun process, and from this one", async () => {
    const inbox = new Inbox(join(privateDir(), "4.notify"));
    const script = `import { sdNotify } from ${JSON.stringify(join(ROOT, "src/os/sd-notify.ts"))};
const r = sdNotify(process.env.NOTIFY_SOCKET, "READY=1\\nSTATUS=from bun");
if (r !== null) { console.error(r); process.exit(1); }`;
    const p = Bun.spawn([process.execPath, "-e", script], { env: { ...process.env, NOTIFY_SOCKET: inbox.path }, stderr: "inherit" });
    const m = await inbox.first(() => true);
    expect(m).toMatchObject({ pid: p.pid, text: "READY=1\nSTATUS=from bun" });
    expect(await p.exited).toBe(0);
    expect(sdNotify(inbox.path, "WATCHDOG=1")).toBeNull();
    const own = await inbox.first((x) => x.text === "WATCHDOG=1");
    expect(own.pid).toBe(process.pid);
  });
});

describe("a pid handed out again (spawn markers)", () => {
  test("a datagram sent before the spawn of the process that now has its sender's pid is not handed over; one sent after it is", async () => {
    const inbox = new Inbox(join(privateDir(), "5.notify"));
    const env = { ...process.env, NOTIFY_SOCKET: inbox.path };
    // The old holder of a pid sends READY=1 and ends. spawnSync: this thread runs nothing meanwhile, so the
    // datagram, read or not by the reader thread, cannot have been handed over yet.
    const old = Bun.spawnSync(["python3", "-c", `${PY_SEND}send(b"READY=1\\nSTATUS=old")`], { env, stderr: "inherit" });
    expect(old.exitCode).toBe(0);
    // As BunPort does for a spawn that is handed that pid again: the marker, then the spawn.
    const mark = inbox.socket.markSpawn();
    expect(mark).not.toBeNull();
    inbox.socket.spawned(old.pid, mark as number);
    // A new process, spawned after its own marker, that sends once told to.
    const freshMark = inbox.socket.markSpawn();
    const fresh = python(`${PY_SEND}import sys\nsys.stdin.readline()\nsend(b"READY=1\\nSTATUS=new")`, { NOTIFY_SOCKET: inbox.path }, "pipe");
    inbox.socket.spawned(fresh.pid, freshMark as number);
    // Not a marker: a datagram of a marker's size from this process passes as any other.
    expect(sdNotify(inbox.path, "STATUS=12345")).toBeNull();
    const stdin = fresh.stdin as import("bun").FileSink;
    stdin.write("go\n");
    void stdin.end();
    const m = await inbox.first((x) => x.text.includes("STATUS=new"));
    expect(m.pid).toBe(fresh.pid);
    expect(await fresh.exited).toBe(0);
    // The old datagram was queued before everything else: read, and not handed over, by now; the markers never are.
    expect(inbox.got.map((x) => x.text)).toEqual(["STATUS=12345", "READY=1\nSTATUS=new"]);
    expect(inbox.socket.stale()).toBe(1);
    expect(inbox.socket.dropped()).toBe(0);
  });

  test("a stale datagram read ahead, still on its way to this thread while many more spawns are marked, is still not handed over", async () => {
    const inbox = new Inbox(join(privateDir(), "7.notify"));
    const env = { ...process.env, NOTIFY_SOCKET: inbox.path };
    const old = Bun.spawnSync(["python3", "-c", `${PY_SEND}send(b"READY=1\\nSTATUS=old")`], { env, stderr: "inherit" });
    expect(old.exitCode).toBe(0);
    const mark = inbox.socket.markSpawn() as number;
    inbox.socket.spawned(old.pid, mark);
    // This thread stays busy (as in a supervisor's step) until the reader thread has read the old datagram and the
    // marker after it: the datagram is posted, not yet handled here.
    const deadline = Date.now() + 20_000;
    while (inbox.socket.markerRead() !== mark && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    expect(inbox.socket.markerRead()).toBe(mark);
    // The same step spawns many more servers: their entries are swept now and then, never the one the old datagram
    // on its way needs. (A queue of 10 datagrams by default: a marker that cannot be sent, for which markSpawn gives
    // the last one sent again, is no spawn of this test's.)
    for (let i = 0, done = 0, last = mark; done < 200 && i < 100_000; i++) {
      const m = inbox.socket.markSpawn();
      if (m === null || m === last) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      inbox.socket.spawned(4_000_000 + done, m);
      last = m;
      done++;
    }
    expect(sdNotify(inbox.path, "STATUS=after")).toBeNull();
    await inbox.first((x) => x.text === "STATUS=after");
    expect(inbox.got.map((x) => x.text)).toEqual(["STATUS=after"]);
    expect(inbox.socket.stale()).toBe(1);
  });

  test("markers of another image (handed across in the queue) are skipped, neither handed over nor taken as this image's", async () => {
    const path = join(privateDir(), "6.notify");
    const first = new Inbox(path);
    // The first image marks a spawn, then hands the socket over before its reader reads the marker.
    const mark = first.socket.markSpawn();
    expect(mark).not.toBeNull();
    const fd = first.socket.handOver();
    expect(typeof fd).toBe("number");
    const second = new Inbox(path, { fd: fd as number });
    expect(sdNotify(path, "STATUS=after")).toBeNull();
    const m = await second.first(() => true);
    expect(m.text).toBe("STATUS=after");
    expect(second.got.length).toBe(1);
    expect(second.socket.stale()).toBe(0);
  });
});

describe("spawn marks across a handover (a re-exec, or one called off)", () => {
  test.each(["new image", "same image"])("quiesced, markers still go into the queue (a few), and the socket's next reader (%s) reads them as its own: a stale datagram queued meanwhile is not handed over", async (where) => {
    const path = join(privateDir(), "11.notify");
    const first = new Inbox(path);
    expect(await first.socket.quiesce(10_000)).toBe(true);
    // Nobody reads now. The old holder of a pid sends READY=1 and ends; the pid is handed to a new spawn.
    const old = Bun.spawnSync(["python3", "-c", `${PY_SEND}send(b"READY=1\\nSTATUS=old")`], { env: { ...process.env, NOTIFY_SOCKET: path }, stderr: "inherit" });
    expect(old.exitCode).toBe(0);
    const mark = first.socket.markSpawn();
    expect(mark).not.toBeNull();
    first.socket.spawned(old.pid, mark as number);
    // Only a few markers while quiesced: then the last one sent again (an earlier boundary).
    const more = Array.from({ length: QUIESCED_MARKERS + 2 }, () => first.socket.markSpawn());
    expect(new Set([mark, ...more]).size).toBe(QUIESCED_MARKERS);
    const lastSent = more[QUIESCED_MARKERS - 2] as number;
    expect(more.slice(QUIESCED_MARKERS - 1)).toEqual([lastSent, lastSent, lastSent]);
    const fd = first.socket.handOver();
    expect(typeof fd).toBe("number");
    const handed = first.socket.marks();
    if (handed === null) throw new Error("the reader thread had not stopped");
    // To a new image as the text of LAZARUS_NOTIFY_MARKS; in this image, the table itself.
    const marks = where === "same image" ? handed : (() => {
      const c = parseMarks(formatMarks(marksCarry(handed.nonce, handed.read, handed.table)));
      if (typeof c === "string") throw new Error(c);
      return { nonce: c.nonce, read: c.read, table: new SpawnMarks(c) };
    })();
    const second = new Inbox(path, { fd: fd as number, marks });
    expect(sdNotify(path, "STATUS=after")).toBeNull();
    await second.first((x) => x.text === "STATUS=after");
    expect(second.got.map((x) => x.text)).toEqual(["STATUS=after"]);
    expect(second.socket.stale()).toBe(1);
    expect(second.socket.markerRead()).toBe(lastSent);
    // It numbers on from where the first left off.
    expect(second.socket.markSpawn()).toBe(lastSent + 1);
    expect(first.got).toEqual([]);
  });

  test("handed over in this same image while a stale datagram the old reader read is still on its way: many spawns marked by the new reader do not sweep the entry it needs", async () => {
    const path = join(privateDir(), "13.notify");
    const first = new Inbox(path);
    const old = Bun.spawnSync(["python3", "-c", `${PY_SEND}send(b"READY=1\\nSTATUS=old")`], { env: { ...process.env, NOTIFY_SOCKET: path }, stderr: "inherit" });
    expect(old.exitCode).toBe(0);
    const mark = first.socket.markSpawn() as number;
    first.socket.spawned(old.pid, mark);
    // This thread stays busy until the old reader has read the old datagram and the marker after it: the datagram is
    // posted to the old reader's listener, not yet handled (an exec that failed: handOver without quiesce).
    const deadline = Date.now() + 20_000;
    while (first.socket.markerRead() !== mark && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    expect(first.socket.markerRead()).toBe(mark);
    const fd = first.socket.handOver();
    expect(typeof fd).toBe("number");
    // (handOver waits 200 ms at most for the reader to stop; on a loaded machine it may take longer: still busy here)
    while (first.socket.marks() === null && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    const handed = first.socket.marks();
    expect(handed).not.toBeNull();
    const second = new Inbox(path, { fd: fd as number, ...(handed === null ? {} : { marks: handed }) });
    // The same step spawns many more servers through the new reader, which reads their markers meanwhile.
    for (let i = 0, done = 0, last = mark; done < 200 && i < 100_000; i++) {
      const m = second.socket.markSpawn();
      if (m === null || m === last) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      second.socket.spawned(4_000_000 + done, m);
      last = m;
      done++;
    }
    expect(sdNotify(path, "STATUS=after")).toBeNull();
    await second.first((x) => x.text === "STATUS=after");
    // The old datagram reached the old reader's listener (it was read out of the socket), and was refused there.
    expect(first.got).toEqual([]);
    expect(first.socket.stale()).toBe(1);
    expect(second.got.map((x) => x.text)).toEqual(["STATUS=after"]);
  });

  test("marks handed with an fd that is not the socket at the path are not used: a socket bound anew starts afresh", async () => {
    const dir = privateDir();
    // Another socket's fd (bound elsewhere): not taken, so neither are the marks that came with it.
    const other = datagramSocket(true);
    if (typeof other === "string") throw new Error(other);
    expect(bindSocket(other, unixAddress(join(dir, "other.sock")) as Uint8Array)).toBeNull();
    // Marks that would refuse whatever this process sends (its "spawn" at marker 5, nothing read yet).
    const table = new SpawnMarks({ last: 5, lastSent: 5, marks: [[process.pid, 5]] });
    const inbox = new Inbox(join(dir, "12.notify"), { fd: other, marks: { nonce: 1, read: 0, table } });
    expect(sdNotify(inbox.path, "STATUS=heard")).toBeNull();
    const m = await inbox.first(() => true);
    expect(m).toMatchObject({ pid: process.pid, text: "STATUS=heard" });
    expect(inbox.socket.stale()).toBe(0);
    expect(inbox.socket.markSpawn()).toBe(1);
  });
});

describe("sdNotify, the client side", () => {
  test("an abstract address (@name) and a filesystem path, each received whole", () => {
    const buf = new Uint8Array(8192);
    for (const name of [`@lazarus-test-${process.pid}-${Math.random().toString(36).slice(2)}`, join(privateDir(), "m.sock")]) {
      const fd = datagramSocket(true);
      if (typeof fd === "string") throw new Error(fd);
      cleanup.push(() => closeFd(fd));
      const address = unixAddress(name);
      if (typeof address === "string") throw new Error(address);
      expect(bindSocket(fd, address)).toBeNull();
      expect(sdNotify(name, "READY=1\nSTATUS=up")).toBeNull();
      expect(sdNotify(name, "STOPPING=1")).toBeNull();
      // A datagram is in the receiver's queue by the time sendto returns: no waiting needed.
      expect(Buffer.from(receiveDatagram(fd, buf) as Uint8Array).toString()).toBe("READY=1\nSTATUS=up");
      expect(Buffer.from(receiveDatagram(fd, buf) as Uint8Array).toString()).toBe("STOPPING=1");
      expect(receiveDatagram(fd, buf)).toContain("EAGAIN");
    }
  });

  test("a manager that does not read: sdNotify never blocks, it says EAGAIN", () => {
    const name = join(privateDir(), "full.sock");
    const fd = datagramSocket(true);
    if (typeof fd === "string") throw new Error(fd);
    cleanup.push(() => closeFd(fd));
    expect(bindSocket(fd, unixAddress(name) as Uint8Array)).toBeNull();
    const results: (string | null)[] = [];
    // Far more than any receive queue holds (net.unix.max_dgram_qlen, and the buffer's bytes).
    for (let i = 0; i < 5000 && !results.some((r) => r !== null); i++) results.push(sdNotify(name, `WATCHDOG=1\nSTATUS=${"x".repeat(1000)}`));
    expect(results.find((r) => r !== null)).toContain("EAGAIN");
  });

  test("no socket there, bad addresses: a one-line reason", () => {
    const missing = join(privateDir(), "nobody.sock");
    expect(sdNotify(missing, "READY=1")).toContain("ENOENT");
    expect(sdNotify("", "READY=1")).toBe("NOTIFY_SOCKET: empty AF_UNIX socket address");
    expect(sdNotify(`/${"x".repeat(200)}`, "READY=1")).toContain("too long");
  });
});

describe("bounds: dropped and counted, never silent", () => {
  test("an oversize datagram is dropped and counted, and the next one still arrives", async () => {
    const inbox = new Inbox(join(privateDir(), "5.notify"));
    const p = python(`${PY_SEND}send(b"STATUS=" + b"x" * 5000)\nsend(b"READY=1")\nsend(b"STATUS=" + b"y" * 4089)`, { NOTIFY_SOCKET: inbox.path });
    await inbox.until(() => inbox.got.length === 2);
    expect(inbox.got[0]?.text).toBe("READY=1");
    expect(inbox.got[0]?.droppedBefore).toBe(1);
    // Exactly 4096 bytes is the largest taken.
    expect(inbox.got[1]?.text).toBe(`STATUS=${"y".repeat(4089)}`);
    expect(inbox.socket.dropped()).toBe(1);
    expect(inbox.dropReports).toEqual([1]);
    expect(await p.exited).toBe(0);
  });

  for (const queueMax of [undefined, 1]) {
    test(`1000 datagrams in a burst (queue toward the main thread ${queueMax ?? "default"}): each delivered or counted`, async () => {
      const inbox = new Inbox(join(privateDir(), "6.notify"), queueMax === undefined ? {} : { queueMax });
      const p = python(`${PY_SEND}for i in range(1000): send(b"STATUS=%d" % i)`, { NOTIFY_SOCKET: inbox.path });
      expect(await p.exited).toBe(0);
      // Every one of python's datagrams is in the socket (its sends block until there is room) or read. Marks
      // from this process follow them: once one is delivered, everything before it was read, delivered or dropped.
      let marks = 0;
      const isMark = (m: NotifyDatagram) => m.text.startsWith("MARK=");
      while (!inbox.got.some(isMark)) {
        if (inbox.got.length + inbox.socket.dropped() >= 1000 + marks) {
          expect(sdNotify(inbox.path, `MARK=${marks}`)).toBeNull();
          marks++;
        }
        await inbox.next();
      }
      const mark = inbox.got.find(isMark) as NotifyDatagram;
      const markIndex = Number(mark.text.slice(5));
      const statuses = inbox.got.filter((m) => m.text.startsWith("STATUS=")).map((m) => Number(m.text.slice(7)));
      // Marks before the delivered one were dropped; the rest of the drops were python's datagrams.
      expect(statuses.length + (mark.droppedBefore - markIndex)).toBe(1000);
      // In order, none twice.
      expect(statuses).toEqual([...statuses].sort((a, b) => a - b));
      expect(new Set(statuses).size).toBe(statuses.length);
      if (queueMax === undefined) expect(inbox.problems).toEqual([]);
      if (process.env.LAZARUS_NOTIFY_DEBUG !== undefined) console.log(`queue ${queueMax}: ${statuses.length} delivered, ${mark.droppedBefore - markIndex} dropped, ${marks} marks`);
    });
  }
});

/** The sockets this process has open (by their inode: a closed one is gone from the list). */
function openSockets(): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith("socket:")) out.add(target);
    } catch { /* closed meanwhile */ }
  }
  return out;
}

describe("quiesce (before a re-exec)", () => {
  test("the reader stops; what it read reaches the listener first; later datagrams wait in the socket for whoever takes it over", async () => {
    const path = join(privateDir(), "8.notify");
    const first = new Inbox(path);
    for (let i = 0; i < 5; i++) expect(sdNotify(path, `STATUS=${i}`)).toBeNull();
    expect(await first.socket.quiesce(10_000)).toBe(true);
    expect(first.socket.quiesced).toBe(true);
    // What the reader had read has reached the listener (some, or all); the rest is still in the socket.
    const heardFirst = first.got.length;
    expect(sdNotify(path, "STATUS=later")).toBeNull();
    const fd = first.socket.handOver();
    expect(typeof fd).toBe("number");
    const second = new Inbox(path, { fd: fd as number });
    await second.first((x) => x.text === "STATUS=later");
    expect(first.got.length).toBe(heardFirst);
    // Each exactly once, in order, between the two.
    expect([...first.got, ...second.got].map((x) => x.text)).toEqual(["STATUS=0", "STATUS=1", "STATUS=2", "STATUS=3", "STATUS=4", "STATUS=later"]);
  });

  test("handed over in this same image (an exec that failed or was called off): what the old reader had read still reaches the listener, the rest the new one; each once", async () => {
    const path = join(privateDir(), "10.notify");
    const got: string[] = [];
    const first = openNotifySocket(path, (m) => got.push(m.text));
    if (typeof first === "string") throw new Error(first);
    cleanup.push(() => first.close());
    // Sent from another process while this thread blocks (so the reader reads and posts them meanwhile).
    const sent = Bun.spawnSync(["python3", "-c", `${PY_SEND}\nfor i in range(8): send(b"STATUS=%d" % i)`], { env: { ...process.env, NOTIFY_SOCKET: path } });
    expect(sent.exitCode).toBe(0);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    const fd = first.handOver();
    expect(typeof fd).toBe("number");
    const second = new Inbox(path, { fd: fd as number });
    expect(sdNotify(path, "STATUS=last")).toBeNull();
    await second.first((x) => x.text === "STATUS=last");
    const all = [...got, ...second.got.map((x) => x.text)];
    expect(all.sort()).toEqual(["STATUS=0", "STATUS=1", "STATUS=2", "STATUS=3", "STATUS=4", "STATUS=5", "STATUS=6", "STATUS=7", "STATUS=last"]);
  });

  test("a reader thread that ends on a failure of its own closes the fd and says so (CLOSED), so that nobody closes that number again", async () => {
    // A regular file: poll says it is readable, recvmsg fails with ENOTSOCK, and the reader ends on that failure.
    const file = join(privateDir(), "not-a-socket");
    writeFileSync(file, "x");
    const fd = openSync(file, "r");
    const shared = new SharedArrayBuffer(4 * SHARED_INTS);
    const state = new Int32Array(shared);
    const worker = new Worker(URL.createObjectURL(new Blob([NOTIFY_WORKER_SOURCE], { type: "application/javascript" })));
    const said: WorkerMessage[] = [];
    await new Promise<void>((resolve) => {
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        said.push(e.data);
        if (e.data.kind === "finished") resolve();
      };
      worker.postMessage({ fd, shared, maxBytes: 4096, queueMax: 8, nonce: 1 });
    });
    worker.terminate();
    expect(said.map((m) => m.kind)).toEqual(["problem", "finished"]);
    expect(Atomics.load(state, STATE)).toBe(CLOSED);
    expect(() => fstatSync(fd)).toThrow();
  });

  test("closed after it (a re-exec called off, or an exit): the socket's fd is closed, by this thread since the reader has let go", async () => {
    const before = openSockets();
    const path = join(privateDir(), "9.notify");
    const s = openNotifySocket(path, () => {});
    if (typeof s === "string") throw new Error(s);
    expect(openSockets().size).toBeGreaterThan(before.size);
    expect(await s.quiesce(10_000)).toBe(true);
    s.close();
    await s.finished;
    expect([...openSockets()].filter((x) => !before.has(x))).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });
});

describe("open and close", () => {
  test("close() removes the path, and the reader thread lets go of the fd", async () => {
    const inbox = new Inbox(join(privateDir(), "7.notify"));
    expect(existsSync(inbox.path)).toBe(true);
    inbox.socket.close();
    expect(existsSync(inbox.path)).toBe(false);
    await inbox.socket.finished;
    inbox.socket.close(); // again: nothing
    expect(sdNotify(inbox.path, "READY=1")).toContain("ENOENT");
  });

  test("a stale socket at the path is replaced; one still open, and anything else there, is refused", () => {
    const dir = privateDir();
    // A socket left behind (an earlier lazarus with this pid that was killed): its file, nobody holding it.
    const path = join(dir, "8.notify");
    const left = datagramSocket(false);
    if (typeof left === "string") throw new Error(left);
    const address = unixAddress(path);
    if (typeof address === "string") throw new Error(address);
    expect(bindSocket(left, address)).toBeNull();
    closeFd(left);
    expect(existsSync(path)).toBe(true);
    const again = openNotifySocket(path, () => {});
    if (typeof again === "string") throw new Error(again);
    // One still open (a lazarus with this pid in another PID namespace sharing the directory) is never taken.
    expect(openNotifySocket(path, () => {})).toBe(`notify socket ${path} is in use by a running process (a lazarus with the same pid in another PID namespace, a container sharing this directory?): give each its own directory (XDG_RUNTIME_DIR or TMPDIR)`);
    again.close();
    writeFileSync(join(dir, "9.notify"), "not a socket");
    expect(openNotifySocket(join(dir, "9.notify"), () => {})).toBe(`notify socket ${join(dir, "9.notify")}: something that is not a socket is in the way`);
    expect(openNotifySocket(join(dir, "nope", "1.notify"), () => {})).toContain("ENOENT");
    expect(openNotifySocket("@abstract", () => {})).toContain("a filesystem path is needed");
  });

  test("an open socket never keeps a process alive, and close() leaves no path", async () => {
    const dir = privateDir();
    for (const close of [false, true]) {
      const path = join(dir, `${close ? "closed" : "open"}.notify`);
      const script = `import { openNotifySocket } from ${JSON.stringify(join(ROOT, "src/os/notify-socket.ts"))};
const s = openNotifySocket(${JSON.stringify(path)}, () => {});
if (typeof s === "string") { console.error(s); process.exit(2); }
${close ? "s.close();" : ""}
console.log("opened");`;
      const p = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" });
      // Without the unref, this never returns (the reader thread blocks in poll for ever): the test times out.
      expect(await p.exited).toBe(0);
      expect(await new Response(p.stdout).text()).toBe("opened\n");
      expect(existsSync(path)).toBe(!close);
    }
  });
});
