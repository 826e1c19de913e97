// Deaths and respawns (GameConfig::death): an agent whose holding of the death resource has
// fallen to 0 by the end of a step leaves the map; respawn_delay steps later it returns to the
// cell it started the episode on, as soon as that cell is free, with its initial inventory.
// Its slot is inactive meanwhile (Env::write_observations): padding observations, no reward,
// actions ignored. The death is its trajectory's end (a terminal flag for that agent alone),
// and its return the start of a new one (a truncation flag on the step it comes back, so a
// learner's memory for the slot starts afresh and no return is bootstrapped across the gap).
// What it held is dropped when it dies (not counted as lost; the reward baseline moves with
// it, so neither the loss nor the new inventory is a reward). When no agent is left alive and
// none will return, the episode ends there (every slot terminal).
#include <cstring>

#include "mettagrid/env.hpp"

namespace mettagrid {

void Env::run_lives() {
  const DeathConfig& death = cfg_->death;
  if (death.resource < 0 || done_) return;
  bool anyone = false;  // alive, or coming back
  for (int a = 0; a < placed(); ++a) {
    AgentState& ag = agents_[a];
    if (ag.alive) {
      add_stat(a, rules_->ids.steps_alive, 1.0f);
      if (agent_inventory(a)[death.resource] == 0) kill(a);
    } else if (ag.respawn_at >= 0 && current_step_ >= ag.respawn_at && respawn(a)) {
      buf_.truncations[a] = true;
    }
    anyone |= ag.alive || ag.respawn_at >= 0;
  }
  if (!anyone) {
    done_ = true;
    std::memset(buf_.terminals, 1, sizeof(bool) * A_);
    std::memset(buf_.truncations, 0, sizeof(bool) * A_);
  }
}

void Env::kill(int a) {
  AgentState& ag = agents_[a];
  const GridObject& obj = objects_[ag.object_id];
  cells_[cell_index(obj.r, obj.c)] &= 0xFFFF0000u;
  ag.alive = false;
  ag.frozen = 0;
  ag.respawn_at = cfg_->death.respawn_delay < 0 ? -1 : current_step_ + cfg_->death.respawn_delay;
  std::memset(&agent_inv_[a * R_], 0, R_);
  for (int i = 0; i < R_; ++i) set_stat(a, rules_->ids.amount[i], 0.0f);
  ag.stat_reward = compute_stat_reward(a);
  group_size_[ag.group] -= 1;
  add_stat(a, rules_->ids.deaths, 1.0f);
  buf_.terminals[a] = true;
}

bool Env::respawn(int a) {
  AgentState& ag = agents_[a];
  if (cells_[cell_index(ag.spawn_r, ag.spawn_c)] != 0) return false;  // taken: try next step
  ag.alive = true;
  ag.respawn_at = -1;
  ag.orientation = 0;
  ag.glyph = 0;
  objects_[ag.object_id].r = ag.spawn_r;
  objects_[ag.object_id].c = ag.spawn_c;
  cells_[cell_index(ag.spawn_r, ag.spawn_c)] |= static_cast<uint32_t>(a + 1);
  give_initial_inventory(a);
  group_size_[ag.group] += 1;
  add_stat(a, rules_->ids.respawns, 1.0f);
  return true;
}

}  // namespace mettagrid
