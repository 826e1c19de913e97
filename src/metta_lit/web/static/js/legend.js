// What the map's colours mean (the object kinds present, the teams, the items) and a tooltip
// with every field of whatever stands in the cell under the pointer.
import { TEAM_COLORS, WALL_COLOR, typeColor, vibeColor } from "./grid.js";
import { h } from "./dom.js";

const swatch = (color, round = false) => h("span", { class: round ? "swatch round" : "swatch", style: { background: color } });

export function legend(objects, meta) {
  const kinds = [...new Set(objects.filter((o) => o.type_name !== "agent").map((o) => o.type_name))].sort();
  const teams = [...new Set(objects.filter((o) => o.type_name === "agent").map((o) => o.group_id))].sort((a, b) => a - b);
  const vibes = (meta.vibe_names || []).slice(1); // vibe 0, every agent's start, has no badge
  return [
    h("ul", { class: "legend", dataset: { part: "objects" } }, kinds.map((kind) => h("li", { dataset: { kind } }, swatch(kind === "wall" ? WALL_COLOR : typeColor(kind)), ` ${kind}`))),
    h("ul", { class: "legend", dataset: { part: "teams" } }, teams.map((team) => h("li", { dataset: { team } }, swatch(TEAM_COLORS[team % TEAM_COLORS.length], true), ` team ${team}`))),
    h("ul", { class: "legend", dataset: { part: "vibes" } }, vibes.map((vibe, k) => h("li", { dataset: { vibe } }, swatch(vibeColor(k + 1)), ` vibe ${vibe}`))),
    h(
      "p",
      { class: "muted" },
      "A white badge: output waiting to be taken; dimmed: cooling down; yellow outline: converting; red cross: clipped (agents must repair it); pale blue agent: frozen; an agent's corner badge: the vibe it shows. Items: ",
      (meta.item_names || []).join(", ") || "none",
    ),
  ];
}

// One object's state as text lines "field: value" (values from the replay, shown as text).
function describe(object, meta) {
  const lines = [];
  for (const [key, value] of Object.entries(object)) {
    let shown = value;
    if (key === "inventory") {
      shown = (Array.isArray(value) ? value : []).map(([item, n]) => `${meta.item_names[item] ?? item}×${n}`).join(" ") || "—";
    } else if (key === "action_id") shown = meta.action_names[value] ?? value;
    else if (Array.isArray(value)) shown = JSON.stringify(value);
    lines.push(h("div", {}, h("span", { class: "muted" }, `${key}: `), String(shown)));
  }
  return h("div", { class: "object" }, lines);
}

export class Tooltip {
  constructor(box) {
    this.box = box;
  }

  show(event, objects, meta) {
    if (!objects.length) return this.hide();
    this.box.replaceChildren(...objects.map((o) => describe(o, meta)));
    this.box.hidden = false;
    this.box.style.left = `${event.clientX + 14}px`;
    this.box.style.top = `${event.clientY + 14}px`;
  }

  hide() {
    this.box.hidden = true;
  }
}
