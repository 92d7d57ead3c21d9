// How a log record becomes a line on stderr: `lazarus: TEXT`, or one JSON
// object per line (--log-format=json) with both clocks for machine readers.
import type { LogRecord, Ms } from "../core/types.ts";

export type LogFormat = "text" | "json";

export function formatLogLine(format: LogFormat, record: LogRecord, at: Ms, wallMs: number): string {
  if (format === "text") return `lazarus: ${record.text}`;
  return JSON.stringify({ time: new Date(wallMs).toISOString(), mono: Math.round(at * 1000) / 1000, ...record });
}
