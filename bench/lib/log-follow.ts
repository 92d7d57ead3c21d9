// Counts the lines of a growing log file that match a pattern, reading only what
// was appended since the last call (the "gave up" lines of a supervisor's log).
import { closeSync, existsSync, openSync, readSync } from "node:fs";

export class LogFollower {
  private fd: number | null = null;
  private position = 0;
  private partial = "";
  private matched = 0;
  private readonly buf = Buffer.alloc(1 << 20);

  constructor(readonly path: string, private readonly pattern: RegExp) {}

  /** Matching lines so far. */
  count(): number {
    if (this.fd === null) {
      if (!existsSync(this.path)) return 0;
      this.fd = openSync(this.path, "r");
    }
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.position);
      if (n <= 0) break;
      this.position += n;
      const lines = (this.partial + this.buf.toString("utf8", 0, n)).split("\n");
      this.partial = lines.pop() ?? "";
      for (const line of lines) if (this.pattern.test(line)) this.matched++;
    }
    return this.matched;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
