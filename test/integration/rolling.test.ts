// Issue 15 with real processes: a rolling restart (`ctl restart web --rolling`)
// of three HTTP servers that share one port (SO_REUSEPORT), under a steady
// stream of requests (a new connection each, several in flight), refuses none
// of them, whether the roll stops a copy's old process before starting its new
// one or after its new one is ready.
//
// Linux resets a connection already queued on the listening socket of a copy
// that closes it, unless net.ipv4.tcp_migrate_req=1 (docs/operations.md). That
// setting is per network namespace: the supervisor and the client run in a
// private one (test/helpers/netns.ts, under `unshare`), where it is set without
// touching the machine's. Where no such namespace may be made, the test says
// why and checks that reason instead.
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "../../src/os/control-client.ts";
import { BUN, ctl, MAIN, perTest, ROOT, Run, until, waitGone } from "../helpers/run.ts";
import type { LoadReport } from "../helpers/http-load.ts";

const FIXTURE = join(ROOT, "fixtures/reuseport-server.py");
const DRIVER = join(ROOT, "test/helpers/netns.ts");
/** Any port: the namespace is new, nothing else listens in it. */
const PORT = 8080;
const COPIES = ["web.1", "web.2", "web.3"];
/** Rolling restarts in a row, under one stream of requests. */
const ROLLS = 3;

/**
 * How to enter a private network namespace here: `unshare --net` (root), else with a
 * user namespace of our own (`--map-root-user`); or why neither works.
 */
const NETNS: { readonly ok: true; readonly unshare: readonly string[] } | { readonly ok: false; readonly why: string } = (() => {
  const ways = process.getuid?.() === 0 ? [["unshare", "--net"], ["unshare", "--map-root-user", "--net"]] : [["unshare", "--map-root-user", "--net"]];
  const whys: string[] = [];
  for (const unshare of ways) {
    try {
      const p = Bun.spawnSync([...unshare, BUN, DRIVER, "--probe"], { stdio: ["ignore", "ignore", "pipe"] });
      if (p.exitCode === 0) return { ok: true, unshare };
      whys.push(`${unshare.join(" ")}: exited with ${p.exitCode ?? p.signalCode}: ${p.stderr.toString().trim() || "no message"}`);
    } catch (e) {
      whys.push(`${unshare.join(" ")}: cannot be run: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { ok: false, why: whys.join("; ") };
})();

const { track, tempDir } = perTest({ tmp: "lazarus-rolling-" });

/**
 * The pid of each copy, once exactly one process runs for each (a roll that starts the
 * new process beside the old one answers before the old one is gone).
 */
function pids(sock: string): Promise<Record<string, number>> {
  return until(async () => {
    const res = await request(sock, { cmd: "status" });
    if (!res.ok) throw new Error(res.error);
    const running = (res.reply.status as { servers: { name: string; pid: number | null }[] }).servers.filter((s) => s.pid !== null);
    const names = running.map((s) => s.name).sort();
    return names.join() === COPIES.join() ? Object.fromEntries(running.map((s) => [s.name, s.pid as number])) : null;
  }, `exactly one process running for each of ${COPIES.join(", ")}`);
}

/** Wait until the client has had an answer from each of these pids (the driver tells the first one from each). */
async function answeredBy(r: Run, copies: Record<string, number>): Promise<void> {
  for (const [name, pid] of Object.entries(copies)) {
    await r.waitFor(`netns: first answer from pid=${pid} instance=${name.slice("web.".length)}`);
  }
}

describe("a rolling restart of copies sharing a port with SO_REUSEPORT", () => {
  test("three rolls and a rolling reload under a steady stream of requests (a new connection each, several in flight): every copy gets a new pid each time, every request is answered, by old and new processes; each old one stops gracefully; then a clean shutdown (or, where no network namespace may be made, why not)", async () => {
    if (!NETNS.ok) {
      // Not permitted here (no unshare, no user namespaces, a container without the capability, no ip, a kernel without tcp_migrate_req): say so, and show it is that.
      console.log(`not run: a private network namespace with tcp_migrate_req=1 cannot be made here: ${NETNS.why}`);
      expect(NETNS.why).toMatch(/not permitted|permission denied|read-only file system|no such file|not found/i);
      return;
    }
    const dir = tempDir();
    const sock = join(dir, "ctl.sock");
    writeFileSync(join(dir, "lazarus.toml"), [
      "[servers.web]",
      `cmd = [${JSON.stringify(FIXTURE)}, "${PORT}", "--reply-delay=0.005"]`,
      "instances = 3",
      // Each copy says it is ready itself, once it listens: a probe of the shared port would be answered by another copy.
      `ready = { log = "listening on ${PORT}" }`,
      "ready_timeout = 10",
      "",
    ].join("\n"));
    const r = track(new Run([`--config=${join(dir, "lazarus.toml")}`, `--control=${sock}`], {
      cwd: dir,
      argv0: [...NETNS.unshare, BUN, DRIVER, `--port=${PORT}`, "--", BUN, "run", MAIN],
    }));
    await r.waitFor("netns: ready: lo up, tcp_migrate_req=1");
    await r.waitForCount(/'web\.\d' is ready\./, 3);
    const before = await pids(sock);

    r.signal("SIGUSR1");
    await answeredBy(r, before);
    // Several rolls in a row, the stream going on throughout: each process of each roll answers before the next roll.
    const generations = [before];
    for (let k = 0; k < ROLLS; k++) {
      const roll = await ctl(`--control=${sock}`, "restart", "web", "--rolling");
      expect(roll.err).toBe("");
      expect(roll.code).toBe(0);
      expect(roll.out).toMatch(/^rolled 'web': web\.1, web\.2, web\.3 restarted\b/);
      const prev = generations[generations.length - 1] as Record<string, number>;
      const now = await pids(sock);
      for (const n of COPIES) expect(now[n]).not.toBe(prev[n]);
      await answeredBy(r, now);
      generations.push(now);
    }
    // Start-first (the default): each copy's new process started beside its old one.
    expect(r.lines.filter((l) => l.includes("its new process starts beside the old one")).length).toBe(ROLLS * COPIES.length);
    // A rolling reload: the table's command changes; its copies are replaced the same way, under the same stream.
    writeFileSync(join(dir, "lazarus.toml"), readFileSync(join(dir, "lazarus.toml"), "utf8").replace("--reply-delay=0.005", "--reply-delay=0.004"));
    const reload = await ctl(`--control=${sock}`, "reload");
    expect(reload.code).toBe(0);
    expect(reload.out).toStartWith("reloaded: 0 added, 3 changed (web.1, web.2, web.3), 0 removed, 0 unchanged; a rolling restart of 'web' replaces its copies one at a time (its end is logged)\n");
    await r.waitFor(/rolling restart of 'web' done: 3 instances restarted/);
    const reloaded = await pids(sock);
    for (const n of COPIES) {
      expect(reloaded[n]).not.toBe(generations[generations.length - 1]?.[n]);
      expect(readFileSync(`/proc/${reloaded[n]}/cmdline`, "utf8").split("\0")).toContain("--reply-delay=0.004");
    }
    await answeredBy(r, reloaded);
    generations.push(reloaded);
    r.signal("SIGUSR2");
    const line = await r.waitFor(/^netns: load report /);
    const report = JSON.parse(line.slice("netns: load report ".length)) as LoadReport;
    console.log(`rolling restart under load: ${report.requests} requests, ${report.answered} answered; by pid: ${JSON.stringify(report.byPid)}`);
    expect({ errors: report.errors, samples: report.samples }).toEqual({ errors: {}, samples: [] });
    expect(report.answered).toBe(report.requests);
    // Every answer came from one of the processes of the copies, old or new, each with its copy's instance.
    const known = Object.fromEntries(generations.flatMap((g) => COPIES.map((n) => [String(g[n]), n.slice("web.".length)])));
    expect(Object.fromEntries(Object.entries(report.byPid).map(([pid, v]) => [pid, v.instance]))).toEqual(known);

    // Each replaced process stopped gracefully: it drained its queue, closed its listener, finished what was in flight.
    const last = generations[generations.length - 1] as Record<string, number>;
    for (const g of generations.slice(0, -1)) {
      for (const n of COPIES) {
        await r.waitFor(`fixture: pid=${g[n]} stopping: drained`);
        await r.waitFor(new RegExp(`fixture: pid=${g[n]} stopped: served \\d+ requests`));
      }
    }

    r.signal("SIGTERM");
    expect(await r.ended()).toEqual({ code: 0, signal: null });
    expect(r.lines).toContain("netns: supervisor ended: code 0");
    for (const n of COPIES) await r.waitFor(new RegExp(`fixture: pid=${last[n]} stopped: served \\d+ requests`));
    expect(await waitGone([...generations.flatMap((g) => Object.values(g)), ...r.fixturePids()])).toEqual([]);
  });
});
