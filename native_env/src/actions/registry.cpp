#include <algorithm>

#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/rules.hpp"

namespace mettagrid {

namespace {

struct Entry {
  std::string name;
  int order;
  std::unique_ptr<ActionHandler> handler;
};

// Constructed on first use: action files register from static initializers in any order.
std::vector<Entry>& registry() {
  static std::vector<Entry> entries;
  return entries;
}

}  // namespace

void register_action(const std::string& name, int order, std::unique_ptr<ActionHandler> handler) {
  auto& entries = registry();
  entries.push_back(Entry{name, order, std::move(handler)});
  std::sort(entries.begin(), entries.end(),
            [](const Entry& x, const Entry& y) { return x.order < y.order; });
}

const ActionHandler* find_action(const std::string& name) {
  for (const auto& e : registry()) {
    if (e.name == name) return e.handler.get();
  }
  return nullptr;
}

int action_order(const std::string& name) {
  for (const auto& e : registry()) {
    if (e.name == name) return e.order;
  }
  return -1;
}

std::vector<std::string> direction_variants(const std::string& name, const GameConfig& game) {
  const int directions = game.allow_diagonals ? 8 : 4;
  std::vector<std::string> names;
  for (int d = 0; d < directions; ++d) names.push_back(name + "_" + kDirNames[d]);
  return names;
}

std::vector<std::string> action_names_in_order() {
  std::vector<std::string> names;
  for (const auto& e : registry()) names.push_back(e.name);
  return names;
}

}  // namespace mettagrid
