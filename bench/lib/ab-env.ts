// `--env-a=NAME=VALUE` / `--env-b=NAME=VALUE` for the A/B tools (bench/ab.ts, bench/memory-ab.ts):
// an environment variable for one side's supervisor only, e.g. a Bun or JSC runtime option
// (`--env-b=BUN_JSC_useFTLJIT=0` with the same tree on both sides). Repeatable.

/** The environment for one side: the bench's own plus that side's `--env-…` options (pure but for process.env). */
export function sideEnv(args: readonly string[], side: "a" | "b"): Record<string, string> {
  const env = { ...(process.env as Record<string, string>) };
  for (const a of sideEnvArgs(args, side)) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new Error(`--env-${side}=${a}: expected --env-${side}=NAME=VALUE`);
    env[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return env;
}

/** The NAME=VALUE strings given for one side, in order (pure). */
export function sideEnvArgs(args: readonly string[], side: "a" | "b"): string[] {
  const prefix = `--env-${side}=`;
  return args.filter((x) => x.startsWith(prefix)).map((x) => x.slice(prefix.length));
}
