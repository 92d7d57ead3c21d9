// runit: runsvdir over a directory of services, one runsv per server.
import { join } from "node:path";
import { killTree, startDaemon } from "../lib/daemon.ts";
import { makeServiceDirs } from "./service-dirs.ts";
import { debianVersion, supervisorTree, which, type Fleet, type Running, type Target } from "./target.ts";

export function runitTarget(fixtureExe: string): Target {
  return {
    name: "runit (runsv)",
    unavailable: () => (which("runsvdir") === null || which("runsv") === null ? "not installed (bench/peers.sh installs it)" : null),
    version: () => debianVersion("runit"),
    settings: (policy) =>
      "runsvdir + one runsv per server, ./run = the fixture (no shell); runsv restarts at once, " +
      "but sleeps 1 s first when the run lasted under 1 s (hard-coded)" +
      (policy.kind === "crashloop" ? "; no give-up policy: it restarts a crash loop forever" : ""),
    async start(fleet: Fleet): Promise<Running> {
      const services = join(fleet.dir, "service");
      makeServiceDirs(services, fleet.servers);
      const d = startDaemon([which("runsvdir") as string, services], { output: join(fleet.dir, "runsvdir.log") });
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
