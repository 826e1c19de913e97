// Everything derived once from a GameConfig and shared read-only by all envs of a VecEnv:
// the flat action catalog, the interned stat names, the observation window order and the
// feature spec. Interning stats to integer ids keeps string handling out of step().
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "mettagrid/config.hpp"

namespace mettagrid {

// Observation feature ids (classic era table; inventory features start at kInvFeatureBase).
namespace feat {
constexpr uint8_t TypeId = 0, Group = 1, Frozen = 2, Orientation = 3, Color = 4, Converting = 5,
                  Swappable = 6, EpisodeCompletion = 7, LastAction = 8, LastReward = 10, Glyph = 11,
                  CooldownRemaining = 12, RemainingUses = 13, Clipped = 14, InvBase = 17;
// With recipe_details_obs: a recipe's inputs and outputs, after the inventory's ids.
constexpr uint8_t input(int num_resources, int r) {
  return InvBase + num_resources + r;
}
constexpr uint8_t output(int num_resources, int r) {
  return InvBase + 2 * num_resources + r;
}
}  // namespace feat

// Orientation enum N=0, S=1, W=2, E=3, NW=4, NE=5, SW=6, SE=7: names and (drow, dcol) deltas.
// The only definition of direction names: action variants and Python's orientation_name use it.
inline constexpr const char* kDirNames[8] = {"north",     "south",     "west",      "east",
                                             "northwest", "northeast", "southwest", "southeast"};
constexpr int kDirRow[8] = {-1, 1, 0, 0, -1, -1, 1, 1};
constexpr int kDirCol[8] = {0, 0, -1, 1, -1, 1, -1, 1};

// The 8 sides of an object an agent can stand on, in the order that numbers them (assembler
// mask bits, chest position deltas; Python's SIDES): NW, N, NE, W, E, SW, S, SE.
constexpr int kSideRow[8] = {-1, -1, -1, 0, 0, 1, 1, 1};
constexpr int kSideCol[8] = {-1, 0, 1, -1, 1, -1, 0, 1};

// The side (0..7) the cell (dr, dc) from an object is, or -1 when it is not a neighbour.
inline int side_of(int dr, int dc) {
  for (int side = 0; side < 8; ++side) {
    if (kSideRow[side] == dr && kSideCol[side] == dc) return side;
  }
  return -1;
}

class ActionHandler;

struct FeatureInfo {
  std::string name;
  int id;
  float normalization;
};

struct WindowCell {
  int32_t offset;    // index delta in the padded grid
  uint8_t location;  // packed (row << 4) | col within the window
};

class Rules {
 public:
  explicit Rules(GameConfig cfg);

  const GameConfig cfg;
  int num_resources = 0, num_groups = 0;
  int height = 0, width = 0;      // the map
  int pad = 0, padded_width = 0;  // grid padding so window reads never need a bounds check
  int padded_cells = 0;

  // Flat action catalog.
  std::vector<std::string> action_names;
  std::vector<uint8_t> flat_handler;  // flat id -> index into cfg.actions
  std::vector<uint8_t> flat_arg;
  std::vector<const ActionHandler*> handlers;  // per cfg.actions entry (actions/*.cpp)
  std::vector<uint8_t> handler_priority;
  int transfer_action = -1;  // index into cfg.actions of the enabled transfer action, or -1

  // Interned stats (agent and game stats share one id space, so rewards can add them).
  // Each has a typed key beside its name, (kind, a, b): ("shared", resource, ""), ("hit",
  // actor group, target group), ("uses_by_agents", object, "1" | "2" | "3+")... Python reads
  // the keys (stat_keys), never the names' spelling, so a renamed stat cannot silently empty a
  // metric. A name interned by a reward only (any stat name) has kind "".
  struct StatKey {
    std::string kind, a, b;
  };
  std::vector<std::string> stat_names;
  std::vector<StatKey> stat_keys;
  int stat(const std::string& name, const std::string& kind = "", const std::string& a = "",
           const std::string& b = "");  // intern
  int num_stats() const { return static_cast<int>(stat_names.size()); }
  struct Ids {
    std::vector<int> gained, lost, amount, put, get;  // per resource
    // Agent stats <res>.shared / <res>.received (moving into another agent hands half over),
    // per resource; -1 for resources no group shares.
    std::vector<int> shared, received;
    std::vector<int> success, failed;  // per handler
    int invalid_type, failure_penalty, frozen_ticks;
    std::vector<int> hit, hit_by, blocked_by;  // [actor_group * G + target_group]
    std::vector<int> steals;                   // [resource * G + target_group]
    int friendly_fire, wasted_on_frozen;
    std::vector<int> objects_of_type;  // game stat per object index
    // Game stats chest.<resource>.{deposited,withdrawn,destroyed,amount}, per resource; -1
    // for resources no chest holds.
    std::vector<int> chest_deposited, chest_withdrawn, chest_destroyed, chest_amount;
    std::vector<int> chest_passed;   // chest.<res>.passed: withdrawn units another agent deposited
    std::vector<int> chest_regrown;  // chest.<res>.regrown: units a regrowing chest added
    // Game stats per object index (-1 unless an assembler): <name>.uses, and its uses by how
    // many agents stood around it: <name>.uses.agents_1, .agents_2, .agents_3+ (the last
    // counts 3 or more).
    std::vector<int> assembler_uses;
    std::vector<std::array<int, 3>> assembler_uses_by_agents;
    // Game stats <name>.uses.protocol_<k> per object index and protocol (empty unless the
    // object is an assembler with protocols), and agent stats vibe.<name>.steps per vibe (the
    // steps an agent ended showing it).
    std::vector<std::vector<int>> protocol_uses;
    std::vector<int> vibe_steps;
    // Game stats signal.<vibe>.<action>, [vibes x flat actions]: how often an agent took that
    // action while an agent in its view showed that vibe (the signalling metrics' counts).
    std::vector<int> signal;
    int clips = -1, repairs = -1;  // game stats clipper.clips / clipper.repairs (with a clipper)
    // Agent stats life.deaths, life.respawns and life.steps_alive (with GameConfig::death).
    int deaths = -1, respawns = -1, steps_alive = -1;
    int objects_agent, tokens_written, tokens_dropped, tokens_free_space;
    std::vector<std::vector<int>> reward_stat;               // per group: stat id per reward term
    std::vector<std::vector<std::vector<int>>> limit_items;  // per group, per limit: items
  } ids;

  // Reward sharing between groups (GroupConfig::reward_share): whether any share is set, and
  // per group the part of its members' rewards they keep.
  bool shares_rewards = false;
  std::vector<float> kept_share;

  std::vector<WindowCell> window;  // visible cells in increasing Manhattan distance
  uint8_t center_location = 0;
  std::vector<FeatureInfo> features;

 private:
  std::unordered_map<std::string, int> stat_index_;
};

// Throws std::invalid_argument naming the first difference if `task` cannot be played by
// envs built for `base`: a curriculum task may change rewards, costs, limits, initial
// inventories and map contents, but not what sizes the buffers or what a policy sees and
// emits (agent slots, observation window, resources, stats, actions, features, groups); its
// map and its number of agents may be smaller than the batch's.
void check_same_shape(const Rules& base, const Rules& task);

}  // namespace mettagrid
