// attack_<k>: scan 3 rows x 3 columns ahead (distance 1..3; centre, left, right) and hit the
// k-th agent found, or the last one found when fewer exist; cells off the map are skipped.
// A target holding the defense resources spends them and blocks; otherwise it is frozen and
// the attacker takes everything it holds that is not soul-bound. Attacks resolve first.
#include <stdexcept>

#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

constexpr int kTargets = 9;

class Attack : public ActionHandler {
 public:
  std::vector<std::string> variants(const std::string& name, const ActionConfig& cfg,
                                    const GameConfig& game) const override {
    std::vector<std::string> names;
    for (int k = 0; k < kTargets; ++k) names.push_back(name + "_" + std::to_string(k));
    return names;
  }

  int priority() const override { return 1; }

  void validate(const ActionConfig& cfg, const GameConfig& game) const override {
    const int num_resources = static_cast<int>(game.resource_names.size());
    if (static_cast<int>(cfg.defense_resources.size()) != num_resources) {
      throw std::invalid_argument("attack defense_resources: expected one entry per resource (" +
                                  std::to_string(num_resources) + ")");
    }
    for (int x : cfg.defense_resources) {
      if (x < 0 || x > 255) {
        throw std::invalid_argument("attack defense_resources: amounts must be in [0, 255], got " +
                                    std::to_string(x));
      }
    }
  }

  bool apply(Env& env, int a, int h, int arg) const override {
    const Rules& rules = env.rules();
    const int R = env.num_resources(), G = rules.num_groups;
    const AgentState& ag = env.agent(a);
    const GridObject& obj = env.object(ag.object_id);
    const int fr = kDirRow[ag.orientation], fc = kDirCol[ag.orientation];
    const int lr = -fc, lc = fr;  // 90 degrees counter-clockwise of forward
    int found[kTargets];
    int n = 0;
    for (int dist = 1; dist <= 3; ++dist) {
      for (int lat : {0, 1, -1}) {
        const int r = obj.r + fr * dist + lr * lat, c = obj.c + fc * dist + lc * lat;
        if (!env.in_bounds(r, c)) continue;
        const uint32_t other = env.cell(r, c) & 0xFFFFu;
        if (other != 0) found[n++] = static_cast<int>(other) - 1;
      }
    }
    if (n == 0) return false;
    const int t = found[std::min(arg, n - 1)];
    AgentState& target = env.agent(t);
    const int pair = ag.group * G + target.group;

    const ActionConfig& ac = env.config().actions[h];
    bool has_defense = false, defended = true;
    for (int i = 0; i < R; ++i) {
      if (ac.defense_resources[i] <= 0) continue;
      has_defense = true;
      defended &= env.agent_inventory(t)[i] >= ac.defense_resources[i];
    }
    if (has_defense && defended) {
      for (int i = 0; i < R; ++i) {
        if (ac.defense_resources[i] > 0) env.agent_update(t, i, -ac.defense_resources[i]);
      }
      env.add_stat(a, rules.ids.blocked_by[pair], 1);
      return true;
    }
    const bool was_frozen = target.frozen > 0;
    target.frozen = static_cast<uint8_t>(env.config().groups[target.group].freeze_duration);
    if (was_frozen) {
      env.add_stat(a, rules.ids.wasted_on_frozen, 1);
      return true;
    }
    env.add_stat(a, rules.ids.hit[pair], 1);
    env.add_stat(t, rules.ids.hit_by[pair], 1);
    if (ag.group == target.group) env.add_stat(a, rules.ids.friendly_fire, 1);
    const GroupConfig& tg = env.config().groups[target.group];
    for (int i = 0; i < R; ++i) {
      if (tg.soul_bound[i]) continue;
      const int held = env.agent_inventory(t)[i];
      if (held == 0) continue;
      const int got = env.agent_update(a, i, held);
      if (got <= 0) continue;
      env.agent_update(t, i, -got);
      env.add_stat(a, rules.ids.steals[i * G + target.group], got);
    }
    return true;
  }
};

const RegisterAction<Attack> kRegister("attack", 5);

}  // namespace

}  // namespace mettagrid
