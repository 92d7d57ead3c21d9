// Answers built a step per turn of the loop: GET /metrics (prometheus.ts
// ExpositionBuild) and GET /api/status (JsonBuild here) are made from one
// snapshot, a few servers at a time, and streamed as they are made, so that
// the loop that reaps and respawns never waits for a whole answer (one of a
// thousand servers took 10 to 30 ms in one go). Each build is byte for byte what
// the one-go answer was (metricsText; `${JSON.stringify(value)}\n`). The adapter
// (src/os/http-server.ts) pumps a build: a step per pull of the response's
// stream, each in its own turn of the loop, timed and charged.

export interface AnswerBuild {
  readonly done: boolean;
  /**
   * The next chunk of text: items until it holds at least `maxChars`
   * characters or `enough()` says so (asked after each item; at least one item
   * per step). A chunk may be empty (items that write nothing). Text, not bytes:
   * an answer done in one step is given to Bun as a string, as it was before
   * answers were built a step at a time (encoding it here cost more).
   */
  step(maxChars: number, enough: () => boolean): string;
}

/** How deep a JsonBuild goes into objects and arrays: below, a value is one JSON.stringify (a server's row of a status). */
export const JSON_BUILD_DEPTH = 3;

type Frame =
  | { readonly kind: "array"; readonly value: readonly unknown[]; i: number }
  | { readonly kind: "object"; readonly value: Readonly<Record<string, unknown>>; readonly keys: readonly string[]; i: number; wrote: boolean };

/** A plain array or object (no toJSON) that JSON.stringify would write member by member: one a build may go into. */
function container(v: unknown): v is object {
  if (v === null || typeof v !== "object") return false;
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `${JSON.stringify(value)}${suffix}`, byte for byte, a member at a time: arrays
 * and plain objects down to JSON_BUILD_DEPTH are written member by member (an
 * item per member), deeper values each with one JSON.stringify. (A toJSON is
 * called without its key; no value here has one that reads it.)
 */
export class JsonBuild implements AnswerBuild {
  private readonly stack: Frame[] = [];
  /** What the next step begins with, and what the last ends with. */
  private head: string;
  private readonly tail: string;
  private finished = false;

  constructor(value: unknown, suffix = "") {
    if (container(value)) {
      this.head = this.open(value);
      this.tail = suffix;
    } else {
      this.head = `${JSON.stringify(value)}${suffix}`;
      this.tail = "";
    }
  }

  get done(): boolean {
    return this.finished;
  }

  private open(v: object): string {
    if (Array.isArray(v)) {
      this.stack.push({ kind: "array", value: v, i: 0 });
      return "[";
    }
    this.stack.push({ kind: "object", value: v as Record<string, unknown>, keys: Object.keys(v), i: 0, wrote: false });
    return "{";
  }

  step(maxChars: number, enough: () => boolean): string {
    let text = this.head;
    this.head = "";
    const stack = this.stack;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Frame;
      let member: unknown;
      if (top.kind === "array") {
        if (top.i >= top.value.length) {
          text += "]";
          stack.pop();
          continue;
        }
        if (top.i > 0) text += ",";
        member = top.value[top.i++];
        if (stack.length < JSON_BUILD_DEPTH && container(member)) {
          text += this.open(member);
          continue;
        }
        text += JSON.stringify(member) ?? "null";
      } else {
        if (top.i >= top.keys.length) {
          text += "}";
          stack.pop();
          continue;
        }
        const key = top.keys[top.i++] as string;
        member = top.value[key];
        if (stack.length < JSON_BUILD_DEPTH && container(member)) {
          text += `${top.wrote ? "," : ""}${JSON.stringify(key)}:${this.open(member)}`;
          top.wrote = true;
          continue;
        }
        const json = JSON.stringify(member);
        if (json === undefined) continue; // undefined, a function: left out, as JSON.stringify does
        text += `${top.wrote ? "," : ""}${JSON.stringify(key)}:${json}`;
        top.wrote = true;
      }
      if (text.length >= maxChars || enough()) break;
    }
    if (stack.length === 0 && !this.finished) {
      this.finished = true;
      text += this.tail;
    }
    return text;
  }
}
