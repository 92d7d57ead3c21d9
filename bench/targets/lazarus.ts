// lazarus itself: `bun run src/main.ts --interval=S --control=none { server } ...`,
// with its log (stderr) sent to /dev/null or to a file.
import { join, resolve } from "node:path";
import { killTree, startDaemon, waitExit } from "../lib/daemon.ts";
import { LogFollower } from "../lib/log-follow.ts";
import { VERSION } from "../../src/version.ts";
import { supervisorTree, type Fleet, type Policy, type Running, type Target } from "./target.ts";

export const MAIN = resolve(import.meta.dir, "../../src/main.ts");

/** The lazarus command line for a fleet (pure); `main` is its src/main.ts. */
export function lazarusArgv(bun: string, fleet: Pick<Fleet, "servers" | "policy">, main = MAIN, flags: readonly string[] = []): string[] {
  const seconds = fleet.policy.intervalMs / 1000;
  const argv = [bun, "run", main, `--interval=${seconds}`, "--control=none", ...flags];
  for (const s of fleet.servers) argv.push("{", ...s.argv, "}");
  return argv;
}

/** lazarus as a target; `main` runs another copy of it (an A/B comparison, bench/ab.ts). */
export function lazarusTarget(opts: {
  log: "null" | "file";
  fixtureExe: string;
  name?: string;
  main?: string;
  flags?: readonly string[];
  /** The supervisor's environment (default: the bench's own). */
  env?: Record<string, string>;
}): Target {
  return {
    name: opts.name ?? (opts.log === "null" ? "lazarus" : "lazarus (log to file)"),
    unavailable: () => null,
    version: () => `${VERSION} (Bun ${Bun.version})`,
    settings: (policy: Policy) =>
      `--interval=${policy.intervalMs / 1000}` + (policy.kind === "crashloop" ? " (buries at the first crash)" : "") +
      `, stderr to ${opts.log === "null" ? "/dev/null" : "a file"}`,
    async start(fleet: Fleet): Promise<Running> {
      const log = join(fleet.dir, "lazarus.log");
      const d = startDaemon(lazarusArgv(process.execPath, fleet, opts.main, opts.flags), { output: opts.log === "null" ? "/dev/null" : log, env: opts.env });
      const buried = opts.log === "file" ? new LogFollower(log, /burying because it died too fast/) : null;
      return {
        supervisorPids: () => supervisorTree([d.pid], opts.fixtureExe),
        givenUp: () => buried?.count() ?? null,
        async stop() {
          // Its own shutdown: SIGTERM every server's group, wait, reap, exit 0.
          try {
            process.kill(d.pid, "SIGTERM");
          } catch {
            // already gone
          }
          if (!(await waitExit(d, 15_000))) process.stderr.write("bench: lazarus did not stop within 15 s; killing it\n");
          await killTree([d.pid], opts.fixtureExe);
          buried?.close();
        },
      };
    },
  };
}
