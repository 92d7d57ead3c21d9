// What every scenario shares: the run's context, fleets of fixture servers, and the
// section of the results each scenario returns.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Binaries } from "../lib/build.ts";
import { onCleanup } from "../lib/cleanup.ts";
import { StampLog } from "../lib/stamp-log.ts";
import type { Fleet, Policy, Running, Server, Target } from "../targets/target.ts";

export interface Context {
  readonly quick: boolean;
  readonly bins: Binaries;
  /** Scratch root for this run (removed at the end). */
  readonly work: string;
  /** lazarus (log to /dev/null) first, then the peers, available or not. */
  readonly targets: readonly Target[];
  /** The floors as fleet supervisors (bench/floor.c, bench/floor-bun.ts). */
  readonly floors: readonly Target[];
  /** lazarus with its log in a file (for the logging cost, and to see burials). */
  readonly lazarusLogged: Target;
  /** Diagnostics on stderr. */
  say(text: string): void;
}

/** One part of the results: a Markdown table with notes, and the raw numbers. */
export interface Section {
  readonly id: string;
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
  readonly data: unknown;
}

let counter = 0;

/** A new scratch directory under the run's root. */
export function scratch(ctx: Context, name: string): string {
  const dir = join(ctx.work, `${String(++counter).padStart(3, "0")}-${name.replace(/[^a-z0-9]+/gi, "-")}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `n` servers running the stamp fixture in `mode`, all writing to one stamp log. */
export function servers(ctx: Context, log: StampLog, n: number, mode: string, code = 1): Server[] {
  return Array.from({ length: n }, (_, i) => ({ tag: `s${i}`, argv: [ctx.bins.stamp, log.path, `s${i}`, mode, String(code)] }));
}

/**
 * Start `target` on a fleet, run `body`, and stop it whatever happens (also on
 * Ctrl-C of the bench).
 */
export async function withFleet<T>(
  target: Target,
  fleet: { servers: readonly Server[]; policy: Policy; dir: string },
  body: (running: Running) => Promise<T>,
): Promise<T> {
  const running = await target.start(fleet as Fleet);
  const stop = onCleanup(() => running.stop());
  try {
    return await body(running);
  } finally {
    await stop();
  }
}

/** Wait until `n` more start stamps than `before` were written; throws on timeout. */
export async function waitStarts(log: StampLog, before: number, n: number, timeoutMs: number, what: string): Promise<void> {
  const ok = await log.waitUntil(() => log.total("S") - before >= n, timeoutMs);
  if (!ok) throw new Error(`${what}: only ${log.total("S") - before} of ${n} servers started within ${timeoutMs / 1000} s`);
}

/** A short error text for a table cell. */
export function failure(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return `failed: ${text.split("\n")[0]?.slice(0, 120)}`;
}
