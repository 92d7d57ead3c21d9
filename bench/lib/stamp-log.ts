// Follows a stamp file as servers append to it, and waits for conditions on it.
import { closeSync, openSync, readSync, writeFileSync } from "node:fs";
import { parseStamps, type Stamp } from "./stamps.ts";

export class StampLog {
  readonly stamps: Stamp[] = [];
  private fd: number;
  private position = 0;
  private partial = "";
  private readonly buf = Buffer.alloc(1 << 20);
  private starts = 0;
  private exits = 0;

  constructor(readonly path: string) {
    writeFileSync(path, "");
    this.fd = openSync(path, "r");
  }

  /** Read what was appended since the last call. */
  poll(): void {
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.position);
      if (n <= 0) break;
      this.position += n;
      const text = this.partial + this.buf.toString("utf8", 0, n);
      const { stamps, consumed } = parseStamps(text);
      for (const s of stamps) {
        this.stamps.push(s);
        if (s.kind === "S") this.starts++;
        else this.exits++;
      }
      this.partial = text.slice(consumed);
    }
  }

  /** Stamps from index `from` on. */
  since(from: number): Stamp[] {
    this.poll();
    return this.stamps.slice(from);
  }

  /** How many start (S) or exit (E) stamps were written so far. */
  total(kind: "S" | "E"): number {
    this.poll();
    return kind === "S" ? this.starts : this.exits;
  }

  /** Poll every `everyMs` until `done()` holds; false on timeout. */
  async waitUntil(done: () => boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
    const until = performance.now() + timeoutMs;
    for (;;) {
      this.poll();
      if (done()) return true;
      if (performance.now() > until) return false;
      await Bun.sleep(everyMs);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
