// transfer (no actions of its own, as in the original): moving into another agent while
// showing a vibe that transfer configures moves that vibe's amounts of each resource from the
// mover to the other agent, all or nothing: the mover must hold them all, the other must have
// room for them all and not be frozen. Counted as the mover's <resource>.shared and the other's
// <resource>.received, like the classic hand-over, which still applies for other vibes.
#include "mettagrid/actions/transfer.hpp"

#include <stdexcept>

#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

class Transfer : public ActionHandler {
 public:
  std::vector<std::string> variants(const std::string& name, const ActionConfig& cfg,
                                    const GameConfig& game) const override {
    return {};  // triggered by move
  }

  void validate(const ActionConfig& cfg, const GameConfig& game) const override {
    if (cfg.transfer_amounts.size() != game.vibe_names.size() * game.resource_names.size()) {
      throw std::invalid_argument("transfer: transfer_amounts needs vibes x resources entries");
    }
    for (int x : cfg.transfer_amounts) {
      if (x < 0 || x > 255) throw std::invalid_argument("transfer: amounts must be in [0, 255]");
    }
  }

  bool apply(Env& env, int a, int handler, int arg) const override { return false; }
};

const RegisterAction<Transfer> kRegister("transfer", 10);

}  // namespace

bool try_vibe_transfer(Env& env, int a, int b, bool* applies) {
  *applies = false;
  const int k = env.rules().transfer_action;
  if (k < 0) return false;
  const int R = env.num_resources();
  const int vibe = env.agent(a).glyph;
  if (vibe >= static_cast<int>(env.config().vibe_names.size())) return false;
  const int* amounts = &env.config().actions[k].transfer_amounts[vibe * R];
  bool any = false;
  for (int i = 0; i < R; ++i) any |= amounts[i] > 0;
  if (!any) return false;
  *applies = true;
  if (env.agent(b).frozen > 0) return false;
  for (int i = 0; i < R; ++i) {
    if (amounts[i] == 0) continue;
    if (env.agent_inventory(a)[i] < amounts[i] || env.room_for(b, i) < amounts[i]) return false;
  }
  const auto& ids = env.rules().ids;
  for (int i = 0; i < R; ++i) {
    if (amounts[i] == 0) continue;
    env.agent_update(a, i, -amounts[i]);
    env.agent_update(b, i, amounts[i]);
    env.add_stat(a, ids.shared[i], amounts[i]);
    env.add_stat(b, ids.received[i], amounts[i]);
  }
  return true;
}

}  // namespace mettagrid
