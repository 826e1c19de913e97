// Live play: the server steps one env over a websocket; the page draws each frame and can
// steer one agent with play's keys (while paused, each key press is one step, as in the
// terminal; while playing, the last key pressed is used at the next step and the agent
// waits with noop when no key was pressed). One agent's policy output (its action
// distribution, value estimate and the action taken) can be inspected every step, and its
// recurrent memory zeroed, noised or copied from another agent to watch what changes.
import { GridRenderer, describeAgent } from "./grid.js";
import { fill, h, options } from "./dom.js";
import { LiveState } from "./replay_model.js";
import { getJson, showError } from "./api.js";
import { Tooltip, legend } from "./legend.js";

const $ = (id) => document.getElementById(id);
const renderer = new GridRenderer($("grid"));
const tooltip = new Tooltip($("tooltip"));
const live = (window.live = { socket: null, state: null, step: 0, done: false, playing: false, controlled: null, inspected: null, inspection: null, keys: {}, queued: null, waiting: false });

async function fillChoices() {
  const [{ envs }, { policies }] = await Promise.all([getJson("/api/envs"), getJson("/api/policies")]);
  const params = new URLSearchParams(location.search);
  fill("env", options(envs));
  fill("policy", options(policies));
  if (params.get("env")) $("env").value = params.get("env");
  if (params.get("policy")) $("policy").value = params.get("policy");
}

function draw() {
  const objects = live.state.objects();
  renderer.draw(objects, live.controlled, live.controlled);
  const agent = objects.find((o) => o.type_name === "agent" && o.agent_id === live.controlled);
  fill("agent", describeAgent(agent, live.state.meta));
  $("status").textContent = `step ${live.step} / ${live.maxSteps}${live.done ? " · episode over" : ""}`;
}

function onMessage(event) {
  const message = JSON.parse(event.data);
  live.waiting = false;
  if (message.type === "error") return showError(message.message);
  showError(null);
  if (message.type === "init") {
    live.state = new LiveState(message);
    live.maxSteps = message.max_steps;
    live.keys = message.keys;
    live.step = message.step;
    live.done = false;
    renderer.setMap(live.state.width, live.state.height, live.state.objects(), live.state.meta.vibe_names);
    fill("legend", legend(live.state.objects(), live.state.meta));
    const agents = Array.from({ length: message.num_agents }, (_, a) => a);
    fill("control", h("option", { value: "" }, "no agent"), agents.map((a) => h("option", { value: a }, `agent ${a}`)));
    fill("inspect", h("option", { value: "" }, "no agent"), agents.map((a) => h("option", { value: a }, `agent ${a}`)));
    fill("mem-from", agents.map((a) => h("option", { value: a }, `agent ${a}`)));
    live.inspection = null;
    fill("inspection");
    $("keys").textContent = "keys: " + Object.entries(live.keys).map(([k, a]) => `${k === " " ? "space" : k} ${a}`).join(", ");
    for (const id of ["play", "step", "save"]) $(id).disabled = false;
    if (live.controlled !== null) send({ type: "control", agent: live.controlled });
    else if (live.inspected !== null) send({ type: "inspect", agent: live.inspected });
  } else if (message.type === "frame") {
    live.state.update(message.objects);
    live.step = message.step;
    live.done = message.done;
    if (live.done) setPlaying(false);
    live.inspection = message.inspection;
    showInspection(message.inspection);
  } else if (message.type === "memory") {
    $("mem-done").textContent = `agent ${message.agent}'s memory: ${message.op} (before step ${live.step})`;
  } else if (message.type === "saved") {
    fill("saved", "saved ", h("a", { href: `/replay?replay=${encodeURIComponent(message.name)}` }, message.name));
  }
  draw();
}

// The inspected agent's action distribution as bars (the action taken marked) and its value.
function showInspection(seen) {
  if (!seen) return fill("inspection", live.inspected === null ? [] : h("p", { class: "muted" }, "this policy writes no action distribution"));
  fill(
    "inspection",
    h("p", {}, `agent ${seen.agent}, step ${seen.step}: value `, h("b", { dataset: { field: "value" } }, seen.value === null ? "–" : seen.value.toFixed(3))),
    h(
      "ul",
      { class: "probs" },
      seen.actions.map((name, i) =>
        h(
          "li",
          { dataset: { action: name, prob: seen.probs[i] }, class: name === seen.action ? "taken" : "" },
          h("span", { class: "bar", style: { width: `${(100 * seen.probs[i]).toFixed(1)}%` } }),
          h("span", { class: "label" }, `${name} ${(100 * seen.probs[i]).toFixed(1)}%`),
        ),
      ),
    ),
  );
}

function send(message) {
  if (live.socket?.readyState !== WebSocket.OPEN) return;
  live.waiting = true;
  live.socket.send(JSON.stringify(message));
}

function step(action = null) {
  if (live.done || live.waiting) return;
  send({ type: "step", action });
}

function start() {
  live.socket?.close();
  setPlaying(false);
  const query = new URLSearchParams({ env: $("env").value, policy: $("policy").value, seed: $("seed").value });
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/play?${query}`);
  socket.onmessage = onMessage;
  socket.onclose = () => setPlaying(false);
  live.socket = socket;
  $("saved").textContent = "";
  $("grid").focus();
}

// Playing: one step at a time, the next asked for once the last frame arrived.
let timer = null;
function setPlaying(playing) {
  live.playing = playing && !live.done;
  $("play").textContent = live.playing ? "❚❚" : "▶";
  clearTimeout(timer);
  if (live.playing) loop();
}
function loop() {
  if (!live.playing) return;
  if (!live.waiting) {
    // The steered agent waits (noop) unless a key was pressed since the last step.
    step(live.controlled !== null ? (live.queued ?? "noop") : null);
    live.queued = null;
  }
  timer = setTimeout(loop, 1000 / Number($("speed").value));
}

$("start").onclick = start;
// The tooltip: every field of what stands in the cell under the pointer, now.
$("grid").onmousemove = (e) => {
  if (!live.state) return;
  const [c, r] = renderer.cellAt(e);
  tooltip.show(e, live.state.objects().filter((o) => o.location[0] === c && o.location[1] === r && !o.is_dead), live.state.meta);
};
$("grid").onmouseleave = () => tooltip.hide();
$("play").onclick = () => setPlaying(!live.playing);
$("step").onclick = () => step();
$("save").onclick = () => send({ type: "save" });
$("control").onchange = (e) => {
  live.controlled = e.target.value === "" ? null : Number(e.target.value);
  send({ type: "control", agent: live.controlled });
  $("grid").focus();
};
$("inspect").onchange = (e) => {
  live.inspected = e.target.value === "" ? null : Number(e.target.value);
  send({ type: "inspect", agent: live.inspected });
};
for (const op of ["zero", "random", "copy"]) {
  $(`mem-${op}`).onclick = () => {
    if (live.inspected === null) return showError("choose an agent to inspect first");
    send({ type: "memory", agent: live.inspected, op, ...(op === "copy" ? { from: Number($("mem-from").value) } : {}) });
  };
}
document.addEventListener("keydown", (e) => {
  if (["INPUT", "SELECT"].includes(e.target.tagName)) return;
  if (e.key === "p") return setPlaying(!live.playing);
  if (e.key === "n") return step();
  const action = live.keys[e.key];
  if (!action || live.controlled === null) return;
  e.preventDefault();
  if (live.playing) live.queued = action;
  else step(action);
});
window.addEventListener("resize", () => {
  if (live.state) {
    renderer.resize();
    draw();
  }
});

fillChoices().then(() => {
  if (new URLSearchParams(location.search).has("autostart")) start();
}).catch((e) => showError(e.message));
