#include "mettagrid/map_builder.hpp"

#include <cmath>
#include <stdexcept>

namespace mettagrid {

void map_size(const MapConfig& map, int* width, int* height, int* inst_rows, int* inst_cols) {
  if (map.kind == "mapgen") {
    int rows = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(map.instances))));
    int cols = (map.instances + rows - 1) / rows;
    *inst_rows = rows;
    *inst_cols = cols;
    *width = cols * map.width + (cols - 1) * map.instance_border_width + 2 * map.border_width;
    *height = rows * map.height + (rows - 1) * map.instance_border_width + 2 * map.border_width;
  } else {
    *inst_rows = *inst_cols = 1;
    *width = map.width;
    *height = map.height;
  }
}

MapBuilder::MapBuilder(const GameConfig& cfg) : cfg_(cfg), map_(cfg.map) {
  map_size(map_, &width_, &height_, &inst_rows_, &inst_cols_);
  items_.reserve(static_cast<size_t>(width_) * height_);
}

void MapBuilder::build(Rng& rng, std::vector<uint16_t>& out) {
  if (map_.kind == "fixed") {
    // One grid draws nothing, so a single fixed map leaves the map RNG where it was.
    const size_t size = static_cast<size_t>(width_) * height_;
    const size_t k = map_.variants > 1 ? rand_below(rng, static_cast<uint32_t>(map_.variants)) : 0;
    const auto first = map_.cells.begin() + static_cast<std::ptrdiff_t>(k * size);
    out.assign(first, first + static_cast<std::ptrdiff_t>(size));
    return;
  }
  out.resize(static_cast<size_t>(width_) * height_);  // within the batch's capacity: no allocation
  const uint16_t border = static_cast<uint16_t>(1 + map_.border_object);
  const int bw = map_.border_width;
  // Border first, then the inner area(s); mapgen separates instances by walls as well.
  for (int i = 0; i < width_ * height_; ++i) out[i] = border;
  if (map_.kind == "random") {
    fill_random(rng, out, bw, bw, height_ - 2 * bw, width_ - 2 * bw, /*halve=*/true);
    return;
  }
  int placed = 0;
  for (int ir = 0; ir < inst_rows_ && placed < map_.instances; ++ir) {
    for (int ic = 0; ic < inst_cols_ && placed < map_.instances; ++ic, ++placed) {
      int r0 = bw + ir * (map_.height + map_.instance_border_width);
      int c0 = bw + ic * (map_.width + map_.instance_border_width);
      fill_random(rng, out, r0, c0, map_.height, map_.width, /*halve=*/false);
    }
  }
}

// Fills an h*w area with the configured agents and objects, shuffled among empty cells.
// `halve` mirrors RandomMapBuilder (object counts halved, min 1, until they fit); without it
// extra objects are dropped like the Random scene (agents always fit: validated up front).
void MapBuilder::fill_random(Rng& rng, std::vector<uint16_t>& out, int r0, int c0, int h, int w,
                             bool halve) {
  const int area = h * w;
  items_.clear();
  for (size_t g = 0; g < map_.agents_per_group.size(); ++g) {
    for (int k = 0; k < map_.agents_per_group[g]; ++k) {
      items_.push_back(static_cast<uint16_t>(kAgentCellFlag | g));
    }
  }
  const int num_agents = static_cast<int>(items_.size());
  int divisor = 1;
  while (true) {
    int total = num_agents;
    for (int n : map_.object_counts) total += n > 0 ? std::max(1, n / divisor) : 0;
    if (!halve || total <= area || divisor > (1 << 20)) break;
    divisor *= 2;
  }
  for (size_t o = 0; o < map_.object_counts.size(); ++o) {
    int n = map_.object_counts[o];
    if (n <= 0) continue;
    n = std::max(1, n / divisor);
    for (int k = 0; k < n && static_cast<int>(items_.size()) < area; ++k) {
      items_.push_back(static_cast<uint16_t>(1 + o));
    }
  }
  while (static_cast<int>(items_.size()) < area) items_.push_back(kEmptyCell);
  shuffle(items_.data(), items_.size(), rng);
  for (int r = 0; r < h; ++r) {
    for (int c = 0; c < w; ++c) out[(r0 + r) * width_ + (c0 + c)] = items_[r * w + c];
  }
}

}  // namespace mettagrid
