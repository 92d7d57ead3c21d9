// A two-stage program for test/os/log-file.test.ts: a LogFile kept across an
// execve the way the supervisor should do it. Stage 1 floods lines 1..30000
// into PATH (32 KiB files, so it rotates), closes the file in the middle of
// the flood (what is queued is written first, for a bounded time) and execs
// itself with the file's state. Stage 2 opens the same path with that state
// and writes lines 30001..60000.
import { writeSync } from "node:fs";
import { execve } from "../../src/os/libc.ts";
import { LogFile, type LogFileState } from "../../src/os/log-file.ts";
import { feed } from "./log-files.ts";

const ENV = "LAZARUS_TEST_LOGFILE";
const path = process.argv[2] as string;
const carried = process.env[ENV];
const opts = { maxBytes: 32 * 1024, keep: 30 };

if (carried === undefined) {
  writeSync(1, `stage 1: pid ${process.pid}\n`);
  const log = new LogFile(path, opts);
  await feed(log, 1, 30_000, 100, false);
  // Lines are still queued or being written here: close writes them first.
  const lost = await log.close(10_000);
  writeSync(1, `stage 1: lost ${lost}\n`);
  const env = { ...process.env, [ENV]: JSON.stringify(log.handOver()) } as Record<string, string>;
  const error = execve(process.execPath, [process.execPath, import.meta.path, path], env);
  writeSync(2, `stage 1: ${error}\n`);
  process.exit(1);
} else {
  writeSync(1, `stage 2: pid ${process.pid}\n`);
  const log = new LogFile(path, { ...opts, restore: JSON.parse(carried) as LogFileState });
  await feed(log, 30_001, 60_000, 100);
  await log.close(10_000);
  const { path: _, ...rest } = log.state;
  writeSync(1, `stage 2: ${JSON.stringify(rest)}\n`);
}
