// What a replay says about each agent over the whole episode, computed once when it opens:
// per-step series (action, success, frozen, position), cooperation events, per-agent stats
// and visitation counts. The panels (traces, table, events, heatmap, trail) only read this.
//
// Events follow the game's rules (a successful move that leaves an agent where it was used
// the object or agent in front of it):
// - "assembler": an assembler's use count went up; `agents` are the agents beside it (the
//   8 cells around), so two or more is a joint use;
// - "share": an agent used a neighbour: it moved into it without moving, and the neighbour's
//   inventory grew by `items` ([item, count] pairs);
// - "attack": an agent's attack succeeded; `victims` are the agents frozen at that step;
// - "chest": `agents[0]` took `items` out of a chest that `agents[1]` put in last;
// - "vibe": an agent changed the vibe it shows (its glyph) to `vibe`;
// - "clip" / "repair": an assembler was clipped, or repaired by `agents` (those beside it).
// Assembler uses and repairs also carry the vibes the agents beside it showed (`vibes`).

// Orientation index -> unit step (the native catalog's order: N, S, W, E, NW, NE, SW, SE).
export const DIRECTIONS = [[0, -1], [0, 1], [-1, 0], [1, 0], [-1, -1], [1, -1], [-1, 1], [1, 1]];

const total = (inventory) => (inventory || []).reduce((sum, [, n]) => sum + n, 0);
const amounts = (inventory) => new Map((inventory || []).map(([item, n]) => [item, n]));

// A field's value at every step as a typed array, filled change by change (no search per step);
// `pick` maps a value (a location's column, say), `missing` stands in for an absent field.
function expand(field, steps, Type, missing = 0, pick = (v) => v) {
  const out = new Type(steps);
  if (!field) return out.fill(missing);
  const number = (v) => {
    const n = Number(pick(v));
    return Number.isFinite(n) ? n : missing; // a file's odd value (a string, a missing list) counts as missing
  };
  if (!field.changes) return out.fill(number(field(0)));
  const { steps: at, values } = field.changes;
  for (let i = 0; i < at.length; i++) out.fill(number(values[i]), Math.max(0, at[i]), i + 1 < at.length ? at[i + 1] : steps);
  return out;
}

// How much of `item` an inventory gained over the episode (the sum of its increases).
function gained(inventory, item) {
  if (!inventory?.changes) return 0;
  let sum = 0;
  let before = 0;
  for (const value of inventory.changes.values) {
    const now = (value.find(([i]) => i === item) ?? [item, 0])[1];
    sum += Math.max(0, now - before);
    before = now;
  }
  return sum;
}

export class ReplayAnalysis {
  constructor(replay) {
    const steps = replay.maxSteps + 1;
    const names = replay.meta.action_names;
    const itemNames = replay.meta.item_names;
    this.steps = steps;
    this.width = replay.width;
    this.height = replay.height;
    const fields = replay.objects.filter((f) => f.type_name(0) === "agent").sort((a, b) => a.agent_id(0) - b.agent_id(0));
    this.agents = fields.map((f) => this.#series(f, steps));
    this.teams = [...new Set(this.agents.map((a) => a.team))].sort((a, b) => a - b);
    const byId = new Map(this.agents.map((a) => [a.id, a]));
    const heart = itemNames.indexOf("heart");
    this.events = [];
    for (const a of this.agents) {
      a.stats = { reward: a.reward[steps - 1], hearts: 0, given: 0, received: 0, attacks: 0, attacked: 0, alone: 0, together: 0, vibes: 0, failed: 0, frozen: 0, visited: 0 };
      for (let t = 1; t < steps; t++) {
        if (!a.success[t] && !a.frozen[t]) a.stats.failed += 1;
        if (a.frozen[t]) a.stats.frozen += 1;
        if (a.frozen[t] && !a.frozen[t - 1]) a.stats.attacked += 1;
        if (a.vibe[t] !== a.vibe[t - 1]) {
          a.stats.vibes += 1;
          this.events.push({ step: t, kind: "vibe", agents: [a.id], vibe: a.vibe[t] });
        }
      }
      a.stats.visited = a.visits.reduce((n, v) => n + (v > 0), 0);
      a.stats.hearts = heart >= 0 ? gained(fields.find((f) => f.agent_id(0) === a.id).inventory, heart) : 0;
    }
    this.#shares(names);
    this.#attacks(names, byId);
    this.#assemblers(replay);
    this.#chests(replay, names);
    this.events.sort((x, y) => x.step - y.step);
  }

  #series(f, steps) {
    const agent = {
      id: f.agent_id(0),
      team: f.group_id(0),
      action: expand(f.action_id, steps, Int16Array),
      success: expand(f.action_success, steps, Uint8Array, 1),
      frozen: expand(f.is_frozen, steps, Uint8Array),
      orientation: expand(f.orientation, steps, Uint8Array),
      vibe: expand(f.glyph, steps, Uint8Array),
      reward: expand(f.total_reward, steps, Float32Array),
      x: expand(f.location, steps, Int16Array, -1, (l) => l?.[0]), // -1: nowhere on the map
      y: expand(f.location, steps, Int16Array, -1, (l) => l?.[1]),
      visits: new Int32Array(this.width * this.height),
    };
    for (let t = 0; t < steps; t++) {
      const [x, y] = [agent.x[t], agent.y[t]];
      if (x >= 0 && x < this.width && y >= 0 && y < this.height) agent.visits[y * this.width + x] += 1;
    }
    const inventory = f.inventory ?? (() => []);
    agent.inventory = (t) => amounts(inventory(t));
    return agent;
  }

  // Who stood at (c, r) at step t.
  #occupant(c, r, t) {
    return this.agents.find((a) => a.x[t] === c && a.y[t] === r);
  }

  #shares(names) {
    for (const a of this.agents) {
      for (let t = 1; t < this.steps; t++) {
        const name = names[a.action[t]] ?? "";
        if (!name.startsWith("move") || !a.success[t] || a.x[t] !== a.x[t - 1] || a.y[t] !== a.y[t - 1]) continue;
        const [dx, dy] = DIRECTIONS[a.orientation[t]] ?? [0, 0];
        const b = this.#occupant(a.x[t] + dx, a.y[t] + dy, t - 1);
        if (!b) continue;
        const before = b.inventory(t - 1);
        const items = [...b.inventory(t)].map(([item, n]) => [item, n - (before.get(item) ?? 0)]).filter(([, n]) => n > 0);
        if (!items.length) continue;
        const count = items.reduce((sum, [, n]) => sum + n, 0);
        a.stats.given += count;
        b.stats.received += count;
        this.events.push({ step: t, kind: "share", agents: [a.id, b.id], items, sameTeam: a.team === b.team });
      }
    }
  }

  #attacks(names, byId) {
    for (let t = 1; t < this.steps; t++) {
      const attackers = this.agents.filter((a) => a.success[t] && (names[a.action[t]] ?? "").startsWith("attack"));
      if (!attackers.length) continue;
      const victims = this.agents.filter((a) => a.frozen[t] && !a.frozen[t - 1]).map((a) => a.id);
      for (const a of attackers) {
        a.stats.attacks += 1;
        const sameTeam = victims.length > 0 && victims.every((v) => byId.get(v).team === a.team);
        this.events.push({ step: t, kind: "attack", agents: [a.id], victims, sameTeam });
      }
    }
  }

  #assemblers(replay) {
    for (const f of replay.objects) {
      if (!f.uses_count) continue;
      const [c, r] = f.location(0);
      const clipped = expand(f.is_clipped, this.steps, Uint8Array);
      const object = { object: f.id(0), type: f.type_name(0), at: [c, r] };
      for (let t = 1; t < this.steps; t++) {
        const beside = () => this.agents.filter((a) => Math.max(Math.abs(a.x[t] - c), Math.abs(a.y[t] - r)) === 1);
        if (clipped[t] !== clipped[t - 1]) {
          const agents = clipped[t] ? [] : beside();
          this.events.push({ step: t, kind: clipped[t] ? "clip" : "repair", ...object, agents: agents.map((a) => a.id), vibes: agents.map((a) => a.vibe[t]) });
        }
        const uses = f.uses_count(t) - f.uses_count(t - 1);
        if (uses <= 0) continue;
        const agents = beside();
        for (const a of agents) a.stats[agents.length > 1 ? "together" : "alone"] += uses;
        this.events.push({ step: t, kind: "assembler", ...object, agents: agents.map((a) => a.id), vibes: agents.map((a) => a.vibe[t]), uses });
      }
    }
  }

  // The agent that used the object at (c, r) at step t: it moved into it and stayed put.
  #user(c, r, t, names) {
    return this.agents.find((a) => {
      if (!a.success[t] || a.x[t] !== a.x[t - 1] || a.y[t] !== a.y[t - 1] || !(names[a.action[t]] ?? "").startsWith("move")) return false;
      const [dx, dy] = DIRECTIONS[a.orientation[t]] ?? [0, 0];
      return a.x[t] + dx === c && a.y[t] + dy === r;
    });
  }

  #chests(replay, names) {
    for (const f of replay.objects) {
      const name = f.type_name(0);
      if ((replay.kinds[name] ?? name) !== "chest" || !f.inventory?.changes) continue;
      const [c, r] = f.location(0);
      let depositor = null;
      const { steps, values } = f.inventory.changes;
      for (let i = 1; i < steps.length; i++) {
        const t = steps[i];
        const before = amounts(values[i - 1]);
        const now = amounts(values[i]);
        const user = t > 0 ? this.#user(c, r, t, names) : null;
        if (!user) continue;
        const taken = [...before].map(([item, n]) => [item, n - (now.get(item) ?? 0)]).filter(([, n]) => n > 0);
        if (total(values[i]) > total(values[i - 1])) depositor = user;
        else if (taken.length && depositor && depositor !== user) {
          this.events.push({ step: t, kind: "chest", agents: [user.id, depositor.id], items: taken, at: [c, r], sameTeam: user.team === depositor.team });
        }
      }
    }
  }

  // Steps each cell was occupied, by one agent, a team's agents, or every agent (null).
  visitation(filter = null) {
    const counts = new Int32Array(this.width * this.height);
    for (const a of this.agents) {
      if (filter && !filter(a)) continue;
      for (let i = 0; i < counts.length; i++) counts[i] += a.visits[i];
    }
    return counts;
  }
}
