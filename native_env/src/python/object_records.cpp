#include <algorithm>

#include "bindings.hpp"

namespace mettagrid::python {

namespace {

// One grid object as a typed record (numpy structured dtype "ObjectRecord"); names are
// looked up in Python from the ids (type, group, orientation). Fields that do not apply to an
// object's kind are -1 / false / 0.
struct ObjectRecord {
  int32_t id, type_id, r, c, layer;
  int32_t object_index;  // index into the config's objects; -1 for agents
  int32_t agent_id;      // -1 unless an agent
  int32_t group;         // group index (agents); -1 otherwise
  int32_t orientation, freeze_remaining, freeze_duration, color, glyph, last_action;
  float episode_reward;
  bool is_frozen, is_swappable;
  int32_t converter;  // converter index; -1 unless a converter
  bool is_converting, is_cooling_down;
  int32_t conversions_completed, conversion_duration, cooldown_duration, output_limit;
  int32_t cooldown_remaining;  // assemblers: steps until usable again
  bool is_clipped;             // assemblers: clipped (systems/clipper.cpp) until repaired
  bool is_dead;                // agents: off the map until it returns (systems/lives.cpp)
};

}  // namespace

void register_object_record_dtype() {
  PYBIND11_NUMPY_DTYPE(ObjectRecord, id, type_id, r, c, layer, object_index, agent_id, group,
                       orientation, freeze_remaining, freeze_duration, color, glyph, last_action,
                       episode_reward, is_frozen, is_swappable, converter, is_converting,
                       is_cooling_down, conversions_completed, conversion_duration,
                       cooldown_duration, output_limit, cooldown_remaining, is_clipped, is_dead);
}

py::tuple object_records(const Env& e, const Rules& rules) {
  const GameConfig& cfg = rules.cfg;
  const auto& objs = e.objects();
  const py::ssize_t n = static_cast<py::ssize_t>(objs.size()) - 1, R = rules.num_resources;
  py::array_t<ObjectRecord> records(n);
  py::array_t<uint8_t> inventory({n, R});
  std::fill(inventory.mutable_data(), inventory.mutable_data() + n * R, 0);
  ObjectRecord* out = records.mutable_data();
  for (py::ssize_t k = 0; k < n; ++k) {
    const uint32_t id = static_cast<uint32_t>(k + 1);
    const GridObject& o = objs[id];
    ObjectRecord rec{};
    rec.id = static_cast<int32_t>(id);
    rec.r = o.r;
    rec.c = o.c;
    rec.layer = static_cast<int32_t>(o.layer);
    rec.object_index = rec.agent_id = rec.group = rec.converter = -1;
    rec.orientation = rec.last_action = -1;
    const uint8_t* inv = nullptr;
    if (o.is_agent) {
      const AgentState& ag = e.agents()[o.sub];
      const GroupConfig& g = cfg.groups[ag.group];
      rec.type_id = 0;
      rec.agent_id = o.sub;
      rec.group = ag.group;
      rec.orientation = ag.orientation;
      rec.is_frozen = ag.frozen > 0;
      rec.freeze_remaining = ag.frozen;
      rec.freeze_duration = g.freeze_duration;
      rec.color = ag.color;
      rec.glyph = ag.glyph;
      rec.last_action = ag.last_action;
      rec.episode_reward = ag.episode_reward;
      rec.is_swappable = ag.frozen > 0;
      rec.is_dead = !ag.alive;
      inv = e.agent_inventory(o.sub);
    } else {
      const ObjectConfig& oc = cfg.objects[o.cfg];
      rec.type_id = oc.type_id;
      rec.object_index = o.cfg;
      rec.is_swappable = oc.swappable;
      if (oc.kind == ObjectKind::Converter) {
        const ConverterState& cs = e.converters()[o.sub];
        rec.converter = o.sub;
        rec.color = oc.color;
        rec.is_converting = cs.converting;
        rec.is_cooling_down = cs.cooling_down;
        rec.conversions_completed = cs.conversions;
        rec.conversion_duration = oc.conversion_ticks;
        rec.cooldown_duration = oc.cooldown;
        rec.output_limit = oc.max_output;
        inv = e.converter_inventory(o.sub);
      } else if (oc.kind == ObjectKind::Assembler) {
        const AssemblerState& as = e.assemblers()[o.sub];
        rec.color = oc.color;
        rec.cooldown_remaining = static_cast<int32_t>(e.cooldown_remaining(as));
        rec.is_cooling_down = rec.cooldown_remaining > 0;
        rec.conversions_completed = static_cast<int32_t>(as.uses);
        rec.cooldown_duration = static_cast<int32_t>(as.cooldown_duration);
        rec.is_clipped = as.unclip >= 0;
      } else if (oc.kind == ObjectKind::Chest) {
        rec.color = oc.color;
        *inventory.mutable_data(k, oc.chest_resource) = e.chests()[o.sub].amount;
      }
    }
    out[k] = rec;
    if (inv != nullptr) std::copy(inv, inv + R, inventory.mutable_data(k, 0));
  }
  return py::make_tuple(records, inventory);
}

}  // namespace mettagrid::python
