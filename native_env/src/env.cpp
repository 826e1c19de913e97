#include "mettagrid/env.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "mettagrid/actions/action_handler.hpp"

namespace mettagrid {

namespace {
constexpr uint8_t kFinishConverting = 0, kCoolDown = 1;
}

Env::Env(const Rules& rules, uint64_t seed, bool desync_first_episode)
    : rules_(&rules),
      cfg_(&rules.cfg),
      R_(rules.num_resources),
      S_(rules.num_stats()),
      A_(rules.cfg.slots()),
      T_(rules.cfg.num_observation_tokens),
      H_(rules.height),
      W_(rules.width),
      map_builder_(std::make_unique<MapBuilder>(rules.cfg)),
      desync_pending_(desync_first_episode) {
  this->seed(seed);
  const size_t cells = static_cast<size_t>(H_) * W_;
  cells_.assign(rules.padded_cells, 0);
  map_cells_.assign(cells, 0);
  objects_.reserve(cells + 1);
  agents_.reserve(A_);
  converters_.reserve(cells);
  agent_inv_.assign(static_cast<size_t>(A_) * R_, 0);
  conv_inv_.reserve(cells * R_);
  agent_stats_.assign(static_cast<size_t>(A_) * S_, 0.0f);
  game_stats_.assign(S_, 0.0f);
  events_.reserve(2 * cells + 16);
  order_.resize(A_);
  group_sum_.assign(rules.num_groups, 0.0f);
  group_in_.assign(rules.num_groups, 0.0f);
  group_size_.assign(rules.num_groups, 0);
}

void Env::set_rules(const Rules& rules) {
  rules_ = &rules;
  cfg_ = &rules.cfg;
  H_ = rules.height;
  W_ = rules.width;
  map_builder_ = std::make_unique<MapBuilder>(rules.cfg);
  done_ = true;  // the next reset() starts the task's first episode
}

void Env::seed(uint64_t seed) {
  step_rng_.seed(static_cast<uint32_t>(splitmix64(seed ^ 0x5354455055ULL)));
  map_rng_.seed(static_cast<uint32_t>(splitmix64(seed ^ 0x4d4150ULL)));
}

void Env::set_episode_seed(uint32_t seed) {
  episode_seed_ = seed;
  step_rng_.seed(seed);
}

void Env::reset() {
  current_step_ = 0;
  done_ = false;
  episode_limit_ = cfg_->max_steps;
  if (desync_pending_ && cfg_->max_steps > 1) {
    episode_limit_ = 1 + static_cast<int>(rand_below(step_rng_, cfg_->max_steps - 1));
  }
  desync_pending_ = false;
  set_episode_seed(static_cast<uint32_t>(step_rng_()));
  event_seq_ = 0;
  events_.clear();
  std::fill(cells_.begin(), cells_.end(), 0u);
  objects_.clear();
  objects_.push_back(GridObject{});  // id 0 is the null object
  agents_.clear();
  converters_.clear();
  chests_.clear();
  chest_ledger_.clear();
  assemblers_.clear();
  conv_inv_.clear();
  std::fill(agent_inv_.begin(), agent_inv_.end(), 0);
  std::fill(agent_stats_.begin(), agent_stats_.end(), 0.0f);
  std::fill(game_stats_.begin(), game_stats_.end(), 0.0f);
  std::fill(group_size_.begin(), group_size_.end(), 0);

  map_builder_->build(map_rng_, map_cells_);
  // Objects are placed in row-major map order, so ids (and agent indices) follow it.
  for (int r = 0; r < H_; ++r) {
    for (int c = 0; c < W_; ++c) {
      const uint16_t code = map_cells_[r * W_ + c];
      if (code == kEmptyCell) continue;
      const uint32_t id = static_cast<uint32_t>(objects_.size());
      GridObject obj;
      obj.r = static_cast<uint16_t>(r);
      obj.c = static_cast<uint16_t>(c);
      if (code & kAgentCellFlag) {
        const int a = static_cast<int>(agents_.size());
        AgentState ag;
        ag.object_id = id;
        ag.group = static_cast<uint8_t>(code & 0x7fff);
        ag.spawn_r = static_cast<uint16_t>(r);
        ag.spawn_c = static_cast<uint16_t>(c);
        agents_.push_back(ag);
        obj.layer = Layer::Agent;
        obj.is_agent = true;
        obj.sub = a;
        cells_[cell_index(r, c)] |= static_cast<uint32_t>(a + 1);
        group_size_[ag.group] += 1;
        game_stats_[rules_->ids.objects_agent] += 1;
      } else {
        const int oc = code - 1;
        obj.cfg = static_cast<int16_t>(oc);
        if (cfg_->objects[oc].kind == ObjectKind::Converter) {
          obj.sub = static_cast<int32_t>(converters_.size());
          ConverterState cs;
          cs.object_id = id;
          cs.cfg = static_cast<int16_t>(oc);
          converters_.push_back(cs);
          conv_inv_.resize(conv_inv_.size() + R_, 0);
        } else if (cfg_->objects[oc].kind == ObjectKind::Chest) {
          const ObjectConfig& spec = cfg_->objects[oc];
          obj.sub = static_cast<int32_t>(chests_.size());
          ChestState ch;
          ch.object_id = id;
          ch.cfg = static_cast<int16_t>(oc);
          ch.amount =
              static_cast<uint8_t>(std::min(spec.initial_resource_count, spec.max_inventory));
          chests_.push_back(ch);
          chest_ledger_.resize(chests_.size() * kChestRing, kNoDepositor);
          game_stats_[rules_->ids.chest_amount[spec.chest_resource]] += ch.amount;
        } else if (cfg_->objects[oc].kind == ObjectKind::Assembler) {
          obj.sub = static_cast<int32_t>(assemblers_.size());
          AssemblerState as;
          as.object_id = id;
          as.cfg = static_cast<int16_t>(oc);
          assemblers_.push_back(as);
        }
        cells_[cell_index(r, c)] |= id << 16;
        game_stats_[rules_->ids.objects_of_type[oc]] += 1;
      }
      objects_.push_back(obj);
    }
  }
  for (int a = 0; a < placed(); ++a) give_initial_inventory(a);
  link_clipper();
  for (int k = 0; k < static_cast<int>(assemblers_.size()); ++k) {
    if (cfg_->objects[assemblers_[k].cfg].start_clipped) clip(k);
  }
  for (int ci = 0; ci < static_cast<int>(converters_.size()); ++ci) {
    const ObjectConfig& oc = cfg_->objects[converters_[ci].cfg];
    for (int i = 0; i < R_; ++i) {
      if (oc.output_resources[i] > 0)
        conv_inv_[ci * R_ + i] = static_cast<uint8_t>(oc.initial_resource_count);
    }
    maybe_start_converting(ci);
  }
  std::memset(buf_.rewards, 0, sizeof(float) * A_);
  std::memset(buf_.terminals, 0, sizeof(bool) * A_);
  std::memset(buf_.truncations, 0, sizeof(bool) * A_);
  std::memset(buf_.action_success, 0, sizeof(bool) * A_);
  write_observations();
}

// ---------------------------------------------------------------------------------------
// Inventories and converters

// Recorded as amounts (not as gains), and the stat-reward baseline starts from them so nobody
// is rewarded for what they were given.
void Env::give_initial_inventory(int a) {
  const GroupConfig& g = cfg_->groups[agents_[a].group];
  const int* own =
      cfg_->agent_initial_inventory.empty() ? nullptr : &cfg_->agent_initial_inventory[a * R_];
  for (int i = 0; i < R_; ++i) {
    // An agent's own amount (where given) replaces its group's, within the group's limits.
    const int wanted = own != nullptr && own[i] >= 0 ? own[i] : g.initial_inventory[i];
    const int amount = std::min(wanted, item_capacity(a, i));
    if (amount > 0) {
      agent_inv_[a * R_ + i] = static_cast<uint8_t>(amount);
      set_stat(a, rules_->ids.amount[i], amount);
    }
  }
  agents_[a].stat_reward = compute_stat_reward(a);
}

int Env::item_capacity(int a, int item) const {
  const uint8_t* inv = &agent_inv_[a * R_];
  const GroupConfig& g = cfg_->groups[agents_[a].group];
  const int lg = g.limit_group_of_item[item];
  if (lg < 0) return 255;
  int others = 0;
  for (int j : rules_->ids.limit_items[agents_[a].group][lg]) others += j == item ? 0 : inv[j];
  return std::max(0, g.limit_values[lg] - others);
}

int Env::agent_update(int a, int item, int delta) {
  uint8_t* inv = &agent_inv_[a * R_];
  const int cur = inv[item];
  int next;
  if (delta > 0) {
    next = std::min(cur + delta, std::max(item_capacity(a, item), cur));
  } else {
    next = std::max(cur + delta, 0);
  }
  const int applied = next - cur;
  if (applied == 0) return 0;
  inv[item] = static_cast<uint8_t>(next);
  if (applied > 0) {
    add_stat(a, rules_->ids.gained[item], applied);
  } else {
    add_stat(a, rules_->ids.lost[item], -applied);
  }
  set_stat(a, rules_->ids.amount[item], next);
  return applied;
}

int Env::converter_update(int ci, int item, int delta) {
  uint8_t& q = conv_inv_[ci * R_ + item];
  const int next = std::clamp(static_cast<int>(q) + delta, 0, 255);
  const int applied = next - q;
  q = static_cast<uint8_t>(next);
  return applied;
}

void Env::maybe_start_converting(int ci) {
  ConverterState& cs = converters_[ci];
  const ObjectConfig& oc = cfg_->objects[cs.cfg];
  if (cs.converting || cs.cooling_down) return;
  if (oc.max_conversions >= 0 && cs.conversions >= oc.max_conversions) return;
  const uint8_t* inv = &conv_inv_[ci * R_];
  if (oc.max_output >= 0) {
    int held = 0;
    for (int i = 0; i < R_; ++i) held += oc.output_resources[i] > 0 ? inv[i] : 0;
    if (held >= oc.max_output) return;
  }
  for (int i = 0; i < R_; ++i) {
    if (inv[i] < oc.input_resources[i]) return;
  }
  for (int i = 0; i < R_; ++i) {
    if (oc.input_resources[i] > 0) converter_update(ci, i, -oc.input_resources[i]);
  }
  cs.converting = true;
  schedule(current_step_ + oc.conversion_ticks, kFinishConverting, ci);
}

void Env::schedule(uint32_t when, uint8_t type, int ci) {
  events_.push_back(Event{when, event_seq_++, ci, type});
  std::push_heap(events_.begin(), events_.end(), std::greater<Event>());
}

void Env::process_events() {
  while (!events_.empty() && events_.front().when <= static_cast<uint32_t>(current_step_)) {
    std::pop_heap(events_.begin(), events_.end(), std::greater<Event>());
    const Event ev = events_.back();
    events_.pop_back();
    ConverterState& cs = converters_[ev.converter];
    const ObjectConfig& oc = cfg_->objects[cs.cfg];
    if (ev.type == kFinishConverting) {
      cs.converting = false;
      cs.conversions += 1;
      for (int i = 0; i < R_; ++i) {
        if (oc.output_resources[i] > 0) converter_update(ev.converter, i, oc.output_resources[i]);
      }
      if (oc.cooldown > 0) {
        cs.cooling_down = true;
        schedule(current_step_ + oc.cooldown, kCoolDown, ev.converter);
        continue;
      }
    } else {
      cs.cooling_down = false;
    }
    maybe_start_converting(ev.converter);
  }
}

void Env::set_inventory(int a, int item, int amount) {
  // Setting up a scenario is not play: the holding changes (within its limit) without
  // gained/lost stats, and the reward baseline moves with it, so no step rewards it.
  const int next = std::min(amount, item_capacity(a, item));
  agent_inv_[a * R_ + item] = static_cast<uint8_t>(next);
  set_stat(a, rules_->ids.amount[item], next);
  agents_[a].stat_reward = compute_stat_reward(a);
}

// ---------------------------------------------------------------------------------------
// Step

// One step, in phases: events due now, actions (attacks first), inventory loss and regrowth,
// stat rewards, reward sharing within groups, episode end, then observations.
void Env::step(const int32_t* actions) {
  std::memset(buf_.rewards, 0, sizeof(float) * A_);
  std::memset(buf_.action_success, 0, sizeof(bool) * A_);
  current_step_ += 1;
  process_events();
  count_signals(actions);
  run_actions(actions);
  lose_resources();
  regenerate_resources();
  run_clipper();
  regrow_chests();
  count_vibes();
  add_stat_rewards();
  share_group_rewards();
  for (int a = 0; a < placed(); ++a) agents_[a].episode_reward += buf_.rewards[a];
  mark_episode_end();
  run_lives();
  write_observations();  // last, so last_action/last_reward describe the step just taken
}

void Env::run_actions(const int32_t* actions) {
  const int n = placed();
  for (int a = 0; a < n; ++a) order_[a] = a;
  shuffle(order_.data(), n, step_rng_);
  const int num_flat = static_cast<int>(rules_->flat_handler.size());
  // Attacks (priority 1) resolve before every other action.
  for (int p = 1; p >= 0; --p) {
    for (int k = 0; k < n; ++k) {
      const int a = order_[k];
      if (!agents_[a].alive) continue;
      const int32_t act = actions[a];
      const bool valid = act >= 0 && act < num_flat;
      const int prio = valid ? rules_->handler_priority[rules_->flat_handler[act]] : 0;
      if (prio == p) run_action(a, act);
    }
  }
}

void Env::count_signals(const int32_t* actions) {
  if (rules_->ids.signal.empty()) return;
  // Each agent's action against every vibe in its view as it chose it (the vibes shown at the
  // end of the last step): the counts the vibe-action mutual information is computed from.
  const int hr = cfg_->obs_height / 2, hc = cfg_->obs_width / 2;
  const int num_flat = static_cast<int>(rules_->flat_handler.size());
  const int vibes = static_cast<int>(cfg_->vibe_names.size());
  for (int b = 0; b < placed(); ++b) {
    if (actions[b] < 0 || actions[b] >= num_flat || !agents_[b].alive) continue;
    const GridObject& seer = objects_[agents_[b].object_id];
    for (int a = 0; a < placed(); ++a) {
      const GridObject& shown = objects_[agents_[a].object_id];
      if (a == b || !agents_[a].alive || std::abs(shown.r - seer.r) > hr ||
          std::abs(shown.c - seer.c) > hc)
        continue;
      if (agents_[a].glyph >= vibes) continue;
      game_stats_[rules_->ids.signal[agents_[a].glyph * num_flat + actions[b]]] += 1;
    }
  }
}

void Env::count_vibes() {
  if (rules_->ids.vibe_steps.empty()) return;
  const int vibes = static_cast<int>(rules_->ids.vibe_steps.size());
  for (int a = 0; a < placed(); ++a) {
    if (agents_[a].alive && agents_[a].glyph < vibes)
      add_stat(a, rules_->ids.vibe_steps[agents_[a].glyph], 1.0f);
  }
}

void Env::lose_resources() {
  if (cfg_->resource_loss_prob <= 0) return;
  for (int a = 0; a < placed(); ++a) {
    if (!agents_[a].alive) continue;
    for (int i = 0; i < R_; ++i) {
      const int q = agent_inv_[a * R_ + i];
      if (q == 0) continue;
      const float lost = cfg_->resource_loss_prob * q;
      int n = static_cast<int>(lost);
      if (rand_unit(step_rng_) < lost - n) ++n;
      if (n > 0) agent_update(a, i, -n);
    }
  }
}

void Env::regenerate_resources() {
  if (cfg_->inventory_regen_interval <= 0 || current_step_ % cfg_->inventory_regen_interval != 0)
    return;
  for (int a = 0; a < placed(); ++a) {
    if (!agents_[a].alive) continue;
    const GroupConfig& g = cfg_->groups[agents_[a].group];
    for (int i = 0; i < R_; ++i) {
      if (g.regen_amounts[i] > 0) agent_update(a, i, g.regen_amounts[i]);
    }
  }
}

// Stat rewards: the change of each agent's capped stat-reward sum.
void Env::add_stat_rewards() {
  for (int a = 0; a < placed(); ++a) {
    if (!agents_[a].alive || rules_->ids.reward_stat[agents_[a].group].empty()) continue;
    const float now = compute_stat_reward(a);
    buf_.rewards[a] += now - agents_[a].stat_reward;
    agents_[a].stat_reward = now;
  }
}

// Group sharing: each agent keeps (1-pct) of its reward, and pct of the group's is split.
void Env::share_group_rewards() {
  if (!rules_->shares_rewards) return;
  const int G = rules_->num_groups;
  std::fill(group_sum_.begin(), group_sum_.end(), 0.0f);
  for (int a = 0; a < placed(); ++a) group_sum_[agents_[a].group] += buf_.rewards[a];
  // What each member of group g receives from the others' pools: sum_h share[g][h] * R_h / |g|.
  for (int g = 0; g < G; ++g) {
    float in = 0.0f;
    const std::vector<float>& share = cfg_->groups[g].reward_share;
    for (int h = 0; h < G; ++h) in += share[h] * group_sum_[h];
    group_in_[g] = group_size_[g] > 0 ? in / group_size_[g] : 0.0f;
  }
  for (int a = 0; a < placed(); ++a) {
    if (!agents_[a].alive) continue;  // the dead take no share
    const int g = agents_[a].group;
    buf_.rewards[a] = buf_.rewards[a] * rules_->kept_share[g] + group_in_[g];
  }
}

void Env::mark_episode_end() {
  if (episode_limit_ > 0 && current_step_ >= episode_limit_) {
    const bool truncate = cfg_->episode_truncates || episode_limit_ < cfg_->max_steps;
    std::memset(truncate ? buf_.truncations : buf_.terminals, 1, sizeof(bool) * A_);
    std::memset(truncate ? buf_.terminals : buf_.truncations, 0, sizeof(bool) * A_);
    done_ = true;
  } else {
    std::memset(buf_.terminals, 0, sizeof(bool) * A_);
    std::memset(buf_.truncations, 0, sizeof(bool) * A_);
  }
}

float Env::compute_stat_reward(int a) const {
  const int g = agents_[a].group;
  const GroupConfig& gc = cfg_->groups[g];
  const std::vector<int>& ids = rules_->ids.reward_stat[g];
  float total = 0.0f;
  for (size_t k = 0; k < ids.size(); ++k) {
    const float v = agent_stats_[a * S_ + ids[k]] + game_stats_[ids[k]];
    total += std::min(v * gc.reward_rates[k], gc.reward_max[k]);
  }
  return total;
}

void Env::run_action(int a, int32_t act) {
  AgentState& ag = agents_[a];
  const GroupConfig& g = cfg_->groups[ag.group];
  const int num_flat = static_cast<int>(rules_->flat_handler.size());
  if (act < 0 || act >= num_flat) {
    ag.last_action = 255;
    add_stat(a, rules_->ids.invalid_type, 1);
    penalize_failure(a, g);
    return;
  }
  ag.last_action = act;
  const int h = rules_->flat_handler[act];
  if (ag.frozen > 0) {  // a frozen agent's attempt thaws it by one tick; no penalty
    add_stat(a, rules_->ids.frozen_ticks, 1);
    ag.frozen -= 1;
    return;
  }
  const ActionConfig& ac = cfg_->actions[h];
  const uint8_t* inv = &agent_inv_[a * R_];
  bool ok = true;
  for (int i = 0; i < R_; ++i) ok &= inv[i] >= ac.required_resources[i];
  if (ok) ok = rules_->handlers[h]->apply(*this, a, h, rules_->flat_arg[act]);
  if (ok) {
    buf_.action_success[a] = true;
    add_stat(a, rules_->ids.success[h], 1);
    for (int i = 0; i < R_; ++i) {
      const float c = ac.consumed_resources[i];
      if (c <= 0) continue;
      int n = static_cast<int>(c);  // fractional costs: floor + 1 with probability frac
      if (c > n && rand_unit(step_rng_) < c - n) ++n;
      if (n > 0) agent_update(a, i, -n);
    }
  } else {
    add_stat(a, rules_->ids.failed[h], 1);
    penalize_failure(a, g);
  }
}

void Env::penalize_failure(int a, const GroupConfig& g) {
  if (g.action_failure_penalty == 0.0f) return;
  add_stat(a, rules_->ids.failure_penalty, g.action_failure_penalty);
  buf_.rewards[a] -= g.action_failure_penalty;
}

void Env::move_agent(int a, int r, int c) {
  GridObject& obj = objects_[agents_[a].object_id];
  cells_[cell_index(obj.r, obj.c)] &= 0xFFFF0000u;
  cells_[cell_index(r, c)] |= static_cast<uint32_t>(a + 1);
  obj.r = static_cast<uint16_t>(r);
  obj.c = static_cast<uint16_t>(c);
}

int Env::facing_converter(int a) const {
  const AgentState& ag = agents_[a];
  const GridObject& obj = objects_[ag.object_id];
  const int r = obj.r + kDirRow[ag.orientation], c = obj.c + kDirCol[ag.orientation];
  if (!in_bounds(r, c)) return -1;
  const uint32_t id = cells_[cell_index(r, c)] >> 16;
  if (id == 0 || objects_[id].sub < 0 ||
      cfg_->objects[objects_[id].cfg].kind != ObjectKind::Converter) {
    return -1;
  }
  return objects_[id].sub;
}

// ---------------------------------------------------------------------------------------
// Observations

// Placed, living agents observe; the other slots (fewer agents this episode, dead agents)
// read as padding and are marked inactive.
void Env::write_observations() {
  const size_t stride = static_cast<size_t>(T_) * 3;
  for (int a = 0; a < A_; ++a) {
    const bool active = a < placed() && agents_[a].alive;
    buf_.active[a] = active;
    if (active) {
      write_agent_obs(a);
    } else {
      std::memset(buf_.obs + a * stride, 0xFF, stride);
    }
  }
}

void Env::write_agent_obs(int a) {
  uint8_t* out = buf_.obs + static_cast<size_t>(a) * T_ * 3;
  int n = 0;
  // Tokens beyond T are counted (tokens_dropped) but not written.
  auto push = [&](uint8_t loc, uint8_t f, uint8_t v) {
    if (n < T_) {
      uint8_t* t = out + 3 * n;
      t[0] = loc;
      t[1] = f;
      t[2] = v;
    }
    ++n;
  };
  // A recipe as input:<res> / output:<res> tokens (recipe_details_obs), amounts capped at 255.
  auto push_recipe = [&](uint8_t loc, const std::vector<int>& inputs,
                         const std::vector<int>& outputs) {
    for (int i = 0; i < R_; ++i) {
      if (inputs[i] > 0)
        push(loc, feat::input(R_, i), static_cast<uint8_t>(std::min(inputs[i], 255)));
    }
    for (int i = 0; i < R_; ++i) {
      if (outputs[i] > 0)
        push(loc, feat::output(R_, i), static_cast<uint8_t>(std::min(outputs[i], 255)));
    }
  };
  const AgentState& me = agents_[a];
  const uint8_t center = rules_->center_location;
  if (cfg_->obs_episode_completion) {
    const int pct = cfg_->max_steps > 0
                        ? static_cast<int>(std::lround(255.0 * current_step_ / cfg_->max_steps))
                        : 0;
    push(center, feat::EpisodeCompletion, static_cast<uint8_t>(std::min(pct, 255)));
  }
  if (cfg_->obs_last_action) push(center, feat::LastAction, static_cast<uint8_t>(me.last_action));
  if (cfg_->obs_last_reward) {
    // uint8 token: the reward in hundredths, clamped to [0, 255] (negative rewards read 0).
    const long v = std::lround(buf_.rewards[a] * 100.0f);
    push(center, feat::LastReward, static_cast<uint8_t>(std::clamp<long>(v, 0, 255)));
  }

  const GridObject& self = objects_[me.object_id];
  const uint32_t* base = cells_.data() + cell_index(self.r, self.c);
  for (const WindowCell& wc : rules_->window) {
    const uint32_t cell = base[wc.offset];
    if (cell == 0) continue;
    const uint8_t loc = wc.location;
    const uint32_t agent = cell & 0xFFFFu;
    if (agent != 0) {
      const int b = static_cast<int>(agent) - 1;
      const AgentState& o = agents_[b];
      push(loc, feat::TypeId, 0);
      push(loc, feat::Group, static_cast<uint8_t>(cfg_->groups[o.group].group_id));
      push(loc, feat::Frozen, o.frozen > 0 ? 1 : 0);
      push(loc, feat::Orientation, o.orientation);
      push(loc, feat::Color, o.color);
      if (o.glyph != 0) push(loc, feat::Glyph, o.glyph);
      const uint8_t* inv = &agent_inv_[b * R_];
      for (int i = 0; i < R_; ++i) {
        if (inv[i]) push(loc, static_cast<uint8_t>(feat::InvBase + i), inv[i]);
      }
    }
    const uint32_t oid = cell >> 16;
    if (oid != 0) {
      const GridObject& obj = objects_[oid];
      const ObjectConfig& oc = cfg_->objects[obj.cfg];
      push(loc, feat::TypeId, static_cast<uint8_t>(oc.type_id));
      if (oc.kind == ObjectKind::Wall) {
        if (oc.swappable) push(loc, feat::Swappable, 1);
      } else if (oc.kind == ObjectKind::Assembler) {
        const AssemblerState& as = assemblers_[obj.sub];
        push(loc, feat::Color, static_cast<uint8_t>(oc.color));
        const uint32_t remaining = cooldown_remaining(as);
        if (remaining) push(loc, feat::CooldownRemaining, std::min<uint32_t>(remaining, 255));
        if (as.unclip >= 0) push(loc, feat::Clipped, 1);
        if (oc.max_uses > 0) {
          const uint32_t left =
              as.uses < static_cast<uint32_t>(oc.max_uses) ? oc.max_uses - as.uses : 0;
          push(loc, feat::RemainingUses, std::min<uint32_t>(left, 255));
        }
        if (cfg_->recipe_details_obs) {
          if (const AssemblerRecipe* recipe = current_recipe(as)) {
            push_recipe(loc, recipe->input_resources, recipe->output_resources);
          }
        }
      } else if (oc.kind == ObjectKind::Chest) {
        push(loc, feat::Color, static_cast<uint8_t>(oc.color));
        const uint8_t amount = chests_[obj.sub].amount;
        if (amount) push(loc, static_cast<uint8_t>(feat::InvBase + oc.chest_resource), amount);
      } else {
        const ConverterState& cs = converters_[obj.sub];
        push(loc, feat::Color, static_cast<uint8_t>(oc.color));
        push(loc, feat::Converting, (cs.converting || cs.cooling_down) ? 1 : 0);
        const uint8_t* inv = &conv_inv_[obj.sub * R_];
        for (int i = 0; i < R_; ++i) {
          if (inv[i]) push(loc, static_cast<uint8_t>(feat::InvBase + i), inv[i]);
        }
        if (cfg_->recipe_details_obs) push_recipe(loc, oc.input_resources, oc.output_resources);
      }
    }
  }
  const int written = std::min(n, T_);
  if (written < T_) std::memset(out + 3 * written, 0xFF, 3 * static_cast<size_t>(T_ - written));
  game_stats_[rules_->ids.tokens_written] += written;
  game_stats_[rules_->ids.tokens_dropped] += n - written;
  game_stats_[rules_->ids.tokens_free_space] += T_ - written;
}

uint64_t Env::map_hash() const {
  // FNV-1a over the episode's initial map codes: identifies the generated layout.
  uint64_t h = 1469598103934665603ULL;
  for (uint16_t code : map_cells_) {
    h = (h ^ (code & 0xFF)) * 1099511628211ULL;
    h = (h ^ (code >> 8)) * 1099511628211ULL;
  }
  return h;
}

}  // namespace mettagrid
