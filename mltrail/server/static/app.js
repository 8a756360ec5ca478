// Entry point: hash routes #/, #/experiments/<id>?..., #/runs/<id>, #/compare?runs=a,b
import { h, api } from "./dom.js";
import { runsPage } from "./runs.js";
import { runPage } from "./run.js";
import { comparePage } from "./compare.js";

const app = document.getElementById("app");

async function experimentsPage(params) {
  const deleted = params.get("deleted") === "1";
  const search = h("input", { placeholder: "Search experiments by name", value: params.get("q") || "", "aria-label": "search experiments" });
  const err = h("div", { class: "error" });
  const list = h("tbody");
  const go = () => { location.hash = "#/?" + new URLSearchParams({ q: search.value, deleted: deleted ? "1" : "0" }); };
  search.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
  const create = async () => {
    const name = prompt("New experiment name");
    if (!name) return;
    try { await api("experiments/create", { name }); render(); } catch (e) { err.textContent = e.message; }
  };
  app.replaceChildren(h("h1", {}, deleted ? "Deleted experiments" : "Experiments"),
    h("div", { class: "bar" }, search, h("button", { onclick: go }, "Search"),
      h("button", { onclick: create, id: "create-exp" }, "Create"),
      h("a", { href: deleted ? "#/" : "#/?deleted=1" }, deleted ? "Active experiments" : "Deleted experiments")),
    err, h("table", { class: "list" }, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "ID"), h("th", {}, "Created"), h("th", {}, ""))), list));
  const body = { max_results: 1000, view_type: deleted ? "DELETED_ONLY" : "ACTIVE_ONLY", order_by: ["creation_time DESC"] };
  const q = params.get("q");
  if (q) body.filter = `name ILIKE '%${q.replaceAll("'", "\\'")}%'`;
  try {
    const data = await api("experiments/search", body);
    for (const e of data.experiments || []) {
      const rename = async () => {
        const name = prompt("Rename experiment", e.name);
        if (!name) return;
        try { await api("experiments/update", { experiment_id: e.experiment_id, new_name: name }); render(); } catch (x) { err.textContent = x.message; }
      };
      const toggle = async () => {
        try { await api(deleted ? "experiments/restore" : "experiments/delete", { experiment_id: e.experiment_id }); render(); } catch (x) { err.textContent = x.message; }
      };
      list.append(h("tr", {},
        h("td", {}, h("a", { href: `#/experiments/${encodeURIComponent(e.experiment_id)}`, class: "exp-link" }, e.name)),
        h("td", { class: "muted" }, e.experiment_id),
        h("td", { class: "muted" }, e.creation_time ? new Date(Number(e.creation_time)).toLocaleString() : ""),
        h("td", {}, h("button", { onclick: rename }, "Rename"), " ", h("button", { onclick: toggle }, deleted ? "Restore" : "Delete"))));
    }
  } catch (e) { err.textContent = e.message; }
}

async function render() {
  const [path, query] = (location.hash.slice(1) || "/").split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "experiments" && parts[1]) await runsPage(app, parts[1], params);
    else if (parts[0] === "runs" && parts[1]) await runPage(app, parts[1], params);
    else if (parts[0] === "compare") await comparePage(app, params);
    else await experimentsPage(params);
  } catch (e) {
    app.replaceChildren(h("div", { class: "error" }, e.message));
  }
  document.body.dataset.ready = "1";
}

window.addEventListener("hashchange", () => { document.body.dataset.ready = ""; render(); });
if (!location.hash && location.pathname !== "/") history.replaceState(null, "", "/#" + location.pathname + location.search);
render();
