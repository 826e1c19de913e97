// The experiments page: each experiment's runs as they stand, and once aggregated its arms'
// scores with intervals, the verdicts and the learning curves with their bands (uPlot).
import { getJson, showError } from "./api.js";
import { fill, h, options } from "./dom.js";
import { si } from "./scale.js";

const $ = (id) => document.getElementById(id);
const page = (window.experiments = { name: null, details: null, charts: [] });
const interval = (v, ci) => `${fmt(v)} [${fmt(ci[0])}, ${fmt(ci[1])}]`;
const fmt = (v) => (v === null || v === undefined ? "–" : Number(v).toPrecision(3));

async function listExperiments() {
  const { folder, experiments } = await getJson("/api/experiments");
  $("folder").textContent = folder;
  fill(
    "experiments",
    experiments.length
      ? experiments.map((e) => h("li", {}, h("a", { href: `?experiment=${encodeURIComponent(e.name)}`, dataset: { experiment: e.name } }, e.name), " ", h("small", { class: "muted" }, `${e.done}/${e.runs} runs`)))
      : h("li", { class: "muted" }, "no experiments yet"),
  );
  return experiments;
}

// Arms as rows, seeds as columns: each run's status.
function drawRuns(details) {
  const seeds = [...new Set(details.runs.map((r) => r.seed))].sort((a, b) => a - b);
  const head = h("tr", {}, h("th", {}, "arm \\ seed"), seeds.map((s) => h("th", {}, s)));
  const rows = details.arms.map((arm) =>
    h("tr", {}, h("th", {}, arm), seeds.map((seed) => {
      const run = details.runs.find((r) => r.arm === arm && r.seed === seed);
      return h("td", { class: `status-${run?.status ?? "none"}`, title: run?.run ?? "" }, run?.status ?? "–");
    })),
  );
  fill("runs", h("table", {}, h("thead", {}, head), h("tbody", {}, rows)));
}

function drawResults(details) {
  const results = details.results;
  page.charts.forEach((c) => c.destroy());
  page.charts = [];
  if (!results) {
    fill("results", h("p", { class: "muted" }, "not aggregated yet: the table appears when the experiment command ends"));
    fill("verdicts");
    fill("curves");
    return;
  }
  const metrics = Object.keys(results.metrics);
  const chosen = metrics.includes($("metric").value) ? $("metric").value : metrics[0];
  fill("metric", options(metrics, chosen));
  const result = results.metrics[chosen];
  if (!result) return;
  const rows = Object.entries(result.arms).map(([arm, a]) =>
    h("tr", { dataset: { arm } }, h("th", {}, arm), h("td", {}, a.runs), h("td", {}, interval(a.mean, a.mean_ci)), h("td", {}, interval(a.iqm, a.iqm_ci))),
  );
  const head = h("tr", {}, ["arm", "runs", "mean [95% CI]", "IQM [95% CI]"].map((c) => h("th", {}, c)));
  fill("results", h("table", {}, h("thead", {}, head), h("tbody", {}, rows)));
  fill("verdicts", result.verdicts.map((line) => h("li", {}, line)));
  fill("curves");
  for (const [arm, points] of Object.entries(result.curves)) curve(arm, chosen, points);
}

// One arm's learning curve: the IQM over runs at each scored point and its 95% band.
function curve(arm, metric, points) {
  const box = h("div", { class: "curve", dataset: { arm } });
  $("curves").append(box);
  const x = points.map((p) => p.agent_steps);
  const plot = new uPlot(
    {
      title: arm,
      width: 420,
      height: 220,
      scales: { x: { time: false } },
      axes: [
        { label: "agent steps", stroke: "#9ca3af", grid: { stroke: "#374151" }, values: (u, ticks) => ticks.map(si) },
        { label: `${metric} (IQM)`, stroke: "#9ca3af", grid: { stroke: "#374151" }, size: 60, values: (u, ticks) => ticks.map(si) },
      ],
      series: [
        { label: "agent steps" },
        { label: "IQM", stroke: "#22d3ee", width: 2, points: { show: true, size: 6, fill: "#22d3ee" } },
        { label: "low", stroke: "#22d3ee55" },
        { label: "high", stroke: "#22d3ee55" },
      ],
      bands: [{ series: [3, 2], fill: "#22d3ee22" }],
      legend: { show: false },
    },
    [x, points.map((p) => p.iqm), points.map((p) => p.ci[0]), points.map((p) => p.ci[1])],
    box,
  );
  page.charts.push(plot);
}

async function open(name) {
  try {
    const details = await getJson(`/api/experiments/${encodeURIComponent(name)}`);
    showError(null);
    page.name = name;
    page.details = details;
    $("experiment").hidden = false;
    $("experiment-name").textContent = name;
    drawRuns(details);
    drawResults(details);
  } catch (e) {
    showError(e.message);
  }
}

$("experiments").onclick = (e) => {
  const a = e.target.closest("a[data-experiment]");
  if (!a) return;
  e.preventDefault();
  history.pushState(null, "", a.href);
  open(a.dataset.experiment);
};
$("metric").onchange = () => page.details && drawResults(page.details);

const found = await listExperiments().catch((e) => showError(e.message));
const wanted = new URLSearchParams(location.search).get("experiment") ?? found?.[0]?.name;
if (wanted) open(wanted);
setInterval(() => page.name && open(page.name), 5000);
