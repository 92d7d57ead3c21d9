// A token bucket: `burst` requests at once, `perSecond` sustained. Pure: the
// caller passes the monotonic time.
export class TokenBucket {
  private tokens: number;
  private last: number | null = null;

  constructor(private readonly perSecond: number, private readonly burst: number) {
    this.tokens = burst;
  }

  /** Take one token at monotonic time `now` (ms); false when none is left. */
  take(now: number): boolean {
    if (this.last !== null && now > this.last) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    if (this.last === null || now > this.last) this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whole seconds until a token is there again (for Retry-After). */
  retryAfter(): number {
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }
}

/**
 * A budget of the event loop's time (ms) for answering: `burst` ms at once,
 * `perSecond` ms of each second sustained. A request is let in while some is
 * left; what it took is charged after it (so the last one in may overdraw, and
 * the next ones wait until the debt is paid back). Pure: the caller passes the
 * monotonic time.
 */
export class WorkBudget {
  private left: number;
  private last: number | null = null;

  constructor(private readonly perSecond: number, private readonly burst: number) {
    this.left = burst;
  }

  private refill(now: number): void {
    if (this.last !== null && now > this.last) this.left = Math.min(this.burst, this.left + ((now - this.last) / 1000) * this.perSecond);
    if (this.last === null || now > this.last) this.last = now;
  }

  /** Whether a request may be answered at monotonic time `now` (ms). */
  allows(now: number): boolean {
    this.refill(now);
    return this.left > 0;
  }

  /** A request answered at `now` took `ms` of the loop. */
  charge(now: number, ms: number): void {
    this.refill(now);
    this.left -= Math.max(0, ms);
  }

  /** Whole seconds until a request may be answered again (for Retry-After). */
  retryAfter(): number {
    return Math.max(1, Math.ceil(-this.left / this.perSecond));
  }
}
