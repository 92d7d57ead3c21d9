// The shell writes a step's log lines after the step's spawn, never before it (a
// respawn does not wait for a log line), in the order the core gave them, with
// the JSON input lines in their place, and the event log as one append per dispatch.
import { describe, expect, test } from "bun:test";
import type { ControlCommand, Event } from "../../src/core/types.ts";
import type { LogTarget } from "../../src/logs/target.ts";
import type { OsPort, SpawnRequest } from "../../src/os/port.ts";
import { Supervisor } from "../../src/shell/supervisor.ts";
import { fakePort } from "../helpers/fake-port.ts";

type Call = { readonly op: "log" | "append" | "spawn" | "exit" | "reply"; readonly text: string };

/** An OsPort that records log lines, appends and spawns in order (every other call does nothing). */
function recordingPort(): { port: OsPort; calls: Call[]; exit: (pid: number) => void } {
  const calls: Call[] = [];
  let pid = 100;
  const { port, exit } = fakePort({
    log: (line: string) => { calls.push({ op: "log", text: line }); },
    appendLog: (_t: LogTarget, line: string) => { calls.push({ op: "append", text: line }); },
    spawn: (r: SpawnRequest) => {
      calls.push({ op: "spawn", text: r.argv.join(" ") });
      return { ok: true, pid: ++pid };
    },
    exit: (status: number) => { calls.push({ op: "exit", text: String(status) }); },
  });
  return { port, calls, exit };
}

const EVENT_LOG: LogTarget = { path: "/tmp/lazarus-log-order-events.log", maxBytes: 0, keep: 0, timestamps: false };

function supervisor(logFormat: "text" | "json", servers = [{ name: "a", argv: ["/bin/a"] }]) {
  const r = recordingPort();
  const steps: Event[] = [];
  const sup = new Supervisor(r.port, {
    settings: { intervalMs: 0, stopTimeoutMs: 1000, alarmMs: 0 },
    servers,
    logFormat,
    spawnExtras: () => ({ env: {} }),
    eventLog: EVENT_LOG,
    onStep: (e) => { steps.push(e); },
  });
  sup.start(null);
  return { ...r, sup, steps };
}

describe("log lines of a respawn", () => {
  for (const format of ["text", "json"] as const) {
    test(`${format}: the spawn first, then the lines of the exit's steps in order, and one event-log append`, () => {
      const s = supervisor(format);
      s.calls.length = 0;
      s.exit(101);
      const ops = s.calls.map((c) => c.op);
      // The respawn comes before any line of this dispatch.
      expect(ops[0]).toBe("spawn");
      expect(ops.filter((o) => o === "spawn")).toHaveLength(1);
      expect(ops.filter((o) => o === "append")).toHaveLength(1);
      const logged = s.calls.filter((c) => c.op === "log").map((c) => c.text);
      const appended = (s.calls.find((c) => c.op === "append")?.text ?? "").split("\n");
      // The event log has every line as JSON: the exit's input, its records, the spawn's input, its record.
      const kinds = appended.map((l) => {
        const o = JSON.parse(l) as { input?: { type: string }; event?: string };
        return o.input !== undefined ? `input:${o.input.type}` : `record:${o.event}`;
      });
      expect(kinds[0]).toBe("input:exited");
      expect(kinds.indexOf("record:respawn")).toBeGreaterThan(0);
      expect(kinds.indexOf("input:spawned")).toBeGreaterThan(kinds.indexOf("record:respawn"));
      expect(kinds.at(-1)).toBe("record:spawned");
      if (format === "json") {
        expect(logged).toEqual(appended);
      } else {
        expect(logged).toEqual([
          "lazarus: '/bin/a' exited with code 1.",
          "lazarus: '/bin/a' died abnormally, respawning.",
          "lazarus: '/bin/a' started with pid 102.",
        ]);
      }
    });
  }

  test("the lines of the last steps are written before the port is told to exit", () => {
    const s = supervisor("text");
    s.calls.length = 0;
    // A terminate with one alive server (its stop order), then its end: the supervisor exits.
    s.sup.dispatch({ type: "terminate", at: 5000, signal: 15 });
    s.exit(101);
    const ops = s.calls.map((c) => c.op);
    expect(ops.at(-1)).toBe("exit");
    expect(s.calls.filter((c) => c.op === "log").at(-1)?.text).toBe("lazarus: exiting with status 0.");
  });

  test("a control client has its reply only once the lines of what its command caused are written", () => {
    // Two servers: with a alone, its stop would end the supervisor.
    const s = supervisor("text", [{ name: "a", argv: ["/bin/a"] }, { name: "b", argv: ["/bin/b"] }]);
    // The supervisor's own way in for an operator's command (the control socket and the HTTP endpoint call it).
    const command = (s.sup as unknown as { command(c: ControlCommand, r: (ok: boolean, m: string) => void): void }).command.bind(s.sup);
    const ask = (c: ControlCommand) => command(c, (ok, m) => { s.calls.push({ op: "reply", text: `${ok} ${m}` }); });
    ask({ op: "stop", server: 0 });
    s.exit(101);
    s.calls.length = 0;
    // A start spawns, and the spawn's own step ('started with pid') is in the same dispatch: its line comes first.
    ask({ op: "start", server: 0 });
    const ops = s.calls.map((c) => c.op);
    expect(ops).toContain("reply");
    expect(ops.indexOf("spawn")).toBeLessThan(ops.indexOf("reply"));
    const started = s.calls.findIndex((c) => c.op === "log" && c.text === "lazarus: '/bin/a' started with pid 103.");
    expect(started).toBeGreaterThanOrEqual(0);
    expect(started).toBeLessThan(ops.indexOf("reply"));
    expect(ops.at(-1)).toBe("reply");
  });
});
