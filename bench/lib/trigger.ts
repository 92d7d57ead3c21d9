// The shared trigger of crash storms (see bench/stamp.c, mode wait:DIR): every waiting
// server blocks in open(DIR/fifo.G); opening that FIFO for writing releases them all
// at once. Before that, fifo.G+1 is made and DIR/gen moves to G+1, so that the servers
// started again afterwards wait for the next storm (or, in a crash loop, exit at once).
import { closeSync, constants, openSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mkfifo } from "./libc.ts";

export class Trigger {
  private gen = 0;

  constructor(readonly dir: string) {
    mkfifo(join(dir, "fifo.0"));
    this.writeGen("0");
  }

  /** The fixture mode that waits for this trigger. */
  get mode(): string {
    return `wait:${this.dir}`;
  }

  /**
   * Release every server waiting now. With `loop`, servers started from now on exit
   * at once (a crash loop) instead of waiting for the next storm. Returns false when
   * no server was waiting (nothing happened).
   */
  fire(loop = false): boolean {
    const current = this.gen;
    this.gen++;
    if (!loop) mkfifo(join(this.dir, `fifo.${this.gen}`));
    this.writeGen(loop ? `${this.gen} L` : String(this.gen));
    let fd: number;
    try {
      // Non-blocking: fails with ENXIO when no reader waits, instead of hanging.
      fd = openSync(join(this.dir, `fifo.${current}`), constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      return false;
    }
    closeSync(fd);
    return true;
  }

  private writeGen(text: string): void {
    const tmp = join(this.dir, "gen.tmp");
    writeFileSync(tmp, `${text}\n`);
    renameSync(tmp, join(this.dir, "gen"));
  }
}
