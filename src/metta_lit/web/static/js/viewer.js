// The replay viewer: a replay from the list, an upload or ?replay=<name>, drawn at any step.
import { GridRenderer, describeAgent, TEAM_COLORS } from "./grid.js";
import { fill, h } from "./dom.js";
import { Replay } from "./replay_model.js";
import { getJson, showError } from "./api.js";

const $ = (id) => document.getElementById(id);
const renderer = new GridRenderer($("grid"));
// Shared with tests and benchmarks: what is shown, and how fast frames come.
const view = (window.viewer = { replay: null, step: 0, playing: false, selected: null, fps: 0, frames: 0 });

async function listReplays() {
  const { replays } = await getJson("/api/replays");
  fill(
    "replays",
    replays.length
      ? replays.map((r) => h("li", {}, h("a", { href: `?replay=${encodeURIComponent(r.name)}`, dataset: { name: r.name } }, r.name)))
      : h("li", { class: "muted" }, "no replays yet"),
  );
}

function open(data, name) {
  const replay = new Replay(data);
  view.replay = replay;
  view.step = 0;
  view.selected = null;
  renderer.setMap(replay.width, replay.height, replay.stateAt(0));
  $("scrubber").max = replay.maxSteps;
  document.title = `metta-lit · ${name}`;
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

function show(step) {
  const replay = view.replay;
  if (!replay) return;
  view.step = Math.max(0, Math.min(replay.maxSteps, step));
  const states = replay.stateAt(view.step);
  renderer.draw(states, view.selected);
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
  show(view.step);
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

$("play").onclick = () => setPlaying(!view.playing);
$("prev").onclick = () => show(view.step - 1);
$("next").onclick = () => show(view.step + 1);
$("scrubber").oninput = (e) => show(Number(e.target.value));
$("grid").onclick = (e) => {
  const [c, r] = renderer.cellAt(e);
  const agent = view.replay?.stateAt(view.step).find((o) => o.type_name === "agent" && o.location[0] === c && o.location[1] === r);
  select(agent ? agent.agent_id : null);
};
$("agents").onclick = (e) => {
  const li = e.target.closest("li[data-agent]");
  if (li) select(Number(li.dataset.agent));
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
    open(await getJson(`/api/replays/upload?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file }), file.name);
  } catch (err) {
    showError(err.message);
  }
};
document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "INPUT" && e.target.type !== "range") return;
  const agents = view.replay?.meta.num_agents ?? 0;
  const keys = {
    " ": () => setPlaying(!view.playing),
    ArrowLeft: () => show(view.step - 1),
    ArrowRight: () => show(view.step + 1),
    Home: () => show(0),
    End: () => show(view.replay.maxSteps),
    "]": () => select(((view.selected ?? -1) + 1) % agents),
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
    show(view.step);
  }
});

listReplays().catch((e) => showError(e.message));
const wanted = new URLSearchParams(location.search).get("replay");
if (wanted) load(wanted);
