// noop: does nothing and always succeeds.
#include "mettagrid/actions/action_handler.hpp"

namespace mettagrid {

namespace {

class Noop : public ActionHandler {
 public:
  bool apply(Env& env, int a, int handler, int arg) const override { return true; }
};

const RegisterAction<Noop> kRegister("noop", 0);

}  // namespace

}  // namespace mettagrid
