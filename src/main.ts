// lazarus: the command-line entry. Subcommands `ctl` and `replay`; otherwise
// boot a supervisor (src/shell/boot.ts) on the production OS port.
import { tmpdir } from "node:os";
import { USAGE } from "./cli/parse.ts";
import { commandLineWords, startEnvironment } from "./os/argv.ts";
import { printable } from "./text/bytes.ts";
import { BunPort, processStartMs, writeAll } from "./os/bun-port.ts";
import { bunFiles } from "./os/files.ts";
import { groupId, groupList, passwdEntry } from "./os/libc.ts";
import { CARRY_ENV, DROPPED_ENV, LOGS_ENV, NOHUP_ENV, NOTIFY_ENV, NOTIFY_MARKS_ENV, OUTPUT_ENV } from "./os/port.ts";
import { boot } from "./shell/boot.ts";
import { joinedEnv } from "./text/env-chunks.ts";
import { VERSION } from "./version.ts";

/** How to run this program again: bun + script, or the compiled binary alone. */
function selfCommand(): string[] {
  const script = process.argv[1];
  // A `bun build --compile` binary has a virtual script path under /$bunfs.
  if (script === undefined || script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN/")) return [process.execPath];
  return [process.execPath, script];
}

async function main(args: readonly string[]): Promise<void> {
  // The subcommands' code is loaded only for them: a supervisor never needs it (less to parse and keep).
  if (args[0] === "ctl") {
    const [{ ctl }, { bunCtlIo }] = await Promise.all([import("./cli/ctl.ts"), import("./os/control-client.ts")]);
    const r = await ctl(args.slice(1), bunCtlIo(process.cwd(), { env: process.env, uid: process.getuid?.() ?? 0, tmpdir: tmpdir() }));
    writeAll(1, r.stdout);
    writeAll(2, r.stderr);
    process.exit(r.status);
  }
  if (args[0] === "replay") {
    // A rotated set (event_log) is read whole: FILE.N … FILE.1, then FILE.
    const [{ replayFile }, { rotatedLogLines }, { logLines }] = await Promise.all([import("./cli/replay.ts"), import("./os/log-read.ts"), import("./os/read-limited.ts")]);
    const r = replayFile(args.slice(1), rotatedLogLines(logLines));
    writeAll(r.status === 0 ? 1 : 2, r.out);
    process.exit(r.status);
  }
  // A snapshot of the environment lazarus was given (not Bun's process.env, which holds the working
  // directory's .env files too): lazarus never changes it; what servers see is computed from this.
  const env = startEnvironment();
  // (these three may come in pieces: NAME, NAME_2, … env-chunks.ts)
  const output = joinedEnv(env, OUTPUT_ENV);
  const logs = joinedEnv(env, LOGS_ENV);
  const notifyMarks = joinedEnv(env, NOTIFY_MARKS_ENV);
  const port = () => new BunPort({
    subreaper: true, noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== "",
    ...(output === undefined ? {} : { output }),
    ...(env[DROPPED_ENV] === undefined ? {} : { dropped: env[DROPPED_ENV] }),
    ...(logs === undefined ? {} : { logs }),
    ...(env[CARRY_ENV] === undefined ? {} : { carry: env[CARRY_ENV] }),
    ...(env.NOTIFY_SOCKET === undefined ? {} : { notifySocket: env.NOTIFY_SOCKET }),
    ...(env[NOTIFY_ENV] === undefined ? {} : { notifyFd: env[NOTIFY_ENV] }),
    ...(notifyMarks === undefined ? {} : { notifyMarks }),
    ...(env[NOHUP_ENV] === undefined ? {} : { nohup: env[NOHUP_ENV] }),
  });
  const r = await boot(port, {
    args, env, self: selfCommand(), pid: process.pid, uid: process.getuid?.() ?? 0, tmpdir: tmpdir(), startedAt: processStartMs(),
    cwd: process.cwd(), files: bunFiles,
    // `user` and `group`: looked up through libc (NSS) when a plan is made (start, reloads).
    accounts: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, user: passwdEntry, group: groupId, groups: groupList },
  });
  switch (r.kind) {
    case "running":
      return;
    case "checked":
      process.exit(0);
      break;
    case "help":
      writeAll(1, USAGE);
      process.exit(0);
      break;
    case "version":
      writeAll(1, `lazarus ${VERSION}\n`);
      process.exit(0);
      break;
    case "error":
      // One line, whatever a file name or a word in it holds (bytes.ts).
      writeAll(2, `lazarus: ${printable(r.message)}\n`);
      process.exit(r.status);
  }
}

// The words as bytes (a server's arguments reach it byte for byte): see src/os/argv.ts.
await main(commandLineWords());
