// The floors (bench/floor.c, bench/floor-bun.ts) as supervisors of a fleet, for the
// storm, idle and memory measurements: they respawn every server at once, forever
// (until stopped), with nothing else. Every server of the fleet must have the same
// argv but for its tag (argv[2]), which the floor writes as the slot number.
import { join } from "node:path";
import { killTree, startDaemon } from "../lib/daemon.ts";
import type { Floor } from "./floors.ts";
import { supervisorTree, type Fleet, type Running, type Target } from "./target.ts";

export function floorTarget(floor: Floor, fixtureExe: string): Target {
  return {
    name: floor.name,
    unavailable: () => null,
    version: () => "",
    settings: () => floor.settings,
    async start(fleet: Fleet): Promise<Running> {
      const first = fleet.servers[0];
      if (first === undefined) throw new Error("empty fleet");
      const template = [...first.argv];
      template[2] = "{slot}";
      const argv = floor.argv(fleet.servers.length, Number.MAX_SAFE_INTEGER, template);
      const d = startDaemon(argv, { output: join(fleet.dir, "floor.log"), env: { ...process.env, ...floor.env } as Record<string, string> });
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
