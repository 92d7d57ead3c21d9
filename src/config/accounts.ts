// Running a server as another user (`user`, `group`) and with resource limits
// (`limits`): the names resolved against the user database, and what a server
// then runs with. Pure: the database is handed in (Accounts: libc's getpwnam and
// friends in production, src/os/libc.ts; nothing at all in the simulator).

/** An entry of the user database (getpwnam's struct passwd). */
export interface UserEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

/** The user database, and who lazarus itself runs as. */
export interface Accounts {
  /** lazarus's own user and group ids. */
  readonly uid: number;
  readonly gid: number;
  /** The user named `key` (a string) or with uid `key` (a number); null when there is none. */
  user(key: string | number): UserEntry | null;
  /** The gid of the group named `key` (a string) or with gid `key` (a number); null when there is none. */
  group(key: string | number): number | null;
  /** The groups of user `name` in group `gid` (getgrouplist: `gid` among them). */
  groups(name: string, gid: number): readonly number[];
}

/** Who a server runs as: set in its child between fork and exec (setgroups, setgid, setuid). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
  /** Its supplementary groups (setgroups), computed by lazarus: the child never reads the user database. */
  readonly groups: readonly number[];
  /** Who that is, for the status (`ctl status`, HTTP): the account's name, or its uid when the user database has none. Not part of the launch. */
  readonly user?: string;
}

/** Linux's resource numbers (RLIMIT_*: the same on x86-64 and arm64), by the names `limits` takes (systemd's LimitNAME= in lower case). */
export const LIMIT_RESOURCES = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9, locks: 10, sigpending: 11, msgqueue: 12,
  nice: 13, rtprio: 14, rttime: 15,
} as const;

export type LimitName = keyof typeof LIMIT_RESOURCES;

/** One resource limit of a server (setrlimit in its child); null: unlimited (RLIM_INFINITY). */
export interface Limit {
  readonly name: LimitName;
  readonly soft: number | null;
  readonly hard: number | null;
}

/** What `user` and `group` make of a server: whom it runs as (null: as lazarus), the variables it gets, or what is wrong (and with which key). */
export type Resolved =
  | { readonly ok: true; readonly runAs: RunAs | null; readonly env: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly key: "user" | "group"; readonly message: string };

/** An entry found by name or, failing that, a name of digits taken as an id (as systemd does). */
function lookUp<T>(key: string | number, find: (k: string | number) => T | null): T | number | null {
  const found = find(key);
  if (found !== null) return found;
  if (typeof key === "string" && /^[0-9]{1,10}$/.test(key) && Number(key) < 0xffffffff) return find(Number(key)) ?? Number(key);
  return typeof key === "number" ? key : null;
}

/**
 * A server's `user` and `group` against the user database: its uid, gid and
 * supplementary groups, and the variables a login of that user has (HOME, USER,
 * LOGNAME, SHELL: as systemd's User= gives them). A number, or a name of digits
 * nobody has, is taken as an id even without an entry (then the group must be
 * given, and no variable is set). When lazarus is not root it can only run a
 * server as itself: any other user or group is refused.
 */
export function resolveUser(user: string | number, group: string | number | undefined, accounts: Accounts | undefined): Resolved {
  if (accounts === undefined) return { ok: false, key: "user", message: "users cannot be looked up here." };
  const u = lookUp(user, (k) => accounts.user(k));
  if (u === null) return { ok: false, key: "user", message: `no user named ${JSON.stringify(user)}.` };
  const entry = typeof u === "number" ? null : u;
  const uid = typeof u === "number" ? u : u.uid;
  let gid: number;
  if (group === undefined) {
    if (entry === null) return { ok: false, key: "user", message: `no user with uid ${uid} in the user database: give its group too (group = …).` };
    gid = entry.gid;
  } else {
    const g = lookUp(group, (k) => accounts.group(k));
    if (g === null) return { ok: false, key: "group", message: `no group named ${JSON.stringify(group)}.` };
    gid = g;
  }
  const env: Record<string, string> = {};
  if (entry !== null) {
    if (entry.home !== "") env.HOME = entry.home;
    env.USER = entry.name;
    env.LOGNAME = entry.name;
    if (entry.shell !== "") env.SHELL = entry.shell;
  }
  if (accounts.uid !== 0) {
    if (uid !== accounts.uid) {
      return { ok: false, key: "user", message: `lazarus runs as uid ${accounts.uid}, not as root: it cannot run a server as another user (uid ${uid}).` };
    }
    if (gid !== accounts.gid) {
      return { ok: false, key: group === undefined ? "user" : "group", message: `lazarus runs as gid ${accounts.gid}, not as root: it cannot run a server in another group (gid ${gid}).` };
    }
    // Itself: nothing to change in the child (and setgroups would be refused).
    return { ok: true, runAs: null, env };
  }
  const groups = entry === null ? [gid] : [...new Set([gid, ...accounts.groups(entry.name, gid)])];
  return { ok: true, runAs: { uid, gid, groups, user: entry?.name ?? String(uid) }, env };
}
