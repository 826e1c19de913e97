// get_items: take the facing converter's outputs (what fits the agent's limits); succeeds
// when anything moved, and may let the converter start again.
#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

class GetItems : public ActionHandler {
 public:
  bool apply(Env& env, int a, int handler, int arg) const override {
    const int ci = env.facing_converter(a);
    if (ci < 0) return false;
    const ObjectConfig& oc = env.config().objects[env.converters()[ci].cfg];
    bool taken = false;
    for (int i = 0; i < env.num_resources(); ++i) {
      if (oc.output_resources[i] <= 0) continue;
      const int held = env.converter_inventory(ci)[i];
      if (held == 0) continue;
      const int got = env.agent_update(a, i, held);
      if (got <= 0) continue;
      env.converter_update(ci, i, -got);
      env.add_stat(a, env.rules().ids.get[i], got);
      taken = true;
    }
    if (taken) env.maybe_start_converting(ci);
    return taken;
  }
};

const RegisterAction<GetItems> kRegister("get_items", 4);

}  // namespace

}  // namespace mettagrid
