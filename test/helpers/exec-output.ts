// A two-stage program for test/os/output-exec.test.ts: prefixed output kept
// across an exec the way BunPort.exec does it (handOverOutput before the exec,
// takeOver in the new image), without the rest of lazarus.
//
// Stage 1 spawns a server whose stdout and stderr are pipes from output.ts and
// execs itself. Stage 2 takes the pipes over, lets the server write, and
// reports how the server ended.
import { writeSync } from "node:fs";
import { decodeWaitStatus, execve, waitpidNoHang } from "../../src/os/libc.ts";
import { OutputHub } from "../../src/os/output.ts";
import { OUTPUT_ENV } from "../../src/os/port.ts";
import { sinksFor } from "../../src/os/sink.ts";

const hub = new OutputHub({ ...sinksFor(1, 2), colour: false });

const marker = process.argv[2] as string;
const carried = process.env[OUTPUT_ENV];

if (carried === undefined) {
  const pipes = hub.open({ kind: "piped", name: "srv", terminal: { kind: "prefix", width: 3, color: null }, log: null, ready: null });
  if ("error" in pipes) throw new Error(pipes.error);
  // The server writes only once stage 2 runs: before that, its output would be read by stage 1.
  const script = `while [ ! -e '${marker}' ]; do sleep 0.01; done; echo "after the exec"; echo "to stderr" >&2; printf 'no newline'`;
  const proc = Bun.spawn({ cmd: ["/bin/sh", "-c", script], stdio: ["ignore", pipes.stdout, pipes.stderr], detached: true });
  pipes.started(proc.pid);
  writeSync(2, `stage 1: pid ${process.pid}, server ${proc.pid}, readers ${hub.list().map((r) => `${r.stream}=${r.fd}`).join(" ")}\n`);
  const output = hub.handOver();
  const env = { ...process.env, [OUTPUT_ENV]: output.env ?? "" } as Record<string, string>;
  const error = execve(process.execPath, [process.execPath, import.meta.path, marker], env);
  output.undo();
  writeSync(2, `stage 1: ${error}\n`);
  process.exit(1);
} else {
  writeSync(2, `stage 2: pid ${process.pid}\n`);
  const pid = (JSON.parse(carried) as { pid: number }[])[0]?.pid as number;
  const problems = hub.takeOver(carried);
  if (problems.length > 0) writeSync(2, `stage 2: ${problems.join("; ")}\n`);
  await Bun.write(marker, "");
  await hub.drain(5000, 20_000);
  for (;;) {
    const w = waitpidNoHang(pid);
    if (w.kind === "ended") {
      writeSync(2, `stage 2: server ended: ${JSON.stringify(decodeWaitStatus(w.status))}\n`);
      break;
    }
    if (w.kind === "error") throw new Error(`waitpid: errno ${w.errno}`);
    await Bun.sleep(10);
  }
  process.exit(0);
}
