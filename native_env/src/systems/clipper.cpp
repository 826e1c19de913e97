// The clipper (the original's): each step, with probability clip_rate, one more assembler is
// clipped. Which one is drawn by infection weight, the sum over the clipped assemblers within
// `cutoff` length scales (L-inf distance) of 2^(cutoff - floor(distance / length_scale)), so a
// clip spreads to its neighbours first; when no unclipped assembler has any weight, one is
// drawn uniformly. Clip-immune assemblers are never clipped and do not spread. A clip draws
// one of the unclipping protocols and ends the assembler's cooldown; the assembler then only
// answers that protocol, whose use repairs it (objects/assembler.cpp) and is not counted as a
// use. With length_scale 0 the scale comes from the assemblers' density, as in the original:
// half the square root of the map's cells per assembler, at least 1.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

bool clippable(const GameConfig& cfg, const AssemblerState& s) {
  return !cfg.objects[s.cfg].clip_immune;
}

}  // namespace

void Env::link_clipper() {
  const ClipperConfig& cc = cfg_->clipper;
  const int n = static_cast<int>(assemblers_.size());
  clip_start_.assign(n + 1, 0);
  clip_links_.clear();
  if (cc.unclipping.empty() || n == 0) return;
  int clippable_count = 0;
  for (const auto& s : assemblers_) clippable_count += clippable(*cfg_, s);
  clip_scale_ = cc.length_scale;
  if (clip_scale_ <= 0) {
    const double sparsity = static_cast<double>(H_) * W_ / std::max(clippable_count, 1);
    clip_scale_ = std::max(static_cast<int>(std::ceil(std::sqrt(sparsity))) / 2, 1);
  }
  const int reach = cc.cutoff * clip_scale_;
  for (int k = 0; k < n; ++k) {
    clip_start_[k] = static_cast<uint32_t>(clip_links_.size());
    if (!clippable(*cfg_, assemblers_[k])) continue;
    const GridObject& a = objects_[assemblers_[k].object_id];
    for (int j = 0; j < n; ++j) {
      if (j == k || !clippable(*cfg_, assemblers_[j])) continue;
      const GridObject& b = objects_[assemblers_[j].object_id];
      const int d = std::max(std::abs(a.r - b.r), std::abs(a.c - b.c));
      if (d > reach) continue;
      clip_links_.emplace_back(j, 1u << (cc.cutoff - d / clip_scale_));
    }
  }
  clip_start_[n] = static_cast<uint32_t>(clip_links_.size());
}

void Env::clip(int k) {
  AssemblerState& s = assemblers_[k];
  for (uint32_t i = clip_start_[k]; i < clip_start_[k + 1]; ++i) {
    assemblers_[clip_links_[i].first].infection += clip_links_[i].second;
  }
  s.unclip = static_cast<int32_t>(rand_below(step_rng_, cfg_->clipper.unclipping.size()));
  s.cooldown_end = static_cast<uint32_t>(current_step_);
  s.cooldown_duration = 0;
  game_stats_[rules_->ids.clips] += 1;
}

void Env::unclip(int k) {
  AssemblerState& s = assemblers_[k];
  for (uint32_t i = clip_start_[k]; i < clip_start_[k + 1]; ++i) {
    assemblers_[clip_links_[i].first].infection -= clip_links_[i].second;
  }
  s.unclip = -1;
  game_stats_[rules_->ids.repairs] += 1;
}

void Env::run_clipper() {
  const ClipperConfig& cc = cfg_->clipper;
  if (cc.clip_rate <= 0.0f || cc.unclipping.empty()) return;
  if (rand_unit(step_rng_) >= cc.clip_rate) return;
  uint32_t total = 0;  // at most 60000 assemblers x 2^12 (cutoff <= 12)
  int open = 0;
  for (const auto& s : assemblers_) {
    if (s.unclip >= 0 || !clippable(*cfg_, s)) continue;
    total += s.infection;
    ++open;
  }
  if (open == 0) return;
  // Weighted by infection when any has weight, else uniform among the unclipped.
  uint32_t pick = rand_below(step_rng_, total > 0 ? total : static_cast<uint32_t>(open));
  for (int k = 0; k < static_cast<int>(assemblers_.size()); ++k) {
    const AssemblerState& s = assemblers_[k];
    if (s.unclip >= 0 || !clippable(*cfg_, s)) continue;
    const uint32_t weight = total > 0 ? s.infection : 1;
    if (pick < weight) {
      clip(k);
      return;
    }
    pick -= weight;
  }
}

}  // namespace mettagrid
