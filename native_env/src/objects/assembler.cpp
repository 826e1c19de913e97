// An assembler: used by moving into it. Which of its 8 neighbouring cells hold agents (a mask,
// bit i = side i in NW, N, NE, W, E, SW, S, SE order) picks the recipe, so a recipe that needs
// two agents around it can only be made together. Inputs are pooled from every neighbouring
// agent, taken in NW..SE order; outputs go to the user. After a use the assembler cools down
// for the recipe's cooldown times a multiplier that grows by (1 + exhaustion) per use; with
// allow_partial_usage it can be used while cooling down, inputs scaled by the progress made
// (rounded up) and outputs too (rounded down). max_uses > 0 caps its uses.
//
// An assembler with protocols chooses by vibes instead of positions (the original's
// protocols): the vibes its neighbours show, other than vibe 0, form a multiset; of the
// protocols whose vibes are exactly that multiset and whose min_agents are around, the one
// needing the most agents fires; failing that, the same among the protocols asking for no
// vibes (the first listed wins a tie). The outputs of a protocol that asks for two or more vibes
// are shared among the agents that showed them (one agent per vibe asked, in NW..SE order), unit by
// unit in turn, so the earlier get the odd units and a full inventory passes its share on.
#include <algorithm>
#include <cmath>

#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

float cooldown_progress(const AssemblerState& s, uint32_t now) {
  if (s.cooldown_duration == 0 || s.cooldown_end <= now) return 1.0f;
  const uint32_t start = s.cooldown_end - s.cooldown_duration;
  if (now <= start) return 0.0f;
  return static_cast<float>(now - start) / static_cast<float>(s.cooldown_duration);
}

}  // namespace

int Env::agents_around(const GridObject& box, int* around, int& count) const {
  int mask = 0;
  count = 0;
  for (int side = 0; side < 8; ++side) {
    const int r = box.r + kSideRow[side], c = box.c + kSideCol[side];
    if (!in_bounds(r, c)) continue;
    const uint32_t agent = cell(r, c) & 0xFFFFu;
    if (agent == 0) continue;
    around[count++] = static_cast<int>(agent) - 1;
    mask |= 1 << side;
  }
  return mask;
}

int Env::shown_vibes(const int* around, int count, int* out) const {
  int n = 0;
  for (int k = 0; k < count; ++k) {
    if (agents_[around[k]].glyph != 0) out[n++] = agents_[around[k]].glyph;
  }
  std::sort(out, out + n);
  return n;
}

namespace {

// A protocol fits the agents around when enough stand there and, if it asks for vibes, they
// show exactly those (the `n` sorted vibes in `shown`).
bool fits(const AssemblerRecipe& r, const int* shown, int n, int count) {
  if (r.min_agents > count) return false;
  return r.vibes.empty() ||
         (static_cast<int>(r.vibes.size()) == n && std::equal(shown, shown + n, r.vibes.begin()));
}

}  // namespace

const AssemblerRecipe* Env::recipe_now(const AssemblerState& s, const int* around, int count,
                                       int mask, int* index) const {
  *index = -1;
  if (s.unclip >= 0) {  // clipped: only its unclipping protocol
    const AssemblerRecipe& r = cfg_->clipper.unclipping[s.unclip];
    int shown[8];
    const int n = shown_vibes(around, count, shown);
    return fits(r, shown, n, count) ? &r : nullptr;
  }
  const ObjectConfig& oc = cfg_->objects[s.cfg];
  *index = recipe_for(oc, around, count, mask);
  return *index < 0 ? nullptr : &oc.recipes[*index];
}

int Env::recipe_for(const ObjectConfig& oc, const int* around, int count, int mask) const {
  if (!oc.by_protocol) return oc.recipe_of_mask[mask];
  int shown[8];
  const int n = shown_vibes(around, count, shown);
  // The protocol asking for exactly these vibes, else one asking for none; among those, the
  // one needing the most agents that are here (the first listed on a tie).
  int exact = -1, fallback = -1;
  for (size_t p = 0; p < oc.recipes.size(); ++p) {
    const AssemblerRecipe& r = oc.recipes[p];
    if (r.min_agents > count) continue;
    int* best = nullptr;
    if (static_cast<int>(r.vibes.size()) == n && std::equal(shown, shown + n, r.vibes.begin())) {
      best = &exact;
    } else if (r.vibes.empty()) {
      best = &fallback;
    } else {
      continue;
    }
    if (*best < 0 || r.min_agents > oc.recipes[*best].min_agents) *best = static_cast<int>(p);
  }
  return exact >= 0 ? exact : fallback;
}

const AssemblerRecipe* Env::current_recipe(const AssemblerState& s) const {
  int around[8], count = 0, index = -1;
  const int mask = agents_around(objects_[s.object_id], around, count);
  return recipe_now(s, around, count, mask, &index);
}

int Env::vibers(const AssemblerRecipe& recipe, const int* around, int count, int* out) const {
  int wanted[8], left = static_cast<int>(recipe.vibes.size()), m = 0;
  std::copy(recipe.vibes.begin(), recipe.vibes.end(), wanted);
  for (int k = 0; k < count && left > 0; ++k) {
    int* match = std::find(wanted, wanted + left, static_cast<int>(agents_[around[k]].glyph));
    if (match == wanted + left) continue;
    *match = wanted[--left];  // this vibe is taken
    out[m++] = around[k];
  }
  return m;
}

void Env::give_in_turn(const int* takers, int m, int item, int amount) {
  bool open[8];
  int left = amount, open_count = m;
  std::fill(open, open + m, true);
  while (left > 0 && open_count > 0) {
    for (int k = 0; k < m && left > 0; ++k) {
      if (!open[k]) continue;
      if (agent_update(takers[k], item, 1) == 1) {
        --left;
      } else {
        open[k] = false;
        --open_count;
      }
    }
  }
}

uint32_t Env::cooldown_remaining(const AssemblerState& s) const {
  const uint32_t now = static_cast<uint32_t>(current_step_);
  return s.cooldown_end > now ? s.cooldown_end - now : 0;
}

bool Env::use_assembler(int a, int k) {
  AssemblerState& s = assemblers_[k];
  const ObjectConfig& oc = cfg_->objects[s.cfg];
  if (oc.max_uses > 0 && s.uses >= static_cast<uint32_t>(oc.max_uses)) return false;
  const float progress = cooldown_progress(s, static_cast<uint32_t>(current_step_));
  if (progress < 1.0f && !oc.allow_partial_usage) return false;

  int around[8], count = 0, index = -1;
  const int mask = agents_around(objects_[s.object_id], around, count);
  const AssemblerRecipe* chosen = recipe_now(s, around, count, mask, &index);
  if (chosen == nullptr) return false;
  const AssemblerRecipe& recipe = *chosen;
  const bool repairing = s.unclip >= 0;

  int inputs[kMaxResources], outputs[kMaxResources];
  bool any_output = false, any_full_output = false;
  for (int i = 0; i < R_; ++i) {
    inputs[i] = recipe.input_resources[i];
    outputs[i] = recipe.output_resources[i];
    any_full_output |= outputs[i] > 0;
    if (progress < 1.0f) {
      inputs[i] = static_cast<int>(std::ceil(inputs[i] * progress));
      outputs[i] = static_cast<int>(std::floor(outputs[i] * progress));
    }
    any_output |= outputs[i] > 0;
  }
  // A partial use that would make nothing of a recipe that makes something only burns inputs.
  if (progress < 1.0f && any_full_output && !any_output) return false;
  for (int i = 0; i < R_; ++i) {
    int pooled = 0;
    for (int n = 0; n < count; ++n) pooled += agent_inventory(around[n])[i];
    if (pooled < inputs[i]) return false;
  }
  for (int i = 0; i < R_; ++i) {
    int needed = inputs[i];
    for (int n = 0; n < count && needed > 0; ++n) {
      needed += agent_update(around[n], i, -std::min<int>(needed, agent_inventory(around[n])[i]));
    }
  }
  int takers[8], m = 0;
  if (recipe.vibes.size() >= 2) m = vibers(recipe, around, count, takers);
  if (m == 0) takers[m++] = a;
  for (int i = 0; i < R_; ++i) {
    if (outputs[i] > 0) give_in_turn(takers, m, i, outputs[i]);
  }
  // Exhaustion grows the multiplier geometrically: capped, so the cast stays defined (a
  // cooldown of 1e9 steps outlasts any episode).
  constexpr float kLongest = 1e9f;
  if (repairing) {  // a repair: the protocol's own cooldown, and not counted as a use
    s.cooldown_duration = static_cast<uint32_t>(recipe.cooldown);
    s.cooldown_end = static_cast<uint32_t>(current_step_) + s.cooldown_duration;
    unclip(k);
    return true;
  }
  s.cooldown_duration =
      static_cast<uint32_t>(std::min(recipe.cooldown * s.cooldown_multiplier, kLongest));
  s.cooldown_end = static_cast<uint32_t>(current_step_) + s.cooldown_duration;
  s.uses += 1;
  if (oc.exhaustion > 0.0f)
    s.cooldown_multiplier = std::min(s.cooldown_multiplier * (1.0f + oc.exhaustion), kLongest);
  game_stats_[rules_->ids.assembler_uses[s.cfg]] += 1;
  game_stats_[rules_->ids.assembler_uses_by_agents[s.cfg][std::min(count, 3) - 1]] += 1;
  if (oc.by_protocol) game_stats_[rules_->ids.protocol_uses[s.cfg][index]] += 1;
  return true;
}

}  // namespace mettagrid
