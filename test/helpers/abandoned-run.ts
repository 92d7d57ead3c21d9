// A test process that starts a run and ends without cleaning it up (as `bun test` does with a
// test body abandoned at its timeout): test/integration/harness.test.ts checks that the exit
// hook of run.ts ends what the run left. Prints the run's mark and its processes, then exits.
import { marked, Run, SERVER } from "./run.ts";

const r = new Run(["--control=none", "{", SERVER, "--orphan=60", "}", "{", SERVER, "}"]);
await r.waitFor(/^fixture: pid=\d+ orphan=\d+/);
await r.waitForCount(/started with pid \d+\./, 2);
process.stdout.write(`${JSON.stringify({ mark: r.mark, pids: marked(r.mark), supervisor: r.pid })}\n`);
process.exit(0);
