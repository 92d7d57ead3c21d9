// How the core's log records become lines on stderr.
//
// text: `lazarus: TEXT`, one event per line.
// json (--log-format=json): one JSON object per line, three kinds:
//   {"lazarus":VERSION,"log":1,"time","mono","settings",servers}  a header, once per image
//   {"time","mono","input":EVENT}                                  every event fed to the core
//   {"time","mono","event","text",server?,name?,pid?,from?,to?,code?,signal?}  every record
// The inputs make a log replayable: `lazarus replay FILE` feeds them to the
// same core and checks that it decides the same records (src/core/replay.ts).
import type { Event, LogRecord, Ms, ServerSpec, Settings } from "../core/types.ts";
import { printable } from "../text/bytes.ts";

export type LogFormat = "text" | "json";

export const JSON_LOG_VERSION = 1;

export function formatLogLine(format: LogFormat, record: LogRecord, at: Ms, wallMs: number): string {
  // One event, one line: a newline in a command word must not start a second one; bytes
  // that are not UTF-8 show as \xff, invisible and reordering characters as \u202e (bytes.ts).
  if (format === "text") return `lazarus: ${printable(record.text)}`;
  return JSON.stringify({ ...clocks(at, wallMs), ...record });
}

export function formatInputLine(event: Event, wallMs: number): string {
  return JSON.stringify({ ...clocks(event.at, wallMs), input: event });
}

export function formatHeaderLine(version: string, settings: Settings, servers: readonly ServerSpec[], at: Ms, wallMs: number): string {
  return JSON.stringify({ lazarus: version, log: JSON_LOG_VERSION, ...clocks(at, wallMs), settings, servers });
}

function clocks(at: Ms, wallMs: number): { time: string; mono: number } {
  return { time: new Date(wallMs).toISOString(), mono: Math.round(at * 1000) / 1000 };
}
