// The inside of a private network namespace for test/integration/rolling.test.ts
// (issue 15): run as `unshare --net [--map-root-user] bun netns.ts ...`, it
// brings the namespace's loopback up and sets net.ipv4.tcp_migrate_req=1 there
// (the namespace's own copy: the machine's is not touched), then
//
//   netns.ts --probe                 exits 0 ("netns: ready: ...") or 3 ("netns: cannot: WHY")
//   netns.ts --port=PORT -- CMD ...  runs CMD (the supervisor) with its stdout and stderr,
//                                    and a client of 127.0.0.1:PORT in this namespace:
//     SIGUSR1  starts a steady stream of requests (http-load.ts); the first answer
//              from each pid is told:  netns: first answer from pid=N instance=I
//     SIGUSR2  stops it and tells the report, once every request in flight has its
//              outcome:  netns: load report {JSON}
//     SIGTERM, SIGINT  go to CMD; when CMD ends this ends with its exit status.
//
// Its own lines go to stderr, prefixed "netns: ". It refuses to run outside a
// new network namespace (one with an interface other than lo), so that it can
// never change the machine's own setting.
import { readFileSync, writeFileSync, writeSync } from "node:fs";
import { Load } from "./http-load.ts";

const MIGRATE = "/proc/sys/net/ipv4/tcp_migrate_req";
/** The load: requests in flight at once, and each loop's pause between two of them. */
const CONCURRENCY = 4;
const PAUSE_MS = 2;

const say = (text: string) => writeSync(2, `netns: ${text}\n`);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Set the namespace up: null, or why it cannot be. */
function setUp(): string | null {
  let devices: string[];
  try {
    // Per network namespace: the interfaces of ours (two header lines first).
    devices = readFileSync("/proc/self/net/dev", "utf8").split("\n").slice(2).map((l) => l.split(":")[0]?.trim() ?? "").filter((d) => d !== "");
  } catch (e) {
    return `cannot read /proc/self/net/dev: ${message(e)}`;
  }
  if (devices.some((d) => d !== "lo")) return `not in a new network namespace (it has ${devices.join(", ")}): refusing to change its settings`;
  let ip: ReturnType<typeof Bun.spawnSync>;
  try {
    ip = Bun.spawnSync(["ip", "link", "set", "lo", "up"], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    return `ip cannot be run: ${message(e)}`;
  }
  if (ip.exitCode !== 0) return `ip link set lo up exited with ${ip.exitCode ?? ip.signalCode}: ${ip.stderr?.toString().trim() || "no message"}`;
  try {
    writeFileSync(MIGRATE, "1");
  } catch (e) {
    return `cannot write 1 to ${MIGRATE}: ${message(e)}`;
  }
  const now = readFileSync(MIGRATE, "utf8").trim();
  return now === "1" ? null : `${MIGRATE} reads ${JSON.stringify(now)} after writing 1 to it`;
}

function main(argv: readonly string[]): void {
  const dash = argv.indexOf("--");
  const opts = dash < 0 ? argv : argv.slice(0, dash);
  const cmd = dash < 0 ? [] : argv.slice(dash + 1);
  const probe = opts.includes("--probe");
  const portOpt = opts.find((a) => a.startsWith("--port="));
  const port = portOpt === undefined ? NaN : Number(portOpt.slice("--port=".length));
  if (!probe && (!Number.isInteger(port) || port < 1 || port > 65535 || cmd.length === 0)) {
    say("usage: netns.ts --probe | netns.ts --port=PORT -- CMD ARGS...");
    process.exit(2);
  }

  // Before any line: the test signals once it has read one.
  let load: Load | null = null;
  let child: ReturnType<typeof Bun.spawn> | null = null;
  process.on("SIGUSR1", () => {
    if (load !== null) return;
    say("load started");
    load = new Load(port, CONCURRENCY, PAUSE_MS, (pid, instance) => say(`first answer from pid=${pid} instance=${instance}`));
  });
  process.on("SIGUSR2", () => {
    const l = load;
    if (l === null) return say("load report null");
    void l.stop().then((report) => say(`load report ${JSON.stringify(report)}`));
  });
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => child?.kill(sig));

  const why = setUp();
  if (why !== null) {
    say(`cannot: ${why}`);
    process.exit(3);
  }
  say(`ready: lo up, tcp_migrate_req=1 in this network namespace`);
  if (probe) process.exit(0);

  const c = Bun.spawn({ cmd: [...cmd], stdio: ["ignore", "inherit", "inherit"], env: process.env as Record<string, string> });
  child = c;
  say(`supervisor pid=${c.pid}`);
  void c.exited.then(() => {
    const code = c.exitCode ?? 128;
    say(`supervisor ended: ${c.exitCode === null ? `signal ${String(c.signalCode)}` : `code ${c.exitCode}`}`);
    process.exit(code);
  });
}

main(process.argv.slice(2));
