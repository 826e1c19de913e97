// Vibe transfers (actions/transfer.cpp): the one rule move.cpp borrows from another action.
#pragma once

namespace mettagrid {

class Env;

// Agent `a` moves into agent `b`. When the transfer action is enabled and `a` shows a vibe it
// configures, that vibe's amounts move from `a` to `b`, all or nothing, and the result is the
// move's; otherwise returns false with `*applies` false (the classic hand-over applies).
bool try_vibe_transfer(Env& env, int a, int b, bool* applies);

}  // namespace mettagrid
