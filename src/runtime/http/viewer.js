"use strict";
// Counters are this run's (they start at 0 with each `pipec run`); the table shows every stored row.
(function () {
  const config = JSON.parse(document.getElementById("pipec-config").textContent);
  const $ = (id) => document.getElementById(id);
  const pageSize = config.pageSize;
  let offset = 0;
  let seen = null;
  let loading = false;
  let again = false;

  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const show = (v) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const group = (n) => Number(n).toLocaleString("en-US");

  $("subtitle").textContent = "pipeline " + config.pipeline + " · stream " + config.stream +
    (config.sort ? " · sorted by " + (config.sort.descending ? "-" : "") + config.sort.field : "");

  // Key columns first, then the rules and severity, then the other fields and enrichments.
  const keys = config.columns.slice(0, config.keys || 0);
  const rest = config.columns.slice(config.keys || 0);
  const head = $("head");
  for (const c of keys.concat(["rules", "severity"], rest)) {
    const th = el("th", c);
    if (config.sort && config.sort.field === c) th.className = "sorted" + (config.sort.descending ? "" : " asc");
    head.appendChild(th);
  }

  function render(data) {
    const body = $("rows");
    const fresh = new Set();
    const rows = data.rows.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.seq = r.seq;
      if (seen && !seen.has(r.seq)) tr.className = "new";
      fresh.add(r.seq);
      // Long values are shortened by CSS; the full value shows on hover (title).
      const cell = (c) => {
        const v = r.item ? r.item[c] : undefined;
        const td = el("td", show(v), typeof v === "number" ? "num" : "");
        td.title = show(v);
        tr.appendChild(td);
      };
      keys.forEach(cell);
      const rules = el("td", (r.rules || []).join(", "));
      rules.title = rules.textContent;
      tr.appendChild(rules);
      const sev = el("td");
      sev.appendChild(el("span", r.severity, "sev sev-" + String(r.severity).replace(/[^a-z]/g, "")));
      tr.appendChild(sev);
      rest.forEach(cell);
      return tr;
    });
    body.replaceChildren(...rows);
    seen = fresh;
    $("empty").hidden = data.total > 0;
    const last = Math.min(data.offset + data.rows.length, data.total);
    $("summary").textContent = data.total === 0 ? "0 flagged records" :
      "showing " + group(data.offset + 1) + "–" + group(last) + " of " + group(data.total) + " flagged records (all runs)";
    $("prev").disabled = data.offset === 0;
    $("next").disabled = last >= data.total;
  }

  async function load() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const res = await fetch("/api/flagged?limit=" + pageSize + "&offset=" + offset, { cache: "no-store" });
      if (res.ok) {
        render(await res.json());
        // The server answered: live, even before the event stream's first message.
        if (!$("status").classList.contains("live")) setStatus("live", "live");
      }
      if (config.windowed) await loadAlerts();
    } catch (e) {
      setStatus("down", "server unreachable");
    } finally {
      loading = false;
      if (again) { again = false; load(); }
    }
  }

  async function loadAlerts() {
    const res = await fetch("/api/alerts?limit=50", { cache: "no-store" });
    if (!res.ok) return;
    const data = await res.json();
    $("alerts-section").hidden = data.alerts.length === 0;
    $("alert-rows").replaceChildren(...data.alerts.map((a) => {
      const tr = document.createElement("tr");
      const w = (a && a.window) || {};
      tr.appendChild(el("td", show(a && a.rule)));
      tr.appendChild(el("td", show(w.start) + " – " + show(w.end)));
      tr.appendChild(el("td", show(a && a.group)));
      tr.appendChild(el("td", ((a && a.aggregates) || []).map((g) => g.aggregate + " = " + show(g.value)).join(", ")));
      return tr;
    }));
  }

  function setStatus(state, text) {
    $("status").className = "status " + state;
    $("status-text").textContent = text;
  }

  const counters = [
    ["events_in", "events in, this run"], ["flagged", "flagged, this run"], ["archived_events", "archived, this run"],
    ["dead_lettered", "dead-lettered, this run"], ["hot_lag", "hot lag"], ["cold_lag", "cold lag"],
  ];
  function renderMetrics(m) {
    // The archive writes an object when its buffer flushes (size or interval): say so, or
    // "archived 0" looks like a fault for the first minute.
    const note = $("archive-note");
    note.hidden = !(config.archiveSeconds && m.events_in > 0 && !m.archived_objects);
    note.textContent = note.hidden ? "" : "No archive object written yet: next archive object in ≤ " +
      config.archiveSeconds + " s (the archive buffer is written every " + config.archiveSeconds + " s, or sooner when full).";
    $("counters").replaceChildren(...counters.map(([key, label]) => {
      const box = el("div", undefined, "counter");
      box.appendChild(el("b", group(m[key] || 0)));
      box.appendChild(el("span", label));
      return box;
    }));
  }

  $("prev").addEventListener("click", () => { offset = Math.max(0, offset - pageSize); seen = null; load(); });
  $("next").addEventListener("click", () => { offset += pageSize; seen = null; load(); });

  if (window.EventSource) {
    const events = new EventSource("/events");
    events.onopen = () => { setStatus("live", "live"); load(); };
    events.onerror = () => setStatus("down", "reconnecting…");
    events.addEventListener("change", () => load());
    events.addEventListener("metrics", (e) => renderMetrics(JSON.parse(e.data)));
  } else {
    setInterval(load, 1000);
  }
  load();
})();
