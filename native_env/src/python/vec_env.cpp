#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "bindings.hpp"
#include "buffers.hpp"

namespace mettagrid::python {

namespace {

// Owns the native VecEnv plus references to the numpy buffers it writes into.
class PyVecEnv {
 public:
  PyVecEnv(const GameConfig& cfg, int num_envs, uint64_t seed, int num_threads, bool desync)
      : env_(cfg, num_envs, seed, num_threads, desync) {}

  void set_buffers(py::object obs_arg, py::object rewards_arg, py::object terminals_arg,
                   py::object truncations_arg, py::object action_success_arg,
                   py::object active_arg) {
    const py::array obs = array_arg(obs_arg, "obs"), rewards = array_arg(rewards_arg, "rewards");
    const py::array terminals = array_arg(terminals_arg, "terminals");
    const py::array truncations = array_arg(truncations_arg, "truncations");
    const py::array action_success = array_arg(action_success_arg, "action_success");
    const py::array active = array_arg(active_arg, "active");
    const py::ssize_t E = env_.num_envs(), A = env_.rules().cfg.slots(),
                      T = env_.rules().cfg.num_observation_tokens;
    auto* o = checked<uint8_t>(obs, "obs", "uint8", {{E * A, T, 3}, {E, A, T, 3}}, true);
    auto* r = checked<float>(rewards, "rewards", "float32", {{E * A}, {E, A}}, true);
    auto* te = checked<bool>(terminals, "terminals", "bool", {{E * A}, {E, A}}, true);
    auto* tr = checked<bool>(truncations, "truncations", "bool", {{E * A}, {E, A}}, true);
    auto* su = checked<bool>(action_success, "action_success", "bool", {{E * A}, {E, A}}, true);
    auto* ac = checked<bool>(active, "active", "bool", {{E * A}, {E, A}}, true);
    env_.set_buffers(o, r, te, tr, su, ac);
    keep_ = py::make_tuple(obs, rewards, terminals, truncations, action_success, active);
  }

  void reset(py::object mask) {
    require_buffers();
    if (mask.is_none()) {
      py::gil_scoped_release nogil;
      env_.reset(nullptr);
      return;
    }
    const py::array m = array_arg(mask, "mask");
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
    const py::ssize_t E = env_.num_envs(), A = env_.rules().cfg.slots();
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
  // (agent stats [agents this episode placed, stats], game stats [stats]).
  py::tuple episode_stats(int i) {
    Env& e = env(i);
    const Rules& rules = env_.rules();
    const py::ssize_t A = e.placed(), S = rules.num_stats();
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
  py::tuple grid_objects(int i) { return object_records(env(i), env_.rules()); }

  VecEnv& native() { return env_; }

 private:
  void require_buffers() {
    if (keep_.is_none()) throw py::value_error("set_buffers() must be called first");
  }

  VecEnv env_;
  py::object keep_ = py::none();
};

}  // namespace

void bind_vec_env(py::module_& m) {
  // A compiled curriculum task (opaque: made by VecEnv.compile_task, given to assign_task).
  py::class_<Rules, std::shared_ptr<Rules>>(m, "Task").def_property_readonly(
      "max_steps", [](const Rules& r) { return r.cfg.max_steps; });

  py::class_<PyVecEnv>(m, "VecEnv")
      .def(py::init<const GameConfig&, int, uint64_t, int, bool>(), py::arg("config"),
           py::arg("num_envs"), py::arg("seed") = 0, py::arg("num_threads") = 1,
           py::arg("desync_episodes") = false)
      .def("set_buffers", &PyVecEnv::set_buffers, py::arg("obs"), py::arg("rewards"),
           py::arg("terminals"), py::arg("truncations"), py::arg("action_success"),
           py::arg("active"))
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
      .def(
          "save_state",
          [](PyVecEnv& self, int env) { return py::bytes(self.native().save_state(env)); },
          py::arg("env"))
      .def(
          "load_state",
          [](PyVecEnv& self, int env, std::shared_ptr<Rules> task, const py::bytes& state) {
            self.native().load_state(env, std::move(task), std::string(state));
          },
          py::arg("env"), py::arg("task"), py::arg("state"))
      .def("seed", [](PyVecEnv& self, uint64_t s) { self.native().seed(s); })
      .def("episode_stats", &PyVecEnv::episode_stats)
      .def("episode_rewards", &PyVecEnv::episode_rewards)
      .def("grid_objects", &PyVecEnv::grid_objects)
      .def("current_step", [](PyVecEnv& self, int i) { return self.env(i).current_step(); })
      .def("done", [](PyVecEnv& self, int i) { return self.env(i).done(); })
      .def("episode_seed", [](PyVecEnv& self, int i) { return self.env(i).episode_seed(); })
      .def("set_episode_seed",
           [](PyVecEnv& self, int i, uint32_t s) { self.env(i).set_episode_seed(s); })
      .def("map_hash", [](PyVecEnv& self, int i) { return self.env(i).map_hash(); })
      .def("map_cells", [](PyVecEnv& self, int i) { return self.env(i).map_cells(); })
      .def("map_size",
           [](PyVecEnv& self, int i) {
             return std::make_pair(self.env(i).width(), self.env(i).height());
           })
      .def("placed", [](PyVecEnv& self, int i) { return self.env(i).placed(); })
      .def("set_inventory",
           [](PyVecEnv& self, int i, int agent, int item, int amount) {
             Env& e = self.env(i);
             if (agent < 0 || agent >= e.placed()) {
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
      .def_property_readonly("stat_keys",
                             [](PyVecEnv& s) {
                               std::vector<std::tuple<std::string, std::string, std::string>> out;
                               for (const auto& k : s.native().rules().stat_keys)
                                 out.emplace_back(k.kind, k.a, k.b);
                               return out;
                             })
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

}  // namespace mettagrid::python
