// The agents × steps raster: one row per agent, one column per step (several steps per pixel
// on long replays), coloured by the action taken; failed actions dim, frozen steps pale blue.
// A click calls back with the (agent, step) under the pointer; a line marks the current step.
import { h } from "./dom.js";

const FROZEN = "#bfdbfe";
const FAMILY_COLORS = [
  ["noop", "#374151"],
  ["move", "#3b82f6"],
  ["rotate", "#6366f1"],
  ["get", "#22c55e"],
  ["put", "#f59e0b"],
  ["attack", "#ef4444"],
  ["swap", "#a855f7"],
  ["change", "#ec4899"],
];

export function actionColor(name) {
  const family = FAMILY_COLORS.find(([prefix]) => name.startsWith(prefix));
  if (family) return family[1];
  let hue = 0;
  for (const ch of name) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${hue}, 60%, 55%)`;
}

// The legend of the raster's colours: the action families this replay's actions fall in.
export function traceLegend(actionNames) {
  const seen = new Map();
  for (const name of actionNames) seen.set(actionColor(name), seen.get(actionColor(name)) ?? name.replace(/_.*$/, ""));
  return [
    ...[...seen].map(([color, name]) => h("span", { class: "key" }, h("span", { class: "swatch", style: { background: color } }), name)),
    h("span", { class: "key" }, h("span", { class: "swatch dim", style: { background: "#3b82f6" } }), "failed"),
    h("span", { class: "key" }, h("span", { class: "swatch", style: { background: FROZEN } }), "frozen"),
  ];
}

export class Traces {
  constructor(canvas, onPick) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.rowHeight = 8;
    this.order = [];
    this.analysis = null;
    this.image = null;
    canvas.addEventListener("click", (e) => {
      const pick = this.at(e);
      if (pick) onPick(pick.agent, pick.step);
    });
  }

  // Draws every row once into an offscreen image, one canvas pixel per screen pixel (a step
  // spans several pixels on short replays, a pixel several steps on long ones); `draw` then
  // adds only the selection and the step cursor.
  set(analysis, actionNames, order) {
    this.analysis = analysis;
    this.order = order;
    const width = Math.max(200, Math.floor(this.canvas.parentElement.getBoundingClientRect().width) - 4);
    this.canvas.width = width;
    this.canvas.height = Math.max(1, order.length * this.rowHeight);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${this.canvas.height}px`;
    const colors = actionNames.map(actionColor);
    const ctx = this.ctx;
    ctx.fillStyle = "#0b1120";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    order.forEach((agent, row) => {
      for (let x = 0; x < width; x++) {
        const t = this.stepAt(x);
        ctx.globalAlpha = agent.success[t] || agent.frozen[t] ? 1 : 0.35;
        ctx.fillStyle = agent.frozen[t] ? FROZEN : colors[agent.action[t]] ?? "#6b7280";
        ctx.fillRect(x, row * this.rowHeight, 1, this.rowHeight - 1);
      }
    });
    ctx.globalAlpha = 1;
    this.image = ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  stepAt(x) {
    return Math.min(this.analysis.steps - 1, Math.floor((x * this.analysis.steps) / this.canvas.width));
  }

  draw(step, selected) {
    if (!this.image) return;
    const ctx = this.ctx;
    ctx.putImageData(this.image, 0, 0);
    const row = this.order.findIndex((a) => a.id === selected);
    if (row >= 0) {
      ctx.strokeStyle = "#facc15";
      ctx.strokeRect(0.5, row * this.rowHeight + 0.5, this.canvas.width - 1, this.rowHeight - 1);
    }
    const span = this.canvas.width / this.analysis.steps;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(Math.floor(step * span), 0, Math.max(1, Math.floor(span)), this.canvas.height);
  }

  // The (agent id, step) under a mouse event, or null.
  at(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = Math.floor(event.clientX - rect.left);
    const agent = this.order[Math.floor((event.clientY - rect.top) / this.rowHeight)];
    if (!agent || x < 0 || x >= this.canvas.width) return null;
    return { agent: agent.id, step: this.stepAt(x) };
  }
}
