// change_vibe_<name>: show the named vibe (GameConfig::vibe_names; vibe k is the value the
// agent:glyph token carries) to the agents that see this one and to the assemblers it stands
// beside, whose protocols may ask for it. Vibe 0 is the one every agent starts with.
#include <stdexcept>

#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

class ChangeVibe : public ActionHandler {
 public:
  std::vector<std::string> variants(const std::string& name, const ActionConfig& cfg,
                                    const GameConfig& game) const override {
    std::vector<std::string> names;
    for (const auto& vibe : game.vibe_names) names.push_back(name + "_" + vibe);
    return names;
  }

  void validate(const ActionConfig& cfg, const GameConfig& game) const override {
    if (game.vibe_names.size() < 2) {
      throw std::invalid_argument("change_vibe: vibe_names needs at least 2 vibes");
    }
  }

  bool apply(Env& env, int a, int handler, int arg) const override {
    env.agent(a).glyph = static_cast<uint8_t>(arg);
    return true;
  }
};

const RegisterAction<ChangeVibe> kRegister("change_vibe", 9);

}  // namespace

}  // namespace mettagrid
