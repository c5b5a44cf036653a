// The live view: reads /events (server-sent events) and draws three canvas charts.
// Message fields: see src/serve/feed.rs `message`. A point is [ms, chip mW, off-chip mW,
// buffer GB/s, DRAM GB/s]; `reset` means the server merged points and sent them all again.
"use strict";

const series = { points: [], epochs: [] };
const $ = (id) => document.getElementById(id);

const charts = {
  power: { el: $("power"), unit: "mW", lines: [
    { name: "chip", color: "#2a7ab0", y: (p) => p[1] },
    { name: "off-chip (DRAM)", color: "#d9822b", y: (p) => p[2] } ] },
  bandwidth: { el: $("bandwidth"), unit: "GB/s", lines: [
    { name: "global buffer", color: "#3a9a48", y: (p) => p[3] },
    { name: "DRAM", color: "#b03a6a", y: (p) => p[4] } ] },
  accuracy: { el: $("accuracy"), unit: "%", yMax: 100, lines: [
    { name: "held-out accuracy", color: "#6a4ab0", y: (p) => p[1] } ] },
};

function fmtTime(s) {
  if (s == null || !isFinite(s)) return "\u2013";
  if (s < 60) return s.toFixed(1) + " s";
  const m = Math.floor(s / 60);
  return m + " min " + Math.round(s - 60 * m) + " s";
}

function fmtNum(v) {
  if (!isFinite(v)) return "\u2013";
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(2) + " M";
  if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + " k";
  return v.toPrecision(3);
}

// Draws `data` (rows, x from row[0]) with the chart's lines; axes with min/max labels.
function draw(chart, data, xUnit) {
  const c = chart.el, dpr = window.devicePixelRatio || 1;
  const w = c.clientWidth, h = c.clientHeight;
  c.width = w * dpr; c.height = h * dpr;
  const g = c.getContext("2d");
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, h);
  const L = 56, R = 8, T = 18, B = 22;
  g.strokeStyle = "#999"; g.lineWidth = 1;
  g.strokeRect(L, T, w - L - R, h - T - B);
  c.dataset.points = String(data.length);
  g.fillStyle = "#444"; g.font = "11px system-ui, sans-serif";
  chart.lines.forEach((l, i) => { g.fillStyle = l.color; g.fillText("\u25a0 " + l.name, L + 6 + i * 150, 12); });
  if (data.length === 0) return;
  const x0 = Math.min(...data.map((p) => p[0])), x1 = Math.max(...data.map((p) => p[0]));
  let y1 = 0;
  for (const l of chart.lines) for (const p of data) { const v = l.y(p); if (v != null && v > y1) y1 = v; }
  if (y1 <= 0) y1 = 1;
  y1 = chart.yMax || y1 * 1.05;
  const sx = (x) => L + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (w - L - R);
  const sy = (y) => T + (1 - y / y1) * (h - T - B);
  g.fillStyle = "#444";
  g.fillText(fmtNum(y1) + " " + chart.unit, 2, T + 8);
  g.fillText("0", L - 12, h - B);
  const xText = (x) => (xUnit === "epoch" ? "epoch " + x : fmtNum(x) + " " + xUnit);
  g.fillText(xText(x0), L, h - 6);
  const right = xText(x1);
  g.fillText(right, w - R - g.measureText(right).width, h - 6);
  for (const l of chart.lines) {
    g.strokeStyle = l.color; g.lineWidth = 1.5; g.beginPath();
    let started = false;
    for (const p of data) {
      const v = l.y(p);
      if (v == null) continue;
      if (started) g.lineTo(sx(p[0]), sy(v)); else { g.moveTo(sx(p[0]), sy(v)); started = true; }
      if (data.length < 40) g.fillRect(sx(p[0]) - 2, sy(v) - 2, 4, 4);
    }
    g.stroke();
  }
}

function redraw() {
  draw(charts.power, series.points, "ms");
  draw(charts.bandwidth, series.points, "ms");
  const acc = series.epochs.map((e) => [e.epoch, e.held_out_accuracy == null ? null : 100 * e.held_out_accuracy]);
  draw(charts.accuracy, acc, "epoch");
}

let paused = false;
function show(m) {
  $("topology").textContent = m.topology || "(starting)";
  $("state").textContent = m.state;
  const done = m.epochs_done, planned = m.epochs_planned;
  $("epochs").textContent = planned == null ? (done ? String(done) : "\u2013") : done + " / " + planned;
  $("simulated").textContent = m.simulated_ms.toFixed(3) + " ms" + (m.end_ms == null ? "" : " / " + m.end_ms.toFixed(3));
  $("rate").textContent = fmtNum(m.events_per_s);
  $("wall").textContent = fmtTime(m.running_s);
  $("eta").textContent = m.state === "ended" ? "0 s" : fmtTime(m.eta_s);
  let frac = planned ? done / planned : (m.end_ms ? m.simulated_ms / m.end_ms : 0);
  if (m.state === "ended") frac = 1;
  $("bar").firstElementChild.style.width = (100 * Math.min(1, frac)) + "%";
  paused = m.state === "paused";
  $("pause").textContent = paused ? "Resume" : "Pause";
  const over = m.state === "ended" || m.state === "stopping";
  $("pause").disabled = over; $("stop").disabled = over;
  if (m.state === "ended") {
    const msg = $("message");
    msg.textContent = m.error ? "run failed: " + m.error : "run ended: " + (m.outcome || "") + " (the report is on tasim's standard output)";
    msg.className = m.error ? "error" : "";
  }
}

const source = new EventSource("/events");
source.onmessage = (ev) => {
  const m = JSON.parse(ev.data);
  if (m.reset) { series.points = []; series.epochs = []; }
  series.points.push(...m.points);
  series.epochs.push(...m.epochs);
  show(m);
  redraw();
  if (m.state === "ended") source.close();
};
source.onerror = () => {
  if (source.readyState === EventSource.CLOSED || $("state").textContent === "ended") return;
  $("message").textContent = "connection lost (tasim exited?)";
};

function control(what) {
  fetch("/control/" + what, { method: "POST", headers: { "x-tasim-control": "1" } });
}
$("pause").onclick = () => control(paused ? "resume" : "pause");
$("stop").onclick = () => control("stop");
window.addEventListener("resize", redraw);
