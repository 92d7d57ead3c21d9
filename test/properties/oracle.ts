// The oracles: the core's state, effects, handover and timers compared with the
// reference model (model.ts), each mismatch said in words that name what went
// wrong. Written independently of the core: nothing here but types and signal
// names comes from src/core. Used by the properties (check.ts) and the
// simulator (test/sim/world.ts).
import { signalName } from "../../src/core/signals.ts";
import type { Effect, Event, ExitStatus, Handover, Server, State, StopOrder, TimerName } from "../../src/core/types.ts";
import type { Expected, KillFx, Model, ModelHandover, ModelStop, ProbeFx, RemnantsFx } from "./model.ts";

const show = (x: unknown): string => JSON.stringify(x) ?? "undefined";

function sig(n: number): string {
  return signalName(n);
}

function killWords(k: KillFx): string {
  return `${sig(k.signal)} to server ${k.server}'s ${k.group ? "process group" : "process alone"} (pid ${k.pid})`;
}

function remnantsWords(r: RemnantsFx): string {
  return `${sig(r.signal)} to what is left of server ${r.server}'s group ${r.pgid}`;
}

/** a minus b, as multisets by key. */
function minus<T>(a: readonly T[], b: readonly T[], key: (x: T) => string): T[] {
  const count = new Map<string, number>();
  for (const x of b) count.set(key(x), (count.get(key(x)) ?? 0) + 1);
  const out: T[] = [];
  for (const x of a) {
    const n = count.get(key(x)) ?? 0;
    if (n > 0) count.set(key(x), n - 1);
    else out.push(x);
  }
  return out;
}

/** What the event was, briefly, for messages. */
export function eventWords(e: Event): string {
  switch (e.type) {
    case "exited": return `the end of pid ${e.pid} (${show(e.status)}${e.atTakeover === true ? ", found at the take-over" : ""}) at ${e.at}`;
    case "spawned": return `the spawn of server ${e.server} (pid ${e.pid}) at ${e.at}`;
    case "spawn-failed": return `the failed spawn of server ${e.server} at ${e.at}`;
    case "timer": return `timer ${e.timer} at ${e.at}`;
    case "control": return `control ${show(e.command)} at ${e.at}`;
    case "terminate": return `terminate (${sig(e.signal)}) at ${e.at}`;
    case "start": return `the start${e.handover === null ? "" : " of a re-exec'd image"} at ${e.at}`;
    default: return `${e.type} at ${e.at}`;
  }
}

/**
 * The core's effects against what the model expects of this event: spawns,
 * kills (signal, pid, group or process), remnants, adoptions, a re-exec (and
 * what it hands across), the exit status, an operator's answer. null when
 * they agree, else what differs.
 */
export function compareEffects(event: Event, effects: readonly Effect[], x: Expected, model: Model): string | null {
  const spawns: number[] = [];
  const kills: KillFx[] = [];
  const remnants: RemnantsFx[] = [];
  const adopts: { server: number; pid: number }[] = [];
  const reexecs: Handover[] = [];
  const exits: number[] = [];
  const replies: { id: number; ok: boolean; message: string }[] = [];
  const rollLogs: string[] = [];
  const probes: ProbeFx[] = [];
  const sd: string[] = [];
  for (const e of effects) {
    switch (e.type) {
      case "probe": probes.push({ server: e.server, pid: e.pid, purpose: e.purpose, probe: e.probe, timeoutMs: e.timeoutMs }); break;
      case "sd-notify": sd.push(e.text); break;
      case "spawn": spawns.push(e.server); break;
      case "kill": kills.push({ server: e.server, pid: e.pid, signal: e.signal, group: e.group }); break;
      case "kill-remnants": remnants.push({ server: e.server, pgid: e.pgid, signal: e.signal }); break;
      case "adopt": adopts.push({ server: e.server, pid: e.pid }); break;
      case "reexec": reexecs.push(e.handover); break;
      case "exit": exits.push(e.status); break;
      case "reply": replies.push({ id: e.id, ok: e.ok, message: e.message }); break;
      case "log":
        if (e.record.event === "roll" && /^rolling restart of '.*' (done: |stopped )/.test(e.record.text)) rollLogs.push(e.record.text);
        break;
      default: break;
    }
  }
  const sk = (n: number) => String(n);
  const kk = (k: KillFx) => `${k.server}/${k.pid}/${k.signal}/${k.group}`;
  const rk = (r: RemnantsFx) => `${r.server}/${r.pgid}/${r.signal}`;
  const ak = (a: { server: number; pid: number }) => `${a.server}/${a.pid}`;
  const problems: string[] = [];
  if (!sameMultiset(x.spawns, spawns, sk)) {
    for (const i of minus(x.spawns, spawns, sk)) problems.push(`server ${i} should be spawned and is not`);
    for (const i of minus(spawns, x.spawns, sk)) problems.push(`server ${i} is spawned, which the model does not expect (the model has it ${model.servers[i]?.kind})`);
  }
  if (!sameMultiset(x.kills, kills, kk)) {
    for (const k of minus(x.kills, kills, kk)) problems.push(`missing: ${killWords(k)}`);
    for (const k of minus(kills, x.kills, kk)) problems.push(`unexpected: ${killWords(k)}`);
  }
  if (!sameMultiset(x.remnants, remnants, rk)) {
    for (const r of minus(x.remnants, remnants, rk)) problems.push(`missing: ${remnantsWords(r)}`);
    for (const r of minus(remnants, x.remnants, rk)) problems.push(`unexpected: ${remnantsWords(r)}`);
  }
  if (!sameMultiset(x.adopts, adopts, ak)) {
    for (const a of minus(x.adopts, adopts, ak)) problems.push(`missing: adopt server ${a.server}'s child ${a.pid} after the re-exec`);
    for (const a of minus(adopts, x.adopts, ak)) problems.push(`unexpected: adopt server ${a.server}'s child ${a.pid}`);
  }
  const pk = (p: ProbeFx) => `${p.server}/${p.pid}/${p.purpose}/${show(p.probe)}/${p.timeoutMs}`;
  if (!sameMultiset(x.probes, probes, pk)) {
    for (const p of minus(x.probes, probes, pk)) problems.push(`missing: ${probeWords(p)}`);
    for (const p of minus(probes, x.probes, pk)) {
      const ms = model.servers[p.server];
      const why = ms === undefined ? "no such server" : ms.kind !== "alive" ? `the model has it ${ms.kind}` : ms.pid !== p.pid ? `its process is ${ms.pid}` : ms.stop !== null ? "it is being stopped" : model.phase.kind !== "running" ? `the supervisor is ${model.phase.kind}` : ms.probing !== null ? `a probe of it is in flight already (${ms.probing.purpose})` : "the model expects no probe now";
      problems.push(`unexpected: ${probeWords(p)} (probe: ${why})`);
    }
  }
  if (show(x.sdNotify) !== show(sd)) {
    problems.push(`systemd is told ${show(sd)}, the model says ${show(x.sdNotify)} (sd-notify: READY=1 once every autostart server is ready, buried or done; STOPPING=1 at a shutdown; WATCHDOG=1 every watchdogMs/2)`);
  }
  if (reexecs.length > 1) problems.push(`${reexecs.length} re-exec effects in one step`);
  if (x.reexec && reexecs.length === 0) problems.push("the re-exec is not carried out");
  if (!x.reexec && reexecs.length > 0) {
    problems.push(model.phase.kind === "stopping" || model.phase.kind === "exited"
      ? "a re-exec is carried out during a shutdown (it must be ignored: the shutdown would be forgotten, the buried revived)"
      : model.servers.some((s) => s.kind === "starting")
      ? `a re-exec is carried out while the spawn of server ${model.servers.findIndex((s) => s.kind === "starting")} is in flight (it must wait for its result)`
      : "a re-exec is carried out, which the model does not expect");
  }
  if (x.reexec && reexecs.length === 1) {
    const h = compareHandover(reexecs[0]!, x.handover ?? model.handover());
    if (h !== null) problems.push(`what the re-exec hands across: ${h}`);
  }
  if (exits.length > 1) problems.push("two exit effects in one step");
  if ((exits[0] ?? null) !== x.exit) {
    problems.push(x.exit === null ? `the supervisor exits with ${exits[0]}, the model does not exit` : exits.length === 0
      ? `the supervisor should exit with status ${x.exit} and does not`
      : `the supervisor exits with ${exits[0]}, the model with ${x.exit}`);
  }
  // A rolling restart is answered at its end (or at once when it cannot begin), in whatever step that is.
  const answerIds = new Set(x.answers.map((a) => a.id));
  const rollReplies = replies.filter((r) => answerIds.has(r.id));
  const others = replies.filter((r) => !answerIds.has(r.id)).map((r) => r.ok);
  for (const a of x.answers) {
    const got = rollReplies.filter((r) => r.id === a.id);
    if (got.length !== 1) problems.push(`the rolling restart (request ${a.id}) got ${got.length} answers, the model ends it now: ${show(a.text)}`);
    else if (got[0]!.ok !== a.ok || got[0]!.message !== a.text) problems.push(`the rolling restart is answered ${got[0]!.ok ? "ok" : "not ok"}: ${show(got[0]!.message)}; the model: ${a.ok ? "ok" : "not ok"}: ${show(a.text)} (roll)`);
  }
  if (show(rollLogs) !== show(x.rollEnds)) problems.push(`the end of a rolling restart is logged as ${show(rollLogs)}, the model says ${show(x.rollEnds)} (roll)`);
  if (event.type === "control" && event.command.op === "roll") {
    // Answered at once only when it is refused (a roll under way, not running): else at its end.
    const want = x.reply === null ? 0 : 1;
    if (others.length !== want) problems.push(want === 0 ? `the rolling restart is answered (${others[0] ? "ok" : "not ok"}) while the model has it under way: it is answered at its end (roll)` : `the operator got ${others.length} answers`);
    else if (want === 1 && others[0] !== x.reply) problems.push(`the operator's roll is ${others[0] ? "accepted" : "refused"}; the model ${x.reply ? "accepts" : "refuses"} it`);
  } else if (event.type === "control") {
    if (others.length !== 1) problems.push(`the operator got ${others.length} answers`);
    else if (x.reply !== null && others[0] !== x.reply) problems.push(`the operator's ${event.command.op} is ${others[0] ? "accepted" : "refused"}; the model ${x.reply ? "accepts" : "refuses"} it`);
  } else if (event.type === "reconfigure" || event.type === "reload-failed") {
    // `ctl reload` or `ctl scale`: one answer; a file that does not validate is refused, and so is a reload during a shutdown.
    if (event.id !== null && others.length !== 1) problems.push(`the operator's reload got ${others.length} answers`);
    else if (event.type === "reload-failed" && others[0] === true) problems.push("a reload of a broken file is accepted");
    else if (others.length === 1 && x.reply !== null && others[0] !== x.reply) problems.push(`the reload is ${others[0] ? "accepted" : "refused"}; the model ${x.reply ? "accepts" : "refuses"} it`);
  } else if (others.length > 0) {
    problems.push(x.answers.length === 0 && replies.some((r) => r.message.startsWith("rolling restart") || r.message.startsWith("rolled"))
      ? `a rolling restart is answered (${show(replies[0]!.message)}), which the model has still under way (roll)`
      : "an answer to no operator");
  }
  if (problems.length === 0) return null;
  return `after ${eventWords(event)}: ${problems.join("; ")}${x.notes.length > 0 ? ` (the model: ${x.notes.join("; ")})` : ""}`;
}

function probeWords(p: ProbeFx): string {
  return `a ${p.purpose} probe (${p.probe.kind}, at most ${p.timeoutMs} ms) of server ${p.server}'s process ${p.pid}`;
}

/** The same multiset (cheap for the usual zero or one element). */
function sameMultiset<T>(a: readonly T[], b: readonly T[], key: (x: T) => string): boolean {
  if (a.length !== b.length) return false;
  if (a.length === 0) return true;
  if (a.length === 1) return key(a[0]!) === key(b[0]!);
  return minus(a, b, key).length === 0;
}

function stopWords(s: ModelStop | StopOrder | null | undefined): string {
  if (s === null || s === undefined) return "none";
  return `{deadline ${s.deadline}, ${s.killed ? "killed" : "not killed"}, then ${s.then}}`;
}

/** A stop order of the core against the model's: the deadline matters while it is not killed (and when the model knows one). */
function sameStop(core: StopOrder | null, m: ModelStop | null | undefined): boolean {
  if (core === null || m === null || m === undefined) return (core === null) === (m === null || m === undefined);
  if (core.killed !== m.killed || core.then !== m.then) return false;
  return m.deadline === null ? core.killed : core.deadline === m.deadline;
}

function sameExit(a: ExitStatus | null, b: ExitStatus | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind === "code") return b.kind === "code" && a.code === b.code;
  if (a.kind === "signal") return b.kind === "signal" && a.signal === b.signal;
  return b.kind === "unknown";
}

/** The handover the core produced against the model's: every field the new image will rely on. */
export function compareHandover(h: Handover, m: ModelHandover): string | null {
  const problems: string[] = [];
  if (h.pendingRevive !== m.pendingRevive) problems.push(`pending revive ${h.pendingRevive}, the model's ${m.pendingRevive}`);
  if (h.alarmAt !== m.alarmAt) problems.push(`the alarm deadline is ${h.alarmAt}, the model's ${m.alarmAt}`);
  if ((h.systemdReady ?? false) !== (m.systemdReady ?? false)) problems.push(`READY=1 sent is handed across as ${h.systemdReady ?? false}, the model's ${m.systemdReady ?? false} (sd-notify)`);
  if (h.servers.length !== m.servers.length) return `${h.servers.length} servers, the model ${m.servers.length}`;
  h.servers.forEach((s, i) => {
    const ms = m.servers[i]!;
    const who = `server ${i}`;
    if (s.kind !== ms.kind) {
      problems.push(`${who} is handed across ${s.kind}, the model has it ${ms.kind}`);
      return;
    }
    if (s.spawns !== ms.spawns) problems.push(`${who}'s spawn count is ${s.spawns}, the model's ${ms.spawns}`);
    if (!sameExit(s.lastExit, ms.lastExit)) problems.push(`${who}'s last exit is ${show(s.lastExit)}, the model's ${show(ms.lastExit)}`);
    if ((s.retries ?? 0) !== (ms.retries ?? 0)) problems.push(`${who}'s backoff retries are handed across as ${s.retries ?? 0}, the model's ${ms.retries ?? 0} (retries carried across a re-exec)`);
    if (s.kind === "alive") {
      if (s.pid !== ms.pid || s.since !== ms.since) problems.push(`${who} is handed across as pid ${s.pid} since ${s.since}, the model's pid ${ms.pid} since ${ms.since}`);
      if (!sameStop(s.stop, ms.stop)) problems.push(`${who}'s stop order is ${stopWords(s.stop)}, the model's ${stopWords(ms.stop)}`);
      if ((s.ready ?? true) !== (ms.ready ?? true)) problems.push(`${who} is handed across ${(s.ready ?? true) ? "ready" : "unready"}, the model has it ${(ms.ready ?? true) ? "ready" : "unready"} (readiness carried across a re-exec)`);
    }
    if (s.kind === "backoff" && (s.since !== ms.since || s.until !== ms.until)) {
      problems.push(`${who} is handed across in backoff since ${s.since} until ${s.until}, the model's since ${ms.since} until ${ms.until} (a pending delay carried across a re-exec)`);
    }
    if ((s.kind === "buried" || s.kind === "cremated") && (s.since !== ms.since || s.why !== ms.why)) {
      problems.push(`${who} is ${s.kind} since ${s.since} (${s.why}), the model's since ${ms.since} (${ms.why})`);
    }
  });
  return problems.length === 0 ? null : problems.join("; ");
}

/** The complete state of the core against the model's: phase, pending revive, alarm, leftovers, every server's life, spawn count and last exit. */
export function compareState(core: State, m: Model): string | null {
  const problems: string[] = [];
  const p = core.phase;
  const mp = m.phase;
  const phaseWords = (x: { kind: string; status?: number; killed?: boolean }) =>
    `${x.kind}${x.status === undefined ? "" : ` (status ${x.status}${x.killed === undefined ? "" : x.killed ? ", killed" : ""})`}`;
  const samePhase = p.kind === mp.kind &&
    (p.kind !== "stopping" || (mp.kind === "stopping" && p.status === mp.status && p.killed === mp.killed)) &&
    (p.kind !== "exited" || (mp.kind === "exited" && p.status === mp.status));
  if (!samePhase) problems.push(`the supervisor is ${phaseWords(p)}, the model ${phaseWords(mp)}`);
  if (core.pendingRevive !== m.pendingRevive) problems.push(`pending revive is ${core.pendingRevive}, the model's ${m.pendingRevive}`);
  if (core.pendingReexec !== m.pendingReexec) problems.push(`pending re-exec is ${core.pendingReexec}, the model's ${m.pendingReexec}`);
  if (p.kind !== "exited" && core.alarmAt !== m.alarmAt) problems.push(`the alarm deadline is ${core.alarmAt}, the model's ${m.alarmAt}`);
  if (core.systemd.ready !== m.sdReady) problems.push(`READY=1 ${core.systemd.ready ? "was" : "was not"} sent to systemd, the model says it ${m.sdReady ? "was" : "was not"} (sd-notify)`);
  // What is left of ended servers' groups, each to be SIGKILLed at its deadline: the same groups, servers and deadlines,
  // the core's in the order they fall due (the model's by deadline, then by the order they came in).
  if (p.kind !== "exited") {
    const mine = [...m.leftovers].sort((a, b) => a.at - b.at || a.seq - b.seq).map((l) => `group ${l.pgid} (server ${l.server}) at ${l.at}`);
    const core_ = core.leftovers.map((l) => `group ${l.pgid} (server ${l.server}) at ${l.at}`);
    if (show(core_) !== show(mine)) {
      problems.push(`what is left of ended servers' groups waits for SIGKILL as ${show(core_)}, the model's ${show(mine)} (leftovers: SIGKILL at the server's own stop timeout after its end, else the global one)`);
    }
  }
  const roll = rollWords(core.roll ?? null);
  const mroll = rollWords(m.roll);
  if (roll !== mroll) problems.push(`the rolling restart under way is ${roll}, the model's ${mroll} (roll)`);
  if (core.servers.length !== m.servers.length) {
    const extra = core.servers.length > m.servers.length ? " (a slot aside the model does not have?)" : "";
    return [...problems, `${core.servers.length} servers, the model ${m.servers.length}${extra}`].join("; ");
  }
  core.servers.forEach((s, i) => {
    const ms = m.servers[i]!;
    const l = s.life;
    const who = `server ${i}`;
    if ((s.retired === true) !== ms.retired) problems.push(`${who} is ${s.retired === true ? "" : "not "}retired (removed, or an old process moved aside), the model says ${ms.retired ? "it is" : "it is not"}`);
    if ((s.replaces ?? null) !== ms.replaces) problems.push(`${who} is ${s.replaces === undefined ? "no slot aside" : `the slot aside of server ${s.replaces}`}, the model's ${ms.replaces === null ? "no slot aside" : `the slot aside of server ${ms.replaces}`} (roll)`);
    if ((s.behind ?? null) !== ms.behind) problems.push(`${who} waits behind ${s.behind === undefined ? "no old process" : `the old process of server ${s.behind}`}, the model's ${ms.behind === null ? "none" : `server ${ms.behind}'s`} (seat)`);
    if (l.kind !== ms.kind) {
      problems.push(`${who} is ${l.kind}, the model has it ${ms.kind}`);
      return;
    }
    if (s.spawns !== ms.spawns) problems.push(`${who} was spawned ${s.spawns} times, the model says ${ms.spawns}`);
    if (!sameExit(s.lastExit, ms.lastExit)) problems.push(`${who}'s last exit is ${show(s.lastExit)}, the model's ${show(ms.lastExit)}`);
    if (s.retries !== ms.retries) problems.push(`${who} has ${s.retries} backoff retries counted, the model ${ms.retries} (backoff: n counts fast crashes in a row; a life of at least the interval and a revive reset it)`);
    switch (l.kind) {
      case "alive":
        if (l.pid !== ms.pid || l.since !== ms.since) problems.push(`${who} is alive as pid ${l.pid} since ${l.since}, the model's pid ${ms.pid} since ${ms.since}`);
        if (!sameStop(l.stop, ms.stop)) problems.push(`${who}'s stop order is ${stopWords(l.stop)}, the model's ${stopWords(ms.stop)}`);
        if (l.ready !== ms.ready) problems.push(`${who} is ${l.ready ? "ready" : "unready"}, the model has it ${ms.ready ? "ready" : "unready"} (readiness)`);
        if (s.healthFails !== ms.healthFails) problems.push(`${who} has ${s.healthFails} failed health probes in a row, the model ${ms.healthFails} (health: a passing probe and a new process reset the streak)`);
        if (s.probing !== (ms.probing !== null)) problems.push(`${who} is ${s.probing ? "" : "not "}being probed, the model says ${ms.probing === null ? "no probe is in flight" : `a ${ms.probing.purpose} probe is in flight`} (probe)`);
        if (s.watchdogAt !== ms.watchdogAt) problems.push(`${who}'s watchdog expires at ${s.watchdogAt}, the model's at ${ms.watchdogAt} (watchdog)`);
        break;
      case "backoff":
        if (l.since !== ms.since || l.until !== ms.until) problems.push(`${who} is in backoff since ${l.since} until ${l.until} (a delay of ${l.until - l.since} ms), the model's since ${ms.since} until ${ms.until} (a delay of ${ms.until - ms.since} ms = min(max, initial·2^n)) (backoff)`);
        break;
      case "buried":
      case "cremated":
        if (l.since !== ms.since || l.why !== ms.why) problems.push(`${who} is ${l.kind} since ${l.since} (${l.why}), the model's since ${ms.since} (${ms.why})`);
        break;
      default:
        break;
    }
  });
  return problems.length === 0 ? null : problems.join("; ");
}

/** A rolling restart's progress in words (the core's or the model's). */
function rollWords(r: { name: string; done: readonly number[]; current: number; aside: number | null; draining: number | null; rest: readonly number[] } | null): string {
  if (r === null) return "none";
  return `'${r.name}' at ${r.current} (done [${r.done.join(",")}], aside ${r.aside ?? "-"}, draining ${r.draining ?? "-"}, next [${r.rest.join(",")}])`;
}

/** A timer's name in words. */
export function timerWords(name: TimerName): string {
  if (name === "alarm") return "the alarm (--alarm)";
  if (name === "sd-watchdog") return "lazarus's own WATCHDOG=1 to systemd (sd-watchdog)";
  if (name === "leftovers") return "the SIGKILL of what is left of an ended server's group (leftovers)";
  const [kind, i] = name.split(":");
  switch (kind) {
    case "stop": return `server ${i}'s stop deadline (SIGKILL)`;
    case "probe": return `server ${i}'s next probe (probe:${i})`;
    case "ready": return `server ${i}'s ready_timeout (ready:${i})`;
    case "watchdog": return `server ${i}'s watchdog (watchdog:${i})`;
    case "backoff": return `server ${i}'s retry after its backoff delay (backoff:${i})`;
    default: return name;
  }
}

/**
 * The timers the shell has armed (name → instant) against the model's: each
 * timer the model owns (the alarm, lazarus's own watchdog, every stop order's
 * SIGKILL, every server's next probe, ready_timeout, watchdog and backoff
 * retry) must be armed at exactly its instant, and nothing else may be armed.
 * Once exited, the shell cancels every timer (only the alarm is checked).
 */
export function compareTimers(armed: ReadonlyMap<TimerName, number>, m: Model): string | null {
  const problems: string[] = [];
  const want = m.timers();
  for (const [name, at] of want) {
    const got = armed.get(name);
    if (got === at) continue;
    const what = timerWords(name);
    problems.push(got === undefined ? `${what} is due at ${at} and no timer is armed for it: it would never fire` : `${what} is due at ${at}, its timer is armed at ${got}`);
  }
  for (const [name, at] of armed) {
    if (want.has(name)) continue;
    if (name === "alarm") {
      problems.push(`the alarm is armed at ${at}, the model has no alarm pending${m.phase.kind === "exited" ? " (the supervisor has exited)" : ""}`);
      continue;
    }
    if (m.phase.kind === "exited") continue;
    // A stop timer may outlive the SIGKILL sent before its deadline (a second terminate, the alarm): it changes nothing.
    if (name.startsWith("stop:")) {
      const s = m.servers[Number(name.slice(5))];
      if (s?.kind === "alive" && s.stop !== null && (s.stop.deadline === at || s.stop.deadline === null)) continue;
    }
    const colon = name.indexOf(":");
    const i = Number(name.slice(colon + 1));
    const s = colon < 0 ? undefined : m.servers[i];
    const state = s === undefined ? "" : ` (the model has server ${i} ${s.kind}${s.kind === "alive" && s.stop !== null ? ", under a stop order" : ""}${s.kind === "alive" && s.probing !== null ? `, a ${s.probing.purpose} probe in flight` : ""})`;
    problems.push(`${timerWords(name)} is left armed (at ${at}), which the model does not expect${state}`);
  }
  return problems.length === 0 ? null : problems.join("; ");
}

/**
 * A handover built from a core state by the harness itself (not the core's handoverOf): for the marshal round trip.
 * `keep`: the servers handed across (all when absent).
 */
export function handoverFromState(state: State, execAt: number | null, keep: (s: Server) => boolean = () => true): Handover {
  return {
    pendingRevive: state.pendingRevive,
    alarmAt: state.alarmAt,
    execAt,
    ...(state.systemd.ready ? { systemdReady: true } : {}),
    servers: state.servers.toArray().filter(keep).map((s) => {
      const l = s.life;
      const common = s.retries === 0 ? { spawns: s.spawns, lastExit: s.lastExit } : { spawns: s.spawns, lastExit: s.lastExit, retries: s.retries };
      if (l.kind === "alive") return { kind: "alive" as const, ...common, pid: l.pid, since: l.since, stop: l.stop, ...(l.ready ? {} : { ready: false }) };
      if (l.kind === "waiting") return { kind: "waiting" as const, ...common };
      if (l.kind === "backoff") return { kind: "backoff" as const, ...common, since: l.since, until: l.until };
      if (l.kind === "buried") return { kind: "buried" as const, ...common, since: l.since, why: l.why };
      if (l.kind === "cremated") return { kind: "cremated" as const, ...common, since: l.since, why: l.why };
      return { kind: "unborn" as const, ...common };
    }),
  };
}

/**
 * The core's state before a re-exec against the new image's just after its
 * start (docs/spec.md, "Live re-exec"): the alive keep pid, start and stop
 * order; the cremated stay so; the buried are revived (one more spawn); the
 * unborn start if they autostart; every spawn count and last exit, the pending
 * revive and the alarm deadline are kept; the new image knows the exec instant.
 */
/**
 * A rolling reload's copy that kept its old process with a new spec pending before a re-exec does so in the new image:
 * its process under the spec it runs (what the status shows, what a reload compares), the configuration's pending.
 */
export function comparePendingAcrossReexec(before: State, after: State): string | null {
  const slotOf = new Map<string, number>();
  after.servers.forEach((s, j) => slotOf.set(s.spec.name, j));
  for (const [i, o] of before.servers.toArray().entries()) {
    const ol = o.life;
    if (o.retired === true || o.replaces !== undefined || ol.kind !== "alive" || ol.stop !== null || o.next === undefined) continue;
    const j = slotOf.get(o.spec.name);
    const n = j === undefined ? undefined : after.servers.at(j);
    if (n === undefined || n.life.kind !== "alive" || n.life.pid !== ol.pid) continue;
    if (n.next === undefined || JSON.stringify(n.spec.argv) !== JSON.stringify(o.spec.argv) || n.spec.launch !== o.spec.launch) {
      return `server ${i} ('${o.spec.name}', pid ${ol.pid}) ran its old process (${JSON.stringify(o.spec.argv)}) with a reload's new spec pending before the re-exec; after it, it ${n.next === undefined ? "has no new spec pending and is said to run" : "is said to run"} ${JSON.stringify(n.spec.argv)}: the spec an old process runs is lost across a re-exec`;
    }
  }
  return null;
}

export function compareAcrossReexec(before: State, after: State, execAt: number): string | null {
  const problems: string[] = [];
  if (after.alarmAt !== before.alarmAt) problems.push(`the alarm deadline was ${before.alarmAt} before the re-exec and is ${after.alarmAt} after it`);
  if (after.pendingRevive !== before.pendingRevive && !(before.pendingRevive && !after.pendingRevive && after.census.starting === 0)) {
    problems.push(`pending revive was ${before.pendingRevive} before the re-exec and is ${after.pendingRevive} after it`);
  }
  if (after.execAt !== execAt) problems.push(`the exec was at ${execAt}, the new image has ${after.execAt}`);
  if (after.phase.kind !== "running" && after.phase.kind !== "exited") problems.push(`the new image is ${after.phase.kind}`);
  // The new image runs the configuration in force, in its own order: each server is found again by its name
  // (a server a reload removed is not handed across).
  const slotOf = new Map<string, number>();
  after.servers.forEach((s, j) => slotOf.set(s.spec.name, j));
  before.servers.forEach((o, i) => {
    if (o.retired === true) return;
    const j = slotOf.get(o.spec.name);
    const n = j === undefined ? undefined : after.servers.at(j);
    const who = `server ${i}${j === i ? "" : ` ('${o.spec.name}', server ${j} of the new image)`}`;
    if (n === undefined) {
      problems.push(`${who} is not in the new image`);
      return;
    }
    if (!sameExit(o.lastExit, n.lastExit)) problems.push(`${who}'s last exit was ${show(o.lastExit)} before the re-exec and is ${show(n.lastExit)} after it`);
    const ol = o.life;
    const nl = n.life;
    // Its fast crashes in a row are kept (a revive of the buried forgets them).
    if (ol.kind !== "buried" && n.retries !== o.retries) problems.push(`${who} had ${o.retries} backoff retries before the re-exec and has ${n.retries} after it (retries carried across a re-exec)`);
    switch (ol.kind) {
      case "alive":
        if (nl.kind !== "alive") problems.push(`${who} was alive (pid ${ol.pid}) before the re-exec and is ${nl.kind} after it`);
        else {
          if (nl.pid !== ol.pid || nl.since !== ol.since) problems.push(`${who} was pid ${ol.pid} since ${ol.since} before the re-exec, pid ${nl.pid} since ${nl.since} after it`);
          if (show(nl.stop) !== show(ol.stop)) problems.push(`${who}'s stop order was ${stopWords(ol.stop)} before the re-exec and is ${stopWords(nl.stop)} after it`);
          if (nl.ready !== ol.ready) problems.push(`${who} was ${ol.ready ? "ready" : "unready"} before the re-exec and is ${nl.ready ? "ready" : "unready"} after it (readiness carried across a re-exec)`);

        }
        if (n.spawns !== o.spawns) problems.push(`${who}'s spawn count was ${o.spawns} before the re-exec and is ${n.spawns} after it`);
        break;
      case "cremated":
        if (nl.kind !== "cremated" || nl.since !== ol.since || nl.why !== ol.why) problems.push(`${who} was cremated (${ol.why}, since ${ol.since}) before the re-exec and is ${nl.kind} after it`);
        if (n.spawns !== o.spawns) problems.push(`${who}'s spawn count was ${o.spawns} before the re-exec and is ${n.spawns} after it`);
        break;
      case "buried":
        if (n.spawns !== o.spawns + 1 && nl.kind !== "waiting") problems.push(`${who} was buried before the re-exec and is not revived by it (${nl.kind}, ${n.spawns} spawns after ${o.spawns})`);
        break;
      case "backoff":
        if (nl.kind !== "backoff" || nl.since !== ol.since || nl.until !== ol.until) problems.push(`${who} was in backoff until ${ol.until} before the re-exec and is ${nl.kind}${nl.kind === "backoff" ? ` until ${nl.until}` : ""} after it (a pending delay carried across a re-exec)`);
        break;
      case "waiting":
      case "unborn":
      case "starting": {
        const auto = o.spec.autostart !== false || ol.kind === "waiting";
        if (n.spawns !== o.spawns + (auto ? 1 : 0) && !(auto && nl.kind === "waiting")) problems.push(`${who} was ${ol.kind} (${o.spawns} spawns) before the re-exec and has ${n.spawns} spawns after it`);
        break;
      }
    }
  });
  return problems.length === 0 ? null : problems.join("; ");
}
