// The difference a reload makes (docs/spec.md, "Reload"), computed once, here:
// the servers the core runs against the servers of the files read again, by
// name. Pure.
//
// Indices never move while the supervisor runs: a server that stays keeps its
// slot; a new one is appended (or takes over the slot of a removed server of
// the same name that has ended); a removed one is retired in place (stopped,
// then forgotten: its slot stays, empty). The new servers' dependsOn (indices
// into the reload's list) become indices of the core's slots.
import type { ReloadSummary, Server, ServerSpec } from "./types.ts";
import type { Vec } from "./vec.ts";

/** What happens to one slot. */
export type SlotChange =
  /**
   * Same spec: not touched. `spec`: the same, with its dependencies on a table's copies as they are now (a scale
   * gave the table other copies), taken at once. A server that keeps its old process with a new spec pending
   * (keepsOldProcess) is unchanged when its process runs this spec (the files were changed back): its pending spec goes.
   */
  | { readonly kind: "unchanged"; readonly slot: number; readonly spec?: ServerSpec }
  /**
   * A spec that differs only in policy (sameLaunch: how its process is launched and says it is ready are the same):
   * taken in place, its process (if any) untouched, its checks re-armed as the new spec says (step.ts, updateInPlace).
   * Counted among the unchanged in the summary, and named in its `updated`.
   */
  | { readonly kind: "updated"; readonly slot: number; readonly spec: ServerSpec }
  /** A different spec under the same name: stopped and started again with it (at once when it does not run). */
  | { readonly kind: "changed"; readonly slot: number; readonly spec: ServerSpec }
  /** A new name: a fresh server in this slot (appended, or an ended removed server's). */
  | { readonly kind: "added"; readonly slot: number; readonly spec: ServerSpec }
  /** Its name is gone: stopped, never started again, forgotten once ended. */
  | { readonly kind: "removed"; readonly slot: number };

export interface Reconfiguration {
  /** In slot order of the new servers, then the removed ones: a table's copies highest-numbered first, the rest last slot first. */
  readonly changes: readonly SlotChange[];
  /** How many slots there are after it (appended ones included). */
  readonly length: number;
  readonly summary: ReloadSummary;
}

/** Whether a slot's server still counts (not removed by a reload, nor a rolling restart's new process still on its way). */
export function isCurrent(s: Server): boolean {
  return s.retired !== true && s.replaces === undefined;
}

/** The spec a server runs with from its next start on: a pending one, else its own. */
export function targetSpec(s: Server): ServerSpec {
  return s.next ?? s.spec;
}

/**
 * Its process runs on with a reload's new spec pending and no stop order: a copy a rolling reload has not replaced
 * (yet, or any more: the roll stopped, or a reload or a scale ended it). Its process runs its own spec.
 */
export function keepsOldProcess(s: Server): boolean {
  return s.next !== undefined && s.life.kind === "alive" && s.life.stop === null;
}

/**
 * What a reload compares a server's new spec with: what its process runs while it keeps its old process with a new
 * spec pending (so that a reload that ends a rolling reload carries the change on, and one that changes it back
 * leaves the process alone); else the spec it runs with from its next start on.
 */
function runsSpec(s: Server): ServerSpec {
  return keepsOldProcess(s) ? s.spec : targetSpec(s);
}

/** The slot of the current server with this name, or -1. */
export function slotOfName(servers: Vec<Server>, name: string): number {
  return servers.findIndex((s) => isCurrent(s) && s.spec.name === name);
}

/**
 * Compare the servers the core runs with `specs` (dependsOn: indices into `specs`) by name. `zero`: the tables held at 0
 * copies before or after it (Settings.scaledToZero): a dependency on one is none, on either side (a scale to 0 and back
 * leaves what depends on the table unchanged).
 */
export function reconfigure(servers: Vec<Server>, specs: readonly ServerSpec[], zero: ReadonlySet<string> = new Set()): Reconfiguration {
  const current = new Map<string, number>();
  const ended = new Map<string, number>();
  servers.forEach((s, i) => {
    const name = s.spec.name;
    if (isCurrent(s)) current.set(name, i);
    else if (s.life.kind !== "alive" && s.life.kind !== "starting" && !ended.has(name)) ended.set(name, i);
  });
  // Each new server's slot first: its dependencies are named by these.
  let length = servers.length;
  const slots = specs.map((spec) => current.get(spec.name) ?? ended.get(spec.name) ?? length++);
  const changes: SlotChange[] = [];
  const summary = { added: [] as string[], changed: [] as string[], removed: [] as string[], unchanged: [] as string[], updated: [] as string[] };
  specs.forEach((given, k) => {
    const slot = slots[k] as number;
    const spec = withSlots(given, slots);
    if (!current.has(given.name)) {
      changes.push({ kind: "added", slot, spec });
      summary.added.push(given.name);
    } else if (sameServer(runsSpec(servers.at(slot) as Server), (d) => tableOf(targetSpec(servers.at(d) as Server)), given, (d) => tableOf(specs[d] as ServerSpec), zero)) {
      const s = servers.at(slot) as Server;
      const old = runsSpec(s);
      changes.push(sameSpec(old, spec) ? { kind: "unchanged", slot } : { kind: "unchanged", slot, spec });
      // One waiting for a table this scales to 0 (or from 0) may be started by it: said as a changed one is (as below),
      // so that `--wait` waits for it to be up.
      const starts = s.life.kind === "waiting" && zero.size > 0 &&
        !sameServer(old, (d) => tableOf(targetSpec(servers.at(d) as Server)), given, (d) => tableOf(specs[d] as ServerSpec), new Set());
      (starts ? summary.changed : summary.unchanged).push(given.name);
    } else if (sameLaunch(runsSpec(servers.at(slot) as Server), given)) {
      changes.push({ kind: "updated", slot, spec });
      // One that does not run and that this reload may start (its autostart turned on; waiting for its dependencies,
      // which it changes) is said as a changed one is: it has no process that runs on, and `ctl reload --wait` waits
      // for what is added or changed to be up.
      const s = servers.at(slot) as Server;
      const old = runsSpec(s);
      const starts = (s.life.kind === "unborn" && old.autostart === false && given.autostart !== false) ||
        (s.life.kind === "waiting" && !sameServer(
          { ...old, dependsOn: old.dependsOn ?? [] }, (d) => tableOf(targetSpec(servers.at(d) as Server)),
          { ...old, dependsOn: given.dependsOn ?? [] }, (d) => tableOf(specs[d] as ServerSpec), new Set(),
        ));
      if (starts) summary.changed.push(given.name);
      else {
        summary.unchanged.push(given.name);
        summary.updated.push(given.name);
      }
    } else {
      changes.push({ kind: "changed", slot, spec });
      summary.changed.push(given.name);
    }
  });
  const kept = new Set(specs.map((s) => s.name));
  const removed: { readonly change: SlotChange; readonly copy: number }[] = [];
  for (const [name, slot] of current) {
    if (kept.has(name)) continue;
    removed.push({ change: { kind: "removed", slot }, copy: copyNumber((servers.at(slot) as Server).spec) });
    summary.removed.push(name);
  }
  // Copies that go (NAME.3, then NAME.2) are stopped highest-numbered first, whatever their slots (a copy a scale
  // added again may have a later slot than one above it); the rest the last slot first.
  removed.sort((a, b) => b.copy - a.copy || b.change.slot - a.change.slot);
  changes.push(...removed.map((r) => r.change));
  // (`updated` only when some were: a reload that updates nothing answers and logs what it did before, byte for byte)
  const { updated, ...rest } = summary;
  return { changes, length, summary: updated.length > 0 ? summary : rest };
}

/**
 * Whether processes of these two servers cannot run at once: the same name (so the same copy NAME.N of one table), or
 * a table's server without copies (NAME) and one of its copies (NAME.N: a rename, NAME becomes NAME.1 …, or back). By
 * name alone: a copy's name says which table and copy it is. A removed server's process that still stops holds its
 * seat: a server added in it waits for it to end.
 */
export function sameSeat(a: ServerSpec, b: ServerSpec): boolean {
  return a.name === b.name || isCopyOf(a.name, b.name) || isCopyOf(b.name, a.name);
}

/** NAME.N (N a number from 1) for `table` NAME. */
function isCopyOf(name: string, table: string): boolean {
  return name.length > table.length + 1 && name.startsWith(`${table}.`) && /^[1-9][0-9]*$/.test(name.slice(table.length + 1));
}

/**
 * The slot of a process that a server of this spec must wait for before it starts (-1: none): one of a server a
 * reload removed (or given up) that still runs or is being started, in the same seat (sameSeat), other than `except`.
 */
export function oldProcessOf(servers: Vec<Server>, spec: ServerSpec, except = -1): number {
  return servers.findIndex((s, i) => i !== except && s.retired === true && (s.life.kind === "alive" || s.life.kind === "starting") && sameSeat(s.spec, spec));
}

/** Which copy of its table a server is (NAME.N: N), 0 for a server that is no copy. */
function copyNumber(s: ServerSpec): number {
  if (s.group === undefined || !s.name.startsWith(`${s.group}.`)) return 0;
  const n = Number(s.name.slice(s.group.length + 1));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** The spec with its dependsOn as slots. */
function withSlots(spec: ServerSpec, slots: readonly number[]): ServerSpec {
  if (spec.dependsOn === undefined) return spec;
  return { ...spec, dependsOn: spec.dependsOn.map((d) => slots[d] as number) };
}

/** Two specs run the same server: every field equal (an empty dependency list is no list). */
export function sameSpec(a: ServerSpec, b: ServerSpec): boolean {
  return canonical(normal(a)) === canonical(normal(b));
}

/** What a dependency on this server is a dependency on: its table (a table with instances: every copy, however many), or itself. */
function tableOf(s: ServerSpec): string {
  return s.group ?? s.name;
}

/**
 * Two specs run the same server, their dependencies by what they depend on (`a`'s and `b`'s dependency indices to
 * names: a table's copies by the table's), in any order: a scale of a table changes nothing that depends on it. A
 * table in `zero` is left out of both (held at 0 copies before or after: no dependency to wait for).
 */
function sameServer(a: ServerSpec, aName: (d: number) => string, b: ServerSpec, bName: (d: number) => string, zero: ReadonlySet<string>): boolean {
  const plain = (s: ServerSpec, name: (d: number) => string) => {
    const { dependsOn, ...rest } = s;
    return canonical({ ...rest, deps: [...new Set((dependsOn ?? []).map(name))].filter((n) => !zero.has(n)).sort() });
  };
  return plain(a, aName) === plain(b, bName);
}

/**
 * The fields a running process is launched with, or that say how it tells it is ready (docs/spec.md, "Reload": a change
 * of any of them restarts it; of any other, a policy, applies in place). argv (and the label, which follows it or the
 * name), the launch fingerprint (cwd, environment, output, log file), the readiness check (the program's own contract:
 * a notify server's NOTIFY_SOCKET is in its environment, a log pattern is a line it prints, a probe is a port it
 * opens), and which table it is a copy of.
 */
export const LAUNCH_FIELDS = ["argv", "name", "label", "launch", "ready", "group"] as const satisfies readonly (keyof ServerSpec)[];

/** Two specs launch the same process: they differ at most in policy (LAUNCH_FIELDS all equal). */
export function sameLaunch(a: ServerSpec, b: ServerSpec): boolean {
  return LAUNCH_FIELDS.every((k) => sameField(a[k], b[k]));
}

/** Two values of a spec's field are the same (objects by their fields, in any order; undefined is absent). */
export function sameField(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function normal(s: ServerSpec): ServerSpec {
  if (s.dependsOn === undefined || s.dependsOn.length > 0) return s;
  const { dependsOn: _, ...rest } = s;
  return rest;
}

/** JSON with the keys of every object sorted and undefined fields left out. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(",")}]`;
  if (typeof x === "object" && x !== null) {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(x);
}

/** "2 added (api, worker), 1 changed (web), 1 removed (old), 3 unchanged (1 updated in place: db)". */
export function summaryText(s: ReloadSummary): string {
  const names = (n: readonly string[]) => `${n.slice(0, 10).join(", ")}${n.length > 10 ? `, … ${n.length - 10} more` : ""}`;
  const part = (n: readonly string[], what: string) => `${n.length} ${what}${n.length > 0 ? ` (${names(n)})` : ""}`;
  const updated = s.updated ?? [];
  const unchanged = `${s.unchanged.length} unchanged${updated.length > 0 ? ` (${updated.length} updated in place: ${names(updated)})` : ""}`;
  return [part(s.added, "added"), part(s.changed, "changed"), part(s.removed, "removed"), unchanged].join(", ");
}
