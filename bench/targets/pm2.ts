// PM2, from the npm registry into bench/.peers (bench/peers.sh), with its own PM2_HOME
// per run: `pm2 start ecosystem.json`, one fork-mode app per server (interpreter none).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { killTree } from "../lib/daemon.ts";
import { LogFollower } from "../lib/log-follow.ts";
import { supervisorTree, which, type Fleet, type Policy, type Running, type Target } from "./target.ts";

const PM2 = resolve(import.meta.dir, "../.peers/node_modules/pm2/bin/pm2");

/** The per-app restart settings for a policy (pure). */
export function appSettings(policy: Policy): Record<string, number | boolean> {
  if (policy.kind === "respawn") {
    // min_uptime cannot go below 100 ms (PM2's schema): a quicker death is an "unstable"
    // restart, and max_restarts of them make the app "errored"; so allow a billion.
    return { autorestart: true, restart_delay: 0, min_uptime: 100, max_restarts: 1_000_000_000 };
  }
  // A death within min_uptime is an unstable restart; with max_restarts 1 the first one is "errored".
  return { autorestart: true, restart_delay: 0, min_uptime: policy.intervalMs, max_restarts: 1 };
}

/** The ecosystem file (pure). */
export function ecosystem(fleet: Pick<Fleet, "servers" | "policy">): { apps: Record<string, unknown>[] } {
  return {
    apps: fleet.servers.map((s) => ({
      name: s.tag,
      script: s.argv[0],
      args: s.argv.slice(1),
      interpreter: "none",
      exec_mode: "fork",
      out_file: "/dev/null",
      error_file: "/dev/null",
      merge_logs: true,
      vizion: false,
      pmx: false,
      automation: false,
      treekill: true,
      kill_timeout: 2000,
      ...appSettings(fleet.policy),
    })),
  };
}

async function pm2(home: string, args: readonly string[], timeoutMs: number): Promise<void> {
  const node = which("node") as string;
  const p = Bun.spawn({
    cmd: [node, PM2, ...args],
    env: { ...process.env, PM2_HOME: home } as Record<string, string>,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  if (code !== 0) process.stderr.write(`bench: pm2 ${args.join(" ")} exited with ${code}: ${(await new Response(p.stderr).text()).slice(0, 500)}\n`);
}

function daemonPid(home: string): number | null {
  const file = join(home, "pm2.pid");
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function pm2Target(fixtureExe: string): Target {
  return {
    name: "PM2",
    unavailable: () => (!existsSync(PM2) ? "not installed (bench/peers.sh installs it)" : which("node") === null ? "node not found" : null),
    version: () => {
      try {
        return String(JSON.parse(readFileSync(resolve(PM2, "../../package.json"), "utf8")).version);
      } catch {
        return "?";
      }
    },
    settings: (policy) =>
      "fork mode, interpreter none, " +
      Object.entries(appSettings(policy)).map(([k, v]) => `${k}=${v}`).join(", ") +
      ", app logs to /dev/null",
    async start(fleet: Fleet): Promise<Running> {
      const home = join(fleet.dir, "pm2home");
      const eco = join(fleet.dir, "ecosystem.json");
      writeFileSync(eco, JSON.stringify(ecosystem(fleet), null, 1));
      let pid: number | null = null;
      const errored = new LogFollower(join(home, "pm2.log"), /had too many unstable restarts/);
      const running: Running = {
        supervisorPids: () => (pid === null ? [] : supervisorTree([pid], fixtureExe)),
        givenUp: () => (fleet.policy.kind === "crashloop" ? errored.count() : null),
        async stop() {
          // Not `pm2 kill`: it stops a thousand apps one by one (about 40 s here). SIGKILL
          // the God daemon first, then its servers; nothing of this PM2_HOME is kept.
          pid ??= daemonPid(home);
          await killTree(pid === null ? [] : [pid], fixtureExe);
          errored.close();
        },
      };
      try {
        await pm2(home, ["start", eco], 300_000);
        pid = daemonPid(home);
        if (pid === null) throw new Error("pm2 start left no daemon pid file");
      } catch (e) {
        await running.stop();
        throw e;
      }
      return running;
    },
  };
}
