// Plausible mistaken edits of src/core, tried one at a time: each is applied,
// the fast tests that judge the core run (unit tests, the transition table,
// the properties, the simulator's scenarios), and the file is restored. An
// edit that no test catches is a blind spot: add a check, or a planted bug.
//
//   bun run test/mutate/core-edits.ts [--only=REGEX] [--list]
//
// Prints one line per edit (caught by which suite, or MISSED) and exits 1 if
// any edit was missed. Not part of `bun test` (it edits the tree it runs in,
// for minutes); run it after changing the core or its tests. The file is
// always restored, even on an interrupt.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");

export interface Edit {
  readonly file: string;
  /** Exact text that occurs once in the file. */
  readonly from: string;
  readonly to: string;
  readonly what: string;
  /** Why no test can catch it: the edit changes nothing any reachable state can show. */
  readonly equivalent?: string;
}

const e = (file: string, what: string, from: string, to: string, equivalent?: string): Edit =>
  ({ file: `src/core/${file}`, what, from, to, ...(equivalent === undefined ? {} : { equivalent }) });

export const EDITS: readonly Edit[] = [
  // --- step.ts: the supervisor's steps -------------------------------------------------
  e("step.ts", "WATCHDOG=trigger never given to the table", `    if (trigger) this.input(i, "trigger");`, ""),
  e("step.ts", "a rolling restart's new process given up said to be removed by a reload", `this.input(aside, "remove", { givenUp: true });`, `this.input(aside, "remove");`),
  e("step.ts", "the alarm armed for --alarm=0", "this.settings.alarmMs > 0 ? this.at + this.settings.alarmMs : null", "this.settings.alarmMs >= 0 ? this.at + this.settings.alarmMs : null"),
  e("step.ts", "the alarm deadline absolute, not from the start", "this.settings.alarmMs > 0 ? this.at + this.settings.alarmMs : null", "this.settings.alarmMs > 0 ? this.settings.alarmMs : null"),
  e("step.ts", "the alarm never armed", `if (this.alarmAt !== null) this.effects.push({ type: "arm", timer: "alarm", at: this.alarmAt });`, ""),
  e("step.ts", "the alarm deadline not taken from the handover", "this.alarmAt = handover.alarmAt;", "this.alarmAt = null;"),
  e("step.ts", "the exec instant not taken from the handover", "this.execAt = handover.execAt;", ""),
  e("step.ts", "a pending revive not taken from the handover", "this.pendingRevive = this.pendingRevive || handover.pendingRevive;", ""),
  e("step.ts", "spawn counts and last exits not taken from the handover", "this.servers = this.servers.set(i, { ...s, spawns: h.spawns, lastExit: h.lastExit, retries: h.retries ?? 0 });", ""),
  e("step.ts", "an unborn server of the handover never autostarted", `case "unborn":
          if (s.spec.autostart !== false) this.input(i, "autostart");`, `case "unborn":`),
  e("step.ts", "no adopt after a re-exec", `this.effects.push({ type: "adopt", server: i, pid: h.pid });`, ""),
  e("step.ts", "a stop order's deadline not armed again after a re-exec", `if (h.stop !== null && !h.stop.killed) this.effects.push({ type: "arm", timer: stopTimer(i), at: h.stop.deadline });`, ""),
  e("step.ts", "a killed stop order armed again after a re-exec, a live one not", "if (h.stop !== null && !h.stop.killed)", "if (h.stop !== null && h.stop.killed)"),
  e("step.ts", "a stop order dropped at the take-over", "this.setLife(i, { kind: \"alive\", pid: h.pid, since: h.since, stop: h.stop,", "this.setLife(i, { kind: \"alive\", pid: h.pid, since: h.since, stop: null,"),
  e("step.ts", "the start of an adopted child taken as the take-over", "this.setLife(i, { kind: \"alive\", pid: h.pid, since: h.since, stop: h.stop,", "this.setLife(i, { kind: \"alive\", pid: h.pid, since: this.at, stop: h.stop,"),
  e("step.ts", "the buried not revived by a re-exec", `this.setLife(i, { kind: "buried", since: h.since, why: h.why });
          this.input(i, "revive");`, `this.setLife(i, { kind: "buried", since: h.since, why: h.why });`),
  e("step.ts", "adopted count off by one", "adopted++;", "adopted += 2;"),
  e("step.ts", "an operator's roll begun while a re-exec waits (it would be cut off unanswered)", "if (id !== null && this.pendingReexec) return reply(false, say.reply.rollReexecWaits());", ""),
  e("step.ts", "a roll asks a copy about to start (its dependency ready as of this step) for a restart, which it refuses", "    if (l.kind === \"waiting\" && this.mayStart(next)) return;\n", ""),
  e("step.ts", "a reload's roll under way when a waiting re-exec is carried out: cut off unsaid", `          this.rollFailed("lazarus re-execs, which ends a rolling restart");
          if (this.settings.systemd !== undefined) this.tellSystemd();`, ""),
  e("step.ts", "systemd not told the counts after a waiting re-exec ends a roll", `          this.rollFailed("lazarus re-execs, which ends a rolling restart");
          if (this.settings.systemd !== undefined) this.tellSystemd();`, `          this.rollFailed("lazarus re-execs, which ends a rolling restart");`),
  e("step.ts", "a reload's new spec for a server that does not run unseen by settle (a waiting server whose dependency went)", "if (before !== s.life || s.spec !== old.spec) this.lifeChanged = true;", "if (before !== s.life || s.spec !== change.spec) this.lifeChanged = true;"),
  e("step.ts", "a death during the exec timed at its reaping (max for min)", "Math.min(this.at, this.execAt)", "Math.max(this.at, this.execAt)"),
  e("step.ts", "the global interval used, not the server's", "const interval = s.spec.intervalMs ?? this.settings.intervalMs;", "const interval = this.settings.intervalMs;"),
  e("step.ts", "the last exit not recorded", "lastExit: status, retries: s.retries", "lastExit: s.lastExit, retries: s.retries"),
  e("step.ts", "the shell's hint trusted without checking its pid", `if (l?.kind === "alive" && l.pid === pid) return hint;`, `if (l?.kind === "alive") return hint;`),
  e("step.ts", "a revive before the start not kept pending", "      this.pendingRevive = true;\n      this.log(say.supervisor.revivePending(record));", "      this.log(say.supervisor.revivePending(record));"),
  e("step.ts", "a revive during a shutdown acted on", `    if (this.phase.kind !== "running") {
      this.log(say.supervisor.reviveIgnored());
      return;
    }`, `    if (this.phase.kind === "booting") {
      this.log(say.supervisor.reviveIgnored());
      return;
    }`),
  e("step.ts", "a revive leaves the pending revive set", "    this.pendingRevive = false;\n    if (this.census.buried === 0) return;", "    if (this.census.buried === 0) return;"),
  e("step.ts", "a shutdown with status 1", `this.phase = { kind: "stopping", status: 0, killed: false };`, `this.phase = { kind: "stopping", status: 1, killed: false };`),
  e("step.ts", "a second terminate exits 0 after the alarm", "this.killEverything(this.phase.status);", "this.killEverything(0);"),
  e("step.ts", "a second terminate does nothing", "        this.log(say.supervisor.terminateAgain(signal));\n        this.killEverything(this.phase.status);", "        this.log(say.supervisor.terminateAgain(signal));"),
  e("step.ts", "the alarm fires at its deadline only if later (<= for <)", "if (this.at < this.alarmAt) {", "if (this.at <= this.alarmAt) {"),
  e("step.ts", "an early alarm not armed again", `      if (this.at < this.alarmAt) {
        this.effects.push({ type: "arm", timer: "alarm", at: this.alarmAt });
        return;
      }`, `      if (this.at < this.alarmAt) return;`),
  e("step.ts", "the alarm exits 0", "this.killEverything(ALARM_STATUS);", "this.killEverything(0);"),
  e("step.ts", "the alarm kept after it fired", "      this.alarmAt = null;\n      this.killEverything(ALARM_STATUS);", "      this.killEverything(ALARM_STATUS);"),
  e("step.ts", "the alarm after a second terminate ignored (status not compared)", "if (this.phase.kind === \"stopping\" && this.phase.killed && this.phase.status === status) return;", "if (this.phase.kind === \"stopping\" && this.phase.killed) return;"),
  e("step.ts", "a stop timer of server i taken as server i+1", "const i = Number(timer.slice(colon + 1));", "const i = Number(timer.slice(colon + 1)) + 1;"),
  e("step.ts", "a re-exec honoured during a shutdown", `    if (this.phase.kind !== "running") {
      this.log(say.supervisor.reexecIgnored());
      return;
    }
    if (!again)`, `    if (!again)`),
  e("step.ts", "a re-exec not deferred while a spawn is in flight", "if (this.pendingReexec && n.starting === 0 && this.outgoing() === 0) {", "if (this.pendingReexec && this.outgoing() === 0) {"),
  e("step.ts", "a pending revive carried out while the first spawns are in flight", "if (this.phase.kind === \"running\" && this.pendingRevive && n.starting === 0) {", "if (this.phase.kind === \"running\" && this.pendingRevive) {"),
  e("step.ts", "a pending re-exec carried out during a shutdown", `if (this.phase.kind === "running" && (living || waiting)) {
        // A rolling restart`, `if (living || waiting) {
        // A rolling restart`),
  e("step.ts", "READY=1 withheld while a server waits in vain (for a buried dependency)", "(l.kind === \"waiting\" && inVain?.has(i) !== true)", "l.kind === \"waiting\""),
  e("deps.ts", "a server waiting behind one that waits in vain not at rest (one level only)", "(k === \"unborn\" && s.spec.autostart === false) || stuck.has(d);", "(k === \"unborn\" && s.spec.autostart === false);"),
  e("deps.ts", "a buried dependency not at rest for READY=1", "return k === \"buried\" || k === \"cremated\" ||", "return k === \"cremated\" ||"),
  e("deps.ts", "a dependency never started on its own (autostart = false) not at rest for READY=1", "(k === \"unborn\" && s.spec.autostart === false) || stuck.has(d);", "stuck.has(d);"),
  e("step.ts", "exit with an unborn server waiting", "const waiting = n.buried + n.unborn + n.waiting + n.backoff > 0;", "const waiting = n.buried + n.waiting + n.backoff > 0;"),
  e("step.ts", "exit while a spawn is in flight", "const living = n.alive + n.starting > 0;", "const living = n.alive > 0;"),
  e("step.ts", "the waiting line said at every event", "        } else if (!this.waitingLogged) {", "        } else if (true) {"),
  e("step.ts", "the shutdown's exit status ignored", "if (!living) this.exit(this.phase.status);", "if (!living) this.exit(0);"),
  e("step.ts", "spawn during a shutdown", "    if (this.phase.kind !== \"running\" || this.server(i).retired === true) return;", "    if (this.server(i).retired === true) return;"),
  e("step.ts", "the spawn count not incremented", "this.setServer(i, withLife(s, STARTING, s.spawns + 1));", "this.setServer(i, withLife(s, STARTING, s.spawns));"),
  e("step.ts", "the census not kept", "      this.census[was]--;\n", ""),
  e("step.ts", "a reply to a refused command said ok", "if (this.phase.kind !== \"running\") return reply({ ok: false, message: say.reply.refused(this.phase.kind) });", "if (this.phase.kind !== \"running\") return reply({ ok: true, message: say.reply.refused(this.phase.kind) });"),
  e("step.ts", "operator commands accepted during a shutdown", "if (this.phase.kind !== \"running\") return reply({ ok: false, message: say.reply.refused(this.phase.kind) });", ""),
  e("step.ts", "revive-all answers with one server too many", "const n = this.census.buried;", "const n = this.census.buried + 1;"),
  e("step.ts", "ctl shutdown says 'already' the first time", "reply({ ok: true, message: say.reply.shuttingDown(this.phase.kind === \"stopping\") });", "reply({ ok: true, message: say.reply.shuttingDown(this.phase.kind !== \"stopping\") });"),
  e("step.ts", "the handover hands the pending revive as false", "    pendingRevive: state.pendingRevive,\n    alarmAt: state.alarmAt,", "    pendingRevive: false,\n    alarmAt: state.alarmAt,", "a re-exec is carried out in settle, after a pending revive was: it is never pending then"),
  e("step.ts", "the handover hands a starting server as buried", `        case "unborn":
        case "starting":
          return { kind: "unborn", ...common };`, `        case "unborn":
          return { kind: "unborn", ...common };
        case "starting":
          return { kind: "buried", ...common, since: 0, why: "spawn-failed" };`, "a re-exec waits until no spawn is in flight: no server is starting then"),
  e("step.ts", "the exit disarms nothing", `    if (this.alarmAt !== null) this.effects.push({ type: "disarm", timer: "alarm" });\n    this.alarmAt = null;\n    this.log(say.supervisor.exiting(status));`, `    this.log(say.supervisor.exiting(status));`),
  e("step.ts", "a dump of the state before the event", "for (const line of dumpLines(statusOf(this.snapshot(), this.at))) this.log(say.supervisor.info(line));", "for (const line of dumpLines(statusOf(this.before, this.at))) this.log(say.supervisor.info(line));", "the info event changes nothing before the dump"),
  e("step.ts", "a spawn result for a server not starting taken", `if (this.servers.at(i)?.life.kind !== "starting") {`, `if (this.servers.at(i) === undefined) {`),
  e("step.ts", "a second start event starts again", `    if (this.phase.kind !== "booting") {
      this.log(say.supervisor.startAgain());
      return;
    }`, ""),

  // --- table.ts: one server ---------------------------------------------------------
  e("table.ts", "WATCHDOG=trigger from a server not yet ready ignored", `"ready-timeout": "failStart", trigger: "failTriggered" },`, `"ready-timeout": "failStart" },`),
  e("table.ts", "WATCHDOG=trigger from a ready server ignored", `unhealthy: "restartUnhealthy", trigger: "failTriggered" },`, `unhealthy: "restartUnhealthy" },`),
  e("table.ts", "WATCHDOG=trigger taken for a restart (not judged as a crash: a restart loop)", `a.log(say.server.triggered(a.index, a.server, alive(a).pid));
  order(a, "fail");`, `a.log(say.server.triggered(a.index, a.server, alive(a).pid));
  order(a, "start");`),
  e("table.ts", "a ready server that asked to fail said to have failed to start", "a.log(l.ready ? say.server.failedAsAsked(a.index, a.server, pid) : say.server.failedStart(a.index, a.server, pid));", "a.log(say.server.failedStart(a.index, a.server, pid));"),
  e("table.ts", "a second stop order restarts the clock (and signals again)", "  if (l.stop !== null) {\n    a.setLife({ ...l, stop: { ...l.stop, then } });\n    return;\n  }\n", ""),
  e("table.ts", "a stop deadline not from the stop time", "const deadline = a.at + a.stopTimeout();", "const deadline = a.stopTimeout();"),
  e("table.ts", "a stop deadline off by one", "const deadline = a.at + a.stopTimeout();", "const deadline = a.at + a.stopTimeout() + 1;"),
  e("table.ts", "the stop signal ignored (always SIGTERM)", "a.kill(a.server.spec.stopSignal ?? SIGTERM);", "a.kill(SIGTERM);"),
  e("table.ts", "the stop timer not armed", "  a.kill(a.server.spec.stopSignal ?? SIGTERM);\n  a.arm(\"stop\", deadline);", "  a.kill(a.server.spec.stopSignal ?? SIGTERM);"),
  e("table.ts", "a kill loses the deadline it had", "deadline: l.stop?.deadline ?? 0, killed: true", "deadline: 0, killed: true"),
  e("table.ts", "a kill keeps a pending restart", "killed: true, then: \"cremate\" }", "killed: true, then: l.stop?.then ?? \"cremate\" }"),
  e("table.ts", "a kill sends SIGTERM", "  a.kill(SIGKILL);\n}\n\n/** Start it", "  a.kill(SIGTERM);\n}\n\n/** Start it"),
  e("table.ts", "a server spawned during a shutdown gets no stop order", "    if (a.phase.killed) killNow(a);\n    else order(a, \"cremate\");\n    return;", "    if (a.phase.killed) killNow(a);\n    return;"),
  e("table.ts", "a server spawned after a second terminate gets its stop signal, not SIGKILL", "    if (a.phase.killed) killNow(a);\n    else order(a, \"cremate\");", "    order(a, \"cremate\");"),
  e("table.ts", "a server spawned in a running supervisor gets a stop order", "  if (a.phase.kind === \"stopping\") {\n    if (a.phase.killed) killNow(a);", "  if (a.phase.kind !== \"booting\") {\n    if (a.phase.kind === \"stopping\" && a.phase.killed) killNow(a);"),
  e("table.ts", "a failed spawn buried as a crash loop", "a.setLife({ kind: \"buried\", since: a.at, why: \"spawn-failed\" });", "a.setLife({ kind: \"buried\", since: a.at, why: \"crash-loop\" });"),
  e("table.ts", "the remnants of a crashed server get SIGKILL", "  a.killRemnants(e.pid, SIGTERM);", "  a.killRemnants(e.pid, SIGKILL);"),
  e("table.ts", "the remnants of a crashed server never signalled", "  a.killRemnants(e.pid, SIGTERM);", ""),
  // What is left of a crashed server's group: SIGKILL at its stop timeout (step.ts, leaveBehind and the leftovers timer).
  e("table.ts", "a crashed server's leftover group never SIGKILLed", "  a.killRemnantsLater(e.pid);\n", ""),
  e("step.ts", "a leftover kill armed with the global stop timeout instead of the server's", "const at = this.at + this.serverStopTimeout(i);", "const at = this.at + this.settings.stopTimeoutMs;"),
  e("step.ts", "a leftover kill due at the stop timeout itself, not after the end", "const at = this.at + this.serverStopTimeout(i);", "const at = this.serverStopTimeout(i);"),
  e("step.ts", "a pid handed out again keeps its old group's pending kill", `    if (input === "spawned") this.forgetLeftover(detail.pid as number);\n`, ""),
  e("step.ts", "a forgotten group's deadline leaves the leftovers timer where it was", "    this.leftovers = [...list.slice(0, k), ...list.slice(k + 1)];\n    this.leftoverTimer(first);", "    this.leftovers = [...list.slice(0, k), ...list.slice(k + 1)];"),
  e("step.ts", "a leftover not killed at its very deadline (< for <=)", "(list[k] as Leftover).at <= this.at; k++", "(list[k] as Leftover).at < this.at; k++"),
  e("step.ts", "the leftovers timer not armed again after it fired", `    if (next !== undefined) this.effects.push({ type: "arm", timer: "leftovers", at: next.at });\n`, ""),
  e("step.ts", "leftovers kept in the order they came, not by deadline", "    while (k > 0 && (list[k - 1] as Leftover).at > at) k--;\n", ""),
  e("step.ts", "a full leftovers list drops its earliest without killing it", `      this.effect({ type: "kill-remnants", server: due.server, pgid: due.pgid, signal: SIGKILL });\n`, ""),
  e("step.ts", "a second terminate or the alarm leaves the leftovers to their deadlines", `    for (const l of this.leftovers) this.effect({ type: "kill-remnants", server: l.server, pgid: l.pgid, signal: SIGKILL });\n    this.leftovers = [];\n    this.effects.push({ type: "disarm", timer: "leftovers" });`, ""),
  e("step.ts", "a second terminate kills the leftovers but keeps waiting for them", `    for (const l of this.leftovers) this.effect({ type: "kill-remnants", server: l.server, pgid: l.pgid, signal: SIGKILL });\n    this.leftovers = [];`, `    for (const l of this.leftovers) this.effect({ type: "kill-remnants", server: l.server, pgid: l.pgid, signal: SIGKILL });`),
  e("step.ts", "the leftovers timer left armed at exit", `    if (this.leftovers.length > 0) this.effects.push({ type: "disarm", timer: "leftovers" });\n`, ""),
  e("table.ts", "the stop timer of a stopped server left armed", "  if (l.stop !== null) a.disarm(\"stop\");\n  a.killRemnants(pid, SIGKILL);", "  a.killRemnants(pid, SIGKILL);"),
  e("table.ts", "the remnants of a stopped server get SIGTERM", "  a.killRemnants(pid, SIGKILL);", "  a.killRemnants(pid, SIGTERM);"),
  e("table.ts", "a restart does not start it again", "  if (l.stop?.then === \"start\") a.spawn();", ""),
  e("table.ts", "a clean end buried", "a.setLife({ kind: \"cremated\", since: a.at, why: \"clean-exit\" });", "a.setLife({ kind: \"buried\", since: a.at, why: \"crash-loop\" });"),
  e("table.ts", "the deadline fires early (<= for <)", "if (a.at < stop.deadline) {", "if (a.at <= stop.deadline) {"),
  e("table.ts", "an early stop timer not armed again", "    a.arm(\"stop\", stop.deadline);\n    return;", "    return;"),
  e("table.ts", "the deadline's SIGKILL not marked", "a.setLife({ ...l, stop: { ...stop, killed: true } });", ""),
  e("table.ts", "the deadline sends SIGTERM", "  a.setLife({ ...l, stop: { ...stop, killed: true } });\n  a.kill(SIGKILL);", "  a.setLife({ ...l, stop: { ...stop, killed: true } });\n  a.kill(SIGTERM);"),
  e("table.ts", "the deadline's line names the global timeout", "a.log(say.server.stopTimeout(a.index, a.server, l.pid, a.stopTimeout()));", "a.log(say.server.stopTimeout(a.index, a.server, l.pid, 0));"),
  e("table.ts", "ctl stop ends in a restart", "  order(a, \"cremate\");\n  return ok(say.reply.stopping(a.server.spec.name));", "  order(a, \"start\");\n  return ok(say.reply.stopping(a.server.spec.name));"),
  e("table.ts", "ctl start of a stopping server forgotten", "const startOnceStopped: Action = (a) => {\n  order(a, \"start\");", "const startOnceStopped: Action = (a) => {"),
  e("table.ts", "a signal sent to the group", "  a.kill(signal, false);", "  a.kill(signal);"),
  e("table.ts", "stopping and killed swapped", "return life.stop.killed ? \"killed\" : \"stopping\";", "return life.stop.killed ? \"stopping\" : \"killed\";"),
  e("table.ts", "stopNow records the wrong reason", "  a.setLife({ kind: \"cremated\", since: a.at, why: \"stopped\" });\n  a.log(say.server.stoppedNow", "  a.setLife({ kind: \"cremated\", since: a.at, why: \"clean-exit\" });\n  a.log(say.server.stoppedNow"),
  e("table.ts", "a refusal to start says ok", "      return no(say.reply.alreadyRunning(name));\n    case \"revive-one\"", "      return ok(say.reply.alreadyRunning(name));\n    case \"revive-one\""),

  e("table.ts", "a long life ended by a stop or restart keeps its fast crashes counted (backoff)", "  if ((d.lived ?? 0) >= a.interval() && a.server.retries !== 0) a.setServer({ retries: 0 });\n", ""),
  e("table.ts", "a short life ended by a stop or restart forgets its fast crashes", "if ((d.lived ?? 0) >= a.interval() && a.server.retries !== 0)", "if (a.server.retries !== 0)"),
  // --- exits.ts, argv.ts, signals.ts ----------------------------------------------------
  e("exits.ts", "a crash loop at lived <= interval", "return lived < intervalMs ? \"exit-fast\" : \"exit-slow\";", "return lived <= intervalMs ? \"exit-fast\" : \"exit-slow\";"),
  e("exits.ts", "an unknown status taken as clean", "    case \"unknown\": return false;", "    case \"unknown\": return true;"),
  e("exits.ts", "any exit code taken as clean", "case \"code\": return status.code === 0;", "case \"code\": return status.code <= 1;"),
  e("signals.ts", "SIGHUP taken as a clean end", "return signal === SIGTERM || signal === SIGINT;", "return signal === SIGTERM || signal === SIGINT || signal === SIGHUP;"),
  e("signals.ts", "SIGINT taken as a crash", "return signal === SIGTERM || signal === SIGINT;", "return signal === SIGTERM;"),
  e("signals.ts", "SIGRTMIN+n named off by one", "`SIGRTMIN+${signal - SIGRTMIN}`", "`SIGRTMIN+${signal - SIGRTMIN + 1}`"),
  e("signals.ts", "signal 0 accepted", "return n >= 1 && n <= SIGRTMAX && (BY_NUMBER.has(n) || n >= SIGRTMIN) ? n : null;", "return n >= 0 && n <= SIGRTMAX && (BY_NUMBER.has(n) || n >= SIGRTMIN || n === 0) ? n : null;"),
  e("signals.ts", "SIGRTMAX-n off by one", "const n = SIGRTMAX - Number(rtmax[1] ?? 0);", "const n = SIGRTMAX - Number(rtmax[1] ?? 1);"),
  e("argv.ts", "--respawn from the first spawn", "if (spawns === 0 || !argv.includes(INITIAL_SPAWN)) return argv;", "if (spawns <= 1 || !argv.includes(INITIAL_SPAWN)) return argv;"),
  e("argv.ts", "--initial-spawn=x replaced too", "(a === INITIAL_SPAWN ? RESPAWN : a)", "(a.startsWith(INITIAL_SPAWN) ? RESPAWN : a)"),

  // --- records.ts, describe.ts, status.ts: what is said ----------------------------------
  e("records.ts", "'1 servers'", "return `${n} ${word}${n === 1 ? \"\" : \"s\"}`;", "return `${n} ${word}s`;"),
  e("records.ts", "the label ignored (argv[0] always)", "return s.spec.label ?? s.spec.argv[0] ?? s.spec.name;", "return s.spec.argv[0] ?? s.spec.name;"),
  e("records.ts", "a crash line names the wrong state", "from: \"alive\", to: \"buried\", text: `'${label(s)}' died abnormally, burying", "from: \"alive\", to: \"cremated\", text: `'${label(s)}' died abnormally, burying"),
  e("records.ts", "the exiting line without its status code", "exiting: (status: number): LogRecord => ({ event: \"exiting\", code: status,", "exiting: (status: number): LogRecord => ({ event: \"exiting\","),
  e("records.ts", "log-dropped counts swapped", "event: \"log-dropped\", dropped: { log, output },", "event: \"log-dropped\", dropped: { log: output, output: log },"),
  e("describe.ts", "seconds with two decimals", "return (ms / 1000).toFixed(3);", "return (ms / 1000).toFixed(2);"),
  e("describe.ts", "buried in the words of cremated", "case \"buried\": return \"requires SIGUSR2 to respawn\";", "case \"buried\": return \"will never respawn\";"),
  e("describe.ts", "a death by signal described as an exit code", "case \"signal\": return `died by signal ${status.signal} (${signalName(status.signal)})`;", "case \"signal\": return `exited with code ${status.signal}`;"),
  e("status.ts", "restarts counted as spawns", "restarts: Math.max(0, s.spawns - 1),", "restarts: s.spawns,"),
  e("status.ts", "uptime of a server that is not alive", "uptime: l.kind === \"alive\" ? Math.max(0, now - l.since) : null,", "uptime: \"since\" in l ? Math.max(0, now - l.since) : null,"),
  e("status.ts", "stopping said of every alive server", "stopping: l.kind === \"alive\" && l.stop !== null,", "stopping: l.kind === \"alive\","),
  e("status.ts", "the dump's alive count includes the starting", "alive: servers.filter((s) => s.state === \"alive\").length,", "alive: servers.filter((s) => s.state === \"alive\" || s.state === \"starting\").length,"),
  e("status.ts", "the dump's pending revive inverted", "`revive pending: ${st.revivePending ? \"yes\" : \"no\"}`", "`revive pending: ${st.revivePending ? \"no\" : \"yes\"}`"),

  // --- marshal.ts: the handover -----------------------------------------------------------
  e("marshal.ts", "a killed stop order read back as not killed", "return { deadline, killed: killed === 1, then };", "return { deadline, killed: killed === 0, then };"),
  e("marshal.ts", "pid 1 accepted as a child", "return typeof x === \"number\" && Number.isSafeInteger(x) && x > 1 && x <= PID_MAX;", "return typeof x === \"number\" && Number.isSafeInteger(x) && x >= 1 && x <= PID_MAX;"),
  e("marshal.ts", "the largest pid refused", "return typeof x === \"number\" && Number.isSafeInteger(x) && x > 1 && x <= PID_MAX;", "return typeof x === \"number\" && Number.isSafeInteger(x) && x > 1 && x < PID_MAX;"),
  e("marshal.ts", "a pid recorded twice accepted", "if (pids.has(pid)) return invalid(`pid ${pid} recorded twice`, spawns);", ""),
  e("marshal.ts", "the fingerprint not checked", "if (fp !== fingerprint(spec.argv)) return invalid(\"recorded for a different command\", spawns);", ""),
  e("marshal.ts", "the checksum not checked", "if (checksum(payload) !== m[2]) return fail(\"unreadable re-exec state: checksum mismatch (truncated or corrupt)\");", ""),
  e("marshal.ts", "a different number of servers accepted", "  if (raw.length !== specs.length) {", "  if (raw.length < specs.length) {"),
  e("marshal.ts", "version 1 records read with a last exit", "const lastExit = v >= 2 ? readLastExit(raw[length]) : null;", "const lastExit = readLastExit(raw[length]);"),
  e("marshal.ts", "alive with no spawn accepted", "if (spawns < 1) return invalid(\"alive but never spawned\", spawns);", ""),
  e("marshal.ts", "a negative time accepted", "return typeof x === \"number\" && Number.isFinite(x) && x >= 0;", "return typeof x === \"number\" && Number.isFinite(x);"),
  e("marshal.ts", "an exit code 256 accepted", "if (kind === \"code\" && n >= 0 && n <= 255) return { kind: \"code\", code: n };", "if (kind === \"code\" && n >= 0 && n <= 256) return { kind: \"code\", code: n };"),
  e("marshal.ts", "the alarm not handed across", "alarm: handover.alarmAt, exec: handover.execAt", "alarm: null, exec: handover.execAt"),

  // --- vec.ts: the persistent vector ---------------------------------------------------
  e("vec.ts", "at() one past the end", "if (!(i >= 0 && i < this.length)) return undefined;", "if (!(i >= 0 && i <= this.length)) return undefined;"),
  e("vec.ts", "set() changes the old vector's chunk", "const chunk = (this.chunks[c] as readonly T[]).slice();", "const chunk = this.chunks[c] as T[];"),
  e("vec.ts", "set() at the length accepted", "if (!(i >= 0 && i < this.length) || !Number.isInteger(i))", "if (!(i >= 0 && i <= this.length) || !Number.isInteger(i))"),
  e("vec.ts", "findIndex off by one", "        if (fn(v, i)) return i;\n        i++;", "        i++;\n        if (fn(v, i)) return i;"),
  e("vec.ts", "chunks of 16 read with a mask of 32", "const MASK = WIDTH - 1;", "const MASK = WIDTH * 2 - 1;"),
  e("vec.ts", "push() starts a new chunk one too late", "if (last >= 0 && (chunks[last] as readonly T[]).length < WIDTH)", "if (last >= 0 && (chunks[last] as readonly T[]).length <= WIDTH)"),
  e("vec.ts", "every() inverted", "return this.findIndex((v, i) => !fn(v, i)) < 0;", "return this.findIndex((v, i) => fn(v, i)) < 0;"),

  // --- rolling restarts and reloads (issue 15): step.ts, roll.ts, reconfigure.ts, table.ts, status.ts ---
  e("step.ts", "start-first only when asked for (the default taken as stop-first)", `targetSpec(s).rolling !== "stop-first"`, `targetSpec(s).rolling === "start-first"`),
  e("step.ts", "the old process not stopped once its new one took its place", `    this.resumeChecks(i);
    this.input(aside, "replaced");`, `    this.resumeChecks(i);`),
  e("step.ts", "the new process's health checks not resumed under the copy's slot", `    this.resumeChecks(i);
    this.input(aside, "replaced");`, `    this.input(aside, "replaced");`),
  e("step.ts", "the next copy begins before the old process moved aside has ended", `if (this.servers.at(r.draining)?.life.kind === "alive") return;`, ""),
  e("step.ts", "a new process aside given up but never stopped", `if (l.kind !== "starting") this.input(aside, "remove", { givenUp: true });`, ""),
  e("step.ts", "a new process aside given up while it started said to be removed by a reload", `this.input(i, "remove", { givenUp });`, `this.input(i, "remove");`),
  e("step.ts", "a reload does not end a roll under way", `if (this.roll !== undefined) this.rollFailed(scale === undefined ? "a reload came" : "a scale came");`, ""),
  e("step.ts", "a re-exec does not end a roll under way", `if (this.roll !== undefined) this.rollFailed("lazarus re-execs, which ends a rolling restart");`, ""),
  e("step.ts", "a reload rolls a table without a readiness check", "c.spec.group === undefined || c.spec.ready === undefined ||", "c.spec.group === undefined ||"),
  e("step.ts", "a reload's rolled copies also restarted at once", `s.life.kind === "alive" && !rolling.has(c.slot)) this.input(c.slot, "change");`, `s.life.kind === "alive") this.input(c.slot, "change");`),
  e("step.ts", "a reload's roll replaces a copy that took its new spec already", "if (r.reload && s.next === undefined) return this.rollNext({ ...r, done: [...r.done, next], rest });", ""),
  e("step.ts", "a signal after a spawn of the same step left in place", `if ((e.type === "kill" || e.type === "kill-remnants") && this.firstSpawn >= 0) {`, "if (false) {"),
  e("step.ts", "the handover records the old spec of a copy with its new one pending", "return state.servers.filter(isCurrent).map(targetSpec);", "return state.servers.filter(isCurrent).map((s) => s.spec);"),
  e("step.ts", "a re-exec carried out though nothing is left to hand across", `if (this.phase.kind === "running" && (living || waiting)) {
        // A rolling restart`, `if (this.phase.kind === "running") {
        // A rolling restart`),
  e("step.ts", "a pending spec not taken by a start straight from alive", "    if (pending.next !== undefined) this.setServer(i, withoutNext({ ...pending, spec: pending.next }));\n", ""),
  e("step.ts", "a new process aside restarted when it ends", `{ ...newServer({ ...spec, restart: "never" }), spawns: s.spawns, replaces: i }`, "{ ...newServer(spec), spawns: s.spawns, replaces: i }"),
  e("roll.ts", "start-first goes on though the copy's old process is being stopped", "if (!(c.kind === \"alive\" && c.pid === roll.old && c.stop === null)) return { kind: \"in-place\" };", "if (!(c.kind === \"alive\" && c.pid === roll.old)) return { kind: \"in-place\" };"),
  e("roll.ts", "a new process being stopped counts as on its way", "if (l.stop !== null) return { kind: \"failed\", why: `its new process (pid ${l.pid}) did not become ready: it is being stopped` };", ""),
  e("reconfigure.ts", "a slot aside counted as a current server", "return s.retired !== true && s.replaces === undefined;", "return s.retired !== true;"),
  e("reconfigure.ts", "a scale restarts what depends on the table (dependencies compared by copy, not by table)", "function tableOf(s: ServerSpec): string {\n  return s.group ?? s.name;", "function tableOf(s: ServerSpec): string {\n  return s.name;"),
  e("reconfigure.ts", "a reload compares a copy that keeps its old process with its pending spec (a reload that ends a rolling reload leaves it on its old process)", "return keepsOldProcess(s) ? s.spec : targetSpec(s);", "return targetSpec(s);"),
  e("step.ts", "a reload that changes a copy back to what its old process runs keeps its pending spec", "if (keepsOldProcess(s)) this.setServer(c.slot, withoutNext(c.spec === undefined ? s : { ...s, spec: c.spec }));\n          // Its dependencies", "if (keepsOldProcess(s)) this.setServer(c.slot, c.spec === undefined ? s : { ...s, next: c.spec });\n          // Its dependencies"),
  e("step.ts", "a rolling reload's old process handed across without the spec it runs", "...(keepsOldProcess(s) ? { runs: withDependencies(s.spec, index) } : {}),", ""),
  e("step.ts", "the new image runs a rolling reload's old process under the configuration's spec", "if (runs !== undefined) this.setServer(i, { ...this.server(i), spec: runs, next: s.spec });", ""),
  e("step.ts", "the spec an old process runs handed across with its dependencies by slot", "runs: withDependencies(s.spec, index)", "runs: s.spec"),
  e("marshal.ts", "the spec an old process runs read with its dependencies left out", "const deps = v.flatMap((n) => { const d = index.get(n); return d === undefined ? [] : [d]; });", "const deps: number[] = [];"),
  e("step.ts", "a stopped roll says copies that do not run were left running", `left.every((i) => this.servers.at(i)?.life.kind === "alive")`, "true"),
  e("table.ts", "an operator's start of a server that then waits for its dependencies answered 'started'", `return a.server.life.kind === "waiting" ? waitWords(a, true) : done;`, "return done;"),
  // A server added in the seat of a removed server's process that still stops (found by a review: two processes of one name at once).
  e("step.ts", "a server added in the seat of a process still stopping starts at once (behind never set)", "if (old >= 0) this.setServer(c.slot, { ...this.server(c.slot), behind: old });", ""),
  e("step.ts", "a server behind an old process spawned anyway", "const behind = this.server(i).behind !== undefined;", "const behind = false;"),
  e("step.ts", "a server behind an old process waits for ever (never told that it ended)", `if (old.retired === true && (was === "alive" || was === "starting") && k !== "alive" && k !== "starting") this.oldProcessEnded(i);`, ""),
  e("step.ts", "a server behind several old processes in its seat (a rename) starts when the first ends", "const next = oldProcessOf(this.servers, s.spec, i);", "const next = -1;"),
  e("step.ts", "behind lost by a change of life", "...(s.behind === undefined ? {} : { behind: s.behind }),", ""),
  e("step.ts", "a server behind an old process started by settle while it still runs", `if (this.server(i).life.kind === "waiting" && this.mayStart(i)) this.input(i, "deps-ready");`, `if (this.server(i).life.kind === "waiting" && this.depsReady(i)) this.input(i, "deps-ready");`,
    "deps-ready spawns through spawnNow, which finds it behind its old process and leaves it waiting (unsaid again): nothing differs"),
  e("step.ts", "a roll that reaches a copy behind an old process waits for a start that does not come", `if (l.kind === "waiting" && this.mayStart(next)) return;`, `if (l.kind === "waiting" && this.depsReady(next)) return;`),
  e("reconfigure.ts", "a rename (NAME and NAME.N) not the same seat", "return a.name === b.name || isCopyOf(a.name, b.name) || isCopyOf(b.name, a.name);", "return a.name === b.name;"),
  e("reconfigure.ts", "an old process whose spawn's result is on its way not waited for", `i !== except && s.retired === true && (s.life.kind === "alive" || s.life.kind === "starting") && sameSeat(s.spec, spec)`, `i !== except && s.retired === true && s.life.kind === "alive" && sameSeat(s.spec, spec)`),
  e("status.ts", "what a server behind an old process waits for not shown", "const behind = old === undefined ? null : { pid: old.kind === \"alive\" ? old.pid : null };", "const behind = null;"),
  e("table.ts", "a refused start of a server behind an old process says it waits for its dependencies", "if (old !== null) return say.reply.waitsForOld(name, old.pid, then);", ""),
  e("reconfigure.ts", "copies a scale removes stopped last slot first, not highest-numbered first", "removed.sort((a, b) => b.copy - a.copy || b.change.slot - a.change.slot);", "removed.sort((a, b) => b.change.slot - a.change.slot);"),
  e("step.ts", "a reload starts its new servers before it stops what they depend on", `    for (const c of r.changes) {
      const s = this.server(c.slot);
      if (c.kind === "removed") this.input(c.slot, "remove");`, `    for (const c of r.changes) {
      const s = this.server(c.slot);
      if (c.kind === "added" && s.life.kind === "unborn" && s.spec.autostart !== false) this.input(c.slot, "autostart");
      if (c.kind === "removed") this.input(c.slot, "remove");`),
  e("step.ts", "an interrupted health probe never tried again (health checks stop after a failed re-exec)", "    else if (health !== undefined) this.effects.push({ type: \"arm\", timer: timerOf(\"probe\", i), at: this.at + health.intervalMs });", ""),
  e("step.ts", "an interrupted probe leaves the server probing (no probe ever again)", `    if (purpose !== (s.life.ready ? "health" : "ready")) return;
    this.servers = this.servers.set(i, withoutStale({ ...s, probing: false }));
    if (s.life.stop !== null || this.phase.kind !== "running") return;
    const health = s.spec.health;`, `    if (purpose !== (s.life.ready ? "health" : "ready")) return;
    if (s.life.stop !== null || this.phase.kind !== "running") return;
    const health = s.spec.health;`),
  e("step.ts", "a dependent left unchanged by a scale keeps its old dependencies (it never waits for a new copy, and waits for ever on one that went)", "if (c.spec !== undefined) this.setServer(c.slot, s.next !== undefined ? { ...s, next: c.spec } : { ...s, spec: c.spec });", ""),
  // --- a reload's change of policy only, updated in place (reconfigure.ts sameLaunch, step.ts updateInPlace) ---
  e("reconfigure.ts", "a policy-only change restarts (no update in place)", "    } else if (sameLaunch(runsSpec(servers.at(slot) as Server), given)) {", "    } else if (false) {"),
  e("reconfigure.ts", "a readiness check changed in place (not a launch field)", `export const LAUNCH_FIELDS = ["argv", "name", "label", "launch", "ready", "group"]`, `export const LAUNCH_FIELDS = ["argv", "name", "label", "launch", "group"]`),
  e("reconfigure.ts", "a launch fingerprint changed in place (the environment's change never reaches the process)", `export const LAUNCH_FIELDS = ["argv", "name", "label", "launch", "ready", "group"]`, `export const LAUNCH_FIELDS = ["argv", "name", "label", "ready", "group"]`),
  e("reconfigure.ts", "an updated server not counted among the unchanged", "      summary.unchanged.push(given.name);\n      summary.updated.push(given.name);", "      summary.updated.push(given.name);"),
  e("step.ts", "an in-place update of a server being restarted for a launch change replaces its process's spec, not its pending one", "    if (s.next !== undefined && !keepsOldProcess(s)) return void this.setServer(i, { ...s, next: spec });", ""),
  e("step.ts", "an in-place update of a copy that keeps its old process leaves its pending spec (the roll replaces it anyway)", "    this.setServer(i, withoutNext({ ...s, spec }));", "    this.setServer(i, { ...s, spec });"),
  e("step.ts", "a changed ready_timeout of an unready server counted from the reload, not its start", "at: Math.max(this.at, l.since + spec.readyTimeoutMs) });", "at: this.at + spec.readyTimeoutMs });"),
  e("step.ts", "a removed ready_timeout left armed", `      if (spec.readyTimeoutMs === undefined) this.effects.push({ type: "disarm", timer: timerOf("ready", i) });
      else this.effects`, `      if (spec.readyTimeoutMs !== undefined) this.effects`),
  e("step.ts", "a changed health check keeps its failures counted", "      if (now.probing) this.servers = this.servers.set(i, { ...now, healthFails: 0, staleProbe: true });", "      if (now.probing) this.servers = this.servers.set(i, { ...now, staleProbe: true });"),
  e("step.ts", "a changed health check's probe in flight counted against the new check", "      if (now.probing) this.servers = this.servers.set(i, { ...now, healthFails: 0, staleProbe: true });", "      if (now.probing) this.servers = this.servers.set(i, { ...now, healthFails: 0 });"),
  e("step.ts", "a stale probe's answer taken as a verdict", "    if (s.staleProbe === true) return this.probeInterrupted(i, pid, purpose);\n", ""),
  e("step.ts", "a changed health check's first probe at the old interval", "        else this.effects.push({ type: \"arm\", timer: timerOf(\"probe\", i), at: this.at + spec.health.intervalMs });", "        else this.effects.push({ type: \"arm\", timer: timerOf(\"probe\", i), at: this.at + (old.health ?? spec.health).intervalMs });"),
  e("step.ts", "a changed watchdog keeps the old window", "        this.servers = this.servers.set(i, { ...now, watchdogAt: this.at + spec.watchdogMs });\n        this.effects.push({ type: \"arm\", timer: timerOf(\"watchdog\", i), at: this.at + spec.watchdogMs });", ""),
  e("step.ts", "an unborn server whose autostart a policy change turned on not started", `(c.kind === "added" || c.kind === "changed" || c.kind === "updated") &&`, `(c.kind === "added" || c.kind === "changed") &&`),
  e("step.ts", "the stale mark carried past its probe's answer", "    ...(s.staleProbe === undefined || !t.probing ? {} : { staleProbe: s.staleProbe }),", "    ...(s.staleProbe === undefined ? {} : { staleProbe: s.staleProbe }),"),
  e("table.ts", "the replaced old process started again once stopped", `  a.log(say.server.replaced(a.index, a.server, alive(a).pid));
  order(a, "cremate");`, `  a.log(say.server.replaced(a.index, a.server, alive(a).pid));
  order(a, "start");`),
  e("status.ts", "a new process aside shown under the copy's own name", 'return (s) => s.replaces !== undefined ? "new"', "return (s) => s.replaces !== undefined ? null"),
  e("status.ts", "the old process aside shown under the copy's own name", 'current.has(s.spec.name) ? "old" : null;', "current.has(s.spec.name) ? null : null;"),
  e("status.ts", "a process aside shown under the copy's own name", "return aside === null ? s.spec.name : `${s.spec.name} (${aside})`;", "return s.spec.name;"),
  e("status.ts", "the aside field never set", `      aside,
    }];`, `      aside: null,
    }];`),
  // (ctl reload --wait reads these)
  e("status.ts", "a reload's pending spec never shown", "pendingSpec: s.next !== undefined,", "pendingSpec: false,"),
  e("status.ts", "the rolling restart under way never shown", "rolling: state.roll?.name ?? null,", "rolling: null,"),
  e("status.ts", "a server's own interval ignored", "intervalMs: s.spec.intervalMs ?? state.settings.intervalMs,", "intervalMs: state.settings.intervalMs,"),
  e("status.ts", "a readiness check never said", "readyCheck: s.spec.ready !== undefined,", "readyCheck: false,"),

  // --- replay.ts -----------------------------------------------------------------------
  e("replay.ts", "line numbers from 0", "lines.forEach((raw, idx) => r.feed(raw, idx + 1));", "lines.forEach((raw, idx) => r.feed(raw, idx));"),
  e("replay.ts", "records compared by count only", "return a.length === b.length && a.every((r, i) => JSON.stringify(r) === JSON.stringify(b[i]));", "return a.length === b.length;"),
  e("replay.ts", "the last step's records never compared", "    report() {\n      close();", "    report() {"),
  e("replay.ts", "a record's pid ignored", "const RECORD_KEYS = [\"event\", \"text\", \"server\", \"name\", \"pid\",", "const RECORD_KEYS = [\"event\", \"text\", \"server\", \"name\","),
];

interface Suite {
  readonly name: string;
  readonly args: readonly string[];
}

const SUITES: readonly Suite[] = [
  {
    name: "unit and properties",
    args: [
      "test", "--timeout", "60000", "test/core", "test/properties/core.test.ts", "test/properties/takeover.test.ts", "test/properties/roll.test.ts",
      "test/properties/reload.test.ts", "test/properties/scale.test.ts", "test/http", "test/cli", "test/config",
    ],
  },
  { name: "simulator", args: ["test", "--timeout", "60000", "test/sim/sim.test.ts", "-t", "production shell"] },
];

/** A suite that runs this long under an edit hangs (an edit can make the core loop for ever): that counts as caught, and is said so. */
const SUITE_TIMEOUT_MS = 5 * 60_000;

function runSuite(s: Suite): "passed" | "failed" | "hung" {
  const r = Bun.spawnSync([process.execPath, ...s.args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], timeout: SUITE_TIMEOUT_MS });
  if (r.exitCode === 0) return "passed";
  return r.signalCode !== null && r.signalCode !== undefined ? "hung" : "failed";
}

function main(): number {
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  const re = only === undefined ? null : new RegExp(only);
  const edits = EDITS.filter((x) => re === null || re.test(`${x.file}: ${x.what}`));
  if (process.argv.includes("--list")) {
    for (const x of edits) console.log(`${x.file}: ${x.what}`);
    return 0;
  }
  let missed = 0;
  for (const x of edits) {
    const path = join(ROOT, x.file);
    const original = readFileSync(path, "utf8");
    const at = original.indexOf(x.from);
    if (at < 0 || original.indexOf(x.from, at + 1) >= 0) {
      console.log(`STALE   ${x.file}: ${x.what} (the text to edit is ${at < 0 ? "not there" : "there more than once"})`);
      missed++;
      continue;
    }
    const restore = () => writeFileSync(path, original);
    process.once("SIGINT", () => { restore(); process.exit(130); });
    writeFileSync(path, original.slice(0, at) + x.to + original.slice(at + x.from.length));
    let caughtBy: string | null = null;
    try {
      for (const s of SUITES) {
        const outcome = runSuite(s);
        if (outcome !== "passed") {
          caughtBy = outcome === "hung" ? `${s.name}, which hung (killed after ${SUITE_TIMEOUT_MS / 60_000} min)` : s.name;
          break;
        }
      }
    } finally {
      restore();
    }
    if (caughtBy === null && x.equivalent === undefined) missed++;
    const verdict = caughtBy !== null ? "caught " : x.equivalent !== undefined ? "equiv. " : "MISSED ";
    const why = caughtBy !== null ? ` (by the ${caughtBy})` : x.equivalent !== undefined ? ` (${x.equivalent})` : "";
    console.log(`${verdict} ${x.file}: ${x.what}${why}`);
  }
  console.log(`${edits.length - missed} of ${edits.length} edits caught or shown equivalent`);
  return missed === 0 ? 0 : 1;
}

if (import.meta.main) process.exit(main());
