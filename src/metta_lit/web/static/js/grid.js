import { h } from "./dom.js";
// Draws MettaGrid frames on a canvas; the replay viewer and live play share it.
//
// A frame is a list of object states in the replay's field layout: {id, type_name,
// location: [c, r, layer], orientation, inventory: [[item, count]], agent_id, group_id,
// is_frozen, is_cooling_down, is_converting, glyph (an agent's vibe), is_clipped}. Walls never
// move, so they are drawn once into an offscreen layer that every frame starts from; a frame
// then costs one blit plus the objects that can change.
//
// Zoom and pan: the canvas keeps the size that fits the whole map; `zoom` (1 = the whole map)
// and `origin` (the top-left visible cell, fractional) transform what is drawn, so cell
// coordinates stay the drawing units at any zoom.

// Orientation index -> unit step (the native catalog's order: N, S, W, E, NW, NE, SW, SE).
const DIRECTIONS = [[0, -1], [0, 1], [-1, 0], [1, 0], [-1, -1], [1, -1], [-1, 1], [1, 1]];
export const TEAM_COLORS = ["#22d3ee", "#e879f9", "#4ade80", "#facc15", "#60a5fa", "#f87171"];
const TYPE_COLORS = {
  block: "#9ca3af",
  altar: "#d946ef",
  mine_red: "#b91c1c",
  mine_blue: "#1d4ed8",
  mine_green: "#15803d",
  generator_red: "#ef4444",
  generator_blue: "#3b82f6",
  generator_green: "#22c55e",
  lasery: "#eab308",
  armory: "#e5e7eb",
  lab: "#06b6d4",
  factory: "#0891b2",
  temple: "#a78bfa",
};
export const WALL_COLOR = "#4b5563";
// An agent's vibe (its glyph value; 0, every agent's start, is not drawn) as a corner badge.
const VIBE_COLORS = ["#f472b6", "#fb923c", "#a3e635", "#2dd4bf", "#818cf8", "#fcd34d", "#e879f9", "#94a3b8"];
export const vibeColor = (vibe) => VIBE_COLORS[(vibe - 1) % VIBE_COLORS.length];
const CLIPPED = "#ef4444";

// A vibe's name: from the env's vibe_names, else its number (classic glyphs have no names).
export function vibeName(meta, vibe) {
  return meta.vibe_names?.[vibe] ?? `glyph ${vibe}`;
}
const FLOOR = "#111827";

export function typeColor(name) {
  if (TYPE_COLORS[name]) return TYPE_COLORS[name];
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h}, 60%, 55%)`;
}

export class GridRenderer {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.width = 1;
    this.height = 1;
    this.cell = 8;
    this.walls = null;
    this.zoom = 1;
    this.origin = [0, 0];
    this.vibeNames = [];
  }

  // Cells visible across and down at this zoom.
  get span() {
    return [this.width / this.zoom, this.height / this.zoom];
  }

  // Zooms by `factor` (clamped to 1x-16x) keeping the cell at [c, r] where it is on screen.
  zoomAt(factor, [c, r]) {
    const zoom = Math.min(16, Math.max(1, this.zoom * factor));
    const [ox, oy] = this.origin;
    const keep = this.zoom / zoom;
    this.zoom = zoom;
    this.panTo([c - (c - ox) * keep, r - (r - oy) * keep]);
  }

  // Moves the top-left visible cell to `origin`, kept inside the map.
  panTo([x, y]) {
    const [w, h] = this.span;
    this.origin = [Math.min(Math.max(0, x), this.width - w), Math.min(Math.max(0, y), this.height - h)];
  }

  // Centres the view on a cell (following an agent while zoomed in).
  centerOn([c, r]) {
    const [w, h] = this.span;
    this.panTo([c + 0.5 - w / 2, r + 0.5 - h / 2]);
  }

  // The map's size and its walls (drawn once), and the vibes' names (badges' letters); call
  // when a replay or game starts.
  setMap(width, height, objects, vibeNames = []) {
    this.width = width;
    this.height = height;
    this.vibeNames = vibeNames;
    this.wallCells = objects.filter((o) => o.type_name === "wall").map((o) => o.location);
    this.zoom = 1;
    this.origin = [0, 0];
    this.resize();
  }

  // Fits the map into the canvas's box at the screen's pixel density.
  resize() {
    const box = this.canvas.parentElement.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const cell = Math.max(2, Math.floor(Math.min(box.width / this.width, (box.height || box.width) / this.height)));
    this.cell = cell;
    this.canvas.style.width = `${cell * this.width}px`;
    this.canvas.style.height = `${cell * this.height}px`;
    this.canvas.width = Math.round(cell * this.width * dpr);
    this.canvas.height = Math.round(cell * this.height * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.walls = document.createElement("canvas");
    this.walls.width = this.canvas.width;
    this.walls.height = this.canvas.height;
    const w = this.walls.getContext("2d");
    w.setTransform(dpr, 0, 0, dpr, 0, 0);
    w.fillStyle = FLOOR;
    w.fillRect(0, 0, cell * this.width, cell * this.height);
    w.fillStyle = WALL_COLOR;
    for (const [c, r] of this.wallCells || []) w.fillRect(c * cell, r * cell, cell, cell);
    this.panTo(this.origin);
  }

  // The cell under a mouse event, as [c, r] (fractional with `exact`).
  cellAt(event, exact = false) {
    const rect = this.canvas.getBoundingClientRect();
    const size = this.cell * this.zoom;
    const c = (event.clientX - rect.left) / size + this.origin[0];
    const r = (event.clientY - rect.top) / size + this.origin[1];
    return exact ? [c, r] : [Math.floor(c), Math.floor(r)];
  }

  // `overlay`: {heat: counts per cell (row-major) or null, trail: {past, next} cells or null}.
  draw(objects, selected = null, controlled = null, overlay = {}) {
    const ctx = this.ctx;
    const s = this.cell;
    const dpr = window.devicePixelRatio || 1;
    const scale = dpr * this.zoom;
    ctx.setTransform(scale, 0, 0, scale, -this.origin[0] * s * scale, -this.origin[1] * s * scale);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.walls, 0, 0, this.width * s, this.height * s);
    if (overlay.heat) this.drawHeat(overlay.heat);
    for (const o of objects) {
      if (o.type_name === "wall") continue;
      const [c, r] = o.location;
      const x = c * s;
      const y = r * s;
      if (o.type_name === "agent") this.drawAgent(o, x, y, s, o.agent_id === selected, o.agent_id === controlled);
      else this.drawObject(o, x, y, s);
    }
    if (overlay.fog) this.drawFog(overlay.fog);
    if (overlay.trail) {
      this.drawTrail(overlay.trail.past, "rgba(250,204,21,0.9)");
      this.drawTrail(overlay.trail.next, "rgba(255,255,255,0.45)");
    }
  }

  // Visitation under the objects: orange with opacity by log(count) / log(max count).
  drawHeat(counts) {
    const ctx = this.ctx;
    const s = this.cell;
    const top = Math.log1p(counts.reduce((a, b) => Math.max(a, b), 0)) || 1;
    ctx.fillStyle = "#f97316";
    for (let i = 0; i < counts.length; i++) {
      if (!counts[i]) continue;
      ctx.globalAlpha = 0.15 + (0.7 * Math.log1p(counts[i])) / top;
      ctx.fillRect((i % this.width) * s, Math.floor(i / this.width) * s, s, s);
    }
    ctx.globalAlpha = 1;
  }

  // Darkens every cell outside a rectangle of cells {x, y, width, height} (an agent's view).
  drawFog({ x, y, width, height }) {
    const ctx = this.ctx;
    const s = this.cell;
    ctx.fillStyle = "rgba(2,6,23,0.7)";
    ctx.beginPath();
    ctx.rect(0, 0, this.width * s, this.height * s);
    ctx.rect(x * s, y * s, width * s, height * s);
    ctx.fill("evenodd");
    ctx.strokeStyle = "#facc15";
    ctx.lineWidth = 1;
    ctx.strokeRect(x * s + 0.5, y * s + 0.5, width * s - 1, height * s - 1);
  }

  // A path through cell centres: the selected agent's steps before (yellow) or after (white) now.
  drawTrail(cells, color) {
    if (cells.length < 2) return;
    const ctx = this.ctx;
    const s = this.cell;
    ctx.strokeStyle = color;
    ctx.lineWidth = Math.max(1, s * 0.15);
    ctx.lineJoin = "round";
    ctx.beginPath();
    cells.forEach(([c, r], i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, c * s + s / 2, r * s + s / 2));
    ctx.stroke();
  }

  drawObject(o, x, y, s) {
    const ctx = this.ctx;
    const pad = Math.max(1, s * 0.1);
    ctx.globalAlpha = o.is_cooling_down || o.is_clipped ? 0.35 : 1;
    ctx.fillStyle = typeColor(o.type_name);
    ctx.fillRect(x + pad, y + pad, s - 2 * pad, s - 2 * pad);
    ctx.globalAlpha = 1;
    if (o.is_clipped) {
      // Clipped: a red cross until agents repair it.
      ctx.strokeStyle = CLIPPED;
      ctx.lineWidth = Math.max(1, s * 0.12);
      ctx.beginPath();
      ctx.moveTo(x + pad, y + pad);
      ctx.lineTo(x + s - pad, y + s - pad);
      ctx.moveTo(x + s - pad, y + pad);
      ctx.lineTo(x + pad, y + s - pad);
      ctx.stroke();
    }
    if (o.is_converting) {
      ctx.strokeStyle = "#fde047";
      ctx.lineWidth = Math.max(1, s * 0.08);
      ctx.strokeRect(x + pad, y + pad, s - 2 * pad, s - 2 * pad);
    }
    const held = (o.inventory || []).reduce((sum, [, n]) => sum + n, 0);
    if (held > 0) {
      // Output waiting to be taken: a white badge with the count.
      ctx.fillStyle = "#ffffff";
      ctx.beginPath();
      ctx.arc(x + s * 0.75, y + s * 0.25, Math.max(1.5, s * 0.2), 0, 2 * Math.PI);
      ctx.fill();
      if (s >= 14) {
        ctx.fillStyle = "#111827";
        ctx.font = `${Math.floor(s * 0.3)}px sans-serif`;
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.fillText(String(held), x + s * 0.75, y + s * 0.26);
      }
    }
  }

  drawAgent(o, x, y, s, selected, controlled) {
    const ctx = this.ctx;
    const cx = x + s / 2;
    const cy = y + s / 2;
    const radius = s * 0.38;
    if (selected || controlled) {
      ctx.fillStyle = controlled ? "rgba(255,255,255,0.55)" : "rgba(250,204,21,0.55)";
      ctx.fillRect(x, y, s, s);
    }
    ctx.fillStyle = TEAM_COLORS[(o.group_id || 0) % TEAM_COLORS.length];
    ctx.beginPath();
    ctx.arc(cx, cy, radius, 0, 2 * Math.PI);
    ctx.fill();
    if (o.is_frozen) {
      ctx.fillStyle = "rgba(191,219,254,0.75)";
      ctx.fill();
      ctx.strokeStyle = "#93c5fd";
      ctx.lineWidth = Math.max(1, s * 0.1);
      ctx.stroke();
    }
    // Orientation: a dark wedge from the centre towards the facing side.
    const [dx, dy] = DIRECTIONS[o.orientation] || DIRECTIONS[0];
    const norm = Math.hypot(dx, dy);
    const ux = dx / norm;
    const uy = dy / norm;
    ctx.fillStyle = "#0f172a";
    ctx.beginPath();
    ctx.moveTo(cx + ux * radius, cy + uy * radius);
    ctx.lineTo(cx - uy * radius * 0.45, cy + ux * radius * 0.45);
    ctx.lineTo(cx + uy * radius * 0.45, cy - ux * radius * 0.45);
    ctx.closePath();
    ctx.fill();
    if (o.glyph > 0) this.drawVibe(o.glyph, x, y, s);
  }

  // The vibe an agent shows: a badge in its top-left corner, with the name's initial when
  // cells are large enough to read it.
  drawVibe(vibe, x, y, s) {
    const ctx = this.ctx;
    const size = Math.max(2, s * 0.36);
    ctx.fillStyle = vibeColor(vibe);
    ctx.fillRect(x, y, size, size);
    if (s >= 20) {
      ctx.fillStyle = "#111827";
      ctx.font = `bold ${Math.floor(size * 0.8)}px sans-serif`;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(String(this.vibeNames[vibe] ?? vibe).charAt(0), x + size / 2, y + size / 2 + 0.5);
    }
  }
}

// The agent panel: inventory, last action and whether it worked, rewards, frozen state
// (as nodes: every field comes from a replay file or the server).
export function describeAgent(agent, meta) {
  if (!agent) return [h("p", { class: "muted" }, "Click an agent to follow it.")];
  const items = (agent.inventory || []).map(([item, n]) => h("li", {}, `${meta.item_names[item] ?? `item ${item}`}: `, h("b", {}, n)));
  const action = meta.action_names[agent.action_id] ?? `action ${agent.action_id}`;
  const param = agent.action_param ? ` (${agent.action_param})` : "";
  const frozen = agent.is_frozen ? h("span", { class: "frozen" }, `frozen ${agent.freeze_remaining} more`) : "no";
  const location = agent.location || [];
  return [
    h("h3", {}, `agent ${agent.agent_id} `, h("small", {}, `team ${agent.group_id}`)),
    h(
      "dl",
      {},
      h("dt", {}, "last action"),
      h("dd", { "data-field": "action" }, `${action}${param} `, h("span", { class: agent.action_success ? "ok" : "failed" }, agent.action_success ? "succeeded" : "failed")),
      h("dt", {}, "reward so far"),
      h("dd", { "data-field": "total_reward" }, Number(agent.total_reward || 0).toFixed(3)),
      h("dt", {}, "this step"),
      h("dd", {}, Number(agent.current_reward || 0).toFixed(3)),
      h("dt", {}, "position"),
      h("dd", { "data-field": "location" }, `${location[0]}, ${location[1]}`),
      h("dt", {}, "frozen"),
      h("dd", {}, frozen),
      h("dt", {}, "vibe"),
      h("dd", { "data-field": "vibe" }, agent.glyph > 0 ? vibeName(meta, agent.glyph) : (meta.vibe_names?.[0] ?? "none")),
    ),
    h("h4", {}, "inventory"),
    h("ul", { class: "inventory" }, items.length ? items : h("li", { class: "muted" }, "empty")),
  ];
}
