// The runs table of one experiment: paged REST search, virtualized rows, columns, sort, filter.
import { h, api, fmtTime, fmtDur, fmtNum } from "./dom.js";

const ROW = 30;
const ATTRS = ["status", "start_time", "duration", "user_id"];

function cellValue(run, col) {
  const [kind, key] = [col.slice(0, col.indexOf(":")), col.slice(col.indexOf(":") + 1)];
  const d = run.data || {};
  if (kind === "p") return (d.params || []).find((x) => x.key === key)?.value ?? "";
  if (kind === "m") return fmtNum((d.metrics || []).find((x) => x.key === key)?.value);
  if (kind === "t") return (d.tags || []).find((x) => x.key === key)?.value ?? "";
  const i = run.info;
  if (key === "start_time") return fmtTime(i.start_time);
  if (key === "duration") return fmtDur(i.start_time, i.end_time);
  return i[key] ?? "";
}

function orderKey(col) {
  const kind = col[0], key = col.slice(2);
  if (kind === "a") return key === "duration" ? null : `attributes.${key}`;
  const q = /^[A-Za-z0-9_]+$/.test(key) ? key : "`" + key + "`";
  return { p: "params.", m: "metrics.", t: "tags." }[kind] + q;
}

function groupNested(runs) {
  const byId = new Map(runs.map((r) => [r.info.run_id, r]));
  const kids = new Map(), out = [];
  for (const r of runs) {
    const p = (r.data?.tags || []).find((t) => t.key === "mlflow.parentRunId")?.value;
    if (p && byId.has(p)) { if (!kids.has(p)) kids.set(p, []); kids.get(p).push(r); } else out.push(r);
  }
  const flat = [];
  const walk = (r, depth) => { flat.push({ run: r, depth }); for (const c of kids.get(r.info.run_id) || []) walk(c, depth + 1); };
  for (const r of out) walk(r, 0);
  return flat;
}

export async function runsPage(app, expId, params) {
  const exp = (await api("experiments/get?experiment_id=" + encodeURIComponent(expId))).experiment;
  const state = {
    filter: params.get("filter") || "", sort: params.get("sort") || "a:start_time", desc: params.get("asc") !== "1",
    cols: params.get("cols") ? params.get("cols").split(",").filter(Boolean) : null, selected: new Set(),
  };
  const setUrl = () => {
    const q = new URLSearchParams({ filter: state.filter, sort: state.sort, asc: state.desc ? "0" : "1", cols: state.cols.join(",") });
    history.replaceState(null, "", `#/experiments/${encodeURIComponent(expId)}?${q}`);
  };
  const err = h("div", { class: "error", id: "runs-error" });
  const count = h("span", { class: "muted", id: "run-count" });
  const filter = h("input", { class: "filter", value: state.filter, placeholder: "metrics.rmse < 1 and params.model = 'x'", "aria-label": "filter runs" });
  const compareBtn = h("button", { id: "compare", disabled: true }, "Compare");
  const chooser = h("div", { class: "cols", hidden: true });
  const grid = h("div", { class: "grid", id: "runs-grid" });
  app.replaceChildren(h("div", { class: "muted" }, h("a", { href: "#/" }, "Experiments"), " / "),
    h("h1", {}, exp.name), h("div", { class: "bar" }, filter, h("button", { onclick: () => { state.filter = filter.value; load(); } }, "Search"),
      h("button", { onclick: () => { chooser.hidden = !chooser.hidden; }, id: "columns" }, "Columns"), compareBtn, count), err, chooser, grid);
  filter.addEventListener("keydown", (e) => { if (e.key === "Enter") { state.filter = filter.value; load(); } });
  compareBtn.addEventListener("click", () => { location.hash = "#/compare?runs=" + [...state.selected].join(","); });

  let rows = [], token = 0;
  const keys = { p: new Set(), m: new Set(), t: new Set() };
  const head = h("div", { class: "head" }), body = h("div", { class: "body" });
  grid.replaceChildren(head, body);

  function buildChooser() {
    const all = [...ATTRS.map((k) => "a:" + k), ...[...keys.p].map((k) => "p:" + k), ...[...keys.m].map((k) => "m:" + k),
      ...[...keys.t].filter((k) => !k.startsWith("mlflow.")).map((k) => "t:" + k)];
    chooser.replaceChildren(...all.map((c) => {
      const box = h("input", { type: "checkbox", checked: state.cols.includes(c), "data-col": c });
      box.addEventListener("change", () => { state.cols = box.checked ? [...state.cols, c] : state.cols.filter((x) => x !== c); setUrl(); paintHead(); paint(); });
      return h("label", {}, box, " ", { a: "", p: "param ", m: "metric ", t: "tag " }[c[0]] + c.slice(2));
    }));
  }
  function paintHead() {
    const arrow = (c) => (state.sort === c ? (state.desc ? " ▼" : " ▲") : "");
    head.replaceChildren(h("div", { class: "cell sel" }), h("div", { class: "cell name" }, "Run"),
      ...state.cols.map((c) => h("div", { class: "cell", title: c, "data-col": c, onclick: () => {
        if (orderKey(c) === null) return;
        state.desc = state.sort === c ? !state.desc : true; state.sort = c; load();
      } }, { a: "", p: "", m: "", t: "" }[c[0]] + c.slice(2) + arrow(c))));
  }
  function paint() {
    body.style.height = rows.length * ROW + "px";
    const first = Math.max(0, Math.floor(grid.scrollTop / ROW) - 10);
    const last = Math.min(rows.length, first + Math.ceil(grid.clientHeight / ROW) + 20);
    const frag = [];
    for (let i = first; i < last; i++) {
      const { run, depth } = rows[i], id = run.info.run_id;
      const box = h("input", { type: "checkbox", checked: state.selected.has(id), "aria-label": "select run" });
      box.addEventListener("change", () => { box.checked ? state.selected.add(id) : state.selected.delete(id); compareBtn.disabled = state.selected.size < 2; paint(); });
      const row = h("div", { class: "row" + (state.selected.has(id) ? " checked" : ""), style: `top:${i * ROW}px` },
        h("div", { class: "cell sel" }, box),
        h("div", { class: "cell name" + (depth ? " child" : ""), style: depth ? `padding-left:${8 + depth * 16}px` : null },
          h("a", { href: `#/runs/${encodeURIComponent(id)}`, class: "run-link" }, run.info.run_name || id)),
        ...state.cols.map((c) => h("div", { class: "cell" }, String(cellValue(run, c)))));
      frag.push(row);
    }
    body.replaceChildren(...frag);
  }
  grid.addEventListener("scroll", () => requestAnimationFrame(paint));

  async function load() {
    const my = ++token;
    err.textContent = "";
    const ok = orderKey(state.sort);
    const base = { experiment_ids: [expId], filter: state.filter, max_results: 1000, order_by: ok ? [`${ok} ${state.desc ? "DESC" : "ASC"}`] : [] };
    // A small first page paints quickly; the rest streams in larger pages.
    let page = await api("runs/search", { ...base, max_results: 100 }).catch((e) => { err.textContent = e.message; return null; });
    if (!page || my !== token) return;
    let runs = [];
    const absorb = (p) => {
      for (const r of p.runs || []) {
        for (const x of r.data?.params || []) keys.p.add(x.key);
        for (const x of r.data?.metrics || []) keys.m.add(x.key);
        for (const x of r.data?.tags || []) keys.t.add(x.key);
      }
      runs = runs.concat(p.runs || []);
      if (!state.cols) state.cols = ["a:status", "a:start_time", "a:duration", ...[...keys.m].slice(0, 4).map((k) => "m:" + k), ...[...keys.p].slice(0, 4).map((k) => "p:" + k)];
      rows = groupNested(runs);
      count.textContent = `${runs.length} runs`;
      setUrl(); buildChooser(); paintHead(); paint();
    };
    absorb(page);
    while (page.next_page_token && my === token) {
      page = await api("runs/search", { ...base, page_token: page.next_page_token }).catch((e) => { err.textContent = e.message; return null; });
      if (!page || my !== token) return;
      absorb(page);
    }
  }
  await load();
}
