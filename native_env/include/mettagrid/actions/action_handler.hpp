// One action per file (native_env/src/actions/<name>.cpp), each a subclass of ActionHandler
// registered under its config name. What every action shares lives outside the handlers:
// Env::run_action checks required resources, consumes resources on success and records the
// action.<name>.success/failed stats and the failure penalty; Rules builds the flat catalog
// from each handler's variants. Adding an action is one file here plus its config field.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mettagrid/config.hpp"

namespace mettagrid {

class Env;

class ActionHandler {
 public:
  virtual ~ActionHandler() = default;

  // The flat catalog entries of this handler, in argument order (arg = index): `name` alone,
  // or one entry per direction / target / glyph / vibe (move_north, attack_3, change_vibe_up...).
  virtual std::vector<std::string> variants(const std::string& name, const ActionConfig& cfg,
                                            const GameConfig& game) const {
    return {name};
  }
  // Actions of a higher priority resolve first in each step (attacks before movement).
  virtual int priority() const { return 0; }
  // Config checks beyond the shared ones; throws std::invalid_argument naming the problem.
  virtual void validate(const ActionConfig& cfg, const GameConfig& game) const {}
  // Performs the action of agent `a` with argument `arg`; false is a failure (stats, penalty).
  virtual bool apply(Env& env, int a, int handler, int arg) const = 0;
};

// The registered handler of an action name, or nullptr.
const ActionHandler* find_action(const std::string& name);
// Position of an action in the canonical catalog order (the order of the registered names).
int action_order(const std::string& name);
// `name_<direction>` for the game's directions (move_north, rotate_west...; 8 with diagonals).
std::vector<std::string> direction_variants(const std::string& name, const GameConfig& game);

// Every registered action name in canonical order.
std::vector<std::string> action_names_in_order();

// Registers `Handler` as action `name` at catalog position `order`; one line per action file:
//   static const RegisterAction<Move> kMove("move", 1);
void register_action(const std::string& name, int order, std::unique_ptr<ActionHandler> handler);
template <typename Handler>
struct RegisterAction {
  RegisterAction(const char* name, int order) {
    register_action(name, order, std::make_unique<Handler>());
  }
};

}  // namespace mettagrid
