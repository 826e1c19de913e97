// put_items: give the facing converter what its recipe takes (up to the recipe amounts and
// its capacity); succeeds when anything moved, and may start a conversion.
#include <algorithm>

#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

class PutItems : public ActionHandler {
 public:
  bool apply(Env& env, int a, int handler, int arg) const override {
    const int ci = env.facing_converter(a);
    if (ci < 0) return false;
    const ObjectConfig& oc = env.config().objects[env.converters()[ci].cfg];
    bool moved = false;
    for (int i = 0; i < env.num_resources(); ++i) {
      const int want = std::min<int>(oc.input_resources[i], env.agent_inventory(a)[i]);
      if (want <= 0) continue;
      const int added = env.converter_update(ci, i, want);
      if (added <= 0) continue;
      env.agent_update(a, i, -added);
      env.add_stat(a, env.rules().ids.put[i], added);
      moved = true;
    }
    if (moved) env.maybe_start_converting(ci);
    return moved;
  }
};

const RegisterAction<PutItems> kRegister("put_items", 3);

}  // namespace

}  // namespace mettagrid
