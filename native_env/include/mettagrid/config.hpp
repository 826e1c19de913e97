// Native game configuration: plain structs filled from the typed Python config
// (metta_lit.env.native_config). Python does the friendly validation (names, row/column
// of map errors); GameConfig::validate() re-checks everything the C++ code relies on so a
// hand-built config can never index out of bounds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mettagrid {

constexpr int kMaxResources = 64;
constexpr int kMaxObsSize = 15;              // location byte packs row and column in 4 bits each
constexpr uint16_t kAgentCellFlag = 0x8000;  // map cell code: agent of group (code & 0x7fff)
constexpr uint16_t kEmptyCell = 0;           // map cell code: empty; objects are 1 + object index
constexpr long kMaxMapVariantCells = 1L << 22;  // all of a fixed map's grids together (8 MiB)

enum class ObjectKind : uint8_t { Wall = 0, Converter = 1, Chest = 2, Assembler = 3 };

// One assembler recipe: what the agents around it give and what its user gets. An assembler
// with protocols (ObjectConfig::by_protocol) picks among them by its neighbours' vibes instead
// of their positions: a protocol fits when at least `min_agents` agents stand around it and
// the vibes other than vibe 0 they show are exactly `vibes` (a multiset, sorted ids).
struct AssemblerRecipe {
  std::vector<int> input_resources;  // qty per resource id
  std::vector<int> output_resources;
  int cooldown = 0;
  int min_agents = 0;
  std::vector<int> vibes;
};

struct ObjectConfig {
  std::string name;
  int type_id = 1;
  ObjectKind kind = ObjectKind::Wall;
  bool swappable = false;            // walls (a "block" is a swappable wall)
  std::vector<int> input_resources;  // converters: qty per resource id
  std::vector<int> output_resources;
  int max_output = 5;        // -1 = unlimited
  int max_conversions = -1;  // -1 = unlimited
  int conversion_ticks = 1;
  int cooldown = 0;
  int initial_resource_count = 0;  // converters: of each output; chests: of their resource
  int color = 0;
  // Chests: the one resource held, and per side of the chest its user stands on (NW, N, NE,
  // W, E, SW, S, SE: the assembler's bit order) how much a use moves: > 0 deposits up to
  // that much, < 0 withdraws up to that much, 0 does nothing. Deposits past max_inventory
  // are destroyed.
  int chest_resource = -1;
  std::vector<int> position_deltas;
  // Chests keyed by vibes instead: per vibe id the amount its user moves (empty: by side).
  std::vector<int> vibe_deltas;
  int max_inventory = 255;
  // Chests that regrow (a commons): every regrow_interval steps (0 = never) a chest holding
  // n > 0 units gains ceil(regrow_rate * n), up to max_inventory; an empty one stays empty.
  int regrow_interval = 0;
  float regrow_rate = 0.0f;
  // Assemblers: the recipe (index into `recipes`, -1 none) for each of the 256 masks of which
  // neighbouring cells hold agents (bit i = side i, NW..SE as above); uses and exhaustion.
  std::vector<AssemblerRecipe> recipes;
  std::vector<int> recipe_of_mask;
  // The recipes are protocols, chosen by vibes (objects/assembler.cpp); recipe_of_mask is
  // then unused.
  bool by_protocol = false;
  int max_uses = 0;         // 0 = unlimited
  float exhaustion = 0.0f;  // each use multiplies later cooldowns by 1 + exhaustion
  bool allow_partial_usage = false;
  // Assemblers and the clipper (GameConfig::clipper): never clipped, or clipped at reset.
  bool clip_immune = false;
  bool start_clipped = false;
};

// The clipper (systems/clipper.cpp, the original's): assemblers are clipped over time, a clip
// spreading to nearby ones; a clipped assembler makes nothing until agents use it by its
// unclipping protocol, which repairs it.
struct ClipperConfig {
  float clip_rate = 0.0f;  // probability per step that one more assembler is clipped
  int length_scale = 0;    // cells (L-inf distance); 0: from the assemblers' density
  int cutoff = 3;          // in length scales: farther assemblers do not spread to each other
  std::vector<AssemblerRecipe> unclipping;  // protocols; one is drawn per clip
};

// Agents that die and come back: an agent whose holding of `resource` falls to 0 leaves the map
// (its slot inactive: padding observations, no reward, actions ignored) and, after
// `respawn_delay` steps, returns to the cell it started the episode on (as soon as that cell
// is free) with its initial inventory; -1: it does not return this episode.
struct DeathConfig {
  int resource = -1;  // -1: agents never die
  int respawn_delay = -1;
};

struct GroupConfig {
  std::string name = "agent";
  int group_id = 0;  // the value observed in the agent:group token
  // Per source group h: the share of h's step reward this group receives, split evenly among
  // its members; h's members keep 1 - (the column's sum). The original's group_reward_pct p
  // is reward_share[own group] = p.
  std::vector<float> reward_share;
  int freeze_duration = 10;
  float action_failure_penalty = 0.0f;
  std::vector<int> limit_group_of_item;   // per resource: index into limit_values or -1 (255)
  std::vector<int> limit_values;          // shared limits; a per-item limit is a group of one
  std::vector<int> initial_inventory;     // per resource
  std::vector<uint8_t> soul_bound;        // per resource: never stolen
  std::vector<uint8_t> shareable;         // per resource: half given when moving into an agent
  std::vector<int> regen_amounts;         // per resource, added every inventory_regen_interval
  std::vector<std::string> reward_stats;  // stat names ("heart.amount", "action.move.success"...)
  std::vector<float> reward_rates;
  std::vector<float> reward_max;  // +inf when uncapped
};

struct ActionConfig {
  std::string name;                       // handler name: noop, move, rotate, put_items, ...
  std::vector<int> required_resources;    // per resource
  std::vector<float> consumed_resources;  // per resource; fractions use stochastic rounding
  std::vector<int> defense_resources;     // attack only: target loses these to block the attack
  int number_of_glyphs = 0;               // change_glyph only
  // transfer only: [vibes x resources] amounts moved to the agent moved into while showing
  // that vibe (a row of zeros: the classic hand-over for that vibe).
  std::vector<int> transfer_amounts;
};

// How maps are made on every reset: one of a few fixed grids, a random fill, or tiled random
// instances.
struct MapConfig {
  std::string kind = "fixed";         // fixed | random | mapgen
  int width = 0, height = 0;          // whole map for fixed/random; one instance for mapgen
  int variants = 1;                   // fixed: grids in `cells`; each reset draws one
  std::vector<uint16_t> cells;        // fixed: variants*height*width cell codes, grid after grid
  std::vector<int> object_counts;     // random/mapgen: count per object index (per instance)
  std::vector<int> agents_per_group;  // random/mapgen: agents per group index (per instance)
  int border_width = 0;
  int border_object = 0;          // object index drawn as border (a wall)
  int instances = 1;              // mapgen only
  int instance_border_width = 0;  // mapgen only
};

struct GameConfig {
  int num_agents = 0;  // the agents this game's maps place
  // Agent slots the buffers hold (0: num_agents). A batch's tasks may place fewer agents than
  // its slots; the slots left over are inactive for the episode.
  int max_agents = 0;
  int slots() const { return max_agents > num_agents ? max_agents : num_agents; }
  int max_steps = 1000;  // 0 = unlimited
  bool episode_truncates = false;
  int obs_width = 11, obs_height = 11;
  int num_observation_tokens = 200;
  bool allow_diagonals = false;
  bool obs_episode_completion = true;
  bool obs_last_action = true;
  bool obs_last_reward = true;
  // Converters and assemblers also show their recipe: input:<res> and output:<res> tokens (an
  // assembler's for the agents around it now), feature ids after the inventory's.
  bool recipe_details_obs = false;
  float resource_loss_prob = 0.0f;
  int inventory_regen_interval = 0;
  // Per-agent initial inventories, num_agents x resources; -1 keeps the group's amount.
  // Empty when no agent has its own.
  std::vector<int> agent_initial_inventory;
  std::vector<std::string> resource_names;
  // Names of the vibes agents can show (change_vibe_<name>); vibe k is glyph value k and vibe 0
  // every agent's start. Empty: no named vibes.
  std::vector<std::string> vibe_names;
  std::vector<ObjectConfig> objects;
  ClipperConfig clipper;
  DeathConfig death;
  std::vector<GroupConfig> groups;
  std::vector<ActionConfig>
      actions;  // enabled handlers, any order (the registry orders the catalog)
  MapConfig map;

  // Throws std::invalid_argument naming the offending field.
  void validate() const;
};

}  // namespace mettagrid
