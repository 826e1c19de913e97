// Python module metta_lit._mettagrid. Exchanges numpy buffers only (no libtorch), so the
// extension keeps working across torch versions.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "mettagrid/vec_env.hpp"

namespace py = pybind11;
using namespace mettagrid;

namespace {

std::string shape_str(const py::array& a) {
  std::ostringstream os;
  os << "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) os << (i ? ", " : "") << a.shape(i);
  os << (a.ndim() == 1 ? ",)" : ")");
  return os.str();
}

// Checks a caller buffer: dtype (TypeError), C-contiguity, writability and one of the
// accepted shapes (ValueError). Returns the data pointer.
template <typename T>
T* checked(const py::array& a, const char* name, const char* dtype,
           const std::vector<std::vector<py::ssize_t>>& shapes, bool writable) {
  if (!a.dtype().is(py::dtype::of<T>())) {
    throw py::type_error(std::string(name) + ": expected dtype " + dtype + ", got " +
                         std::string(py::str(a.dtype())));
  }
  if (!(a.flags() & py::array::c_style)) {
    throw py::value_error(std::string(name) + ": array must be C-contiguous");
  }
  if (writable && !a.writeable()) throw py::value_error(std::string(name) + ": array is read-only");
  for (const auto& s : shapes) {
    if (static_cast<size_t>(a.ndim()) != s.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < s.size(); ++i) ok &= a.shape(i) == s[i];
    if (ok) return static_cast<T*>(const_cast<void*>(a.data()));
  }
  std::ostringstream os;
  os << name << ": expected shape ";
  for (size_t k = 0; k < shapes.size(); ++k) {
    os << (k ? " or (" : "(");
    for (size_t i = 0; i < shapes[k].size(); ++i) os << (i ? ", " : "") << shapes[k][i];
    os << (shapes[k].size() == 1 ? ",)" : ")");
  }
  os << ", got " << shape_str(a);
  throw py::value_error(os.str());
}

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
};

// Owns the native VecEnv plus references to the numpy buffers it writes into.
class PyVecEnv {
 public:
  PyVecEnv(const GameConfig& cfg, int num_envs, uint64_t seed, int num_threads, bool desync)
      : env_(cfg, num_envs, seed, num_threads, desync) {}

  void set_buffers(py::array obs, py::array rewards, py::array terminals, py::array truncations,
                   py::array action_success) {
    const py::ssize_t E = env_.num_envs(), A = env_.rules().cfg.num_agents,
                      T = env_.rules().cfg.num_observation_tokens;
    auto* o = checked<uint8_t>(obs, "obs", "uint8", {{E * A, T, 3}, {E, A, T, 3}}, true);
    auto* r = checked<float>(rewards, "rewards", "float32", {{E * A}, {E, A}}, true);
    auto* te = checked<bool>(terminals, "terminals", "bool", {{E * A}, {E, A}}, true);
    auto* tr = checked<bool>(truncations, "truncations", "bool", {{E * A}, {E, A}}, true);
    auto* su = checked<bool>(action_success, "action_success", "bool", {{E * A}, {E, A}}, true);
    env_.set_buffers(o, r, te, tr, su);
    keep_ = py::make_tuple(obs, rewards, terminals, truncations, action_success);
  }

  void reset(py::object mask) {
    require_buffers();
    if (mask.is_none()) {
      py::gil_scoped_release nogil;
      env_.reset(nullptr);
      return;
    }
    py::array m = mask;
    const py::ssize_t E = env_.num_envs();
    const bool* p = checked<bool>(m, "mask", "bool", {{E}}, false);
    py::gil_scoped_release nogil;
    env_.reset(p);
  }

  // py::object, not py::array: a list or a dict gets this message instead of pybind's
  // signature dump (py::array would also copy-convert a list silently).
  void step(py::object actions) {
    if (!py::isinstance<py::array>(actions)) {
      throw py::type_error("actions: expected a numpy int32 array, got " +
                           std::string(py::str(py::type::of(actions).attr("__name__"))));
    }
    require_buffers();
    const py::ssize_t E = env_.num_envs(), A = env_.rules().cfg.num_agents;
    const auto array = py::reinterpret_borrow<py::array>(actions);
    const int32_t* p = checked<int32_t>(array, "actions", "int32", {{E * A}, {E, A}}, false);
    py::gil_scoped_release nogil;  // `actions` stays referenced by this frame
    env_.step(p);
  }

  Env& env(int i) {
    if (i < 0 || i >= env_.num_envs()) {
      throw py::index_error("env index " + std::to_string(i) + " out of range [0, " +
                            std::to_string(env_.num_envs()) + ")");
    }
    return env_.env(i);
  }

  // Episode stats so far as arrays over the interned stat names (Rules::stat_names):
  // (agent stats [agents, stats], game stats [stats]).
  py::tuple episode_stats(int i) {
    Env& e = env(i);
    const Rules& rules = env_.rules();
    const py::ssize_t A = rules.cfg.num_agents, S = rules.num_stats();
    py::array_t<float> agents({A, S}), game(S);
    for (py::ssize_t a = 0; a < A; ++a) {
      std::copy(e.agent_stats(a), e.agent_stats(a) + S, agents.mutable_data(a, 0));
    }
    std::copy(e.game_stats(), e.game_stats() + S, game.mutable_data());
    return py::make_tuple(agents, game);
  }

  py::array_t<float> episode_rewards(int i) {
    Env& e = env(i);
    py::array_t<float> out(e.agents().size());
    for (size_t a = 0; a < e.agents().size(); ++a) out.mutable_at(a) = e.agents()[a].episode_reward;
    return out;
  }

  // Every object of one env (id order) as (records [n] ObjectRecord, inventory uint8 [n,
  // resources]).
  py::tuple grid_objects(int i) {
    Env& e = env(i);
    const Rules& rules = env_.rules();
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
        }
      }
      out[k] = rec;
      if (inv != nullptr) std::copy(inv, inv + R, inventory.mutable_data(k, 0));
    }
    return py::make_tuple(records, inventory);
  }

  VecEnv& native() { return env_; }

 private:
  void require_buffers() {
    if (keep_.is_none()) throw py::value_error("set_buffers() must be called first");
  }

  VecEnv env_;
  py::object keep_ = py::none();
};

}  // namespace

PYBIND11_MODULE(_mettagrid, m) {
  m.doc() = "Native MettaGrid: vectorized C++ multi-agent grid world writing into numpy buffers.";

  PYBIND11_NUMPY_DTYPE(ObjectRecord, id, type_id, r, c, layer, object_index, agent_id, group,
                       orientation, freeze_remaining, freeze_duration, color, glyph, last_action,
                       episode_reward, is_frozen, is_swappable, converter, is_converting,
                       is_cooling_down, conversions_completed, conversion_duration,
                       cooldown_duration, output_limit);
  m.attr("direction_names") = std::vector<std::string>(kDirNames, kDirNames + 8);

  py::enum_<ObjectKind>(m, "ObjectKind")
      .value("Wall", ObjectKind::Wall)
      .value("Converter", ObjectKind::Converter);

  py::class_<ObjectConfig>(m, "ObjectConfig")
      .def(py::init<>())
      .def_readwrite("name", &ObjectConfig::name)
      .def_readwrite("type_id", &ObjectConfig::type_id)
      .def_readwrite("kind", &ObjectConfig::kind)
      .def_readwrite("swappable", &ObjectConfig::swappable)
      .def_readwrite("input_resources", &ObjectConfig::input_resources)
      .def_readwrite("output_resources", &ObjectConfig::output_resources)
      .def_readwrite("max_output", &ObjectConfig::max_output)
      .def_readwrite("max_conversions", &ObjectConfig::max_conversions)
      .def_readwrite("conversion_ticks", &ObjectConfig::conversion_ticks)
      .def_readwrite("cooldown", &ObjectConfig::cooldown)
      .def_readwrite("initial_resource_count", &ObjectConfig::initial_resource_count)
      .def_readwrite("color", &ObjectConfig::color);

  py::class_<GroupConfig>(m, "GroupConfig")
      .def(py::init<>())
      .def_readwrite("name", &GroupConfig::name)
      .def_readwrite("group_id", &GroupConfig::group_id)
      .def_readwrite("group_reward_pct", &GroupConfig::group_reward_pct)
      .def_readwrite("freeze_duration", &GroupConfig::freeze_duration)
      .def_readwrite("action_failure_penalty", &GroupConfig::action_failure_penalty)
      .def_readwrite("limit_group_of_item", &GroupConfig::limit_group_of_item)
      .def_readwrite("limit_values", &GroupConfig::limit_values)
      .def_readwrite("initial_inventory", &GroupConfig::initial_inventory)
      .def_readwrite("soul_bound", &GroupConfig::soul_bound)
      .def_readwrite("shareable", &GroupConfig::shareable)
      .def_readwrite("regen_amounts", &GroupConfig::regen_amounts)
      .def_readwrite("reward_stats", &GroupConfig::reward_stats)
      .def_readwrite("reward_rates", &GroupConfig::reward_rates)
      .def_readwrite("reward_max", &GroupConfig::reward_max);

  py::class_<ActionConfig>(m, "ActionConfig")
      .def(py::init<>())
      .def_readwrite("name", &ActionConfig::name)
      .def_readwrite("required_resources", &ActionConfig::required_resources)
      .def_readwrite("consumed_resources", &ActionConfig::consumed_resources)
      .def_readwrite("defense_resources", &ActionConfig::defense_resources)
      .def_readwrite("number_of_glyphs", &ActionConfig::number_of_glyphs);

  py::class_<MapConfig>(m, "MapConfig")
      .def(py::init<>())
      .def_readwrite("kind", &MapConfig::kind)
      .def_readwrite("width", &MapConfig::width)
      .def_readwrite("height", &MapConfig::height)
      .def_readwrite("cells", &MapConfig::cells)
      .def_readwrite("object_counts", &MapConfig::object_counts)
      .def_readwrite("agents_per_group", &MapConfig::agents_per_group)
      .def_readwrite("border_width", &MapConfig::border_width)
      .def_readwrite("border_object", &MapConfig::border_object)
      .def_readwrite("instances", &MapConfig::instances)
      .def_readwrite("instance_border_width", &MapConfig::instance_border_width);

  py::class_<GameConfig>(m, "GameConfig")
      .def(py::init<>())
      .def_readwrite("num_agents", &GameConfig::num_agents)
      .def_readwrite("max_steps", &GameConfig::max_steps)
      .def_readwrite("episode_truncates", &GameConfig::episode_truncates)
      .def_readwrite("obs_width", &GameConfig::obs_width)
      .def_readwrite("obs_height", &GameConfig::obs_height)
      .def_readwrite("num_observation_tokens", &GameConfig::num_observation_tokens)
      .def_readwrite("allow_diagonals", &GameConfig::allow_diagonals)
      .def_readwrite("obs_episode_completion", &GameConfig::obs_episode_completion)
      .def_readwrite("obs_last_action", &GameConfig::obs_last_action)
      .def_readwrite("obs_last_reward", &GameConfig::obs_last_reward)
      .def_readwrite("resource_loss_prob", &GameConfig::resource_loss_prob)
      .def_readwrite("inventory_regen_interval", &GameConfig::inventory_regen_interval)
      .def_readwrite("agent_initial_inventory", &GameConfig::agent_initial_inventory)
      .def_readwrite("resource_names", &GameConfig::resource_names)
      .def_readwrite("objects", &GameConfig::objects)
      .def_readwrite("groups", &GameConfig::groups)
      .def_readwrite("actions", &GameConfig::actions)
      .def_readwrite("map", &GameConfig::map)
      .def("validate", &GameConfig::validate);

  // A compiled curriculum task (opaque: made by VecEnv.compile_task, given to assign_task).
  py::class_<Rules, std::shared_ptr<Rules>>(m, "Task").def_property_readonly(
      "max_steps", [](const Rules& r) { return r.cfg.max_steps; });

  py::class_<PyVecEnv>(m, "VecEnv")
      .def(py::init<const GameConfig&, int, uint64_t, int, bool>(), py::arg("config"),
           py::arg("num_envs"), py::arg("seed") = 0, py::arg("num_threads") = 1,
           py::arg("desync_episodes") = false)
      .def("set_buffers", &PyVecEnv::set_buffers, py::arg("obs"), py::arg("rewards"),
           py::arg("terminals"), py::arg("truncations"), py::arg("action_success"))
      .def("reset", &PyVecEnv::reset, py::arg("mask") = py::none())
      .def("step", &PyVecEnv::step, py::arg("actions"))
      .def(
          "compile_task",
          [](PyVecEnv& self, const GameConfig& cfg) {
            return std::const_pointer_cast<Rules>(self.native().compile_task(cfg));
          },
          py::arg("config"))
      .def(
          "assign_task",
          [](PyVecEnv& self, int env, std::shared_ptr<Rules> task) {
            self.native().assign_task(env, std::move(task));
          },
          py::arg("env"), py::arg("task"))
      .def("seed", [](PyVecEnv& self, uint64_t s) { self.native().seed(s); })
      .def("episode_stats", &PyVecEnv::episode_stats)
      .def("episode_rewards", &PyVecEnv::episode_rewards)
      .def("grid_objects", &PyVecEnv::grid_objects)
      .def("current_step", [](PyVecEnv& self, int i) { return self.env(i).current_step(); })
      .def("done", [](PyVecEnv& self, int i) { return self.env(i).done(); })
      .def("map_hash", [](PyVecEnv& self, int i) { return self.env(i).map_hash(); })
      .def("map_cells", [](PyVecEnv& self, int i) { return self.env(i).map_cells(); })
      .def("set_inventory",
           [](PyVecEnv& self, int i, int agent, int item, int amount) {
             Env& e = self.env(i);
             if (agent < 0 || agent >= self.native().rules().cfg.num_agents) {
               throw py::index_error("agent index out of range");
             }
             if (item < 0 || item >= self.native().rules().num_resources) {
               throw py::index_error("resource index out of range");
             }
             if (amount < 0 || amount > 255) throw py::value_error("amount must be in [0, 255]");
             e.set_inventory(agent, item, amount);
           })
      .def_property_readonly("num_envs", [](PyVecEnv& s) { return s.native().num_envs(); })
      .def_property_readonly("num_threads", [](PyVecEnv& s) { return s.native().num_threads(); })
      .def_property_readonly("map_width", [](PyVecEnv& s) { return s.native().rules().width; })
      .def_property_readonly("map_height", [](PyVecEnv& s) { return s.native().rules().height; })
      .def_property_readonly("action_names",
                             [](PyVecEnv& s) { return s.native().rules().action_names; })
      .def_property_readonly("action_args",
                             [](PyVecEnv& s) {
                               const auto& a = s.native().rules().flat_arg;
                               return std::vector<int>(a.begin(), a.end());
                             })
      .def_property_readonly("stat_names",
                             [](PyVecEnv& s) { return s.native().rules().stat_names; })
      .def_property_readonly("feature_spec", [](PyVecEnv& s) {
        py::dict d;
        for (const auto& f : s.native().rules().features) {
          py::dict e;
          e["id"] = f.id;
          e["normalization"] = f.normalization;
          d[py::str(f.name)] = e;
        }
        return d;
      });
}
