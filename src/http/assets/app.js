// The lazarus status page: plain JavaScript, no framework, no build step.
// It listens to /events (server-sent events: one `snapshot` message per change,
// each the whole page view, see src/http/view.ts) and renders it. Actions POST
// to /api/servers/NAME/OP with the bearer token typed into the page: the token
// stays in this page's memory (the input field), never in a cookie or storage.
// Text is only ever set as text (textContent), never parsed as HTML.
"use strict";
(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  /** The last view and when it arrived (performance.now()), to age uptimes and the timeline locally. */
  let view = null;
  let receivedAt = 0;
  /** Servers whose output panel is open (kept across re-renders). */
  const open = new Set();

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return "-";
    const s = Math.floor(ms / 1000);
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
    return `${Math.floor(s / 86400)}d${String(Math.floor(s / 3600) % 24).padStart(2, "0")}h`;
  }

  const elapsed = () => performance.now() - receivedAt;

  function timeline(s, windowMs) {
    const W = 3600;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "timeline");
    svg.setAttribute("viewBox", `0 0 ${W} 18`);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    const counts = {};
    const base = document.createElementNS(SVG, "line");
    base.setAttribute("class", "base");
    base.setAttribute("x1", "0"); base.setAttribute("x2", String(W)); base.setAttribute("y1", "9"); base.setAttribute("y2", "9");
    svg.append(base);
    const age = elapsed();
    // Crashes and burials are drawn last, over a start at the same moment (a respawn).
    const order = { start: 0, exit: 0, stopped: 0, crash: 1, buried: 2 };
    const events = s.timeline.map((e) => ({ ...e, ago: e.ago + age })).filter((e) => e.ago <= windowMs)
      .sort((a, b) => (order[a.kind] ?? 0) - (order[b.kind] ?? 0));
    for (const e of events) {
      counts[e.kind] = (counts[e.kind] || 0) + 1;
      const r = document.createElementNS(SVG, "rect");
      const tall = e.kind === "crash" || e.kind === "buried";
      const w = tall ? 40 : 28;
      const x = Math.max(0, Math.min(W - w, W - (e.ago / windowMs) * W - w / 2));
      r.setAttribute("x", x.toFixed(1));
      r.setAttribute("y", tall ? "1" : "5");
      r.setAttribute("width", String(w));
      r.setAttribute("height", tall ? "16" : "8");
      r.setAttribute("class", `k-${e.kind}`);
      const t = document.createElementNS(SVG, "title");
      t.textContent = `${e.kind}${e.detail ? ` (${e.detail})` : ""}, ${duration(e.ago)} ago`;
      r.append(t);
      svg.append(r);
    }
    const words = Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ");
    svg.setAttribute("aria-label", words ? `last hour: ${words}` : "nothing in the last hour");
    const title = document.createElementNS(SVG, "title");
    title.textContent = svg.getAttribute("aria-label");
    svg.prepend(title);
    return svg;
  }

  /** Which actions make sense in a state (the core decides in the end). */
  function actionsFor(s) {
    switch (s.state) {
      case "alive": return s.stopping ? [] : ["restart", "stop"];
      case "buried": return ["revive", "start"];
      case "cremated": case "unborn": return ["start"];
      default: return [];
    }
  }

  function row(s) {
    const state = el("td", {}, el("span", { class: `state ${s.state}`, text: s.state }));
    if (s.stopping) state.append(el("span", { class: "flag", text: "stopping" }));
    if (s.ready === false) state.append(el("span", { class: "flag", text: "not ready" }));
    if (!s.autostart) state.append(el("span", { class: "flag", text: "manual" }));
    const actions = el("td", { class: "actions" });
    if (!view.readOnly) {
      for (const op of actionsFor(s)) {
        const b = el("button", { type: "button", text: op, "data-op": op, "data-server": s.name });
        b.addEventListener("click", () => act(s.name, op, b));
        actions.append(b);
      }
    }
    const tr = el("tr", { class: "server", "data-server": s.name, "data-state": s.state },
      el("td", { class: "num", text: String(s.index) }),
      el("td", { class: "name", text: s.name }),
      state,
      el("td", { class: "num pid", text: s.pid === null ? "-" : String(s.pid) }),
      el("td", { class: "num uptime", text: s.uptime === null ? "-" : duration(s.uptime + elapsed()) }),
      el("td", { class: "num restarts", text: String(s.restarts) }),
      el("td", { class: "num crashes", text: `${s.crashes}${s.buried > 0 ? ` (${s.buried} buried)` : ""}` }),
      el("td", { class: "lastexit", text: s.lastExit === null ? "-" : s.lastExit }),
      el("td", {}, timeline(s, view.window)),
      actions);
    const rows = [tr];
    if (s.output !== null && s.output.length > 0) {
      const pre = el("pre");
      for (const line of s.output) pre.append(el("span", { class: line.stream, text: `${line.text}\n` }));
      const details = el("details", {}, el("summary", { text: `last ${s.output.length} lines of output` }), pre);
      if (open.has(s.name)) details.open = true;
      details.addEventListener("toggle", () => (details.open ? open.add(s.name) : open.delete(s.name)));
      rows.push(el("tr", { class: "output", "data-server": s.name }, el("td", { colspan: "10" }, details)));
    }
    return rows;
  }

  function summary() {
    const alive = view.servers.filter((s) => s.state === "alive").length;
    $("summary").textContent = `${view.version} · pid ${view.pid} · ${view.phase} · up ${duration(view.uptime + elapsed())} · ${alive} of ${view.servers.length} servers alive`;
  }

  function render() {
    if (view === null) return;
    document.body.classList.toggle("readonly", view.readOnly);
    $("auth").hidden = view.readOnly;
    $("readonly").hidden = !view.readOnly;
    summary();
    const body = $("rows");
    const fresh = document.createDocumentFragment();
    for (const s of view.servers) for (const r of row(s)) fresh.append(r);
    body.replaceChildren(fresh);
  }

  function say(text, ok) {
    const m = $("message");
    m.textContent = text;
    m.className = ok ? "ok" : "err";
  }

  async function act(name, op, button) {
    const token = $("token").value.trim();
    const headers = token === "" ? {} : { Authorization: `Bearer ${token}` };
    button.disabled = true;
    try {
      const r = await fetch(`/api/servers/${encodeURIComponent(name)}/${op}`, { method: "POST", headers, credentials: "omit", cache: "no-store" });
      let body = {};
      try { body = await r.json(); } catch { body = {}; }
      if (r.ok) say(`${op} ${name}: ${body.message || "done"}`, true);
      else say(`${op} ${name} refused (${r.status}): ${body.error || r.statusText}`, false);
    } catch (e) {
      say(`${op} ${name} failed: ${e}`, false);
    } finally {
      button.disabled = false;
    }
  }

  function connect() {
    const conn = $("conn");
    const es = new EventSource("/events");
    es.addEventListener("open", () => { conn.textContent = "live"; conn.className = "conn up"; });
    es.addEventListener("error", () => { conn.textContent = "reconnecting"; conn.className = "conn down"; });
    es.addEventListener("snapshot", (ev) => {
      view = JSON.parse(ev.data);
      receivedAt = performance.now();
      document.body.dataset.version = ev.lastEventId;
      render();
    });
  }

  /** Uptimes tick every second; the timeline moves every ten. */
  function tick() {
    if (view === null) return;
    summary();
    for (const tr of document.querySelectorAll("tr.server")) {
      const s = view.servers.find((x) => x.name === tr.dataset.server);
      const cell = tr.querySelector("td.uptime");
      if (s && cell && s.uptime !== null) cell.textContent = duration(s.uptime + elapsed());
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    connect();
    setInterval(tick, 1000);
    setInterval(() => { if (document.activeElement === null || document.activeElement.tagName !== "BUTTON") render(); }, 10000);
  });
})();
