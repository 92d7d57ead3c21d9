// `user`, `group` and `limits` in the config file: the values, their errors
// (one line naming the file, the line and the key), their resolution against a
// user database (a fake one here: accounts.ts is pure), the environment a
// server with a user gets, lazarus not being root, a reload that adds a user,
// and the launch fingerprint. The real thing (setuid in the child, /proc's
// view of it) is test/integration/user.test.ts.
import { describe, expect, test } from "bun:test";
import { type Accounts, resolveUser, type UserEntry } from "../../src/config/accounts.ts";
import { parseConfig } from "../../src/config/config.ts";
import { parseCommandLine } from "../../src/cli/parse.ts";
import { assemble, type Sources } from "../../src/config/plan.ts";
import { prepare } from "../../src/shell/boot.ts";
import { launchKey, withLaunchKeys } from "../../src/shell/launch-key.ts";
import { launcher } from "../../src/shell/launch.ts";
import { checksumOf } from "../../src/core/marshal.ts";

const F = "lazarus.toml";

const USERS: readonly UserEntry[] = [
  { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/bash" },
  { name: "www", uid: 33, gid: 33, home: "/var/www", shell: "/usr/sbin/nologin" },
  { name: "nobody", uid: 65534, gid: 65534, home: "/nonexistent", shell: "" },
];
const GROUPS: Readonly<Record<string, number>> = { root: 0, www: 33, adm: 4, web: 500, nogroup: 65534 };
/** Who is in which group besides their primary one. */
const MEMBERS: Readonly<Record<string, readonly number[]>> = { root: [0], www: [4, 500], nobody: [] };

/** A user database (the fake of libc's getpwnam, getgrnam, getgrouplist) with lazarus as `uid`/`gid`. */
function accounts(uid = 0, gid = 0): Accounts {
  return {
    uid, gid,
    user: (k) => USERS.find((u) => (typeof k === "number" ? u.uid === k : u.name === k)) ?? null,
    group: (k) => (typeof k === "number" ? (Object.values(GROUPS).includes(k) ? k : null) : GROUPS[k] ?? null),
    groups: (name, g) => [g, ...(MEMBERS[name] ?? [])],
  };
}

function tryPlan(text: string, db: Accounts | undefined = accounts(), inherited: Record<string, string> = { HOME: "/root", USER: "root", PATH: "/bin" }, envFile?: string) {
  const p = parseCommandLine([], { defaultConfig: F });
  if (p.kind !== "run") throw new Error("no run");
  const sources: Sources = { config: { file: F, text }, ...(envFile === undefined ? {} : { envFile: { file: ".env", text: envFile } }) };
  return assemble(p.options, [], sources, "/srv", inherited, {}, db);
}
function plan(text: string, db?: Accounts, inherited?: Record<string, string>, envFile?: string) {
  const r = tryPlan(text, db, inherited, envFile);
  if (!r.ok) throw new Error(`unexpected error: ${r.error}`);
  return r.plan;
}
const err = (text: string, db?: Accounts): string => {
  const r = tryPlan(text, db);
  if (r.ok) throw new Error("expected an error");
  return r.error;
};
const parseErr = (text: string): string => {
  const r = parseConfig(text, F);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.config)}`);
  return r.error;
};

describe("the keys", () => {
  test("user and group as names or ids, limits as values or [soft, hard] pairs", () => {
    const r = parseConfig(`[servers.a]\ncmd = "a"\nuser = "www"\ngroup = 500\nlimits = { nofile = 1024, core = 0, nproc = [100, 200], as = "infinity", stack = [8388608, "infinity"] }\n`, F);
    expect(r.ok && r.config.servers[0]).toMatchObject({
      user: "www", group: 500,
      limits: [
        { name: "nofile", soft: 1024, hard: 1024 }, { name: "core", soft: 0, hard: 0 }, { name: "nproc", soft: 100, hard: 200 },
        { name: "as", soft: null, hard: null }, { name: "stack", soft: 8388608, hard: null },
      ],
    });
  });

  test.each([
    ["user = \"\"", "lazarus.toml:3: servers.a.user: expected a user name or id, got an empty string."],
    ["user = -1", "lazarus.toml:3: servers.a.user: expected a user name or id (0 to 4294967294), got an integer (-1)."],
    ["user = 4294967295", "lazarus.toml:3: servers.a.user: expected a user name or id (0 to 4294967294), got an integer (4294967295)."],
    ["user = true", "lazarus.toml:3: servers.a.user: expected a user name or id, got a boolean (true)."],
    ["group = \"www\"", "lazarus.toml:3: servers.a.group: needs user: a server runs in another group only as another user (user = …)."],
    ["user = \"www\"\ngroup = 1.5", "lazarus.toml:4: servers.a.group: expected a group name or id (0 to 4294967294), got a number (1.5)."],
    ["limits = 5", "lazarus.toml:3: servers.a.limits: expected a table of resource limits, like { nofile = 1024 }, got an integer (5)."],
    ["limits = { files = 5 }", "lazarus.toml:3: servers.a.limits.files: unknown key; expected one of: cpu, fsize, data, stack, core, rss, nproc, nofile, memlock, as, locks, sigpending, msgqueue, nice, rtprio, rttime."],
    ["limits = { nofile = -1 }", "lazarus.toml:3: servers.a.limits.nofile: -1 is out of range (0 to 9007199254740991, or \"infinity\")."],
    ["limits = { nofile = \"lots\" }", "lazarus.toml:3: servers.a.limits.nofile: expected a whole number or \"infinity\", got a string (\"lots\")."],
    ["limits = { nofile = [1, 2, 3] }", "lazarus.toml:3: servers.a.limits.nofile: expected a value or [soft, hard], got an array of 3."],
    ["limits = { nofile = [20, 10] }", "lazarus.toml:3: servers.a.limits.nofile: the soft limit 20 is above the hard limit 10."],
    ["limits = { nofile = [\"infinity\", 10] }", "lazarus.toml:3: servers.a.limits.nofile: the soft limit infinity is above the hard limit 10."],
  ])("%s: %s", (line, message) => {
    expect(parseErr(`[servers.a]\ncmd = "a"\n${line}\n`)).toBe(message);
  });
});

describe("resolving user and group (accounts.ts)", () => {
  test("a user runs in its primary group by default, with the groups it is a member of", () => {
    expect(resolveUser("www", undefined, accounts())).toEqual({
      ok: true, runAs: { uid: 33, gid: 33, groups: [33, 4, 500], user: "www" }, env: { HOME: "/var/www", USER: "www", LOGNAME: "www", SHELL: "/usr/sbin/nologin" },
    });
  });

  test("a group given instead: the supplementary groups are getgrouplist's for that group (as systemd's Group=)", () => {
    expect(resolveUser("www", "nogroup", accounts())).toMatchObject({ ok: true, runAs: { uid: 33, gid: 65534, groups: [65534, 4, 500] } });
  });

  test("ids: a number, or a name of digits nobody has; an id without an entry needs its group, and gets no variables", () => {
    expect(resolveUser(33, undefined, accounts())).toMatchObject({ ok: true, runAs: { uid: 33, gid: 33 }, env: { USER: "www" } });
    expect(resolveUser("65534", undefined, accounts())).toMatchObject({ ok: true, runAs: { uid: 65534, gid: 65534, groups: [65534] }, env: { USER: "nobody" } });
    // (its `user`, for the status, is its uid: no name is known)
    expect(resolveUser(4000, "4000", accounts())).toEqual({ ok: true, runAs: { uid: 4000, gid: 4000, groups: [4000], user: "4000" }, env: {} });
    expect(resolveUser(4000, undefined, accounts())).toEqual({ ok: false, key: "user", message: "no user with uid 4000 in the user database: give its group too (group = …)." });
  });

  test("unknown names", () => {
    expect(resolveUser("x", undefined, accounts())).toEqual({ ok: false, key: "user", message: "no user named \"x\"." });
    expect(resolveUser("www", "x", accounts())).toEqual({ ok: false, key: "group", message: "no group named \"x\"." });
  });

  test("lazarus not root: itself only (and nothing to change in the child), any other user or group refused", () => {
    expect(resolveUser("www", undefined, accounts(33, 33))).toEqual({ ok: true, runAs: null, env: { HOME: "/var/www", USER: "www", LOGNAME: "www", SHELL: "/usr/sbin/nologin" } });
    expect(resolveUser("nobody", undefined, accounts(33, 33))).toEqual({
      ok: false, key: "user", message: "lazarus runs as uid 33, not as root: it cannot run a server as another user (uid 65534).",
    });
    expect(resolveUser("www", "web", accounts(33, 33))).toEqual({
      ok: false, key: "group", message: "lazarus runs as gid 33, not as root: it cannot run a server in another group (gid 500).",
    });
  });

  test("without a user database (the simulator) a user is refused, said plainly", () => {
    expect(resolveUser("www", undefined, undefined)).toEqual({ ok: false, key: "user", message: "users cannot be looked up here." });
  });
});

describe("the plan", () => {
  const web = `[servers.web]\ncmd = "a"\nuser = "www"\n`;

  test("errors are one line: the file, the key's line, the key", () => {
    expect(err(`[servers.web]\ncmd = "a"\n\nuser = "x"\n`)).toBe("lazarus.toml:4: servers.web.user: no user named \"x\".");
    expect(err(`[servers.web]\ncmd = "a"\nuser = "www"\ngroup = "x"\n`)).toBe("lazarus.toml:4: servers.web.group: no group named \"x\".");
    expect(err(`[servers.app]\ncmd = "a"\nuser = "nobody"\n`, accounts(1000, 1000))).toBe(
      "lazarus.toml:3: servers.app.user: lazarus runs as uid 1000, not as root: it cannot run a server as another user (uid 65534).",
    );
  });

  test("sd_notify readiness and another user: refused (lazarus's notification socket is private to its own user); as itself, allowed", () => {
    expect(err(`[servers.web]\ncmd = "a"\nuser = "www"\nready = { notify = true }\n`)).toBe(
      "lazarus.toml:4: servers.web.ready: { notify = true } cannot be told by a server run as another user: lazarus's notification socket is private to its own user. Give it another readiness check (tcp, http, cmd or log).",
    );
    expect(plan(`[servers.web]\ncmd = "a"\nuser = "root"\nready = { notify = true }\n`).launches[0]?.runAs?.uid).toBe(0);
    expect(plan(`[servers.web]\ncmd = "a"\nuser = "www"\nready = { notify = true }\n`, accounts(33, 33)).launches[0]?.runAs).toBeNull();
  });

  test("the launch holds whom it runs as and its limits; the launcher hands them to the port; other servers have neither", () => {
    const p = plan(`${web}limits = { nofile = 10 }\n[servers.other]\ncmd = "b"\n`);
    expect(p.launches[0]).toMatchObject({ runAs: { uid: 33, gid: 33, groups: [33, 4, 500] }, limits: [{ name: "nofile", soft: 10, hard: 10 }] });
    expect(p.launches[1]).toMatchObject({ runAs: null, limits: [] });
    const l = launcher(p);
    expect(l(0)).toMatchObject({ runAs: { uid: 33 }, limits: [{ name: "nofile" }] });
    expect("runAs" in l(1) || "limits" in l(1)).toBe(false);
  });

  test("every copy of a table with instances runs as its user", () => {
    const p = plan(`${web}instances = 2\n`);
    expect(p.launches.map((x) => x.runAs?.uid)).toEqual([33, 33]);
  });

  test("the user's HOME, USER, LOGNAME and SHELL over lazarus's own, under the env file's and the server's own env", () => {
    const own = plan(web).launches[0]?.env;
    expect(own).toEqual({ HOME: "/var/www", USER: "www", LOGNAME: "www", SHELL: "/usr/sbin/nologin", PATH: "/bin" });
    const p = plan(`${web}env = { USER = "mine" }\n[servers.other]\ncmd = "b"\n`, accounts(), undefined, "HOME=/from/env-file\n");
    expect(p.launches[0]?.env).toEqual({ HOME: "/from/env-file", USER: "mine", LOGNAME: "www", SHELL: "/usr/sbin/nologin", PATH: "/bin" });
    // A server without a user keeps lazarus's.
    expect(p.launches[1]?.env).toEqual({ HOME: "/from/env-file", USER: "root", PATH: "/bin" });
  });

  test("lazarus not root, the user itself: allowed, with that user's variables and nothing to change", () => {
    const p = plan(web, accounts(33, 33));
    expect(p.launches[0]).toMatchObject({ runAs: null, env: { USER: "www", HOME: "/var/www" } });
  });
});

describe("the launch fingerprint", () => {
  const key = (text: string) => withLaunchKeys(plan(text)).servers[0]?.launch;

  test("a change of user, group, groups or limits changes it (a reload restarts the server)", () => {
    const base = key(`[servers.a]\ncmd = "a"\nuser = "www"\n`);
    expect(key(`[servers.a]\ncmd = "a"\nuser = "www"\ngroup = "web"\n`)).not.toBe(base);
    expect(key(`[servers.a]\ncmd = "a"\nuser = "www"\nlimits = { core = 0 }\n`)).not.toBe(base);
    expect(key(`[servers.a]\ncmd = "a"\nuser = "www"\nlimits = { core = 0 }\n`)).not.toBe(key(`[servers.a]\ncmd = "a"\nuser = "www"\nlimits = { core = 1 }\n`));
    // The same user, its variables set by env (the same complete environment): only the ids differ.
    const l = plan(`[servers.a]\ncmd = "a"\nuser = "www"\n`).launches[0];
    if (l === undefined) throw new Error("no launch");
    expect(launchKey("a", { ...l, runAs: { ...(l.runAs ?? { uid: 0, gid: 0 }), groups: [33] } })).not.toBe(launchKey("a", l));
  });

  test("the order of the limits in the file, or of the groups in the user database, changes nothing (a reload does not restart the server)", () => {
    // It did: `limits = { core = 0, nofile = 64 }` written `{ nofile = 64, core = 0 }` restarted the server.
    expect(key(`[servers.a]\ncmd = "a"\nlimits = { nofile = 64, core = 0 }\n`)).toBe(key(`[servers.a]\ncmd = "a"\nlimits = { core = 0, nofile = 64 }\n`));
    expect(key(`[servers.a]\ncmd = "a"\nlimits = { nofile = 64, core = 0 }\n`)).not.toBe(key(`[servers.a]\ncmd = "a"\nlimits = { core = 0, nofile = 65 }\n`));
    const l = plan(`[servers.a]\ncmd = "a"\nuser = "www"\n`).launches[0];
    if (l === undefined) throw new Error("no launch");
    const as = (groups: number[]) => launchKey("a", { ...l, runAs: { uid: 33, gid: 33, groups } });
    expect(as([33, 4, 20])).toBe(as([33, 20, 4]));
    expect(as([33, 4, 20])).not.toBe(as([33, 4]));
  });

  test("a server without user or limits keeps the key it had before they existed (a re-exec into this image restarts nothing)", () => {
    const l = plan(`[servers.a]\ncmd = "a"\ncwd = "/x"\n`).launches[0];
    if (l === undefined) throw new Error("no launch");
    const json = (v: unknown) => JSON.stringify(v);
    const env = JSON.stringify(Object.keys(l.env).sort().map((k) => [k, l.env[k]]));
    expect(launchKey("a", l)).toBe(checksumOf(["[", json("a"), ",", json(l.cwd), ",", env, ",", json(l.output), ",", json(l.log), ",", json(l.ready), "]"]));
  });
});

describe("start and reload", () => {
  /** prepare() on these files: the plan, and a reload after the file changed. */
  function boot(first: string, db: Accounts) {
    const files = new Map([["/srv/lazarus.toml", first]]);
    const p = prepare({
      args: [], env: { PATH: "/bin" }, self: ["lazarus"], pid: 1, uid: db.uid, tmpdir: "/tmp", cwd: "/srv", accounts: db,
      files: { readFile: (path) => {
        const t = files.get(path);
        return t === undefined ? { ok: false, missing: true, error: `${path}: missing` } : { ok: true, bytes: new TextEncoder().encode(t) };
      } },
    });
    return { p, edit: (text: string) => files.set("/srv/lazarus.toml", text) };
  }

  test("not root: a user other than itself refused at the start, and by a reload that adds one, with the same line", () => {
    const line = "lazarus.toml:4: servers.a.user: lazarus runs as uid 1000, not as root: it cannot run a server as another user (uid 33).";
    const refused = boot(`control = "none"\n[servers.a]\ncmd = "a"\nuser = "www"\n`, accounts(1000, 1000)).p;
    expect(refused).toEqual({ kind: "error", message: line, status: 2 });
    const { p, edit } = boot(`control = "none"\n[servers.a]\ncmd = "a"\n`, accounts(1000, 1000));
    if ("kind" in p) throw new Error(`did not prepare: ${JSON.stringify(p)}`);
    edit(`control = "none"\n[servers.a]\ncmd = "a"\nuser = "www"\n`);
    expect(p.reread({})).toEqual({ ok: false, error: line });
  });

  test("root: a reload that changes the user changes the server's fingerprint (it is restarted)", () => {
    const { p, edit } = boot(`control = "none"\n[servers.a]\ncmd = "a"\nuser = "www"\n`, accounts());
    if ("kind" in p) throw new Error(`did not prepare: ${JSON.stringify(p)}`);
    edit(`control = "none"\n[servers.a]\ncmd = "a"\nuser = "nobody"\n`);
    const r = p.reread({});
    if (!r.ok) throw new Error(r.error);
    expect(r.plan.launches[0]?.runAs).toEqual({ uid: 65534, gid: 65534, groups: [65534], user: "nobody" });
    expect(r.plan.servers[0]?.launch).not.toBe(p.plan.servers[0]?.launch);
  });
});
