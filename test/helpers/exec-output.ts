// A two-stage program for test/os/output-exec.test.ts: the recipe a live
// re-exec follows to keep a server's prefixed output across the exec.
//
// Stage 1 spawns a server whose stdout is a pipe from output.ts, clears
// FD_CLOEXEC on the read ends listed by listReaders(), and execs itself with
// that list in the environment. Stage 2 resumes reading them (resumeReader),
// lets the server write, and reports how the server ended.
import { writeSync } from "node:fs";
import { decodeWaitStatus, execve, setCloseOnExec, waitpidNoHang } from "../../src/os/libc.ts";
import { listReaders, outputHub, type ReaderInfo, resumeReader } from "../../src/os/output.ts";

const marker = process.argv[2] as string;

if (process.env.EXEC_OUTPUT_READERS === undefined) {
  const pipes = outputHub().open({ kind: "prefix", name: "srv", width: 3, color: null });
  if ("error" in pipes) throw new Error(pipes.error);
  // The server writes only once stage 2 runs: before that, its output would be read by stage 1.
  const script = `while [ ! -e '${marker}' ]; do sleep 0.01; done; echo "after the exec"; echo "to stderr" >&2; printf 'no newline'`;
  const proc = Bun.spawn({ cmd: ["/bin/sh", "-c", script], stdio: ["ignore", pipes.stdout, pipes.stderr], detached: true });
  pipes.started(proc.pid);
  const readers = listReaders();
  for (const r of readers) {
    const problem = setCloseOnExec(r.fd, false);
    if (problem !== null) throw new Error(problem);
  }
  const env = { ...process.env, EXEC_OUTPUT_READERS: JSON.stringify(readers) } as Record<string, string>;
  writeSync(2, `stage 1: pid ${process.pid}, server ${proc.pid}, readers ${readers.map((r) => `${r.stream}=${r.fd}`).join(" ")}\n`);
  const error = execve(process.execPath, [process.execPath, import.meta.path, marker], env);
  writeSync(2, `stage 1: ${error}\n`);
  process.exit(1);
} else {
  const readers = JSON.parse(process.env.EXEC_OUTPUT_READERS) as ReaderInfo[];
  writeSync(2, `stage 2: pid ${process.pid}\n`);
  for (const r of readers) resumeReader(r);
  await Bun.write(marker, "");
  await outputHub().drain(5000, 20_000);
  const pid = readers[0]?.pid as number;
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
