// A small canvas line chart: several series, step / time / relative-time x axes, log y, smoothing.
import { h, api, fmtNum } from "./dom.js";

const COLORS = ["#2563eb", "#e4572e", "#17a398", "#f3a712", "#8e44ad", "#29335c", "#a8c256", "#db2b39"];

export async function fetchHistory(runIds, key) {
  const q = new URLSearchParams({ metric_key: key, max_results: "1000" });
  for (const id of runIds) q.append("run_ids", id);
  try {
    const data = await api("metrics/get-history-bulk-interval?" + q);
    const by = new Map(runIds.map((id) => [id, []]));
    for (const m of data.metrics || []) by.get(m.run_id)?.push(m);
    return runIds.map((id) => by.get(id));
  } catch {
    return Promise.all(runIds.map(async (id) => (await api(`metrics/get-history?run_id=${encodeURIComponent(id)}&metric_key=${encodeURIComponent(key)}&max_results=25000`)).metrics || []));
  }
}

function smooth(ys, w) {
  if (!w) return ys;
  const out = []; let last = ys[0];
  for (const y of ys) { last = last * w + y * (1 - w); out.push(last); }
  return out;
}

export function chart(title, series, names) {
  const canvas = h("canvas", { "aria-label": "chart " + title });
  const axis = h("select", {}, h("option", { value: "step" }, "Step"), h("option", { value: "time" }, "Time"), h("option", { value: "rel" }, "Relative time"));
  const log = h("input", { type: "checkbox" });
  const sm = h("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: "0", "aria-label": "smoothing" });
  const legend = h("div", { class: "legend" }, ...names.map((n, i) => h("span", { style: `color:${COLORS[i % COLORS.length]}` }, "● " + n)));
  const box = h("div", { class: "chart", "data-metric": title }, h("div", { class: "bar" }, h("strong", {}, title), axis, h("label", {}, log, " log"), h("label", {}, "smooth ", sm)), canvas, legend);
  const draw = () => {
    const dpr = window.devicePixelRatio || 1, W = canvas.clientWidth || 400, H = canvas.clientHeight || 240;
    canvas.width = W * dpr; canvas.height = H * dpr;
    const c = canvas.getContext("2d"); c.scale(dpr, dpr); c.clearRect(0, 0, W, H);
    const fg = getComputedStyle(document.body).color;
    const pts = series.map((s) => {
      const t0 = s.length ? Number(s[0].timestamp) : 0;
      const xs = s.map((m) => axis.value === "step" ? Number(m.step) : axis.value === "time" ? Number(m.timestamp) : (Number(m.timestamp) - t0) / 1000);
      let ys = smooth(s.map((m) => Number(m.value)), Number(sm.value));
      if (log.checked) ys = ys.map((y) => (y > 0 ? Math.log10(y) : NaN));
      return [xs, ys];
    });
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const [xs, ys] of pts) for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(ys[i])) continue;
      x0 = Math.min(x0, xs[i]); x1 = Math.max(x1, xs[i]); y0 = Math.min(y0, ys[i]); y1 = Math.max(y1, ys[i]);
    }
    if (!Number.isFinite(x0)) return;
    if (x1 === x0) x1 = x0 + 1; if (y1 === y0) { y1 += 1; y0 -= 1; }
    const L = 56, R = 10, T = 8, B = 22;
    const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R), sy = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
    c.strokeStyle = "rgba(128,128,128,.3)"; c.fillStyle = fg; c.font = "11px system-ui"; c.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = y0 + ((y1 - y0) * i) / 4, py = sy(y);
      c.beginPath(); c.moveTo(L, py); c.lineTo(W - R, py); c.stroke();
      c.fillText(fmtNum(log.checked ? 10 ** y : y), 2, py + 4);
      const x = x0 + ((x1 - x0) * i) / 4;
      const label = axis.value === "time" ? new Date(x).toLocaleTimeString() : fmtNum(x);
      c.fillText(String(label), Math.min(sx(x), W - 60), H - 6);
    }
    pts.forEach(([xs, ys], k) => {
      c.strokeStyle = COLORS[k % COLORS.length]; c.lineWidth = 1.5; c.beginPath();
      let pen = false;
      for (let i = 0; i < xs.length; i++) {
        if (!Number.isFinite(ys[i])) { pen = false; continue; }
        pen ? c.lineTo(sx(xs[i]), sy(ys[i])) : c.moveTo(sx(xs[i]), sy(ys[i])); pen = true;
      }
      c.stroke();
    });
  };
  for (const el of [axis, log, sm]) el.addEventListener("input", draw);
  requestAnimationFrame(draw);
  return box;
}
