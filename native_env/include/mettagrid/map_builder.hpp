// Builds one map (a grid of cell codes) per episode. Scratch space is reserved once, so a
// reset inside step() does not allocate.
#pragma once

#include <cstdint>
#include <vector>

#include "mettagrid/config.hpp"
#include "mettagrid/rng.hpp"

namespace mettagrid {

class MapBuilder {
 public:
  explicit MapBuilder(const GameConfig& cfg);

  int width() const { return width_; }
  int height() const { return height_; }

  // Writes height*width cell codes into `out` (already sized by the caller).
  void build(Rng& rng, std::vector<uint16_t>& out);

 private:
  void fill_random(Rng& rng, std::vector<uint16_t>& out, int r0, int c0, int h, int w, bool halve);

  const GameConfig& cfg_;
  const MapConfig& map_;
  int width_ = 0, height_ = 0;
  int inst_rows_ = 1, inst_cols_ = 1;
  std::vector<uint16_t> items_;  // scratch: the multiset of codes for one area
};

// Size of the whole map a MapConfig produces (mapgen tiles instances inside a border).
void map_size(const MapConfig& map, int* width, int* height, int* inst_rows, int* inst_cols);

}  // namespace mettagrid
