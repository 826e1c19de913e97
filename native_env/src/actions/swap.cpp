// swap: trade places with the facing swappable object (a block) or a frozen agent.
#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

class Swap : public ActionHandler {
 public:
  bool apply(Env& env, int a, int handler, int arg) const override {
    const AgentState& ag = env.agent(a);
    GridObject& me = env.object(ag.object_id);
    const int r = me.r + kDirRow[ag.orientation], c = me.c + kDirCol[ag.orientation];
    if (!env.in_bounds(r, c)) return false;
    uint32_t& here = env.cell(me.r, me.c);
    uint32_t& there = env.cell(r, c);
    const uint32_t oid = there >> 16;
    const GridObject& facing = env.object(oid);
    if (oid != 0 && facing.cfg >= 0 && env.config().objects[facing.cfg].swappable) {
      if ((there & 0xFFFFu) != 0) return false;
      GridObject& block = env.object(oid);
      there = static_cast<uint32_t>(a + 1);  // the agent arrives, the block leaves
      here = oid << 16;                      // and takes the agent's old cell
      block.r = me.r;
      block.c = me.c;
      me.r = static_cast<uint16_t>(r);
      me.c = static_cast<uint16_t>(c);
      return true;
    }
    const uint32_t other = there & 0xFFFFu;
    if (other == 0 || env.agent(other - 1).frozen == 0) return false;
    GridObject& them = env.object(env.agent(other - 1).object_id);
    there = (there & 0xFFFF0000u) | static_cast<uint32_t>(a + 1);
    here = (here & 0xFFFF0000u) | other;
    them.r = me.r;
    them.c = me.c;
    me.r = static_cast<uint16_t>(r);
    me.c = static_cast<uint16_t>(c);
    return true;
  }
};

const RegisterAction<Swap> kRegister("swap", 6);

}  // namespace

}  // namespace mettagrid
