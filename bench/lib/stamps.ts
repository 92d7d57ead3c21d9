// The stamp file written by bench/stamp.c (pure parsing and arithmetic):
//   S TAG PID NS   at the top of main        E TAG PID NS   just before exit
// NS is CLOCK_MONOTONIC in nanoseconds, the same clock in every process.

export interface Stamp {
  readonly kind: "S" | "E";
  readonly tag: string;
  readonly pid: number;
  readonly ns: number;
}

/**
 * Parse complete lines of `text`; a last line without its newline is left for
 * later (a writer may be half way through it). Returns the stamps and how many
 * characters were consumed. Malformed lines are skipped and counted.
 */
export function parseStamps(text: string): { stamps: Stamp[]; consumed: number; malformed: number } {
  const stamps: Stamp[] = [];
  let malformed = 0;
  const end = text.lastIndexOf("\n") + 1;
  for (const line of text.slice(0, end).split("\n")) {
    if (line === "") continue;
    const f = line.split(" ");
    const kind = f[0];
    const pid = Number(f[2]);
    const ns = Number(f[3]);
    if (f.length !== 4 || (kind !== "S" && kind !== "E") || f[1] === "" || !Number.isInteger(pid) || !Number.isInteger(ns)) {
      malformed++;
      continue;
    }
    stamps.push({ kind, tag: f[1] as string, pid, ns });
  }
  return { stamps, consumed: end, malformed };
}

/**
 * Respawn latencies in nanoseconds: for every exit stamp of a tag, the next start
 * stamp of the same tag minus it. An exit with no later start gives nothing.
 */
export function respawnLatencies(stamps: readonly Stamp[]): number[] {
  const byTag = new Map<string, Stamp[]>();
  for (const s of stamps) {
    const list = byTag.get(s.tag);
    if (list === undefined) byTag.set(s.tag, [s]);
    else list.push(s);
  }
  const out: number[] = [];
  for (const list of byTag.values()) {
    // Stable sort: an S and an E with the same ns keep file order (E then S).
    const sorted = [...list].sort((a, b) => a.ns - b.ns);
    let exitNs: number | null = null;
    for (const s of sorted) {
      if (s.kind === "E") exitNs = s.ns;
      else if (exitNs !== null) {
        out.push(s.ns - exitNs);
        exitNs = null;
      }
    }
  }
  return out;
}

export interface StormOutcome {
  /** Servers that exited in the storm (exit stamps). */
  readonly crashed: number;
  /** Servers started again after the storm (start stamps). */
  readonly restarted: number;
  /** From the first exit to the last start, ns; NaN unless every crashed server restarted. */
  readonly allBackNs: number;
  /** Per-server respawn latencies within the storm, ns. */
  readonly latencies: number[];
}

/** What happened in a storm, from the stamps written since it was fired. */
export function stormOutcome(since: readonly Stamp[]): StormOutcome {
  const exits = since.filter((s) => s.kind === "E");
  const starts = since.filter((s) => s.kind === "S");
  const crashed = new Set(exits.map((s) => s.tag)).size;
  const restarted = new Set(starts.map((s) => s.tag)).size;
  const first = Math.min(...exits.map((s) => s.ns));
  const last = Math.max(...starts.map((s) => s.ns));
  const complete = crashed > 0 && restarted >= crashed;
  return { crashed, restarted, allBackNs: complete ? last - first : Number.NaN, latencies: respawnLatencies(since) };
}

/** Pids that stamped a start but no exit: the ones that may still be running. */
export function unfinishedPids(stamps: readonly Stamp[]): number[] {
  const open = new Set<number>();
  for (const s of stamps) {
    if (s.kind === "S") open.add(s.pid);
    else open.delete(s.pid);
  }
  return [...open];
}
