// Step bounds for the harnesses that drive the core until it is quiet (check.ts,
// roll/reload/scale/takeover tests, the simulator's world.ts). A core bug that
// keeps the core busy at one instant of virtual time (a timer armed again at
// the very instant it fires, a spawn that asks for another spawn) would make
// such a harness loop for ever and hang the suite; with a bound it fails with a
// message that names the busy loop instead.
//
// The bounds are counts of core steps (or world happenings) at one instant, and
// over a whole scenario. Each harness picks its own, far above what any valid
// scenario needs: see the comment where each is set, with the maxima measured.

/** What a busy-loop failure says (tests match it). */
export const BUSY_LOOP = "the core keeps asking for something at the same instant";
/** What a failure of the whole-scenario bound says. */
export const NEVER_QUIET = "the core never comes to rest";

/** The highest counts seen so far in this process, by harness: for measuring bounds (see the harnesses' comments). */
export const busiest = new Map<string, { perInstant: number; perRun: number }>();

/**
 * Counts steps by instant. `step` returns a complaint (a whole sentence for the
 * harness's own violation mechanism) once a bound is passed, else null.
 */
export class StepBound {
  private at = Number.NaN;
  private here = 0;
  private total = 0;

  constructor(
    private readonly harness: string,
    readonly perInstant: number,
    readonly perRun: number,
    /** What one counted thing is called in the message ("steps", "happenings"). */
    private readonly unit = "steps",
  ) {}

  step(at: number, last: () => string): string | null {
    if (at !== this.at) {
      this.at = at;
      this.here = 0;
    }
    this.here++;
    this.total++;
    const seen = busiest.get(this.harness) ?? { perInstant: 0, perRun: 0 };
    if (this.here > seen.perInstant || this.total > seen.perRun) {
      busiest.set(this.harness, { perInstant: Math.max(seen.perInstant, this.here), perRun: Math.max(seen.perRun, this.total) });
    }
    if (this.here > this.perInstant) return `${BUSY_LOOP}: ${this.here} ${this.unit} at t=${at} (bound ${this.perInstant}), last event ${last()}`;
    if (this.total > this.perRun) return `${NEVER_QUIET}: ${this.total} ${this.unit} in one scenario (bound ${this.perRun}), now at t=${at}, last event ${last()}`;
    return null;
  }
}
