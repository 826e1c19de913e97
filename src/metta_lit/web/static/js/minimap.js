// The whole map in miniature beside a zoomed view: walls, objects and agents (team colours)
// as pixels, and the rectangle the main view shows; a click calls back with the cell.
import { TEAM_COLORS, WALL_COLOR, typeColor } from "./grid.js";

export class Minimap {
  constructor(canvas, onPick) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.scale = 1;
    canvas.addEventListener("click", (e) => {
      const rect = canvas.getBoundingClientRect();
      onPick([(e.clientX - rect.left) / this.scale, (e.clientY - rect.top) / this.scale]);
    });
  }

  draw(objects, renderer) {
    const { width, height } = renderer;
    this.scale = Math.max(1, Math.floor(Math.min(200 / width, 200 / height)));
    const s = this.scale;
    if (this.canvas.width !== width * s || this.canvas.height !== height * s) {
      this.canvas.width = width * s;
      this.canvas.height = height * s;
    }
    const ctx = this.ctx;
    ctx.fillStyle = "#111827";
    ctx.fillRect(0, 0, width * s, height * s);
    for (const o of objects) {
      const [c, r] = o.location;
      if (o.type_name === "agent") ctx.fillStyle = TEAM_COLORS[(o.group_id || 0) % TEAM_COLORS.length];
      else ctx.fillStyle = o.type_name === "wall" ? WALL_COLOR : typeColor(o.type_name);
      ctx.fillRect(c * s, r * s, s, s);
    }
    const [x, y] = renderer.origin;
    const [w, h] = renderer.span;
    ctx.strokeStyle = "#facc15";
    ctx.lineWidth = 1;
    ctx.strokeRect(x * s + 0.5, y * s + 0.5, w * s - 1, h * s - 1);
  }
}
