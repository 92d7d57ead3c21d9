// A program for test/os/output-match.test.ts: the real port (BunPort) spawns a
// server whose output is piped with a `ready` pattern, and says on stderr which
// pid it spawned and which pids its match listener was told. With "late" the
// listener is registered only once the server's last line has been read (the
// match, tested lines before, waits for it). The server closes its output and
// lives on until it is told the match (a line read after its end was reported
// is tested no more: output.ts); then it is stopped. Exits 0 once the server
// has ended after a match was told, 1 if none was told within 20 s.
import { SIGTERM } from "../../src/core/signals.ts";
import { BunPort } from "../../src/os/bun-port.ts";

const late = process.argv[2] === "late";
const port = new BunPort({ noColor: true });
let told = 0;
let server = 0;
const listen = () => port.onOutputMatch((pid) => {
  told++;
  port.log(`matched ${pid}`);
  port.kill(server, SIGTERM, false);
});
if (late) port.tapOutput((_name, _stream, line) => { if (line === "no newline") listen(); });
else listen();
// Its output ends (closed) while it lives: the last line is whole at that end.
const script = "echo starting; echo 'listening on 8080' >&2; echo 'listening on 8081'; printf 'no newline'; exec sleep 1000 >&- 2>&-";
const r = port.spawn({
  argv: ["/bin/sh", "-c", script],
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  output: { kind: "piped", name: "srv", terminal: { kind: "plain" }, log: null, ready: "^listening on \\d+$" },
});
if (!r.ok) {
  port.log(`spawn failed: ${r.error}`);
  port.exit(2);
} else {
  server = r.pid;
  port.log(`spawned ${r.pid}`);
  port.onExit(() => port.exit(told > 0 ? 0 : 1));
  port.setTimer(port.now() + 20_000, () => {
    port.log("no match told");
    port.kill(server, SIGTERM, false);
  });
}
