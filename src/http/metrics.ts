// GET /metrics: what the snapshot says, as Prometheus metrics. Names and units
// by Prometheus conventions (base units, `_total` counters, `_seconds`, `_bytes`,
// one series per state with 0/1 values). Every per-server series carries the
// label `server` (the server's name).
//
// Per server:
//   lazarus_server_up                      gauge    1 while alive
//   lazarus_server_state{state}            gauge    1 for its state, 0 for the others (unborn starting alive buried cremated)
//   lazarus_server_ready                   gauge    1 ready, 0 not (only for servers with a readiness check)
//   lazarus_server_restarts_total          counter  starts after the first
//   lazarus_server_crashes_total{kind,…}   counter  abnormal ends that were not stops: kind="exit",code="N" /
//                                                   kind="signal",signal="SIGSEGV" / kind="unknown" (this image)
//   lazarus_server_buried_total            counter  burials: crash loops and failed spawns (this image)
//   lazarus_server_uptime_seconds          gauge    since its current start, 0 when not running
//   lazarus_server_state_age_seconds       gauge    since its last change of state (absent while unborn)
//   lazarus_server_last_exit{kind,…}       gauge    1, labelled with how it last ended (absent if it never ended)
// The supervisor:
//   lazarus_build_info{version}            gauge    1
//   lazarus_phase{phase}                   gauge    1 for its phase (booting running stopping exited)
//   lazarus_uptime_seconds                 gauge    since the process started (across re-execs)
//   lazarus_events_total                   counter  events its core handled (this image)
//   lazarus_reexecs_total                  counter  live re-execs
//   lazarus_log_lines_dropped_total{stream} counter lines lost to a destination that did not keep up (log, output)
//   lazarus_control_requests_total         counter  control requests (socket and HTTP actions)
//   lazarus_http_responses_total{code}     counter  HTTP answers by status code
//   lazarus_http_refused_total{reason}     counter  HTTP requests refused before any work (rate, sse-clients, …)
//   lazarus_http_dropped_total{reason}     counter  answers (stalled) and live pages (sse-stalled) cut off: the client stopped reading
//   lazarus_http_sse_clients               gauge    live status pages connected
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds   (the usual process metrics)
import type { Ms } from "../core/types.ts";
import { ExpositionBuild, type Family, type FamilySource, familyOf, type Labels, type Sample, exposition } from "./prometheus.ts";
import { type Clock, type ExitInfo, type HttpSnapshot, type HttpStats, PHASES, type ProcessMetrics, SERVER_STATES, type ServerSnapshot } from "./snapshot.ts";

export function exitLabels(e: ExitInfo): Labels {
  switch (e.kind) {
    case "exit": return [["kind", "exit"], ["code", String(e.code)]];
    case "signal": return [["kind", "signal"], ["signal", e.signal]];
    case "unknown": return [["kind", "unknown"]];
  }
}

const sec = (ms: number): number => Math.max(0, ms) / 1000;

export function uptimeMs(s: ServerSnapshot, now: Ms): number {
  return s.state === "alive" && s.since !== null ? Math.max(0, now - s.since) : 0;
}

/** The exposition in one go (what a MetricsBuild makes a step at a time; the tests compare the two). */
export function metricsText(snap: HttpSnapshot, clock: Clock, proc: ProcessMetrics | null, stats: HttpStats | null): string {
  return exposition(metricFamilies(snap, clock, proc, stats));
}

export function metricFamilies(snap: HttpSnapshot, clock: Clock, proc: ProcessMetrics | null, stats: HttpStats | null): Family[] {
  return metricSources(snap, clock, proc, stats).map(familyOf);
}

/** The exposition of /metrics, a few servers per step (ExpositionBuild), from one snapshot taken before. */
export function metricsBuild(snap: HttpSnapshot, clock: Clock, proc: ProcessMetrics | null, stats: HttpStats | null): ExpositionBuild {
  return new ExpositionBuild(metricSources(snap, clock, proc, stats));
}

/** The families, each server's samples a part of its own (made when the part is written). */
export function metricSources(snap: HttpSnapshot, clock: Clock, proc: ProcessMetrics | null, stats: HttpStats | null): FamilySource[] {
  const sv = snap.supervisor;
  const servers = snap.servers;
  const per = (f: (s: ServerSnapshot) => readonly Sample[]) => ({ parts: servers.length, part: (i: number) => f(servers[i] as ServerSnapshot) });
  const whole = (samples: readonly Sample[]) => ({ parts: 1, part: () => samples });
  const one = (s: ServerSnapshot, value: number, labels: Labels = []): Sample[] => [{ labels: [["server", s.name], ...labels], value }];
  const uptime = sec(clock.now - sv.startedAt);
  const families: FamilySource[] = [
    { name: "lazarus_server_up", type: "gauge", help: "Whether the server is running (1) or not (0).", ...per((s) => one(s, s.state === "alive" ? 1 : 0)) },
    {
      name: "lazarus_server_state", type: "gauge", help: "The server's state: 1 for the state it is in, 0 for the others.",
      ...per((s) => SERVER_STATES.flatMap((st) => one(s, s.state === st ? 1 : 0, [["state", st]]))),
    },
    { name: "lazarus_server_ready", type: "gauge", help: "Whether the server passes its readiness check (only servers that have one).", ...per((s) => (s.ready === null ? [] : one(s, s.ready ? 1 : 0))) },
    { name: "lazarus_server_restarts_total", type: "counter", help: "Starts of the server after its first.", ...per((s) => one(s, s.restarts)) },
    {
      name: "lazarus_server_crashes_total", type: "counter", help: "Abnormal ends of the server that were not stops, by exit code or signal (since this image started).",
      ...per((s) => s.crashes.flatMap((c) => one(s, c.count, exitLabels(c.exit)))),
    },
    { name: "lazarus_server_buried_total", type: "counter", help: "Burials of the server: crash loops and failed spawns (since this image started).", ...per((s) => one(s, s.buried)) },
    { name: "lazarus_server_uptime_seconds", type: "gauge", help: "Seconds since the server's current start; 0 when it is not running.", ...per((s) => one(s, sec(uptimeMs(s, clock.now)))) },
    {
      name: "lazarus_server_state_age_seconds", type: "gauge", help: "Seconds since the server's last change of state (its start when running).",
      ...per((s) => (s.since === null ? [] : one(s, sec(clock.now - s.since)))),
    },
    { name: "lazarus_server_last_exit", type: "gauge", help: "1, labelled with how the server last ended.", ...per((s) => (s.lastExit === null ? [] : one(s, 1, exitLabels(s.lastExit)))) },
    { name: "lazarus_build_info", type: "gauge", help: "1, labelled with lazarus's version.", ...whole([{ labels: [["version", sv.version]], value: 1 }]) },
    { name: "lazarus_phase", type: "gauge", help: "The supervisor's phase: 1 for the phase it is in, 0 for the others.", ...whole(PHASES.map((p) => ({ labels: [["phase", p]], value: sv.phase === p ? 1 : 0 }))) },
    { name: "lazarus_uptime_seconds", type: "gauge", help: "Seconds since lazarus started (across live re-execs).", ...whole([{ labels: [], value: uptime }]) },
    { name: "lazarus_events_total", type: "counter", help: "Events handled by lazarus's core (since this image started).", ...whole([{ labels: [], value: sv.events }]) },
    { name: "lazarus_reexecs_total", type: "counter", help: "Live re-execs of lazarus.", ...whole([{ labels: [], value: sv.reexecs }]) },
    {
      name: "lazarus_log_lines_dropped_total", type: "counter", help: "Lines lost because their destination did not keep up: lazarus's log, servers' prefixed output.",
      ...whole([{ labels: [["stream", "log"]], value: sv.droppedLog }, { labels: [["stream", "output"]], value: sv.droppedOutput }]),
    },
    { name: "lazarus_control_requests_total", type: "counter", help: "Control requests received (control socket and HTTP actions).", ...whole([{ labels: [], value: sv.controlRequests }]) },
  ];
  if (stats !== null) {
    families.push(
      {
        name: "lazarus_http_responses_total", type: "counter", help: "HTTP responses by status code.",
        ...whole(Object.entries(stats.responses).sort(([a], [b]) => Number(a) - Number(b)).map(([code, n]) => ({ labels: [["code", code]], value: n }))),
      },
      {
        name: "lazarus_http_refused_total", type: "counter", help: "HTTP requests refused before any work, by reason.",
        ...whole(Object.entries(stats.refused).sort(([a], [b]) => a.localeCompare(b)).map(([reason, n]) => ({ labels: [["reason", reason]], value: n }))),
      },
      {
        name: "lazarus_http_dropped_total", type: "counter", help: "HTTP answers and live pages cut off because the client stopped reading, by reason.",
        ...whole(Object.entries(stats.dropped ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([reason, n]) => ({ labels: [["reason", reason]], value: n }))),
      },
      { name: "lazarus_http_sse_clients", type: "gauge", help: "Status pages connected for live updates.", ...whole([{ labels: [], value: stats.sseClients }]) },
    );
  }
  const p = (v: number | null | undefined): Sample[] => (v === null || v === undefined || !Number.isFinite(v) ? [] : [{ labels: [], value: v }]);
  families.push(
    { name: "process_cpu_seconds_total", type: "counter", help: "Total user and system CPU time spent in seconds.", ...whole(p(proc?.cpuSeconds)) },
    { name: "process_resident_memory_bytes", type: "gauge", help: "Resident memory size in bytes.", ...whole(p(proc?.residentBytes)) },
    { name: "process_virtual_memory_bytes", type: "gauge", help: "Virtual memory size in bytes.", ...whole(p(proc?.virtualBytes)) },
    { name: "process_open_fds", type: "gauge", help: "Number of open file descriptors.", ...whole(p(proc?.openFds)) },
    { name: "process_max_fds", type: "gauge", help: "Maximum number of open file descriptors.", ...whole(p(proc?.maxFds)) },
    { name: "process_start_time_seconds", type: "gauge", help: "Start time of the process since unix epoch in seconds.", ...whole(p((clock.wall - (clock.now - sv.startedAt)) / 1000)) },
  );
  return families;
}
