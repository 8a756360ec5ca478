// Tiny DOM helpers: every piece of data goes through textContent or attributes, never innerHTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "style") el.style.cssText = v; // CSSOM, allowed under the strict CSP
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export async function api(path, body, method) {
  const init = { method: method || (body ? "POST" : "GET"), headers: {} };
  if (body) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  const res = await fetch("/ajax-api/2.0/mlflow/" + path, init);
  const text = await res.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch { data = { message: text }; }
  if (!res.ok) throw new Error(data.message || data.error_code || res.statusText);
  return data;
}

export const qs = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined && v !== ""));

export function fmtTime(ms) { return ms ? new Date(Number(ms)).toLocaleString() : ""; }
export function fmtDur(a, b) {
  if (!a || !b) return "";
  const s = (Number(b) - Number(a)) / 1000;
  if (s < 60) return s.toFixed(1) + "s";
  if (s < 3600) return (s / 60).toFixed(1) + "min";
  return (s / 3600).toFixed(2) + "h";
}
export function fmtNum(v) {
  if (typeof v !== "number") return v ?? "";
  return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(+v.toFixed(5));
}

// A deliberately tiny markdown subset: paragraphs, `code`, **bold**, *em*. Text nodes only.
export function markdown(src) {
  const root = h("div", { class: "md" });
  for (const para of String(src || "").split(/\n\s*\n/)) {
    const p = h("p");
    const re = /(`[^`]+`|\*\*[^*]+\*\*|\*[^*]+\*)/g;
    let last = 0, m;
    while ((m = re.exec(para))) {
      p.append(para.slice(last, m.index));
      const t = m[0];
      if (t.startsWith("`")) p.append(h("code", {}, t.slice(1, -1)));
      else if (t.startsWith("**")) p.append(h("strong", {}, t.slice(2, -2)));
      else p.append(h("em", {}, t.slice(1, -1)));
      last = m.index + t.length;
    }
    p.append(para.slice(last));
    root.append(p);
  }
  return root;
}
