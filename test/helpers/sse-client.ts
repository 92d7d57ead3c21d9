// A minimal server-sent-events client for tests: reads a fetch body and hands
// out whole messages (and comments) as they arrive, as EventSource parses them.

export type SseItem =
  | { readonly kind: "message"; readonly event: string; readonly id: string | null; readonly data: string }
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "retry"; readonly ms: number };

export class SseClient {
  private buf = "";
  private readonly items: SseItem[] = [];
  private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> };
  private readonly decoder = new TextDecoder();
  ended = false;

  constructor(readonly response: Response, private readonly abort: AbortController) {
    if (response.body === null) throw new Error("no body");
    this.reader = response.body.getReader();
  }

  static async open(url: string): Promise<SseClient> {
    const abort = new AbortController();
    const r = await fetch(url, { signal: abort.signal, headers: { accept: "text/event-stream" } });
    return new SseClient(r, abort);
  }

  /** The next item, or null once the stream has ended. */
  async next(): Promise<SseItem | null> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) return item;
      if (this.ended) return null;
      let chunk: { done: boolean; value?: Uint8Array };
      try {
        chunk = await this.reader.read();
      } catch {
        this.ended = true;
        continue;
      }
      if (chunk.done || chunk.value === undefined) {
        this.ended = true;
        continue;
      }
      this.buf += this.decoder.decode(chunk.value, { stream: true });
      this.split();
    }
  }

  /** The next `event` message (skipping comments and others), or null at the end. */
  async nextMessage(event = "snapshot"): Promise<Extract<SseItem, { kind: "message" }> | null> {
    for (;;) {
      const i = await this.next();
      if (i === null) return null;
      if (i.kind === "message" && i.event === event) return i;
    }
  }

  /** Messages until one satisfies `pred` (its parsed data). */
  async until<T>(pred: (data: T) => boolean): Promise<T> {
    for (;;) {
      const m = await this.nextMessage();
      if (m === null) throw new Error("the stream ended");
      const data = JSON.parse(m.data) as T;
      if (pred(data)) return data;
    }
  }

  close(): void {
    this.abort.abort();
  }

  private split(): void {
    for (let end = this.buf.indexOf("\n\n"); end >= 0; end = this.buf.indexOf("\n\n")) {
      const block = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 2);
      let event = "message";
      let id: string | null = null;
      const data: string[] = [];
      let any = false;
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) {
          this.items.push({ kind: "comment", text: line.slice(1).trim() });
          continue;
        }
        const i = line.indexOf(":");
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "id") id = value;
        else if (field === "data") {
          data.push(value);
          any = true;
        } else if (field === "retry") this.items.push({ kind: "retry", ms: Number(value) });
      }
      if (any) this.items.push({ kind: "message", event, id, data: data.join("\n") });
    }
  }
}
