// The NDXP hub dashboard: polls /api/stats (the gRPC API's Stats as
// protojson; 64-bit numbers arrive as strings) and redraws. No libraries.
"use strict";

// Daily volumes published for the real platform (FACTS.md).
const FIGURES = [
  { label: "Aug 2021: about 150,000 a day", perDay: 150000 },
  { label: "H1 2022: about 1.9 million a day", perDay: 1900000 },
  { label: "May 2023: about 1.47 million a day", perDay: 1470000 },
];
const POLL_MS = 1000;
const WINDOW = 120; // seconds in the tx/s chart

const $ = (id) => document.getElementById(id);
const num = (v) => Number(v || 0);
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const samples = []; // {t: ms, n: all-time total}
let month = "";

function setNum(id, n, text) {
  const el = $(id);
  el.dataset.value = String(n);
  el.textContent = text === undefined ? fmt(n) : text;
}

function count(c) {
  return { total: num(c && c.total), ok: num(c && c.succeeded), failed: num(c && c.failed) };
}

function fillTable(id, buckets, withFailed, limit) {
  const rows = (buckets || []).slice(0, limit || 15).map((b) => {
    const c = count(b.count);
    const tr = document.createElement("tr");
    const cells = withFailed ? [b.key, fmt(c.total), fmt(c.failed)] : [b.key, fmt(c.total)];
    for (const v of cells) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    }
    tr.dataset.key = b.key;
    tr.dataset.total = String(c.total);
    return tr;
  });
  $(id).replaceChildren(...rows);
}

function renderToday(st) {
  const c = count(st.count);
  $("today-day").textContent = st.period;
  setNum("today-total", c.total);
  setNum("today-ok", c.ok);
  setNum("today-failed", c.failed);
  const rate = c.total ? (100 * c.failed) / c.total : 0;
  setNum("error-rate", rate, rate.toFixed(rate && rate < 1 ? 2 : 1) + "%");
  $("error-rate").className = "big" + (rate > 5 ? " bad" : "");
  const l = st.latency || {};
  $("p50").textContent = (num(l.p50Us) / 1000).toFixed(1) + " ms";
  $("p99").textContent = (num(l.p99Us) / 1000).toFixed(1) + " ms";
  fillTable("consumers", st.byConsumer, true);
  fillTable("providers", st.byProvider, true);
  fillTable("services", st.byService, true);
  fillTable("codes", st.byCode, false);
  renderFigures(c.total);
  $("status").textContent = "as of " + new Date(st.asOf).toLocaleTimeString("en-GB") + " · record " + st.sequence;
}

function renderFigures(total) {
  const rows = FIGURES.map((f) => {
    const pct = (100 * total) / f.perDay;
    const row = document.createElement("div");
    row.className = "row";
    const label = document.createElement("span");
    label.textContent = f.label;
    const bar = document.createElement("div");
    bar.className = "bar";
    const fill = document.createElement("div");
    fill.style.width = Math.min(100, pct) + "%";
    bar.appendChild(fill);
    const value = document.createElement("span");
    value.textContent = pct.toFixed(pct < 10 ? 2 : 0) + "%";
    row.append(label, bar, value);
    return row;
  });
  $("figures").replaceChildren(...rows);
}

// addSample records the all-time total and returns the current tx/s.
function addSample(st) {
  const t = Date.parse(st.asOf);
  const n = count(st.allTime).total;
  const last = samples[samples.length - 1];
  if (last && t <= last.t) return last.rate || 0;
  const rate = last ? Math.max(0, ((n - last.n) * 1000) / (t - last.t)) : 0;
  samples.push({ t, n, rate });
  while (samples.length > WINDOW + 1) samples.shift();
  return rate;
}

function renderChart(rate) {
  setNum("tps", rate, rate < 10 ? rate.toFixed(1) : fmt(rate));
  $("pace").textContent = fmt(rate * 86400);
  const rates = samples.slice(1).map((s) => s.rate);
  const top = Math.max(1, ...rates);
  const pts = rates.map((r, i) => {
    const x = 600 - (rates.length - 1 - i) * (600 / WINDOW);
    const y = 135 - (r / top) * 125;
    return x.toFixed(1) + "," + y.toFixed(1);
  });
  $("chart-line").setAttribute("points", pts.join(" "));
  $("chart-max").textContent = "max " + fmt(top) + "/s";
}

function renderMonth(st) {
  const c = count(st.count);
  setNum("month-total", c.total);
  setNum("month-failed", c.failed);
  const days = st.byDay || [];
  $("month-days").textContent = String(days.length);
  $("month-avg").textContent = fmt(days.length ? c.total / days.length : 0);
  const rows = days.map((b) => {
    const d = count(b.count);
    const tr = document.createElement("tr");
    for (const v of [b.key, fmt(d.total), fmt(d.ok), fmt(d.failed)]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    }
    return tr;
  });
  $("month-table").replaceChildren(...rows);
  const svg = $("month-chart");
  const top = Math.max(1, ...days.map((b) => count(b.count).total));
  const bars = days.map((b) => {
    const day = Number(b.key.slice(8, 10));
    const h = (count(b.count).total / top) * 110;
    const r = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    r.setAttribute("x", String((day - 1) * 20 + 2));
    r.setAttribute("y", String(115 - h));
    r.setAttribute("width", "16");
    r.setAttribute("height", String(h));
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = b.key + ": " + fmt(count(b.count).total);
    r.appendChild(title);
    return r;
  });
  svg.replaceChildren(...bars);
}

async function getStats(query) {
  const resp = await fetch("api/stats" + query, { cache: "no-store" });
  const body = await resp.json();
  if (!resp.ok) throw new Error(body.error || resp.statusText);
  return body;
}

let ticks = 0;
async function tick() {
  try {
    const st = await getStats("");
    renderToday(st);
    renderChart(addSample(st));
    if (!month) {
      month = st.period.slice(0, 7);
      $("month-input").value = month;
    }
    if (ticks++ % 5 === 0) renderMonth(await getStats("?month=" + month));
  } catch (e) {
    $("status").textContent = "hub unreachable: " + e.message;
  } finally {
    setTimeout(tick, POLL_MS);
  }
}

// The gRPC code names, by number.
const CODES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
  "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
  "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"];

// vnTime shows an RFC 3339 time in Vietnam time, to the millisecond.
function vnTime(s) {
  const d = new Date(Date.parse(s) + 7 * 3600 * 1000);
  return d.toISOString().replace("T", " ").slice(0, 23);
}

// vnInput turns a datetime-local value (Vietnam time) into RFC 3339.
function vnInput(v) {
  if (!v) return "";
  return (v.length === 16 ? v + ":00" : v) + "+07:00";
}

let recordQuery = null;
async function searchRecords(more) {
  if (!more) {
    const p = new URLSearchParams({ page_size: "50" });
    for (const [key, id] of [["agency", "rec-agency"], ["service", "rec-service"]]) {
      if ($(id).value.trim()) p.set(key, $(id).value.trim());
    }
    if ($("rec-from").value) p.set("from", vnInput($("rec-from").value));
    if ($("rec-to").value) p.set("to", vnInput($("rec-to").value));
    recordQuery = p;
    $("records").replaceChildren();
  }
  try {
    const resp = await fetch("api/records?" + recordQuery.toString(), { cache: "no-store" });
    const body = await resp.json();
    if (!resp.ok) throw new Error(body.error || resp.statusText);
    const rows = (body.records || []).map((r) => {
      const tr = document.createElement("tr");
      const ms = (Date.parse(r.answeredAt) - Date.parse(r.receivedAt));
      for (const v of [vnTime(r.receivedAt), r.consumer, r.provider, r.service, CODES[r.code] || String(r.code),
        String(ms), r.messageId, r.purpose, r.userId]) {
        const td = document.createElement("td");
        td.textContent = v || "-";
        tr.appendChild(td);
      }
      tr.dataset.messageId = r.messageId;
      return tr;
    });
    $("records").append(...rows);
    $("rec-more").hidden = !body.nextPageToken;
    recordQuery.set("page_token", body.nextPageToken || "");
    $("rec-status").textContent = $("records").children.length + " records" + (body.nextPageToken ? " (more below)" : "");
  } catch (e) {
    $("rec-status").textContent = "records: " + e.message;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("records-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    searchRecords(false);
  });
  $("rec-more").addEventListener("click", () => searchRecords(true));
  $("month-input").addEventListener("change", async (ev) => {
    if (!/^\d{4}-\d{2}$/.test(ev.target.value)) return;
    month = ev.target.value;
    try {
      renderMonth(await getStats("?month=" + month));
    } catch (e) {
      $("status").textContent = "month " + month + ": " + e.message;
    }
  });
  tick();
});
