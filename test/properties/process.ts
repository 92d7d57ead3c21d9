// Process-level properties: a generated scenario (a few fixture servers told
// how and when to end, revive signals at random moments, a shutdown) is run
// under the real `bun run src/main.ts --log-format=json`, and what really
// happened is checked:
//   - the core, fed the inputs the supervisor recorded, decides exactly the
//     records it logged (replay: the same core, the same answer);
//   - the recorded inputs agree with the outside world: every fixture that
//     started is a `spawned` pid with the right argv, every exit status is the
//     one the fixture was told to produce (or the signal we sent it), every
//     spawned process ends exactly once;
//   - crashes far below the interval are buried, far above are respawned;
//   - the supervisor exits 0 after SIGTERM and leaves no process behind.
import fc from "fast-check";
import { replay } from "../../src/core/replay.ts";
import { parseSignal, SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import { INITIAL_SPAWN, RESPAWN } from "../../src/core/argv.ts";
import type { Event, ExitStatus } from "../../src/core/types.ts";
import { lives } from "../helpers/pid-lives.ts";
import { Run, SERVER, waitGone } from "../helpers/run.ts";
import { Violation } from "./check.ts";

export const INTERVAL_S = 0.8;

export interface FixtureChoice {
  /** below: dies after 0.05 s (buried: the interval is 0.8 s); above: after 1.4 s (respawned); forever: until stopped. */
  readonly life: "below" | "above" | "forever";
  readonly end: { readonly kind: "exit"; readonly code: number } | { readonly kind: "signal"; readonly signal: "SEGV" | "ABRT" | "TERM" | "INT" | "KILL" | "USR1" };
  readonly ignoreTerm: boolean;
  readonly initialSpawn: boolean;
}

export interface ProcessScenario {
  readonly servers: readonly FixtureChoice[];
  /** Milliseconds after the start at which SIGUSR2 is sent. */
  readonly revives: readonly number[];
  /** When SIGTERM is sent. */
  readonly durationMs: number;
}

export function processScenarioArb(): fc.Arbitrary<ProcessScenario> {
  const fixture: fc.Arbitrary<FixtureChoice> = fc.record({
    life: fc.constantFrom("below" as const, "above" as const, "forever" as const),
    end: fc.oneof(
      fc.constantFrom(0, 1, 3, 42).map((code) => ({ kind: "exit" as const, code })),
      fc.constantFrom("SEGV" as const, "ABRT" as const, "TERM" as const, "INT" as const, "KILL" as const, "USR1" as const).map((signal) => ({ kind: "signal" as const, signal })),
    ),
    ignoreTerm: fc.boolean(),
    initialSpawn: fc.boolean(),
  });
  return fc.record({
    servers: fc.array(fixture, { minLength: 1, maxLength: 3 }),
    revives: fc.array(fc.integer({ min: 100, max: 1800 }), { maxLength: 3 }),
    durationMs: fc.integer({ min: 1800, max: 2800 }),
  });
}

function fixtureArgv(c: FixtureChoice, i: number): string[] {
  const life = c.life === "below" ? ["--life=0.05"] : c.life === "above" ? ["--life=1.4"] : [];
  const end = c.end.kind === "exit" ? [`--exit=${c.end.code}`] : [`--signal=${c.end.signal}`];
  return [SERVER, ...life, ...end, ...(c.ignoreTerm ? ["--ignore-term"] : []), ...(c.initialSpawn ? [INITIAL_SPAWN] : []), `tag=s${i}`];
}

function intendedStatus(c: FixtureChoice): ExitStatus {
  if (c.end.kind === "exit") return { kind: "code", code: c.end.code };
  return { kind: "signal", signal: parseSignal(c.end.signal) as number };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Run it, check it, and return the supervisor's stderr (its JSON log among the fixtures' lines). */
export async function runProcessScenario(sc: ProcessScenario): Promise<string[]> {
  const argvs = sc.servers.map(fixtureArgv);
  const args = ["--log-format=json", `--interval=${INTERVAL_S}`, "--stop-timeout=0.3", "--control=none", ...argvs.flatMap((a) => ["{", ...a, "}"])];
  const run = new Run(args);
  const fail: (msg: string) => never = (msg) => {
    throw new Violation(`${msg}\nscenario: ${JSON.stringify(sc)}\nlog:\n${run.text.split("\n").slice(-40).join("\n")}`);
  };
  try {
    // Signals only once it has its handlers (before that a SIGUSR2 would kill it, as it would any program).
    await run.waitFor(/"event":"start"/);
    const timers = sc.revives.map((ms) => setTimeout(() => run.signal("SIGUSR2"), ms));
    await Bun.sleep(sc.durationMs); // the scenario's own length: nothing is awaited here but time itself
    timers.forEach(clearTimeout);
    run.signal("SIGTERM");
    const end = await run.ended(20_000);
    if (end.code !== 0) fail(`supervisor exited with ${JSON.stringify(end)} after SIGTERM`);

    // What the supervisor recorded.
    const objects = run.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    const inputs = objects.flatMap((o) => (o.input === undefined ? [] : [o.input as Event]));
    const report = replay(objects);
    if (report.problems.length > 0) fail(`the log has unusable lines: ${report.problems.join("; ")}`);
    if (report.mismatches.length > 0) fail(`replay disagrees at input line ${report.mismatches[0]!.line}: ${JSON.stringify(report.mismatches[0])}`);

    // The outside world: fixture start lines.
    const starts = run.lines.flatMap((l) => {
      const m = /^fixture: pid=(\d+) name=\S+ argv: (.*)$/.exec(l);
      return m ? [{ pid: Number(m[1]), argv: m[2]!.split(" ") }] : [];
    });
    const spawned = inputs.flatMap((e) => (e.type === "spawned" ? [e] : []));
    for (const s of starts) {
      const sp = spawned.find((e) => e.pid === s.pid);
      if (sp === undefined) fail(`fixture pid ${s.pid} started but the supervisor never recorded spawning it`);
      const tag = s.argv[s.argv.length - 1];
      if (tag !== `tag=s${sp.server}`) fail(`pid ${s.pid} is ${tag}, recorded as server ${sp.server}`);
    }
    // argv: first spawn as given, later ones with --respawn
    const perServer = new Map<number, number>();
    for (const sp of spawned) {
      const n = perServer.get(sp.server) ?? 0;
      perServer.set(sp.server, n + 1);
      const st = starts.find((s) => s.pid === sp.pid);
      if (st === undefined) continue; // a fixture killed before it printed (shutdown)
      const given = argvs[sp.server]!.slice(1);
      const expected = n === 0 ? given : given.map((a) => (a === INITIAL_SPAWN ? RESPAWN : a));
      if (!same(st.argv, expected)) fail(`spawn ${n} of server ${sp.server} ran with ${st.argv.join(" ")}, expected ${expected.join(" ")}`);
    }

    // Every spawned process ended exactly once, with the status it was told to, or by our signal.
    // By life: the exits from a spawn to the next spawn of the same pid (a pid may be handed out again).
    const exitsOf = new Map(lives(inputs).map((l) => [inputs[l.spawnedAt], l.exits as Extract<Event, { type: "exited" }>[]]));
    const terminateAt = inputs.find((e) => e.type === "terminate")?.at ?? Infinity;
    for (const sp of spawned) {
      const mine = exitsOf.get(sp) ?? [];
      if (mine.length !== 1) fail(`pid ${sp.pid} ended ${mine.length} times in the log`);
      const ex = mine[0]!;
      const c = sc.servers[sp.server]!;
      const stopped = ex.at >= terminateAt;
      const ok = stopped
        ? same(ex.status, intendedStatus(c)) || same(ex.status, { kind: "signal", signal: SIGTERM }) || same(ex.status, { kind: "signal", signal: SIGKILL })
        : same(ex.status, intendedStatus(c));
      if (!ok) fail(`pid ${sp.pid} (server ${sp.server}) ended with ${JSON.stringify(ex.status)}, told to end with ${JSON.stringify(intendedStatus(c))}`);
      // Classification far from the interval boundary agrees with the fixture's intent.
      if (!stopped && c.life !== "forever") {
        const after = objects.find((o) => o.pid === sp.pid && (o.event === "buried" || o.event === "respawn" || o.event === "cremated"));
        const clean = ex.status.kind === "code" ? ex.status.code === 0 : ex.status.kind === "signal" && (ex.status.signal === SIGTERM || ex.status.signal === 2);
        const want = clean ? "cremated" : c.life === "below" ? "buried" : "respawn";
        if (after?.event !== want) fail(`pid ${sp.pid}: a ${c.life}-interval end ${JSON.stringify(ex.status)} led to ${String(after?.event)}, expected ${want}`);
      }
    }

    // Revive signals reached the core (coalesced, so at least one if any was sent before the shutdown).
    const sentBefore = sc.revives.filter((ms) => ms < sc.durationMs - 50).length;
    const revives = inputs.filter((e) => e.type === "revive").length;
    if (sentBefore > 0 && revives === 0) fail(`${sentBefore} SIGUSR2 sent, no revive recorded`);

    // Nothing left behind.
    const left = await waitGone([...new Set([...starts.map((s) => s.pid), ...spawned.map((s) => s.pid)])]);
    if (left.length > 0) fail(`processes left behind: ${left.join(", ")}`);
    return run.lines;
  } finally {
    await run.cleanup();
  }
}
