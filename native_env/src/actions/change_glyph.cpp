// change_glyph_<k>: show glyph k (0 <= k < number_of_glyphs) to the agents that see this one.
#include <stdexcept>

#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

class ChangeGlyph : public ActionHandler {
 public:
  std::vector<std::string> variants(const std::string& name, const ActionConfig& cfg,
                                    const GameConfig& game) const override {
    std::vector<std::string> names;
    for (int k = 0; k < cfg.number_of_glyphs; ++k) names.push_back(name + "_" + std::to_string(k));
    return names;
  }

  void validate(const ActionConfig& cfg, const GameConfig& game) const override {
    if (cfg.number_of_glyphs < 1 || cfg.number_of_glyphs > 256) {
      throw std::invalid_argument("change_glyph: number_of_glyphs must be in [1, 256]");
    }
  }

  bool apply(Env& env, int a, int handler, int arg) const override {
    env.agent(a).glyph = static_cast<uint8_t>(arg);
    return true;
  }
};

const RegisterAction<ChangeGlyph> kRegister("change_glyph", 8);

}  // namespace

}  // namespace mettagrid
