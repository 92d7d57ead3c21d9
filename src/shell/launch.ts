// How the shell launches each server beyond its argv: the plan's cwd and
// complete environment, and its output wiring for the port (prefixes padded to
// the longest prefixed name, a colour each). Computed once per plan.
import type { Plan } from "../config/plan.ts";
import type { OutputSpec, SpawnRequest } from "../os/port.ts";

/** Name colours (SGR codes) for prefixed output, given in turn; none is red, which reads as an error. */
export const PALETTE: readonly string[] = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"];

export type Launcher = (server: number) => Omit<SpawnRequest, "argv">;

export function launcher(plan: Plan): Launcher {
  const prefixed = plan.launches.flatMap((l, i) => (l.output === "prefix" ? [i] : []));
  const width = Math.max(0, ...prefixed.map((i) => plan.servers[i]?.name.length ?? 0));
  const outputs = new Map<number, OutputSpec>(prefixed.map((i, k) => [
    i, { kind: "prefix", name: plan.servers[i]?.name ?? String(i), width, color: PALETTE[k % PALETTE.length] ?? null },
  ]));
  const extras = plan.launches.map((launch, server): Omit<SpawnRequest, "argv"> => {
    const out = outputs.get(server);
    return {
      env: launch.env,
      ...(launch.cwd === null ? {} : { cwd: launch.cwd }),
      ...(out === undefined ? {} : { output: out }),
    };
  });
  return (server) => extras[server] ?? { env: {} };
}
