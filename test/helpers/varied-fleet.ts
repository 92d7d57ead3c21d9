// A fleet whose /metrics and /api/status have a bit of everything: servers in
// every state, names that need escaping, crashes by code and by signal, a
// burial, readiness known and not, fractional ages. Deterministic (a ManualClock),
// so that its answers can be pinned byte for byte (test/http/answer.test.ts).
import { SIGKILL, SIGSEGV } from "../../src/core/signals.ts";
import type { HttpStats, ProcessMetrics } from "../../src/http/snapshot.ts";
import { FakeSupervisor, type ManualClock } from "./fake-supervisor.ts";

export const VARIED_PROC: ProcessMetrics = { cpuSeconds: 1.25, residentBytes: 50_000_000, virtualBytes: 900_000_000, openFds: 17, maxFds: null };
export const VARIED_STATS: HttpStats = { responses: { 200: 3, 401: 1, 429: 7 }, refused: { rate: 2, busy: 5 }, sseClients: 1 };

/** `extra` more plain servers ("s0", "s1", …) after the varied ones, for a big fleet. */
export function variedFleet(clock: ManualClock, extra = 0): FakeSupervisor {
  const specs = [
    { name: "web", argv: ["web"] },
    { name: 'quo"te\\back\nline', argv: ["q"] },
    { name: "ünïcødé ☃ </script>", argv: ["u"], intervalMs: 3_600_000 },
    { name: "manual", argv: ["m"], autostart: false },
    { name: "crashy", argv: ["c"], intervalMs: 0 },
    ...Array.from({ length: extra }, (_, i) => ({ name: `s${i}`, argv: ["s", String(i)] })),
  ];
  const sup = new FakeSupervisor(specs, clock, { intervalMs: 1000, seesOutput: ["web"] });
  sup.start();
  sup.ready.set(0, true);
  sup.ready.set(1, false);
  clock.advance(1500.25);
  sup.crash("web", { code: 3 });
  sup.crash("ünïcødé ☃ </script>", { signal: SIGSEGV });
  clock.advance(10);
  sup.crash("crashy", { code: 1 });
  clock.advance(10);
  sup.crash("crashy", { signal: SIGKILL });
  sup.output("web", "out", 'a "quoted" line');
  clock.advance(1234.5);
  return sup;
}
