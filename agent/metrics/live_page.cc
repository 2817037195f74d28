#include "agent/metrics/live_page.h"

#include <chrono>
#include <cstdio>

#include "agent/metrics/metrics_format.h"

namespace flumen::metrics {

namespace {

// The page, as one document. Layout: one column per kind present, nodes in /topology's order;
// edges are curves from a node's right side to the next one's left, labelled with their rate
// (and the conf's label: a multiplexing value, a failover priority).
constexpr const char* kPage = R"PAGE(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flumen live</title>
<style>
body{font:14px system-ui,-apple-system,"Segoe UI",sans-serif;margin:16px 20px;color:#1f2937;background:#f9fafb}
h1{font-size:18px;margin:0 0 2px}
#status{color:#6b7280;margin:0 0 10px}
#status.down{color:#dc2626}
svg{background:#fff;border:1px solid #e5e7eb;border-radius:6px;max-width:100%;height:auto}
svg text{font:12px system-ui,-apple-system,"Segoe UI",sans-serif}
.node rect.box{fill:#fff;stroke:#9ca3af;stroke-width:1.5}
.node.source rect.box{fill:#dbeafe}
.node.channel rect.box{fill:#fef3c7}
.node.sinkgroup rect.box{fill:#f3e8ff}
.node.sink rect.box{fill:#dcfce7}
.node.interceptor rect.box,.node.selector rect.box{fill:#f3f4f6;stroke-dasharray:4 3}
.node.warning rect.box{stroke:#d97706;stroke-width:2.5}
.node.failing rect.box{stroke:#dc2626;stroke-width:3}
.node .name{font-weight:600}
.node .type{fill:#6b7280}
.node.failing .why{fill:#dc2626;font-weight:600}
.edge path{fill:none;stroke:#9ca3af;stroke-width:1.5}
.edge.flowing path{stroke:#2563eb;stroke-width:2.5}
.edge text{fill:#1d4ed8;font-weight:600}
.edge text.label{fill:#6b7280;font-weight:400}
.fillbg{fill:#e5e7eb}.fill{fill:#f59e0b}.fill.high{fill:#dc2626}
footer{margin-top:10px;color:#6b7280}
a{color:#2563eb}
</style></head><body>
<h1>flumen agent <span id="agent"></span></h1>
<p id="status">loading the pipeline...</p>
<noscript><p>This page draws the pipeline with a little JavaScript. Without it, the same numbers
are at <a href="/metrics">/metrics</a>, the graph at <a href="/topology">/topology</a> and the
failing parts at <a href="/health">/health</a>.</p></noscript>
<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="400" height="120"></svg>
<footer><a href="/metrics">/metrics</a> (Flume JSON) &middot;
<a href="/metrics?format=prometheus">Prometheus</a> &middot; <a href="/health">/health</a> &middot;
<a href="/topology">/topology</a> &middot; <code>flumen top</code> and <code>flumen tap</code>
read the same endpoint</footer>
<script>
"use strict";
const NS = "http://www.w3.org/2000/svg";
const W = 190, H = 70, GAPX = 80, GAPY = 24, PAD = 24;
let topo = null, topoText = "", topoAt = 0, byId = {}, live = null;

function el(tag, attrs, parent, text) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function value(m, key, name) {
  const c = m && m[key];
  if (!c || c[name] === undefined) return undefined;
  const v = parseFloat(c[name]);
  return isNaN(v) ? undefined : v;
}
function short(v) {
  if (v === undefined) return "-";
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + "G";
  if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (a >= 1e4) return (v / 1e3).toFixed(1) + "k";
  if (a >= 10 || v === Math.floor(v)) return String(Math.round(v));
  return v.toFixed(1);
}
function perSecond(v) { return v === undefined ? "-" : short(v) + "/s"; }
function fit(s, n) { return s.length <= n ? s : s.slice(0, n - 1) + "\u2026"; }

// Rates as the agent measured them (/live's "rates").
function rate(key, counter) {
  if (!key || !live || !live.rates || !live.rates[key]) return undefined;
  const v = live.rates[key][counter];
  return typeof v === "number" ? v : undefined;
}
function members(groupId) {
  return topo.edges.filter(e => e.from === groupId).map(e => byId[e.to]).filter(n => n);
}
function sum(list) {
  let total, any = false;
  for (const v of list) if (v !== undefined) { total = (total || 0) + v; any = true; }
  return any ? total : undefined;
}
function upstreamSource(n) {
  for (let guard = 0; n && n.kind !== "source" && guard < 64; guard++) {
    const e = topo.edges.find(x => x.to === n.id);
    n = e ? byId[e.from] : undefined;
  }
  return n;
}
function nodeRates(n) {
  switch (n.kind) {
    case "source": return [rate(n.metrics, "EventReceivedCount"), rate(n.metrics, "EventAcceptedCount")];
    case "channel": return [rate(n.metrics, "EventPutSuccessCount"), rate(n.metrics, "EventTakeSuccessCount")];
    case "sink": return [rate(n.metrics, "EventDrainAttemptCount"), rate(n.metrics, "EventDrainSuccessCount")];
    case "sinkgroup": {
      const ms = members(n.id);
      return [sum(ms.map(m => rate(m.metrics, "EventDrainAttemptCount"))),
              sum(ms.map(m => rate(m.metrics, "EventDrainSuccessCount")))];
    }
    default: {
      const s = upstreamSource(n);
      const r = s ? rate(s.metrics, "EventAcceptedCount") : undefined;
      return [r, r];
    }
  }
}
function nodeTotal(m, n) {
  switch (n.kind) {
    case "source": return value(m, n.metrics, "EventAcceptedCount");
    case "channel": return value(m, n.metrics, "EventPutSuccessCount");
    case "sink": return value(m, n.metrics, "EventDrainSuccessCount");
    case "sinkgroup": return sum(members(n.id).map(s => value(m, s.metrics, "EventDrainSuccessCount")));
  }
  return undefined;
}
function edgeRate(e) {
  const from = byId[e.from], to = byId[e.to];
  if (!from || !to) return undefined;
  if (to.kind === "channel") {
    // Exact when the channel has one writer; otherwise what the writer sends on.
    if (topo.edges.filter(x => x.to === e.to).length === 1) return rate(to.metrics, "EventPutSuccessCount");
    return nodeRates(from)[1];
  }
  if (to.kind === "sink") return rate(to.metrics, "EventDrainSuccessCount");
  if (to.kind === "sinkgroup") return nodeRates(to)[1];
  if (from.kind === "source") return rate(from.metrics, "EventReceivedCount");
  return nodeRates(from)[1];
}

// Why a node is failing ("" when it is not), and whether it only warns.
function health(m, n) {
  if (!n.metrics) return ["", false];
  const c = m[n.metrics];
  if (!c) return ["not running", true];
  const start = parseFloat(c.StartTime || "0"), stop = parseFloat(c.StopTime || "0");
  if (stop > 0 && stop >= start) return ["stopped", true];
  if (n.kind === "sink" && String(c.State || "").startsWith("backoff")) return [c.State, true];
  if (n.kind === "sinkgroup" && String(c.RunnerState || "").startsWith("backoff")) return [c.RunnerState, true];
  if (n.kind === "channel" && parseFloat(c.Unhealthy || "0") > 0) return ["unhealthy", true];
  if (n.kind === "sinkgroup" && /penalised|backoff:/.test(String(c.State || ""))) return [c.State, false];
  if (n.kind === "channel" && parseFloat(c.ChannelFillPercentage || "0") >= 90) return ["nearly full", false];
  if (n.kind === "source" && rate(n.metrics, "ChannelWriteFail") > 0) return ["channel full: waiting", false];
  return ["", false];
}

function draw(t) {
  const svg = document.getElementById("graph");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  byId = {};
  for (const n of t.nodes) byId[n.id] = n;
  // Columns: the source side by depth (a source, then each interceptor of its chain, then its
  // selector), then one column each for channels, sink groups and sinks.
  const depth = {};
  const upstream = id => t.edges.filter(e => e.to === id).map(e => byId[e.from]).filter(n => n);
  const sourceSide = n => n.kind === "source" || n.kind === "interceptor" || n.kind === "selector";
  const depthOf = (n, guard) => {
    if (depth[n.id] !== undefined) return depth[n.id];
    const ups = guard > 64 ? [] : upstream(n.id).filter(sourceSide);
    return depth[n.id] = ups.length ? 1 + Math.max(...ups.map(u => depthOf(u, guard + 1))) : 0;
  };
  let last = -1;
  for (const n of t.nodes) if (sourceSide(n)) last = Math.max(last, depthOf(n, 0));
  const colOf = {channel: last + 1};
  colOf.sinkgroup = colOf.channel + 1;
  colOf.sink = colOf.channel + (t.nodes.some(n => n.kind === "sinkgroup") ? 2 : 1);
  const byCol = [];
  for (const n of t.nodes) {
    const c = sourceSide(n) ? depth[n.id] : colOf[n.kind];
    (byCol[c] = byCol[c] || []).push(n);
  }
  const cols = byCol.filter(c => c);
  const rows = Math.max(1, ...cols.map(c => c.length));
  const inner = rows * H + (rows - 1) * GAPY;
  const width = PAD * 2 + cols.length * W + Math.max(0, cols.length - 1) * GAPX;
  const height = PAD * 2 + inner;
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  cols.forEach((col, i) => {
    const top = PAD + (inner - (col.length * H + (col.length - 1) * GAPY)) / 2;
    col.forEach((n, j) => { n.x = PAD + i * (W + GAPX); n.y = top + j * (H + GAPY); });
  });
  const edges = el("g", {id: "edges"}, svg);
  t.edges.forEach((e, i) => {
    const a = byId[e.from], b = byId[e.to];
    if (!a || !b) return;
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
    const g = el("g", {class: "edge", id: "e" + i, "data-from": e.from, "data-to": e.to}, edges);
    el("path", {d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`}, g);
    const ty = (y1 + y2) / 2;
    el("text", {class: "rate", x: mx, y: ty - 4, "text-anchor": "middle"}, g, "");
    if (e.label) el("text", {class: "label", x: mx, y: ty + 12, "text-anchor": "middle"}, g, fit(e.label, 14));
    e.el = g;
  });
  const nodes = el("g", {id: "nodes"}, svg);
  for (const n of t.nodes) {
    const g = el("g", {class: "node " + n.kind, id: "n-" + n.id, "data-key": n.metrics || "",
                       transform: `translate(${n.x},${n.y})`}, nodes);
    el("rect", {class: "box", width: W, height: H, rx: 8}, g);
    const name = n.kind === "interceptor" ? n.name.slice(n.name.indexOf(".") + 1)
               : n.kind === "selector" ? "selector" : n.name;
    el("text", {class: "name", x: 10, y: 17}, g, fit(name, 24));
    el("text", {class: "type", x: 10, y: 31}, g, fit(n.kind + " \u00b7 " + n.type, 28));
    el("text", {class: "stat", x: 10, y: 47}, g, "");
    el("text", {class: "why", x: 10, y: 62}, g, "");
    if (n.kind === "channel") {
      el("rect", {class: "fillbg", x: W - 58, y: 8, width: 48, height: 8, rx: 3}, g);
      el("rect", {class: "fill", x: W - 58, y: 8, width: 0, height: 8, rx: 3}, g);
    }
    const title = el("title", {}, g, "");
    n.el = g;
    n.title = title;
  }
  document.getElementById("agent").textContent = t.agent;
  document.title = "flumen " + t.agent;
}

function update() {
  if (!topo || !live) return;
  const m = live.metrics;
  let failing = 0, moving = 0;
  for (const n of topo.nodes) {
    const [rin, rout] = nodeRates(n);
    const [why, bad] = health(m, n);
    const c = n.metrics ? m[n.metrics] : undefined;
    const stat = n.el.querySelector(".stat"), whyEl = n.el.querySelector(".why");
    let line = "", second = why;
    if (n.kind === "channel" && c) {
      const fill = parseFloat(c.ChannelFillPercentage || "0");
      const bar = n.el.querySelector(".fill");
      bar.setAttribute("width", Math.max(0, Math.min(48, 48 * fill / 100)));
      bar.setAttribute("class", "fill" + (fill >= 90 ? " high" : ""));
      line = `${fill.toFixed(0)}% \u00b7 ${short(parseFloat(c.ChannelSize))}/${short(parseFloat(c.ChannelCapacity))} \u00b7 ${perSecond(rout)}`;
    } else if (n.kind === "sinkgroup" && c) {
      line = `${perSecond(rout)} \u00b7 ${fit(String(c.State || ""), 20)}`;
    } else if (n.kind === "sink" && c) {
      line = `${perSecond(rout)} \u00b7 ${short(value(m, n.metrics, "EventDrainSuccessCount"))} delivered`;
      const rejected = value(m, n.metrics, "EventRejectedCount") || 0;
      if (!why && rejected > 0) second = `${short(rejected)} rejected`;
      if (!why && c.State && !rejected) second = c.State;
    } else if (n.kind === "source" && c) {
      line = `${perSecond(rout)} \u00b7 ${short(value(m, n.metrics, "EventAcceptedCount"))} accepted`;
      const lag = Object.keys(c).filter(k => /^FileGroup\..*\.LagBytes$/.test(k))
                        .reduce((s, k) => s + parseFloat(c[k] || "0"), 0);
      if (!why && lag > 0) second = `${short(lag)} bytes behind`;
    } else if (!n.metrics) {
      line = perSecond(rout);
    }
    stat.textContent = fit(line, 30);
    whyEl.textContent = fit(second || "", 30);
    n.el.setAttribute("class", "node " + n.kind + (bad ? " failing" : why ? " warning" : ""));
    n.el.setAttribute("data-in", rin === undefined ? "" : rin.toFixed(2));
    n.el.setAttribute("data-out", rout === undefined ? "" : rout.toFixed(2));
    const total = nodeTotal(m, n);
    n.el.setAttribute("data-total", total === undefined ? "" : String(total));
    n.title.textContent = (n.metrics || n.name) + (why ? ": " + why : "");
    if (bad) failing++;
  }
  for (const e of topo.edges) {
    if (!e.el) continue;
    const r = edgeRate(e);
    e.el.querySelector(".rate").textContent = perSecond(r);
    e.el.setAttribute("class", "edge" + (r > 0 ? " flowing" : ""));
    e.el.setAttribute("data-rate", r === undefined ? "" : r.toFixed(2));
    if (r > 0) moving++;
  }
  const status = document.getElementById("status");
  status.className = failing ? "down" : "";
  status.textContent = `${topo.nodes.length} components \u00b7 ${moving} of ${topo.edges.length} edges moving \u00b7 ` +
      (failing ? `${failing} failing` : "nothing failing") + ` \u00b7 updated ${new Date().toLocaleTimeString()}`;
}

async function tick() {
  try {
    if (!topo || !live || Date.now() - topoAt > 10000) {
      const r = await fetch("/topology", {cache: "no-store"});
      if (r.ok) {
        const text = await r.text();
        topoAt = Date.now();
        if (text !== topoText) { topoText = text; topo = JSON.parse(text); draw(topo); }
      }
    }
    const r = await fetch("/live", {cache: "no-store"});
    live = await r.json();
    if (topo) update();
    else document.getElementById("status").textContent = "no pipeline yet";
  } catch (err) {
    const status = document.getElementById("status");
    status.className = "down";
    status.textContent = "agent unreachable (" + err + "); retrying";
  }
  setTimeout(tick, 1000);
}
tick();
</script>
</body></html>
)PAGE";

}  // namespace

const std::string& live_page_html() {
  static const std::string page = kPage;
  return page;
}

std::string live_json(const std::vector<ComponentSnapshot>& snapshots,
                      const nlohmann::ordered_json& rates,
                      std::chrono::steady_clock::time_point at) {
  const double ms = std::chrono::duration<double, std::milli>(at.time_since_epoch()).count();
  char time[40];
  std::snprintf(time, sizeof(time), "%.3f", ms);
  return std::string("{\"time\":") + time + ",\"metrics\":" + format_flume_json(snapshots) +
         ",\"rates\":" +
         rates.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "}\n";
}

}  // namespace flumen::metrics
