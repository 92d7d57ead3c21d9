// supervisord (Debian's supervisor): one [program:x] per server, run in the foreground (-n).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { killTree, startDaemon, waitExit } from "../lib/daemon.ts";
import { LogFollower } from "../lib/log-follow.ts";
import { debianVersion, supervisorTree, which, type Fleet, type Policy, type Running, type Target } from "./target.ts";

/** The per-program settings for a policy (pure). */
export function programSettings(policy: Policy): Record<string, string> {
  const common = { autostart: "true", autorestart: "true", stopsignal: "TERM", stopwaitsecs: "2", stdout_logfile: "NONE", stderr_logfile: "NONE" };
  if (policy.kind === "respawn") return { ...common, startsecs: "0", startretries: "3" };
  // A death before startsecs is a failed start; with startretries=0 the first one is FATAL.
  return { ...common, startsecs: String(Math.ceil(policy.intervalMs / 1000)), startretries: "0" };
}

/** supervisord.conf for a fleet (pure). Words are split by supervisord (shlex): none may hold a space. */
export function supervisordConf(fleet: Pick<Fleet, "servers" | "policy" | "dir">): string {
  const lines = [
    "[supervisord]",
    "nodaemon=true",
    `logfile=${join(fleet.dir, "supervisord.log")}`,
    "logfile_maxbytes=0",
    "loglevel=info",
    `pidfile=${join(fleet.dir, "supervisord.pid")}`,
    `childlogdir=${fleet.dir}`,
    `minfds=${Math.max(1024, 4 * fleet.servers.length + 64)}`,
    `minprocs=${Math.max(200, fleet.servers.length + 64)}`,
    "",
  ];
  const settings = programSettings(fleet.policy);
  for (const s of fleet.servers) {
    for (const w of s.argv) if (/\s/.test(w)) throw new Error(`supervisord: no spaces allowed in ${JSON.stringify(w)}`);
    lines.push(`[program:${s.tag}]`, `command=${s.argv.join(" ")}`);
    for (const [k, v] of Object.entries(settings)) lines.push(`${k}=${v}`);
    lines.push("");
  }
  return lines.join("\n");
}

export function supervisordTarget(fixtureExe: string): Target {
  return {
    name: "supervisord",
    unavailable: () => (which("supervisord") === null ? "not installed (bench/peers.sh installs it)" : null),
    version: () => debianVersion("supervisor"),
    settings: (policy) =>
      Object.entries(programSettings(policy))
        .filter(([k]) => ["autorestart", "startsecs", "startretries"].includes(k))
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") + ", loglevel=info",
    async start(fleet: Fleet): Promise<Running> {
      const conf = join(fleet.dir, "supervisord.conf");
      writeFileSync(conf, supervisordConf(fleet));
      const d = startDaemon([which("supervisord") as string, "-n", "-c", conf], { output: join(fleet.dir, "supervisord.out") });
      const fatal = new LogFollower(join(fleet.dir, "supervisord.log"), /gave up: .* entered FATAL state/);
      return {
        supervisorPids: () => supervisorTree([d.pid], fixtureExe),
        givenUp: () => (fleet.policy.kind === "crashloop" ? fatal.count() : null),
        async stop() {
          try {
            process.kill(d.pid, "SIGTERM");
          } catch {
            // gone
          }
          await waitExit(d, 15_000);
          await killTree([d.pid], fixtureExe);
          fatal.close();
        },
      };
    },
  };
}
