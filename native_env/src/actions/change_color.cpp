// change_color_<k>: k = 0..3 adds +1, -1, +63, -63 to the agent's color (wrapping like uint8).
#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

constexpr int kDelta[4] = {1, -1, 63, -63};

class ChangeColor : public ActionHandler {
 public:
  std::vector<std::string> variants(const std::string& name, const ActionConfig& cfg,
                                    const GameConfig& game) const override {
    std::vector<std::string> names;
    for (int k = 0; k < 4; ++k) names.push_back(name + "_" + std::to_string(k));
    return names;
  }

  bool apply(Env& env, int a, int handler, int arg) const override {
    AgentState& ag = env.agent(a);
    ag.color = static_cast<uint8_t>(ag.color + kDelta[arg]);
    return true;
  }
};

const RegisterAction<ChangeColor> kRegister("change_color", 7);

}  // namespace

}  // namespace mettagrid
