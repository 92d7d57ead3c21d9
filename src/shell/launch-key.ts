// The launch fingerprint of a server (ServerSpec.launch): how the shell starts
// it beyond its argv (working directory, complete environment, output mode,
// log file, readiness pattern), as a short hash the core compares on a reload
// without knowing what it means. Not part of it: what depends on the other
// servers (the width of the prefix column, the colour), so that adding a
// server with a longer name changes nobody else. Pure.
import type { Launch, Plan } from "../config/plan.ts";
import { checksum } from "../core/marshal.ts";

/** Its name is part of it: the shell finds a server's launch by this key, and the prefix of its output is its name. */
export function launchKey(name: string, l: Launch): string {
  const env = Object.keys(l.env).sort().map((k) => [k, l.env[k]]);
  return checksum(JSON.stringify([name, l.cwd, env, l.output, l.log, l.ready]));
}

/** The plan with every server's launch fingerprint in its spec. */
export function withLaunchKeys(plan: Plan): Plan {
  return { ...plan, servers: plan.servers.map((s, i) => {
    const l = plan.launches[i];
    return l === undefined ? s : { ...s, launch: launchKey(s.name, l) };
  }) };
}
