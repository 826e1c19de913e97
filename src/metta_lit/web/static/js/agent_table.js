// The per-agent table: the episode's stats of every agent (from ReplayAnalysis), sortable by
// any column (click its header; again to reverse) and filtered by a search for an id or a
// team ("7", "team 1"); clicking a row selects that agent.
import { fill, h } from "./dom.js";

export const COLUMNS = [
  ["id", "agent", (a) => a.id],
  ["team", "team", (a) => a.team],
  ["reward", "reward", (a) => a.stats.reward],
  ["hearts", "hearts", (a) => a.stats.hearts],
  ["given", "items given", (a) => a.stats.given],
  ["received", "received", (a) => a.stats.received],
  ["attacks", "attacks", (a) => a.stats.attacks],
  ["attacked", "attacked", (a) => a.stats.attacked],
  ["alone", "uses alone", (a) => a.stats.alone],
  ["together", "together", (a) => a.stats.together],
  ["vibes", "vibe changes", (a) => a.stats.vibes],
  ["failed", "failed actions", (a) => a.stats.failed],
  ["frozen", "frozen steps", (a) => a.stats.frozen],
  ["visited", "cells visited", (a) => a.stats.visited],
];

// Whether an agent matches a search: empty, its id, or "team k" / "tk".
export function matches(agent, query) {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  const team = q.match(/^t(?:eam)?\s*(\d+)$/);
  if (team) return agent.team === Number(team[1]);
  return String(agent.id) === q;
}

export class AgentTable {
  constructor(table, search, onSelect) {
    this.table = table;
    this.search = search;
    this.sortKey = "id";
    this.descending = false;
    this.agents = [];
    search.addEventListener("input", () => this.render());
    table.addEventListener("click", (e) => {
      const th = e.target.closest("th[data-key]");
      if (th) {
        this.descending = this.sortKey === th.dataset.key ? !this.descending : th.dataset.key !== "id";
        this.sortKey = th.dataset.key;
        this.render();
        return;
      }
      const tr = e.target.closest("tr[data-agent]");
      if (tr) onSelect(Number(tr.dataset.agent));
    });
  }

  set(agents) {
    this.agents = agents;
    this.render();
  }

  // The agents shown, in the table's order.
  rows() {
    const value = COLUMNS.find(([key]) => key === this.sortKey)[2];
    const sign = this.descending ? -1 : 1;
    return this.agents.filter((a) => matches(a, this.search.value)).sort((a, b) => sign * (value(a) - value(b)) || a.id - b.id);
  }

  render(selected = this.selected) {
    this.selected = selected;
    const arrow = this.descending ? " ▼" : " ▲";
    fill(
      this.table,
      h("thead", {}, h("tr", {}, COLUMNS.map(([key, label]) => h("th", { dataset: { key } }, label, key === this.sortKey ? arrow : "")))),
      h(
        "tbody",
        {},
        this.rows().map((a) =>
          h(
            "tr",
            { dataset: { agent: a.id }, class: a.id === selected ? "selected" : "" },
            COLUMNS.map(([key, , value]) => h("td", {}, key === "reward" ? value(a).toFixed(2) : value(a))),
          ),
        ),
      ),
    );
  }
}
