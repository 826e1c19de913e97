// A chest: one resource, used by moving into it. The side of the chest its user stands on
// picks what a use does (position_deltas: deposit or withdraw up to an amount), or, for a
// chest keyed by vibes (vibe_deltas, the original's vibe transfers), the vibe its user shows
// (a vibe it does not list does nothing); what is
// deposited past max_inventory is destroyed. Game stats chest.<resource>.deposited,
// .withdrawn and .destroyed count what moved, and .amount is what the env's chests of that
// resource hold now. A ledger of who deposited each unit held (withdrawals take the oldest
// units first) lets chest.<resource>.passed count the units withdrawn by another agent than
// the one that deposited them: items handed over through the chest.
//
// Unlike the original, .destroyed counts what the user actually lost (the original adds the
// configured delta even when the user held less) and .amount sums every chest of the
// resource (the original's is the last used chest's).
#include <algorithm>
#include <cmath>

#include "mettagrid/env.hpp"

namespace mettagrid {

bool Env::use_chest(int a, int chest) {
  ChestState& ch = chests_[chest];
  const ObjectConfig& oc = cfg_->objects[ch.cfg];
  const GridObject& user = objects_[agents_[a].object_id];
  const GridObject& box = objects_[ch.object_id];
  const int side = side_of(user.r - box.r, user.c - box.c);
  if (side < 0) return false;
  const int vibe = agents_[a].glyph;
  const int delta = oc.vibe_deltas.empty()                           ? oc.position_deltas[side]
                    : vibe < static_cast<int>(oc.vibe_deltas.size()) ? oc.vibe_deltas[vibe]
                                                                     : 0;
  const int item = oc.chest_resource;
  const Rules::Ids& ids = rules_->ids;
  if (delta > 0) {
    const int given = std::min<int>(delta, agent_inventory(a)[item]);
    if (given == 0) return false;
    const int kept = std::min(given, oc.max_inventory - ch.amount);
    agent_update(a, item, -given);
    uint16_t* ledger = &chest_ledger_[chest * kChestRing];
    for (int u = 0; u < kept; ++u) {
      ledger[(ch.oldest + ch.amount + u) % kChestRing] = static_cast<uint16_t>(a);
    }
    ch.amount = static_cast<uint8_t>(ch.amount + kept);
    game_stats_[ids.chest_deposited[item]] += kept;
    game_stats_[ids.chest_destroyed[item]] += given - kept;
    game_stats_[ids.chest_amount[item]] += kept;
    return true;
  }
  if (delta < 0) {
    const int wanted = std::min<int>(-delta, ch.amount);
    if (wanted == 0) return false;
    const int taken = agent_update(a, item, wanted);
    if (taken == 0) return false;
    const uint16_t* ledger = &chest_ledger_[chest * kChestRing];
    int passed = 0;
    for (int u = 0; u < taken; ++u) {
      const uint16_t by = ledger[(ch.oldest + u) % kChestRing];
      passed += by != kNoDepositor && by != a;
    }
    ch.oldest = static_cast<uint8_t>((ch.oldest + taken) % kChestRing);
    ch.amount = static_cast<uint8_t>(ch.amount - taken);
    game_stats_[ids.chest_passed[item]] += passed;
    game_stats_[ids.chest_withdrawn[item]] += taken;
    game_stats_[ids.chest_amount[item]] -= taken;
    return true;
  }
  return false;
}

void Env::regrow_chests() {
  for (size_t k = 0; k < chests_.size(); ++k) {
    ChestState& ch = chests_[k];
    const ObjectConfig& oc = cfg_->objects[ch.cfg];
    if (oc.regrow_interval <= 0 || ch.amount == 0 || current_step_ % oc.regrow_interval != 0)
      continue;
    const int grown = std::min(static_cast<int>(std::ceil(oc.regrow_rate * ch.amount)),
                               oc.max_inventory - ch.amount);
    if (grown <= 0) continue;
    uint16_t* ledger = &chest_ledger_[k * kChestRing];
    for (int u = 0; u < grown; ++u) ledger[(ch.oldest + ch.amount + u) % kChestRing] = kNoDepositor;
    ch.amount = static_cast<uint8_t>(ch.amount + grown);
    game_stats_[rules_->ids.chest_regrown[oc.chest_resource]] += grown;
    game_stats_[rules_->ids.chest_amount[oc.chest_resource]] += grown;
  }
}

}  // namespace mettagrid
