// The launch fingerprint of a server (ServerSpec.launch): how the shell starts
// it beyond its argv (working directory, complete environment, output mode,
// log file, readiness pattern, user and groups, resource limits), as a short hash the core compares on a reload
// without knowing what it means. Not part of it: what depends on the other
// servers (the width of the prefix column, the colour), so that adding a
// server with a longer name changes nobody else. Pure.
import type { Launch, Plan } from "../config/plan.ts";
import { checksumOf } from "../core/marshal.ts";

/**
 * The JSON of each environment object's variables, sorted (servers with nothing
 * of their own share one object: launch.ts): made once per object, not once per server.
 */
const envJson = new WeakMap<object, string>();

function sortedEnv(env: Readonly<Record<string, string>>): string {
  let json = envJson.get(env);
  if (json === undefined) {
    json = JSON.stringify(Object.keys(env).sort().map((k) => [k, env[k]]));
    envJson.set(env, json);
  }
  return json;
}

/** As an element of a JSON array (undefined as null, as JSON.stringify writes it there). */
function element(v: unknown): string {
  return JSON.stringify(v) ?? "null";
}

/**
 * Its name is part of it: the shell finds a server's launch by this key, and the prefix of its output is its name.
 * The checksum of `JSON.stringify([name, cwd, env (sorted pairs), output, log, ready])`, that text never made whole;
 * with `user` or `limits`, [uid, gid, groups] and the limits too (after the others, and only then: the key of a
 * server without them is what it was before they existed, which a re-exec into a newer image relies on).
 */
export function launchKey(name: string, l: Launch): string {
  // (the groups and the limits as sets: their order in the files, or in /etc/group, is no change of how it runs)
  const own = l.runAs === null && l.limits.length === 0 ? []
    : [
      ",", element(l.runAs === null ? null : [l.runAs.uid, l.runAs.gid, [...l.runAs.groups].sort((a, b) => a - b)]),
      ",", element(l.limits.map((x) => [x.name, x.soft, x.hard]).sort((a, b) => (a[0] as string) < (b[0] as string) ? -1 : 1)),
    ];
  return checksumOf(["[", element(name), ",", element(l.cwd), ",", sortedEnv(l.env), ",", element(l.output), ",", element(l.log), ",", element(l.ready), ...own, "]"]);
}

/** The plan with every server's launch fingerprint in its spec. */
export function withLaunchKeys(plan: Plan): Plan {
  return { ...plan, servers: plan.servers.map((s, i) => {
    const l = plan.launches[i];
    return l === undefined ? s : { ...s, launch: launchKey(s.name, l) };
  }) };
}
