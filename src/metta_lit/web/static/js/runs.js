// The runs dashboard: runs under the data folder, their curves (uPlot), checkpoints and
// config, and the stats DB's scorecard, polled and redrawn when an evaluation lands.
import { fill, h, options } from "./dom.js";
import { getJson, showError } from "./api.js";
import { cellColor, si } from "./scale.js";

const $ = (id) => document.getElementById(id);
const dashboard = (window.dashboard = { run: null, metrics: {}, charts: [], scorecardVersion: undefined, baseline: undefined });

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

// What a curve's numbers are (the y axis' title); other metrics are titled by their name.
const UNITS = {
  "episode/reward": "reward per agent-episode",
  "val/reward": "reward per agent-episode",
  "overview/reward_per_step": "reward per agent-step",
  "overview/sps": "agent-steps / s",
  "env_agent/heart.gained": "hearts per agent-episode",
  "val/heart.gained": "hearts per agent-episode",
};

// A validation row has no agent steps of its own: it ran after the update logged before it.
function filledForward(column) {
  let last = null;
  return column.map((v) => (v === null ? last : (last = v)));
}

function chart(name) {
  const metrics = dashboard.metrics;
  const x = filledForward(metrics[xAxis(metrics)]);
  const sparse = metrics[name].filter((v) => v !== null).length < 64; // validation: a few points
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
        { label: xAxis(metrics) === "step" ? "update" : "agent steps", stroke: "#9ca3af", grid: { stroke: "#374151" }, values: (u, ticks) => ticks.map(si) },
        { label: UNITS[name] ?? name, stroke: "#9ca3af", grid: { stroke: "#374151" }, size: 60, values: (u, ticks) => ticks.map(si) },
      ],
      series: [{ label: xAxis(metrics) }, { label: name, stroke: "#22d3ee", width: 2, spanGaps: true, points: { show: sparse, size: 6, fill: "#22d3ee" } }],
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

// Each cell is the policy's mean metric in a simulation, coloured per simulation around the
// baseline policy's score there (scale.js).
function drawScorecard(card) {
  if (!card.configured) {
    fill("scorecard", h("p", { class: "muted" }, "no stats DB (start serve with --stats_db)"));
    return;
  }
  $("db").textContent = card.path;
  const metric = $("metric").value;
  fill("metric", options(card.metrics.length ? card.metrics : ["reward"], metric));
  if (dashboard.baseline === undefined && card.policies.length) {
    dashboard.baseline = card.policies.find((p) => p.startsWith("random:")) ?? ""; // until the user picks one
  }
  fill("baseline", h("option", { value: "" }, "none (each column's range)"), options(card.policies, dashboard.baseline ?? ""));
  const base = card.policies.indexOf(dashboard.baseline);
  const columns = card.simulations.map((_, j) => card.values.map((row) => row[j]));
  const head = h("tr", {}, h("th", {}, "policy \\ simulation"), card.simulations.map((s) => h("th", {}, s)));
  const rows = card.policies.map((p, i) =>
    h(
      "tr",
      {},
      h("th", {}, p),
      card.values[i].map((v, j) =>
        h("td", { style: { background: cellColor(v, columns[j], base < 0 ? null : card.values[base][j]) } }, v === null ? "–" : Number(v).toFixed(3)),
      ),
    ),
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
$("baseline").onchange = (e) => {
  dashboard.baseline = e.target.value;
  pollScorecard(true);
};

const runs = await listRuns().catch((e) => showError(e.message));
const wanted = new URLSearchParams(location.search).get("run") ?? runs?.[0]?.name;
if (wanted) openRun(wanted);
pollScorecard();
setInterval(pollScorecard, 3000);
