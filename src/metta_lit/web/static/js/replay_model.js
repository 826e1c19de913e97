// A replay (version 2) as states at any step.
//
// Every object field is a constant or a change list [[step, value], ...] holding an entry
// only where the value changed (a value that is itself a list of pairs, like an inventory,
// is always a change list). Each field becomes an accessor that finds the last change at or
// before a step by binary search, so scrubbing to any step costs O(objects × log changes).

function isChangeList(value) {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((x) => Array.isArray(x) && x.length === 2 && Number.isInteger(x[0]))
  );
}

function accessor(value) {
  if (!isChangeList(value)) return () => value;
  const steps = Int32Array.from(value, (change) => change[0]);
  const values = value.map((change) => change[1]);
  const at = (step) => {
    let lo = 0;
    let hi = steps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (steps[mid] <= step) lo = mid;
      else hi = mid - 1;
    }
    return values[lo];
  };
  at.changes = { steps, values }; // for a pass over every step (ReplayAnalysis) without searching
  return at;
}

// The names a frame's numbers refer to (replay header fields, or live play's init message).
function meta(header) {
  const { action_names, item_names, type_names, num_agents } = header;
  const vibe_names = Array.isArray(header.vibe_names) ? header.vibe_names : []; // older replays have none
  return { action_names, item_names, type_names, num_agents, vibe_names };
}

export class Replay {
  constructor(data) {
    this.meta = meta(data);
    // Object name -> its kind (assembler, chest, converter, ...) from the replay's config.
    this.kinds = Object.fromEntries(Object.entries(data.mg_config?.game?.objects ?? {}).map(([name, spec]) => [name, spec?.type ?? name]));
    [this.width, this.height] = data.map_size;
    this.maxSteps = data.max_steps;
    this.objects = data.objects.map((object) => {
      const fields = {};
      for (const [key, value] of Object.entries(object)) fields[key] = accessor(value);
      return fields;
    });
  }

  // Every object's state at `step` (all fields: the panel shows more than the grid draws).
  stateAt(step) {
    return this.objects.map((fields) => {
      const state = {};
      for (const key in fields) state[key] = fields[key](step);
      return state;
    });
  }
}

// Live play's frames: the server sends every object once, then those that changed.
export class LiveState {
  constructor(header) {
    this.meta = meta(header);
    [this.width, this.height] = header.map_size;
    this.byId = new Map();
    this.update(header.objects);
  }

  update(objects) {
    for (const object of objects) this.byId.set(object.id, object);
  }

  objects() {
    return [...this.byId.values()];
  }
}
