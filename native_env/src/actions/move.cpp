// move_<direction>: step one cell. Moving turns the agent even when the move fails; that is
// how an agent faces a converter. Moving into another agent "uses" it: the mover gives it half
// of each shareable resource it holds, or, showing a vibe the transfer action configures, that
// vibe's amounts (actions/transfer.cpp); moving into a chest or an assembler uses it (objects/).
#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/actions/transfer.hpp"
#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

class Move : public ActionHandler {
 public:
  std::vector<std::string> variants(const std::string& name, const ActionConfig& cfg,
                                    const GameConfig& game) const override {
    return direction_variants(name, game);
  }

  bool apply(Env& env, int a, int handler, int dir) const override {
    AgentState& ag = env.agent(a);
    ag.orientation = static_cast<uint8_t>(dir);
    const GridObject& obj = env.object(ag.object_id);
    const int r = obj.r + kDirRow[dir], c = obj.c + kDirCol[dir];
    if (!env.in_bounds(r, c)) return false;
    const uint32_t cell = env.cell(r, c);
    if (cell == 0) {
      env.move_agent(a, r, c);
      return true;
    }
    const uint32_t other = cell & 0xFFFFu;
    if (other == 0) {  // an object: chests and assemblers are used by moving into them
      const GridObject& target = env.object(cell >> 16);
      switch (env.config().objects[target.cfg].kind) {
        case ObjectKind::Chest:
          return env.use_chest(a, target.sub);
        case ObjectKind::Assembler:
          return env.use_assembler(a, target.sub);
        default:
          return false;  // walls and converters are not usable by moving
      }
    }
    const int b = static_cast<int>(other) - 1;
    bool transfers = false;
    const bool transferred = try_vibe_transfer(env, a, b, &transfers);
    if (transfers) return transferred;
    const GroupConfig& g = env.config().groups[ag.group];
    for (int i = 0; i < env.num_resources(); ++i) {
      if (!g.shareable[i]) continue;
      const int half = env.agent_inventory(a)[i] / 2;
      if (half == 0) continue;
      const int given = env.agent_update(b, i, half);
      if (given > 0) {
        env.agent_update(a, i, -given);
        env.add_stat(a, env.rules().ids.shared[i], given);
        env.add_stat(b, env.rules().ids.received[i], given);
      }
    }
    return true;
  }
};

const RegisterAction<Move> kRegister("move", 1);

}  // namespace

}  // namespace mettagrid
