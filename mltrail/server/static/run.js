// The run page: overview, params, metrics, editable tags, description, charts, artifacts.
import { h, api, fmtTime, fmtDur, fmtNum, markdown } from "./dom.js";
import { chart, fetchHistory } from "./chart.js";

const IMAGE = /\.(png|jpe?g|gif|webp|bmp)$/i;
const TEXT = /(\.(txt|log|md|py|json|ya?ml|csv|tsv|ini|cfg|toml|html?|svg|xml|js|sh)|MLmodel|requirements\.txt|conda\.yaml)$/i;

const kv = (rows) => h("table", { class: "kv" }, h("tbody", {}, ...rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)))));
const tag = (run, key) => (run.data?.tags || []).find((t) => t.key === key)?.value;

function csvTable(text) {
  const lines = text.split(/\r?\n/).filter(Boolean).slice(0, 500).map((l) => l.split(","));
  return h("table", { class: "list" }, h("thead", {}, h("tr", {}, ...(lines[0] || []).map((c) => h("th", {}, c)))),
    h("tbody", {}, ...lines.slice(1).map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))));
}

async function preview(runId, path, pane) {
  const url = "/get-artifact?" + new URLSearchParams({ run_uuid: runId, path });
  const dl = h("a", { href: url, download: path.split("/").pop(), id: "download" }, "Download");
  pane.replaceChildren(h("div", { class: "bar" }, h("strong", {}, path), dl));
  const res = await fetch(url);
  if (!res.ok) { pane.append(h("div", { class: "error" }, `Could not read ${path}: ${res.status}`)); return; }
  if (IMAGE.test(path)) {
    // A blob: URL of a raster image type; SVG is never rendered, only shown as text.
    const blob = new Blob([await res.arrayBuffer()], { type: "image/" + path.split(".").pop().toLowerCase().replace("jpg", "jpeg") });
    pane.append(h("img", { src: URL.createObjectURL(blob), alt: path }));
  } else if (TEXT.test(path) || (Number(res.headers.get("content-length")) || 0) < 200000) {
    let text = await res.text();
    if (/\.json$/i.test(path)) { try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* shown as is */ } }
    pane.append(/\.(csv|tsv)$/i.test(path) ? csvTable(text.replaceAll("\t", ",")) : h("pre", { class: "artifact-text" }, text.slice(0, 500000)));
  } else pane.append(h("div", { class: "muted" }, "No preview for this file type."));
}

async function artifacts(run, el) {
  const tree = h("div", { class: "tree", id: "artifact-tree" }), pane = h("div", { class: "preview", id: "artifact-preview" }, h("span", { class: "muted" }, "Select a file"));
  el.replaceChildren(h("div", { class: "split" }, tree, pane));
  const list = async (path, into, depth) => {
    const data = await api("artifacts/list?" + new URLSearchParams({ run_id: run.info.run_id, path }));
    for (const f of data.files || []) {
      const name = f.path.split("/").pop();
      const item = h("div", { style: `padding-left:${4 + depth * 14}px`, "data-path": f.path, class: "artifact" }, (f.is_dir ? "▸ " : "") + name);
      const sub = h("div");
      let open = false;
      item.addEventListener("click", async () => {
        for (const x of tree.querySelectorAll(".on")) x.classList.remove("on");
        item.classList.add("on");
        if (f.is_dir) { open = !open; sub.replaceChildren(); if (open) await list(f.path, sub, depth + 1); } else await preview(run.info.run_id, f.path, pane);
      });
      into.append(item, sub);
    }
    if (!(data.files || []).length && !depth) into.append(h("span", { class: "muted" }, "No artifacts"));
  };
  await list("", tree, 0).catch((e) => tree.append(h("div", { class: "error" }, e.message)));
}

function tagsEditor(run, el) {
  const err = h("div", { class: "error" });
  const rows = (run.data?.tags || []).filter((t) => !t.key.startsWith("mlflow.")).map((t) => h("tr", {}, h("td", {}, t.key), h("td", {}, t.value),
    h("td", {}, h("button", { onclick: async () => { try { await api("runs/delete-tag", { run_id: run.info.run_id, key: t.key }); dispatchEvent(new HashChangeEvent("hashchange")); } catch (e) { err.textContent = e.message; } } }, "Remove"))));
  const k = h("input", { placeholder: "key", id: "tag-key" }), v = h("input", { placeholder: "value", id: "tag-value" });
  const add = async () => {
    try { await api("runs/set-tag", { run_id: run.info.run_id, key: k.value, value: v.value }); dispatchEvent(new HashChangeEvent("hashchange")); } catch (e) { err.textContent = e.message; }
  };
  el.append(h("table", { class: "list", id: "tags" }, h("tbody", {}, ...rows)), h("div", { class: "bar" }, k, v, h("button", { onclick: add, id: "add-tag" }, "Set tag")), err);
}

export async function runPage(app, runId, params) {
  const run = (await api("runs/get?run_id=" + encodeURIComponent(runId))).run;
  const i = run.info;
  const exp = (await api("experiments/get?experiment_id=" + encodeURIComponent(i.experiment_id))).experiment;
  const tab = params.get("tab") || "overview";
  const body = h("div");
  const tabs = h("div", { class: "tabs" }, ...["overview", "charts", "artifacts"].map((t) =>
    h("button", { class: t === tab ? "on" : "", id: "tab-" + t, onclick: () => { location.hash = `#/runs/${encodeURIComponent(runId)}?tab=${t}`; } }, t[0].toUpperCase() + t.slice(1))));
  app.replaceChildren(h("div", { class: "muted" }, h("a", { href: "#/" }, "Experiments"), " / ",
    h("a", { href: `#/experiments/${encodeURIComponent(i.experiment_id)}` }, exp.name), " / "),
    h("h1", { id: "run-name" }, i.run_name || i.run_id), tabs, body);
  if (tab === "charts") {
    const charts = h("div", { class: "charts" });
    body.append(charts);
    for (const m of (run.data?.metrics || []).map((x) => x.key).sort()) charts.append(chart(m, await fetchHistory([runId], m), [i.run_name || runId]));
    return;
  }
  if (tab === "artifacts") return artifacts(run, body);
  const parent = tag(run, "mlflow.parentRunId");
  const children = await api("runs/search", { experiment_ids: [i.experiment_id], filter: `tags.mlflow.parentRunId = '${runId}'`, max_results: 100 }).catch(() => ({}));
  const inputs = (run.inputs?.dataset_inputs || []).map((d) => `${d.dataset?.name ?? ""} (${d.dataset?.digest ?? ""})`).join(", ");
  body.append(kv([
    ["Run ID", i.run_id], ["Status", h("span", { class: "status" }, i.status)], ["Start", fmtTime(i.start_time)], ["End", fmtTime(i.end_time)],
    ["Duration", fmtDur(i.start_time, i.end_time)], ["User", i.user_id ?? ""], ["Source", tag(run, "mlflow.source.name") ?? ""],
    ["Git commit", tag(run, "mlflow.source.git.commit") ?? ""],
    ["Parent", parent ? h("a", { href: `#/runs/${encodeURIComponent(parent)}` }, parent) : ""],
    ["Children", h("span", {}, ...(children.runs || []).flatMap((c) => [h("a", { href: `#/runs/${encodeURIComponent(c.info.run_id)}` }, c.info.run_name || c.info.run_id), " "]))],
    ["Datasets", inputs],
  ]));
  body.append(h("h2", {}, "Description"), h("div", { id: "description" }, markdown(tag(run, "mlflow.note.content") || "")));
  body.append(h("h2", {}, "Parameters"), h("table", { class: "list", id: "params" }, h("tbody", {}, ...(run.data?.params || []).map((p) => h("tr", {}, h("td", {}, p.key), h("td", {}, p.value))))));
  body.append(h("h2", {}, "Metrics"), h("table", { class: "list", id: "metrics" }, h("tbody", {}, ...(run.data?.metrics || []).map((m) => h("tr", {}, h("td", {}, m.key), h("td", {}, String(fmtNum(m.value))), h("td", { class: "muted" }, "step " + m.step))))));
  body.append(h("h2", {}, "Tags"));
  tagsEditor(run, body);
}
