// The cooperation timeline: the episode's events (joint and lone assembler uses, hand-overs,
// chest passes, attacks on the own or another team, vibe changes, clips and repairs) as a lane of marks over the steps and a list; a click
// on either jumps to the event's step and selects its first agent.
import { fill, h } from "./dom.js";
import { vibeName } from "./grid.js";

const KIND_COLORS = { assembler: "#a78bfa", share: "#4ade80", chest: "#facc15", attack: "#f87171", vibe: "#f472b6", clip: "#ef4444", repair: "#38bdf8" };

export function describe(event, meta) {
  const items = (pairs) => pairs.map(([item, n]) => `${n} ${meta.item_names[item] ?? `item ${item}`}`).join(", ");
  // The agents beside an assembler, each with the vibe it showed (when any agent showed one).
  const who = () => {
    if (!event.agents.length) return "no agent beside it";
    const shown = event.vibes.some((v) => v > 0);
    return `agents ${event.agents.map((id, k) => (shown ? `${id} (${vibeName(meta, event.vibes[k])})` : id)).join(", ")}`;
  };
  if (event.kind === "assembler") {
    return `${event.agents.length > 1 ? "joint" : "lone"} use of ${event.type} at ${event.at.join(",")} by ${who()}`;
  }
  if (event.kind === "clip") return `${event.type} at ${event.at.join(",")} was clipped`;
  if (event.kind === "repair") return `${event.type} at ${event.at.join(",")} repaired by ${who()}`;
  if (event.kind === "vibe") return `agent ${event.agents[0]} shows ${vibeName(meta, event.vibe)}`;
  if (event.kind === "share") {
    return `agent ${event.agents[0]} gave agent ${event.agents[1]} ${items(event.items)} (${event.sameTeam ? "teammate" : "other team"})`;
  }
  if (event.kind === "chest") {
    return `agent ${event.agents[0]} took ${items(event.items)} from the chest at ${event.at.join(",")} that agent ${event.agents[1]} filled (${event.sameTeam ? "teammate" : "other team"})`;
  }
  const victims = event.victims.length ? `froze ${event.victims.join(", ")}` : "froze no one";
  return `agent ${event.agents[0]} attacked: ${victims}${event.victims.length ? (event.sameTeam ? " (own team)" : " (other team)") : ""}`;
}

export class Events {
  constructor(lane, list, kind, onPick) {
    this.lane = lane;
    this.list = list;
    this.kind = kind;
    this.events = [];
    this.steps = 1;
    kind.addEventListener("change", () => this.render());
    const pick = (e) => {
      const el = e.target.closest("[data-index]");
      if (el) onPick(this.events[Number(el.dataset.index)]);
    };
    list.addEventListener("click", pick);
    lane.addEventListener("click", pick);
  }

  set(analysis, meta) {
    this.events = analysis.events;
    this.steps = analysis.steps;
    this.meta = meta;
    this.render();
  }

  shown() {
    const kind = this.kind.value;
    return this.events
      .map((event, index) => ({ event, index }))
      .filter(({ event }) => kind === "all" || event.kind === kind || (kind === "joint" && event.kind === "assembler" && event.agents.length > 1));
  }

  render() {
    const shown = this.shown();
    fill(
      this.lane,
      shown.map(({ event, index }) =>
        h("span", {
          class: "mark",
          dataset: { index },
          title: `step ${event.step}: ${describe(event, this.meta)}`,
          style: { left: `${(100 * event.step) / Math.max(1, this.steps - 1)}%`, background: KIND_COLORS[event.kind] },
        }),
      ),
    );
    fill(
      this.list,
      shown.length
        ? shown.map(({ event, index }) => h("li", { dataset: { index, kind: event.kind } }, h("b", {}, `step ${event.step}`), " ", describe(event, this.meta)))
        : h("li", { class: "muted" }, "no such events in this episode"),
    );
  }
}
