// The runs dashboard: runs under the data folder, their curves (uPlot), checkpoints and
// config, and the stats DB's scorecard, polled and redrawn when an evaluation lands.
import { escapeHtml } from "./grid.js";
import { getJson, showError } from "./api.js";

const $ = (id) => document.getElementById(id);
const dashboard = (window.dashboard = { run: null, metrics: {}, charts: [], scorecardVersion: undefined });

async function listRuns() {
  const { folder, runs } = await getJson("/api/runs");
  $("folder").textContent = folder;
  $("runs").innerHTML =
    runs
      .map(
        (r) => `<li><a href="?run=${encodeURIComponent(r.name)}" data-run="${escapeHtml(r.name)}">${escapeHtml(r.name)}</a>
          <small class=muted>${r.policies} policies</small></li>`,
      )
      .join("") || "<li class=muted>no runs yet</li>";
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
    $("curves").innerHTML = "";
    const available = Object.keys(metrics).filter((m) => !["step", "epoch", xAxis(metrics)].includes(m));
    for (const m of details.default_curves.filter((m) => m in metrics)) chart(m);
    $("more").innerHTML = `<option value="">…</option>` + available.map((m) => `<option>${escapeHtml(m)}</option>`).join("");
    $("checkpoints").innerHTML =
      details.checkpoints
        .map(
          (c) => `<tr><td>v${c.version}</td><td><code>${escapeHtml(c.uri)}</code></td>
          <td><button data-checkpoint="${escapeHtml(c.name)}">open a replay</button>
          <a href="/play?${new URLSearchParams({ policy: c.path, env: details.env ?? "" })}">play</a></td></tr>`,
        )
        .join("") || `<tr><td colspan=3 class=muted>no policy files yet</td></tr>`;
  } catch (e) {
    showError(e.message);
  }
}

// A red→green heatmap: each cell is the policy's mean metric in a simulation.
function drawScorecard(card) {
  if (!card.configured) {
    $("scorecard").innerHTML = "<p class=muted>no stats DB (start serve with --stats_db)</p>";
    return;
  }
  $("db").textContent = card.path;
  const metric = $("metric").value;
  $("metric").innerHTML = (card.metrics.length ? card.metrics : ["reward"])
    .map((m) => `<option ${m === metric ? "selected" : ""}>${escapeHtml(m)}</option>`)
    .join("");
  const values = card.values.flat().filter((v) => v !== null);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const color = (v) => {
    if (v === null) return "transparent";
    const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    return `hsl(${Math.round(t * 120)}, 65%, 35%)`;
  };
  const head = card.simulations.map((s) => `<th>${escapeHtml(s)}</th>`).join("");
  const rows = card.policies
    .map(
      (p, i) =>
        `<tr><th>${escapeHtml(p)}</th>${card.values[i]
          .map((v) => `<td style="background:${color(v)}">${v === null ? "–" : v.toFixed(3)}</td>`)
          .join("")}</tr>`,
    )
    .join("");
  $("scorecard").innerHTML = card.policies.length
    ? `<table data-version="${card.version}"><thead><tr><th>policy \\ simulation</th>${head}</tr></thead><tbody>${rows}</tbody></table>`
    : "<p class=muted>no evaluations yet</p>";
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
