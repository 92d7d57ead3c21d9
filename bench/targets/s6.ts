// s6: s6-svscan over a scan directory, one s6-supervise per server.
import { join } from "node:path";
import { killTree, startDaemon } from "../lib/daemon.ts";
import { makeServiceDirs } from "./service-dirs.ts";
import { debianVersion, supervisorTree, which, type Fleet, type Running, type Target } from "./target.ts";

export function s6Target(fixtureExe: string): Target {
  return {
    name: "s6 (s6-supervise)",
    unavailable: () => (which("s6-svscan") === null || which("s6-supervise") === null ? "not installed (bench/peers.sh installs it)" : null),
    version: () => debianVersion("s6"),
    settings: (policy) =>
      "s6-svscan -c N + one s6-supervise per server, ./run = the fixture (no shell), no ./finish; " +
      "s6-supervise respawns about 1 s after each death (measured here, even after runs of 1.1–1.5 s; the bench found no setting for it)" +
      (policy.kind === "crashloop" ? "; no give-up policy: it restarts a crash loop forever" : ""),
    async start(fleet: Fleet): Promise<Running> {
      const scan = join(fleet.dir, "scan");
      makeServiceDirs(scan, fleet.servers);
      // -c: room for every service (the default maximum is 500).
      const max = String(Math.max(500, fleet.servers.length + 10));
      const d = startDaemon([which("s6-svscan") as string, "-c", max, scan], { output: join(fleet.dir, "s6-svscan.log") });
      return {
        supervisorPids: () => supervisorTree([d.pid], fixtureExe),
        givenUp: () => null,
        async stop() {
          await killTree([d.pid], fixtureExe);
        },
      };
    },
  };
}
