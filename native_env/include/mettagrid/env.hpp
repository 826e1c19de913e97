// One MettaGrid episode stream: grid, objects, agents, converters, event queue and stats.
// Writes observations/rewards/dones straight into slices of the VecEnv's numpy buffers.
// All storage is sized at construction; reset() and step() reuse it without allocating.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mettagrid/map_builder.hpp"
#include "mettagrid/rng.hpp"
#include "mettagrid/rules.hpp"

namespace mettagrid {

enum class Layer : uint8_t { Agent = 0, Object = 1 };

struct GridObject {
  uint16_t r = 0, c = 0;
  Layer layer = Layer::Object;
  bool is_agent = false;
  int16_t cfg = -1;  // object config index (non-agents)
  int32_t sub = -1;  // agent, converter, chest or assembler index by kind; -1 for walls
};

struct AgentState {
  uint32_t object_id = 0;
  uint8_t group = 0;  // group index
  uint8_t orientation = 0;
  uint8_t frozen = 0;  // remaining frozen action attempts
  uint8_t color = 0;
  uint8_t glyph = 0;
  int32_t last_action = 0;  // flat action id of the previous step
  float stat_reward = 0;    // capped stat reward sum so far (reward = its change)
  float episode_reward = 0;
  // Deaths (GameConfig::death): whether it is on the map, the step it returns (-1: never),
  // and the cell it started the episode on, where it returns.
  uint8_t alive = 1;  // 0/1 (a byte, so a loaded state can be checked before it is trusted)
  int32_t respawn_at = -1;
  uint16_t spawn_r = 0, spawn_c = 0;
};

struct ConverterState {
  uint32_t object_id = 0;
  int16_t cfg = 0;
  bool converting = false;
  bool cooling_down = false;
  int32_t conversions = 0;
};

struct ChestState {
  uint32_t object_id = 0;
  int16_t cfg = 0;
  uint8_t amount = 0;  // of the chest's one resource
  uint8_t oldest = 0;  // ring index of the oldest unit in the chest's depositor ledger
};

struct AssemblerState {
  uint32_t object_id = 0;
  int16_t cfg = 0;
  uint32_t cooldown_end = 0;       // the step the current cooldown ends
  uint32_t cooldown_duration = 0;  // its length
  uint32_t uses = 0;
  float cooldown_multiplier = 1.0f;  // grows with exhaustion
  int32_t unclip = -1;     // while clipped: the unclipping protocol that repairs it, else -1
  uint32_t infection = 0;  // clipper: the pull of the clipped assemblers near it
};

struct Buffers {
  uint8_t* obs = nullptr;       // [agents, tokens, 3]
  float* rewards = nullptr;     // [agents]
  bool* terminals = nullptr;    // [agents]
  bool* truncations = nullptr;  // [agents]
  bool* action_success = nullptr;
  bool* active = nullptr;  // [agents]: a placed, living agent plays the slot this step
};

class Env {
 public:
  // `desync_first_episode` truncates the first episode at a random step in [1, max_steps),
  // so envs of a training batch do not all end on the same step.
  Env(const Rules& rules, uint64_t seed, bool desync_first_episode);
  void seed(uint64_t seed);

  void set_buffers(const Buffers& b) { buf_ = b; }
  // Plays the next episodes under `rules` (a curriculum task); call reset() next. The caller
  // keeps `rules` alive and has checked it is shaped like the env's own (check_same_shape):
  // every buffer here was sized by those shapes.
  void set_rules(const Rules& rules);
  // Builds a fresh map from the env's map RNG and writes the first observations.
  void reset();
  void step(const int32_t* actions);
  // Each episode's steps draw from a generator seeded, at reset, with a number drawn from the
  // env's own: that one number (with the map and the actions) replays the episode exactly.
  uint32_t episode_seed() const { return episode_seed_; }
  // Restarts the current episode's step generator from `seed` (verifying a replay).
  void set_episode_seed(uint32_t seed);
  bool done() const { return done_; }
  // The env's whole state (episode, random streams, last outputs) as bytes (src/state.cpp),
  // and its restoration under `rules` (the task the saved episode was playing; kept alive by
  // the caller). load_state validates everything first and changes nothing when it throws.
  std::string save_state() const;
  void load_state(const Rules& rules, const std::string& state);

  // Read access for Python (grid_objects, stats, renderers, replays).
  const Rules& rules() const { return *rules_; }
  int current_step() const { return current_step_; }
  // The map of the task played now (at most the batch's size: the buffers are sized by it).
  int width() const { return W_; }
  int height() const { return H_; }
  // Agents this episode placed (slots from here on are inactive until the next reset).
  int placed() const { return static_cast<int>(agents_.size()); }
  const std::vector<GridObject>& objects() const { return objects_; }
  const std::vector<AgentState>& agents() const { return agents_; }
  const std::vector<ConverterState>& converters() const { return converters_; }
  const std::vector<ChestState>& chests() const { return chests_; }
  const std::vector<AssemblerState>& assemblers() const { return assemblers_; }
  // Steps left of an assembler's cooldown (0: ready).
  uint32_t cooldown_remaining(const AssemblerState& s) const;
  // The agents on the 8 sides of `box` (into `around`, NW..SE; `count` of them) and their mask.
  int agents_around(const GridObject& box, int* around, int& count) const;
  // The recipe the agents around an assembler would make now (nullptr: none).
  const AssemblerRecipe* current_recipe(const AssemblerState& s) const;
  // Its index for the agents `around` (and their `mask`), by position or by protocol (-1: none).
  int recipe_for(const ObjectConfig& oc, const int* around, int count, int mask) const;
  // The recipe it would make for them now: its unclipping protocol while clipped (`index` -1),
  // else recipe_for's (nullptr: none).
  const AssemblerRecipe* recipe_now(const AssemblerState& s, const int* around, int count, int mask,
                                    int* index) const;
  const uint8_t* agent_inventory(int a) const { return &agent_inv_[a * R_]; }
  const uint8_t* converter_inventory(int c) const { return &conv_inv_[c * R_]; }
  const float* agent_stats(int a) const { return &agent_stats_[a * S_]; }
  const float* game_stats() const { return game_stats_.data(); }
  const std::vector<uint16_t>& map_cells() const { return map_cells_; }
  uint64_t map_hash() const;
  // Scenario setup: sets an agent's holding (within its limit). It is not play: no
  // gained/lost stats, and no reward for it on the next step.
  void set_inventory(int agent, int item, int amount);

  // --- What action handlers (actions/*.cpp) act through ----------------------------------
  const GameConfig& config() const { return *cfg_; }
  int num_resources() const { return R_; }
  AgentState& agent(int a) { return agents_[a]; }
  GridObject& object(uint32_t id) { return objects_[id]; }
  // A grid cell: low 16 bits = agent index + 1, high 16 bits = object id (object layer).
  uint32_t& cell(int r, int c) { return cells_[cell_index(r, c)]; }
  uint32_t cell(int r, int c) const { return cells_[cell_index(r, c)]; }
  bool in_bounds(int r, int c) const { return r >= 0 && c >= 0 && r < H_ && c < W_; }
  // Inventory changes go through these so limits, stats and converter restarts stay exact;
  // each returns the amount that actually moved.
  int agent_update(int a, int item, int delta);
  // How much more of `item` agent `a` may take now (its limit less what it holds).
  int room_for(int a, int item) const {
    const int room = item_capacity(a, item) - agent_inv_[a * R_ + item];
    return room > 0 ? room : 0;
  }
  int converter_update(int ci, int item, int delta);
  void maybe_start_converting(int ci);
  int facing_converter(int a) const;  // converter index the agent faces, or -1
  // Agent `a` moves into chest `chest` (objects/chest.cpp); true when anything moved.
  bool use_chest(int a, int chest);
  // Agent `a` moves into assembler `k` (objects/assembler.cpp); true when it made something.
  bool use_assembler(int a, int k);
  void move_agent(int a, int r, int c);
  void add_stat(int a, int id, float v) { agent_stats_[a * S_ + id] += v; }

 private:
  int item_capacity(int a, int item) const;  // how much of the item the agent may hold now
  // Assemblers (objects/assembler.cpp): the agents around that show a protocol's vibes, one
  // per vibe asked (into `out`; their count), and `amount` of `item` handed out unit by unit
  // in turn among `takers` (skipping a full one).
  int vibers(const AssemblerRecipe& recipe, const int* around, int count, int* out) const;
  void give_in_turn(const int* takers, int m, int item, int amount);
  void count_vibes();                          // agent stats vibe.<name>.steps
  void count_signals(const int32_t* actions);  // game stats signal.<vibe>.<action>
  // The clipper (systems/clipper.cpp): which assemblers can spread a clip to which (from
  // their positions; after every reset and load), one step of it, and a clip and a repair.
  void link_clipper();
  void run_clipper();
  void clip(int k);
  void unclip(int k);
  // The vibes other than 0 that the agents `around` show, sorted (into `out`; their count).
  int shown_vibes(const int* around, int count, int* out) const;
  void schedule(uint32_t when, uint8_t type, int ci);
  void process_events();

  // The phases of step(), in order.
  void run_actions(const int32_t* actions);
  void lose_resources();
  void regenerate_resources();
  void regrow_chests();  // objects/chest.cpp
  void add_stat_rewards();
  void share_group_rewards();
  void mark_episode_end();
  // Deaths and respawns (GameConfig::death), after the episode-end check: a death ends that
  // agent's trajectory (its terminal flag), a return starts a new one (its truncation flag,
  // so its memory starts afresh).
  void run_lives();
  void kill(int a);
  bool respawn(int a);
  // An agent's holding at the start of an episode (and at a respawn): its own amounts or its
  // group's, within limits, recorded as amounts (not gains) with the reward baseline on them.
  void give_initial_inventory(int a);

  // The bookkeeping every action shares (required/consumed resources, success/failure stats,
  // penalty, frozen agents) around its handler's apply().
  void run_action(int a, int32_t action);
  void penalize_failure(int a, const GroupConfig& g);

  std::vector<uint32_t> layout(const Rules& rules) const;  // what a saved state must match
  float compute_stat_reward(int a) const;
  void write_observations();
  void write_agent_obs(int a);
  void set_stat(int a, int id, float v) { agent_stats_[a * S_ + id] = v; }
  int cell_index(int r, int c) const {
    return (r + rules_->pad) * rules_->padded_width + c + rules_->pad;
  }

  struct Event {
    uint32_t when;
    uint32_t seq;
    int32_t converter;
    uint8_t type;  // 0 = FinishConverting, 1 = CoolDown
    bool operator>(const Event& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };

  const Rules* rules_;  // the current task's rules (set_rules swaps them between episodes)
  const GameConfig* cfg_;
  const int R_, S_, A_, T_;
  int H_, W_;  // the map of the task played now (set_rules); the buffers hold the batch's
  Rng step_rng_, map_rng_;
  std::unique_ptr<MapBuilder> map_builder_;
  Buffers buf_;

  int current_step_ = 0;
  int episode_limit_ = 0;
  uint32_t episode_seed_ = 0;
  bool done_ = true;  // a new env needs a reset before it can step
  bool desync_pending_ = false;
  uint32_t event_seq_ = 0;

  std::vector<uint32_t> cells_;  // see cell()
  std::vector<uint16_t> map_cells_;
  std::vector<GridObject> objects_;  // id = index; id 0 is reserved
  std::vector<AgentState> agents_;
  std::vector<ConverterState> converters_;
  std::vector<ChestState> chests_;
  // Per chest, a ring of kChestRing depositor agent ids, one per unit held, oldest first
  // (kNoDepositor for units it started with): who gave what a withdrawal takes.
  static constexpr int kChestRing = 256;
  static constexpr uint16_t kNoDepositor = 0xFFFF;
  std::vector<uint16_t> chest_ledger_;
  std::vector<AssemblerState> assemblers_;
  // Clipper links between assemblers (CSR: assembler k's are clip_links_[clip_start_[k] ..
  // clip_start_[k + 1]), as (assembler, weight) pairs), and the length scale in effect.
  std::vector<uint32_t> clip_start_;
  std::vector<std::pair<int, uint32_t>> clip_links_;
  int clip_scale_ = 1;
  std::vector<uint8_t> agent_inv_, conv_inv_;
  std::vector<float> agent_stats_, game_stats_;
  std::vector<Event> events_;
  std::vector<int> order_;
  std::vector<float> group_sum_, group_in_;
  std::vector<int> group_size_;
};

}  // namespace mettagrid
