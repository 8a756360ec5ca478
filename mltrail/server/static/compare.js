// Compare runs: params/metrics diff table with differences highlighted, overlaid metric charts.
import { h, api, fmtNum } from "./dom.js";
import { chart, fetchHistory } from "./chart.js";

export async function comparePage(app, params) {
  const ids = (params.get("runs") || "").split(",").filter(Boolean);
  const runs = await Promise.all(ids.map(async (id) => (await api("runs/get?run_id=" + encodeURIComponent(id))).run));
  const names = runs.map((r) => r.info.run_name || r.info.run_id);
  const table = (label, pick) => {
    const keys = [...new Set(runs.flatMap((r) => (r.data?.[pick] || []).map((x) => x.key)))].sort();
    return h("table", { class: "list", id: "compare-" + pick }, h("thead", {}, h("tr", {}, h("th", {}, label), ...names.map((n) => h("th", {}, n)))),
      h("tbody", {}, ...keys.map((k) => {
        const vals = runs.map((r) => { const v = (r.data?.[pick] || []).find((x) => x.key === k)?.value; return pick === "metrics" ? fmtNum(v) : v ?? ""; });
        const differs = new Set(vals.map(String)).size > 1;
        return h("tr", { class: differs ? "diff" : null }, h("td", {}, k), ...vals.map((v) => h("td", {}, String(v))));
      })));
  };
  const charts = h("div", { class: "charts" });
  app.replaceChildren(h("div", { class: "muted" }, h("a", { href: "#/" }, "Experiments"), " / compare"),
    h("h1", {}, `Comparing ${runs.length} runs`), h("h2", {}, "Parameters"), table("Param", "params"),
    h("h2", {}, "Metrics"), table("Metric", "metrics"), h("h2", {}, "Charts"), charts);
  const mkeys = [...new Set(runs.flatMap((r) => (r.data?.metrics || []).map((x) => x.key)))].sort().slice(0, 24);
  for (const k of mkeys) charts.append(chart(k, await fetchHistory(ids, k), names));
}
