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
let month = "";
let day = ""; // the day shown; "" follows today

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
  $("day-label").textContent = day ? "Day" : "Today";
  if (!day) $("day-input").value = st.period;
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
  renderHours(st);
  setNum("since-launch", num(st.sinceLaunch));
  const d = st.declared;
  $("since-note").textContent = d && num(d.total)
    ? fmt(num(d.total)) + " declared as of " + d.asOf + " (" + d.source + "; not counted) + " + fmt(count(st.allTime).total) + " counted"
    : "counted by the hub";
  $("status").textContent = "as of " + vnTime(st.asOf).slice(0, 19) + " ICT · record " + st.sequence;
}

// renderHours draws the day's 24 business hours (Vietnam time).
function renderHours(st) {
  $("hour-day").textContent = st.period;
  const hours = st.byHour || [];
  const top = Math.max(1, ...hours.map((b) => count(b.count).total));
  const bars = hours.map((b, h) => {
    const n = count(b.count).total;
    const r = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    r.setAttribute("x", String(h * 20 + 1));
    r.setAttribute("y", String(115 - (n / top) * 110));
    r.setAttribute("width", "18");
    r.setAttribute("height", String((n / top) * 110));
    r.dataset.hour = b.key;
    r.dataset.total = String(n);
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = st.period + " " + b.key + ":00-" + b.key + ":59 ICT: " + fmt(n);
    r.appendChild(title);
    return r;
  });
  $("hour-chart").replaceChildren(...bars);
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

// renderChart draws the hub's tx/s of the last WINDOW seconds (the hub
// samples them, so the chart is full as soon as the page opens).
function renderChart(rates) {
  const recent = rates.slice(-WINDOW);
  const rate = recent.length ? recent[recent.length - 1].per_second : 0;
  setNum("tps", rate, rate < 10 ? rate.toFixed(1) : fmt(rate));
  $("pace").textContent = fmt(rate * 86400);
  const top = Math.max(1, ...recent.map((r) => r.per_second));
  const pts = recent.map((r, i) => {
    const x = 600 - (recent.length - 1 - i) * (600 / WINDOW);
    const y = 135 - (r.per_second / top) * 125;
    return x.toFixed(1) + "," + y.toFixed(1);
  });
  $("chart-line").setAttribute("points", pts.join(" "));
  $("chart-max").textContent = "max " + fmt(top) + "/s";
  if (recent.length) {
    $("chart-from").textContent = vnTime(recent[0].at).slice(11, 19);
    $("chart-to").textContent = vnTime(recent[recent.length - 1].at).slice(11, 19) + " ICT";
  }
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
    r.dataset.day = b.key;
    r.addEventListener("click", () => showDay(b.key));
    return r;
  });
  svg.replaceChildren(...bars);
}

// showDay shows a business day ("" follows today) at once.
async function showDay(d) {
  day = d;
  if (d) $("day-input").value = d;
  try {
    renderToday(await getStats(d ? "?day=" + d : ""));
  } catch (e) {
    $("status").textContent = "day " + d + ": " + e.message;
  }
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
    const st = await getStats(day ? "?day=" + day : "");
    renderToday(st);
    const rates = await fetch("api/rates", { cache: "no-store" }).then((r) => r.json());
    renderChart(rates.rates || []);
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
    if ($("rec-business").checked) p.set("by", "business_time");
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
      for (const v of [vnTime(r.receivedAt), vnTime(r.businessTime), r.consumer, r.provider, r.service, CODES[r.code] || String(r.code),
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
  $("day-input").addEventListener("change", (ev) => {
    if (/^\d{4}-\d{2}-\d{2}$/.test(ev.target.value)) showDay(ev.target.value);
  });
  $("day-today").addEventListener("click", () => showDay(""));
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
