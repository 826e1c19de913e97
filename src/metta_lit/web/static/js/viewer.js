// The replay viewer: a replay from the list, an upload or ?replay=<name>, drawn at any step,
// with the analysis panels (traces, events, agent table, heatmaps, trails, legend, tooltips).
import { GridRenderer, describeAgent, TEAM_COLORS } from "./grid.js";
import { fill, h } from "./dom.js";
import { Replay } from "./replay_model.js";
import { ReplayAnalysis } from "./replay_analysis.js";
import { Traces, traceLegend } from "./traces.js";
import { AgentTable } from "./agent_table.js";
import { Events } from "./events.js";
import { Tooltip, legend } from "./legend.js";
import { Minimap } from "./minimap.js";
import { getJson, showError } from "./api.js";

const $ = (id) => document.getElementById(id);
const renderer = new GridRenderer($("grid"));
// Shared with tests and benchmarks: what is shown, and how fast frames come.
const view = (window.viewer = { replay: null, name: null, analysis: null, step: 0, playing: false, selected: null, seen: null, fps: 0, frames: 0 });
const traces = new Traces($("traces"), (agent, step) => jump(agent, step));
const table = new AgentTable($("agent-table"), $("agent-search"), (agent) => select(agent));
const events = new Events($("event-lane"), $("events"), $("event-kind"), (event) => jump(event.agents[0] ?? view.selected, event.step));
const tooltip = new Tooltip($("tooltip"));
const minimap = new Minimap($("minimap"), (cell) => {
  $("follow").checked = false;
  renderer.centerOn(cell);
  show(view.step);
});
const heat = new Map(); // heatmap choice -> visitation counts (computed once per replay)

async function listReplays() {
  const { replays } = await getJson("/api/replays");
  fill(
    "replays",
    replays.length
      ? replays.map((r) => h("li", {}, h("a", { href: `?replay=${encodeURIComponent(r.name)}`, dataset: { name: r.name } }, r.name)))
      : h("li", { class: "muted" }, "no replays yet"),
  );
}

// `name`: the replay's name in the folder (the server can re-simulate it), or null for an upload.
function open(data, name, label = name) {
  const replay = new Replay(data);
  view.replay = replay;
  view.name = name;
  view.seen = null;
  seenWanted = null;
  view.analysis = new ReplayAnalysis(replay);
  view.step = 0;
  view.selected = null;
  heat.clear();
  const first = replay.stateAt(0);
  renderer.setMap(replay.width, replay.height, first, replay.meta.vibe_names);
  $("scrubber").max = replay.maxSteps;
  document.title = `metta-lit · ${label}`;
  fill("legend", legend(first, replay.meta));
  const teams = view.analysis.teams;
  fill("heatmap", h("option", { value: "off" }, "off"), h("option", { value: "all" }, "all agents"), teams.map((t) => h("option", { value: `team ${t}` }, `team ${t}`)), h("option", { value: "agent" }, "the selected agent"));
  fill("trace-team", h("option", { value: "all" }, "all"), teams.map((t) => h("option", { value: String(t) }, `team ${t}`)));
  fill("trace-legend", traceLegend(replay.meta.action_names));
  setTraces();
  table.set(view.analysis.agents);
  events.set(view.analysis, replay.meta);
  showError(null);
  show(0);
}

async function load(name) {
  try {
    open(await getJson(`/api/replays/${encodeURIComponent(name)}`), name);
  } catch (e) {
    showError(e.message);
  }
}

// The raster's rows: the chosen team's agents, in the chosen order.
function setTraces() {
  const team = $("trace-team").value;
  const by = { id: (a) => a.id, team: (a) => a.team, reward: (a) => -a.stats.reward }[$("trace-sort").value];
  const rows = view.analysis.agents.filter((a) => team === "all" || a.team === Number(team)).sort((a, b) => by(a) - by(b) || a.id - b.id);
  traces.set(view.analysis, view.replay.meta.action_names, rows);
}

// The map's overlays at this step: the chosen visitation heatmap and the selected agent's trail.
function overlay() {
  const analysis = view.analysis;
  const choice = $("heatmap").value;
  const agent = analysis.agents.find((a) => a.id === view.selected);
  let counts = null;
  if (choice !== "off" && (choice !== "agent" || agent)) {
    const key = choice === "agent" ? `agent ${agent.id}` : choice;
    if (!heat.has(key)) {
      const team = choice.startsWith("team ") ? Number(choice.slice(5)) : null;
      heat.set(key, analysis.visitation(choice === "agent" ? (a) => a === agent : team === null ? null : (a) => a.team === team));
    }
    counts = heat.get(key);
  }
  let trail = null;
  if ($("trail").checked && agent) {
    const span = Math.max(1, Number($("trail-steps").value) || 20);
    trail = { past: [], next: [] };
    for (let t = Math.max(0, view.step - span); t <= view.step; t++) trail.past.push([agent.x[t], agent.y[t]]);
    for (let t = view.step; t <= Math.min(analysis.steps - 1, view.step + span); t++) trail.next.push([agent.x[t], agent.y[t]]);
  }
  const seen = view.seen && view.seen.step === view.step && view.seen.agent === view.selected ? view.seen : null;
  const fog = seen && agent ? { x: agent.x[view.step] - (seen.window[0] >> 1), y: agent.y[view.step] - (seen.window[1] >> 1), width: seen.window[0], height: seen.window[1] } : null;
  return { heat: counts, trail, fog };
}

// What the selected agent observed at this step, asked of the server (which re-simulates the
// replay to that step); shown as its window on the map and its tokens in the panel.
// Asked once the step has rested for 150 ms: scrubbing past steps asks nothing of the server.
let seenWanted = null;
let seenTimer = null;
function updateSeen() {
  const want = $("saw").checked && view.selected !== null && view.replay ? `${view.name}:${view.selected}@${view.step}` : null;
  if (want === seenWanted) return;
  seenWanted = want;
  clearTimeout(seenTimer);
  if (!want) return fill("seen");
  if (view.name === null) return fill("seen", h("p", { class: "muted" }, "Only replays from the folder can be re-simulated."));
  seenTimer = setTimeout(() => fetchSeen(want, view.selected, view.step), 150);
}

async function fetchSeen(want, agent, step) {
  try {
    const seen = await getJson(`/api/observation/${encodeURIComponent(view.name)}?step=${step}&agent=${agent}`);
    if (seenWanted !== want) return; // the selection moved on meanwhile
    view.seen = { ...seen, step, agent };
    const cx = seen.window[0] >> 1;
    const cy = seen.window[1] >> 1;
    fill(
      "seen",
      h("p", { class: "muted" }, `agent ${agent} at step ${step}: ${seen.tokens.length} tokens (row, column from the agent)`),
      h("ol", { class: "tokens mono" }, seen.tokens.map((t) => h("li", { dataset: { row: t.row, col: t.col, feature: t.feature, value: t.value } }, `${t.row - cy},${t.col - cx} ${t.feature}=${t.value}`))),
    );
    renderer.draw(view.replay.stateAt(view.step), view.selected, null, overlay());
  } catch (e) {
    fill("seen", h("p", { class: "failed" }, e.message));
  }
}

function show(step) {
  const replay = view.replay;
  if (!replay) return;
  view.step = Math.max(0, Math.min(replay.maxSteps, step));
  const states = replay.stateAt(view.step);
  const followed = view.analysis.agents.find((a) => a.id === view.selected);
  if (followed && $("follow").checked && renderer.zoom > 1) renderer.centerOn([followed.x[view.step], followed.y[view.step]]);
  renderer.draw(states, view.selected, null, overlay());
  minimap.draw(states, renderer);
  traces.draw(view.step, view.selected);
  if (!view.playing) updateSeen();
  view.frames += 1;
  $("scrubber").value = view.step;
  $("step").textContent = `step ${view.step} / ${replay.maxSteps}`;
  const agents = states.filter((o) => o.type_name === "agent").sort((a, b) => a.agent_id - b.agent_id);
  fill("agent", describeAgent(agents.find((a) => a.agent_id === view.selected), replay.meta));
  fill(
    "agents",
    agents.map((a) =>
      h(
        "li",
        { dataset: { agent: a.agent_id }, class: a.agent_id === view.selected ? "selected" : "" },
        h("span", { class: "dot", style: { background: TEAM_COLORS[a.group_id % TEAM_COLORS.length] } }),
        ` ${a.agent_id} `,
        h("span", { class: "muted" }, Number(a.total_reward || 0).toFixed(2)),
      ),
    ),
  );
}

function select(agent) {
  view.selected = agent;
  table.render(agent);
  show(view.step);
}

function jump(agent, step) {
  setPlaying(false);
  view.selected = agent;
  table.render(agent);
  show(step);
}

function setPlaying(playing) {
  view.playing = playing && !!view.replay;
  $("play").textContent = view.playing ? "❚❚" : "▶";
  if (view.playing && view.step >= view.replay.maxSteps) show(0);
}

// Playback: steps advance by wall time × speed; at most one draw per animation frame.
let last = null;
let carried = 0;
let fpsWindow = { start: performance.now(), frames: 0 };
function tick(now) {
  if (view.playing && last !== null) {
    carried += ((now - last) / 1000) * Number($("speed").value);
    const advance = Math.floor(carried);
    if (advance > 0) {
      carried -= advance;
      show(view.step + advance);
      if (view.step >= view.replay.maxSteps) setPlaying(false);
    }
  }
  last = now;
  fpsWindow.frames += 1;
  if (now - fpsWindow.start >= 1000) {
    view.fps = (fpsWindow.frames * 1000) / (now - fpsWindow.start);
    $("fps").textContent = view.playing ? `${view.fps.toFixed(0)} fps` : "";
    fpsWindow = { start: now, frames: 0 };
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
view.show = show;
view.renderer = renderer;

$("play").onclick = () => setPlaying(!view.playing);
$("prev").onclick = () => show(view.step - 1);
$("next").onclick = () => show(view.step + 1);
$("scrubber").oninput = (e) => show(Number(e.target.value));
const objectsAt = (event) => {
  const [c, r] = renderer.cellAt(event);
  const here = (o) => o.location[0] === c && o.location[1] === r && !o.is_dead;
  return view.replay ? view.replay.stateAt(view.step).filter(here) : [];
};
$("grid").onclick = (e) => {
  if (dragged) return;
  const agent = objectsAt(e).find((o) => o.type_name === "agent");
  select(agent ? agent.agent_id : null);
};
// Zoom with the wheel around the pointer; pan by dragging (a drag is not a click).
const zoomBy = (factor, at = null) => {
  if (!view.replay) return;
  const [w, h] = renderer.span;
  renderer.zoomAt(factor, at ?? [renderer.origin[0] + w / 2, renderer.origin[1] + h / 2]);
  show(view.step);
};
$("grid").addEventListener("wheel", (e) => {
  e.preventDefault();
  zoomBy(e.deltaY < 0 ? 1.25 : 0.8, renderer.cellAt(e, true));
}, { passive: false });
let drag = null;
let dragged = false;
$("grid").addEventListener("mousedown", (e) => {
  drag = { x: e.clientX, y: e.clientY, origin: [...renderer.origin] };
  dragged = false;
});
window.addEventListener("mouseup", () => (drag = null));
window.addEventListener("mousemove", (e) => {
  if (!drag || !view.replay) return;
  const size = renderer.cell * renderer.zoom;
  if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 3) dragged = true;
  if (!dragged) return;
  $("follow").checked = false;
  renderer.panTo([drag.origin[0] - (e.clientX - drag.x) / size, drag.origin[1] - (e.clientY - drag.y) / size]);
  show(view.step);
});
$("zoom-in").onclick = () => zoomBy(1.5);
$("zoom-out").onclick = () => zoomBy(1 / 1.5);
$("zoom-fit").onclick = () => zoomBy(1 / 16);
$("follow").onchange = () => show(view.step);
$("grid").onmousemove = (e) => tooltip.show(e, objectsAt(e), view.replay?.meta);
$("grid").onmouseleave = () => tooltip.hide();
$("agents").onclick = (e) => {
  const li = e.target.closest("li[data-agent]");
  if (li) select(Number(li.dataset.agent));
};
for (const id of ["heatmap", "trail", "trail-steps", "saw"]) $(id).addEventListener("input", () => show(view.step));
for (const id of ["trace-sort", "trace-team"]) $(id).addEventListener("change", () => view.analysis && (setTraces(), show(view.step)));
document.querySelector(".tabs").onclick = (e) => {
  const tab = e.target.closest("button[data-tab]")?.dataset.tab;
  if (!tab) return;
  for (const button of document.querySelectorAll(".tabs button")) button.classList.toggle("active", button.dataset.tab === tab);
  for (const panel of document.querySelectorAll(".tab")) panel.hidden = panel.id !== `tab-${tab}`;
  if (tab === "traces" && view.analysis) (setTraces(), show(view.step)); // sized while visible
};
$("replays").onclick = (e) => {
  const a = e.target.closest("a[data-name]");
  if (!a) return;
  e.preventDefault();
  history.pushState(null, "", a.href);
  load(a.dataset.name);
};
$("upload").onchange = async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  try {
    open(await getJson(`/api/replays/upload?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file }), null, file.name);
  } catch (err) {
    showError(err.message);
  }
};
document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "INPUT" && e.target.type !== "range" && e.target.type !== "checkbox") return;
  const agents = view.replay?.meta.num_agents ?? 0;
  const keys = {
    " ": () => setPlaying(!view.playing),
    ArrowLeft: () => show(view.step - 1),
    ArrowRight: () => show(view.step + 1),
    Home: () => show(0),
    End: () => show(view.replay.maxSteps),
    "]": () => select(((view.selected ?? -1) + 1) % agents),
    "+": () => zoomBy(1.5),
    "=": () => zoomBy(1.5),
    "-": () => zoomBy(1 / 1.5),
    0: () => zoomBy(1 / 16),
    "[": () => select(((view.selected ?? 0) - 1 + agents) % agents),
  };
  if (keys[e.key] && view.replay) {
    e.preventDefault();
    keys[e.key]();
  }
});
window.addEventListener("resize", () => {
  if (view.replay) {
    renderer.resize();
    setTraces();
    show(view.step);
  }
});

listReplays().catch((e) => showError(e.message));
const wanted = new URLSearchParams(location.search).get("replay");
if (wanted) load(wanted);
