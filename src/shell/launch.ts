// How the shell launches each server beyond its argv: the plan's cwd,
// complete environment, user and resource limits, and its output wiring for the port: inherited, thrown
// away, or piped (prefixed to the terminal, padded to the longest prefixed
// name, a colour each; plain; or to the log file only) and kept in its log
// file when it has one. Computed once per plan.
import type { Plan } from "../config/plan.ts";
import type { OutputSpec, SpawnRequest, TerminalSpec } from "../os/port.ts";

/** Name colours (SGR codes) for prefixed output, given in turn; none is red, which reads as an error. */
export const PALETTE: readonly string[] = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"];

export type Launcher = (server: number) => Omit<SpawnRequest, "argv">;

export function launcher(plan: Plan): Launcher {
  const prefixed = plan.launches.flatMap((l, i) => (l.output === "prefix" ? [i] : []));
  const width = Math.max(0, ...prefixed.map((i) => plan.servers[i]?.name.length ?? 0));
  const colours = new Map(prefixed.map((i, k) => [i, PALETTE[k % PALETTE.length] ?? null]));
  const extras = plan.launches.map((launch, server): Omit<SpawnRequest, "argv"> => {
    const name = plan.servers[server]?.name ?? String(server);
    const terminal: TerminalSpec = launch.output === "prefix" ? { kind: "prefix", width, color: colours.get(server) ?? null }
      : launch.output === "inherit" ? { kind: "plain" } : { kind: "none" };
    // Inherited output with no log file stays inherited (nothing in between); no output and no log file goes nowhere;
    // unless the server is ready by a line of its output, which must then pass through lazarus.
    const through = launch.log !== null || launch.ready !== null;
    const output: OutputSpec | null = !through && terminal.kind === "plain" ? null
      : !through && terminal.kind === "none" ? { kind: "discard" }
      : { kind: "piped", name, terminal, log: launch.log, ready: launch.ready };
    return {
      env: launch.env,
      ...(launch.cwd === null ? {} : { cwd: launch.cwd }),
      ...(output === null ? {} : { output }),
      ...(launch.runAs === null ? {} : { runAs: launch.runAs }),
      ...(launch.limits.length === 0 ? {} : { limits: launch.limits }),
    };
  });
  return (server) => extras[server] ?? { env: {} };
}
