// The runs dashboard: runs under the data folder, their curves (uPlot), checkpoints and
// config, and the stats DB's scorecard, polled and redrawn when an evaluation lands.
import { fill, h, options } from "./dom.js";
import { getJson, showError } from "./api.js";

const $ = (id) => document.getElementById(id);
const dashboard = (window.dashboard = { run: null, metrics: {}, charts: [], scorecardVersion: undefined });

async function listRuns() {
  const { folder, runs } = await getJson("/api/runs");
  $("folder").textContent = folder;
  fill(
    "runs",
    runs.length
      ? runs.map((r) =>
          h("li", {}, h("a", { href: `?run=${encodeURIComponent(r.name)}`, dataset: { run: r.name } }, r.name), " ", h("small", { class: "muted" }, `${r.policies} policies`)),
        )
      : h("li", { class: "muted" }, "no runs yet"),
  );
  return runs;
}

function xAxis(metrics) {
  return metrics["overview/agent_steps"] ? "overview/agent_steps" : "step";
}

function chart(name) {
  const metrics = dashboard.metrics;
  const x = metrics[xAxis(metrics)];
  const box = document.createElement("div");
  box.className = "curve";
  box.dataset.metric = name;
  $("curves").append(box);
  const plot = new uPlot(
    {
      title: name,
      width: 420,
      height: 220,
      scales: { x: { time: false } },
      axes: [
        { stroke: "#9ca3af", grid: { stroke: "#374151" } },
        { stroke: "#9ca3af", grid: { stroke: "#374151" }, size: 60, values: (u, ticks) => ticks.map((v) => +v.toPrecision(3)) },
      ],
      series: [{ label: xAxis(metrics) }, { label: name, stroke: "#22d3ee", width: 2, spanGaps: true }],
      legend: { show: false },
    },
    [x, metrics[name]],
    box,
  );
  dashboard.charts.push(plot);
}

async function openRun(name) {
  try {
    const [details, metrics] = await Promise.all([
      getJson(`/api/runs/${encodeURIComponent(name)}`),
      getJson(`/api/runs/${encodeURIComponent(name)}/metrics`),
    ]);
    showError(null);
    dashboard.run = details;
    dashboard.metrics = metrics;
    $("run").hidden = false;
    $("run-name").textContent = name;
    $("config").textContent = details.config ?? "(no logs/config.yaml)";
    dashboard.charts.forEach((c) => c.destroy());
    dashboard.charts = [];
    fill("curves");
    const available = Object.keys(metrics).filter((m) => !["step", "epoch", xAxis(metrics)].includes(m));
    for (const m of details.default_curves.filter((m) => m in metrics)) chart(m);
    fill("more", h("option", { value: "" }, "…"), options(available));
    fill(
      "checkpoints",
      details.checkpoints.length
        ? details.checkpoints.map((c) =>
            h(
              "tr",
              {},
              h("td", {}, `v${c.version}`),
              h("td", {}, h("code", {}, c.uri)),
              h(
                "td",
                {},
                h("button", { dataset: { checkpoint: c.name } }, "open a replay"),
                " ",
                h("a", { href: `/play?${new URLSearchParams({ policy: c.path, env: details.env ?? "" })}` }, "play"),
              ),
            ),
          )
        : h("tr", {}, h("td", { colspan: 3, class: "muted" }, "no policy files yet")),
    );
  } catch (e) {
    showError(e.message);
  }
}

// A red→green heatmap: each cell is the policy's mean metric in a simulation.
function drawScorecard(card) {
  if (!card.configured) {
    fill("scorecard", h("p", { class: "muted" }, "no stats DB (start serve with --stats_db)"));
    return;
  }
  $("db").textContent = card.path;
  const metric = $("metric").value;
  fill("metric", options(card.metrics.length ? card.metrics : ["reward"], metric));
  const values = card.values.flat().filter((v) => v !== null);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const color = (v) => {
    if (v === null) return "transparent";
    const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    return `hsl(${Math.round(t * 120)}, 65%, 35%)`;
  };
  const head = h("tr", {}, h("th", {}, "policy \\ simulation"), card.simulations.map((s) => h("th", {}, s)));
  const rows = card.policies.map((p, i) =>
    h("tr", {}, h("th", {}, p), card.values[i].map((v) => h("td", { style: { background: color(v) } }, v === null ? "–" : Number(v).toFixed(3)))),
  );
  fill(
    "scorecard",
    card.policies.length
      ? h("table", { dataset: { version: card.version } }, h("thead", {}, head), h("tbody", {}, rows))
      : h("p", { class: "muted" }, "no evaluations yet"),
  );
}

async function pollScorecard(force = false) {
  try {
    const card = await getJson(`/api/scorecard?metric=${encodeURIComponent($("metric").value)}`);
    if (force || card.version !== dashboard.scorecardVersion) {
      dashboard.scorecardVersion = card.version;
      drawScorecard(card);
    }
  } catch (e) {
    showError(e.message);
  }
}

$("runs").onclick = (e) => {
  const a = e.target.closest("a[data-run]");
  if (!a) return;
  e.preventDefault();
  history.pushState(null, "", a.href);
  openRun(a.dataset.run);
};
$("more").onchange = (e) => {
  if (e.target.value) chart(e.target.value);
  e.target.value = "";
};
$("checkpoints").onclick = async (e) => {
  const button = e.target.closest("button[data-checkpoint]");
  if (!button) return;
  button.disabled = true;
  button.textContent = "playing an episode…";
  try {
    const query = new URLSearchParams({ checkpoint: button.dataset.checkpoint });
    const { url } = await getJson(`/api/runs/${encodeURIComponent(dashboard.run.name)}/replay?${query}`, { method: "POST" });
    location.href = url;
  } catch (err) {
    showError(err.message);
    button.disabled = false;
    button.textContent = "open a replay";
  }
};
$("metric").onchange = () => pollScorecard(true);

const runs = await listRuns().catch((e) => showError(e.message));
const wanted = new URLSearchParams(location.search).get("run") ?? runs?.[0]?.name;
if (wanted) openRun(wanted);
pollScorecard();
setInterval(pollScorecard, 3000);
