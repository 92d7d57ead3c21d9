// lazarus: the command-line entry. Parses the command line (pure), builds the
// production OS port, and hands both to the shell. Subcommands: `ctl`, `replay`.
import { existsSync } from "node:fs";
import { parseCommandLine, USAGE } from "./cli/parse.ts";
import { DEFAULT_CONFIG, loadPlan } from "./config/load.ts";
import { spawnExtras, type Plan } from "./config/plan.ts";
import { marshal, unmarshal } from "./core/marshal.ts";
import type { Handover, ServerSpec } from "./core/types.ts";
import { BunPort, writeAll } from "./os/bun-port.ts";
import { Supervisor } from "./shell/supervisor.ts";
import { VERSION } from "./version.ts";

/** The environment variable that carries the handover across a re-exec (see reexecCommand). */
export const HANDOVER_ENV = "LAZARUS_HANDOVER";

function fail(message: string, status = 2): never {
  writeAll(2, `lazarus: ${message}\n`);
  process.exit(status);
}

function main(args: readonly string[]): void {
  const parsed = parseCommandLine(args, { defaultConfig: existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : null });
  switch (parsed.kind) {
    case "help":
      writeAll(1, USAGE);
      process.exit(0);
      break;
    case "version":
      writeAll(1, `lazarus ${VERSION}\n`);
      process.exit(0);
      break;
    case "error":
      fail(parsed.message);
      break;
    case "run": {
      // Servers and settings from files too (--config, --procfile, --env-file, lazarus.toml).
      const loaded = loadPlan(parsed.options, parsed.servers.map((s) => s.argv));
      if (!loaded.ok) fail(loaded.error);
      const plan = loaded.plan;
      run(args, plan.reexec, plan, plan.servers, plan);
      break;
    }
  }
}

function run(args: readonly string[], reexec: boolean, options: Parameters<typeof makeSupervisor>[1], servers: readonly ServerSpec[], plan: Plan): void {
  // The handover must not leak into the environment of children spawned later.
  const carried = process.env[HANDOVER_ENV];
  delete process.env[HANDOVER_ENV];
  let handover: Handover | null = null;
  if (reexec) {
    if (carried === undefined) fail(`--re-exec is for lazarus's own use: no re-exec state found (${HANDOVER_ENV} is not set).`);
    const r = unmarshal(carried, servers);
    // Unreadable as a whole: supervise nothing we cannot vouch for. The children
    // keep running; say so plainly and stop.
    if (!r.ok) fail(`${r.error}; the children of the previous image are left running, unsupervised.`, 1);
    handover = r.handover;
  }
  const port = new BunPort();
  const inherited: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) inherited[k] = v;
  const sup = makeSupervisor(port, options, servers, args, spawnExtras(plan, inherited));
  sup.start(handover);
}

function makeSupervisor(
  port: BunPort,
  options: { settings: import("./core/types.ts").Settings; logFormat: "text" | "json" },
  servers: readonly ServerSpec[],
  args: readonly string[],
  extras?: ConstructorParameters<typeof Supervisor>[1]["spawnExtras"],
): Supervisor {
  return new Supervisor(port, {
    settings: options.settings,
    servers,
    logFormat: options.logFormat,
    spawnExtras: extras,
    reexecCommand: (h) => reexecCommand(h, servers, args),
  });
}

/**
 * The re-exec: the same runtime, the same script, the same options and servers,
 * plus --re-exec; the handover travels in an environment variable. Why there:
 * it needs no fd kept open across the exec (Bun marks every fd close-on-exec),
 * leaves no file behind to clean up or to be read by another user, and is gone
 * from our environment as soon as the new image reads it (so children never
 * see it). Its limit, 128 KiB per variable on Linux, is far above what a
 * thousand servers need (about 60 bytes each); a larger state fails the exec
 * cleanly (E2BIG) and the old image goes on.
 */
function reexecCommand(h: Handover, servers: readonly ServerSpec[], args: readonly string[]) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env[HANDOVER_ENV] = marshal(h, servers);
  const self = selfCommand();
  // Drop an earlier --re-exec among the options only: words inside braces belong to the servers.
  const firstBrace = args.includes("{") ? args.indexOf("{") : args.length;
  const options = args.slice(0, firstBrace).filter((a) => a !== "--re-exec");
  return { argv: [...self, "--re-exec", ...options, ...args.slice(firstBrace)], env };
}

/** How to run this program again: bun + script, or the compiled binary alone. */
function selfCommand(): string[] {
  const script = process.argv[1];
  // A `bun build --compile` binary has a virtual script path under /$bunfs.
  if (script === undefined || script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN/")) return [process.execPath];
  return [process.execPath, script];
}

main(process.argv.slice(2));
