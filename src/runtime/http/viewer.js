"use strict";
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

  const head = $("head");
  for (const c of config.columns.concat(["rules", "severity"])) {
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
      for (const c of config.columns) {
        const v = r.item ? r.item[c] : undefined;
        tr.appendChild(el("td", show(v), typeof v === "number" ? "num" : ""));
      }
      tr.appendChild(el("td", (r.rules || []).join(", ")));
      const sev = el("td");
      sev.appendChild(el("span", r.severity, "sev sev-" + String(r.severity).replace(/[^a-z]/g, "")));
      tr.appendChild(sev);
      return tr;
    });
    body.replaceChildren(...rows);
    seen = fresh;
    $("empty").hidden = data.total > 0;
    const last = Math.min(data.offset + data.rows.length, data.total);
    $("summary").textContent = data.total === 0 ? "0 flagged records" :
      "showing " + group(data.offset + 1) + "–" + group(last) + " of " + group(data.total) + " flagged records";
    $("prev").disabled = data.offset === 0;
    $("next").disabled = last >= data.total;
  }

  async function load() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const res = await fetch("/api/flagged?limit=" + pageSize + "&offset=" + offset, { cache: "no-store" });
      if (res.ok) render(await res.json());
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
    ["events_in", "events in"], ["flagged", "flagged"], ["archived_events", "archived"],
    ["dead_lettered", "dead-lettered"], ["hot_lag", "hot lag"], ["cold_lag", "cold lag"],
  ];
  function renderMetrics(m) {
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
