// rotate_<direction>: face a direction without moving.
#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

class Rotate : public ActionHandler {
 public:
  std::vector<std::string> variants(const std::string& name, const ActionConfig& cfg,
                                    const GameConfig& game) const override {
    return direction_variants(name, game);
  }

  bool apply(Env& env, int a, int handler, int dir) const override {
    env.agent(a).orientation = static_cast<uint8_t>(dir);
    return true;
  }
};

const RegisterAction<Rotate> kRegister("rotate", 2);

}  // namespace

}  // namespace mettagrid
