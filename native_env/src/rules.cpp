#include "mettagrid/rules.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "mettagrid/actions/action_handler.hpp"
#include "mettagrid/map_builder.hpp"

namespace mettagrid {

namespace {

[[noreturn]] void fail(const std::string& msg) {
  throw std::invalid_argument(msg);
}

void check_per_resource(const std::vector<int>& v, size_t n, const std::string& what) {
  if (v.size() != n) fail(what + ": expected one entry per resource (" + std::to_string(n) + ")");
  for (int x : v) {
    if (x < 0 || x > 255) fail(what + ": amounts must be in [0, 255], got " + std::to_string(x));
  }
}

// An assembler recipe, or with `protocol` a protocol (min_agents and vibes too).
void check_recipe(const AssemblerRecipe& recipe, size_t R, size_t num_vibes, bool protocol,
                  const std::string& where) {
  check_per_resource(recipe.input_resources, R, where + " recipe inputs");
  check_per_resource(recipe.output_resources, R, where + " recipe outputs");
  if (recipe.cooldown < 0) fail(where + ": recipe cooldown must be >= 0");
  if (!protocol) return;
  if (recipe.min_agents < 1 || recipe.min_agents > 8) {
    fail(where + ": a protocol's min_agents must be in [1, 8] (an assembler has 8 sides)");
  }
  if (recipe.vibes.size() > 8) fail(where + ": a protocol asks for at most 8 vibes");
  for (size_t k = 0; k < recipe.vibes.size(); ++k) {
    if (recipe.vibes[k] < 1 || recipe.vibes[k] >= static_cast<int>(num_vibes)) {
      fail(where + ": a protocol's vibes must be ids 1..vibes-1 (vibe 0 is not counted)");
    }
    if (k > 0 && recipe.vibes[k] < recipe.vibes[k - 1])
      fail(where + ": protocol vibes must be sorted");
  }
}

}  // namespace

void GameConfig::validate() const {
  const size_t R = resource_names.size();
  if (R > static_cast<size_t>(kMaxResources)) fail("resource_names: at most 64 resources");
  if (num_agents <= 0 || num_agents > 4096) fail("num_agents must be in [1, 4096]");
  if (max_agents < 0 || max_agents > 4096) fail("max_agents must be in [0, 4096]");
  if (max_agents > 0 && max_agents < num_agents) {
    fail("num_agents " + std::to_string(num_agents) + " is more than max_agents " +
         std::to_string(max_agents) + " (the agent slots)");
  }
  if (max_steps < 0) fail("max_steps must be >= 0");
  for (int s : {obs_width, obs_height}) {
    if (s < 3 || s > kMaxObsSize || s % 2 == 0) fail("obs_width/obs_height must be odd, 3..15");
  }
  if (num_observation_tokens < 1 || num_observation_tokens > 65535) {
    fail("num_observation_tokens must be in [1, 65535]");
  }
  if (objects.empty() || objects.size() > 0x7000) fail("objects: need 1..28672 object types");
  for (const auto& o : objects) {
    if (o.type_id <= 0 || o.type_id > 255) fail("object '" + o.name + "': type_id must be 1..255");
    if (o.kind == ObjectKind::Converter) {
      check_per_resource(o.input_resources, R, "object '" + o.name + "' input_resources");
      check_per_resource(o.output_resources, R, "object '" + o.name + "' output_resources");
      if (o.conversion_ticks < 1) fail("object '" + o.name + "': conversion_ticks must be >= 1");
      if (o.cooldown < 0) fail("object '" + o.name + "': cooldown must be >= 0");
      if (o.initial_resource_count < 0 || o.initial_resource_count > 255) {
        fail("object '" + o.name + "': initial_resource_count must be in [0, 255]");
      }
    } else if (o.kind == ObjectKind::Chest) {
      const std::string where = "chest '" + o.name + "'";
      if (o.chest_resource < 0 || o.chest_resource >= static_cast<int>(R))
        fail(where + ": resource");
      if (o.position_deltas.size() != 8) fail(where + ": position_deltas needs one per side (8)");
      for (int d : o.position_deltas) {
        if (d < -255 || d > 255) fail(where + ": position deltas must be in [-255, 255]");
      }
      if (!o.vibe_deltas.empty() && o.vibe_deltas.size() != vibe_names.size()) {
        fail(where + ": vibe_deltas needs one per vibe");
      }
      for (int d : o.vibe_deltas) {
        if (d < -255 || d > 255) fail(where + ": vibe deltas must be in [-255, 255]");
      }
      if (o.max_inventory < 0 || o.max_inventory > 255) fail(where + ": max_inventory 0..255");
      if (o.regrow_interval < 0) fail(where + ": regrow_interval must be >= 0");
      if (!(o.regrow_rate >= 0.0f && o.regrow_rate <= 255.0f)) fail(where + ": regrow_rate 0..255");
      if (o.initial_resource_count < 0 || o.initial_resource_count > o.max_inventory) {
        fail(where + ": initial amount must be in [0, max_inventory]");
      }
    } else if (o.kind == ObjectKind::Assembler) {
      const std::string where = "assembler '" + o.name + "'";
      if (o.recipe_of_mask.size() != 256) fail(where + ": recipe_of_mask needs 256 entries");
      for (int k : o.recipe_of_mask) {
        if (k < -1 || k >= static_cast<int>(o.recipes.size())) fail(where + ": recipe index");
      }
      for (const auto& recipe : o.recipes) {
        check_recipe(recipe, R, vibe_names.size(), o.by_protocol, where);
      }
      if (o.max_uses < 0) fail(where + ": max_uses must be >= 0");
      if (!(o.exhaustion >= 0.0f && o.exhaustion <= 1e3f)) fail(where + ": exhaustion 0..1000");
    }
  }
  if (vibe_names.size() > 256) fail("vibe_names: at most 256 vibes");
  if (death.resource < -1 || death.resource >= static_cast<int>(R)) fail("death: resource");
  if (death.respawn_delay != -1 && (death.respawn_delay < 1 || death.respawn_delay > 1000000)) {
    fail("death: respawn_delay must be -1 (never) or in [1, 1000000]");
  }
  const ClipperConfig& cc = clipper;
  if (!(cc.clip_rate >= 0.0f && cc.clip_rate <= 1.0f)) fail("clipper: clip_rate must be in [0, 1]");
  if (cc.length_scale < 0 || cc.length_scale > 65535) fail("clipper: length_scale 0..65535");
  if (cc.cutoff < 0 || cc.cutoff > 12) fail("clipper: cutoff must be in [0, 12]");
  for (const auto& recipe : cc.unclipping) {
    check_recipe(recipe, R, vibe_names.size(), true, "clipper unclipping protocol");
  }
  for (const auto& o : objects) {
    if (o.start_clipped &&
        (o.kind != ObjectKind::Assembler || cc.unclipping.empty() || o.clip_immune)) {
      fail("object '" + o.name +
           "': start_clipped needs an assembler, not immune, and unclipping protocols");
    }
  }
  if (groups.empty() || groups.size() > 255) fail("groups: need 1..255 groups");
  for (const auto& g : groups) {
    const std::string where = "group '" + g.name + "'";
    if (g.limit_group_of_item.size() != R) fail(where + ": limit_group_of_item size");
    for (int lg : g.limit_group_of_item) {
      if (lg < -1 || lg >= static_cast<int>(g.limit_values.size())) fail(where + ": limit index");
    }
    for (int v : g.limit_values) {
      if (v < 0 || v > 255) fail(where + ": resource limits must be in [0, 255]");
    }
    check_per_resource(g.initial_inventory, R, where + " initial_inventory");
    check_per_resource(g.regen_amounts, R, where + " inventory_regen_amounts");
    if (g.soul_bound.size() != R || g.shareable.size() != R) fail(where + ": flags per resource");
    if (g.reward_rates.size() != g.reward_stats.size() ||
        g.reward_max.size() != g.reward_stats.size()) {
      fail(where + ": reward_stats, reward_rates and reward_max must have equal length");
    }
    if (g.freeze_duration < 0 || g.freeze_duration > 255) fail(where + ": freeze_duration 0..255");
    if (g.group_id < 0 || g.group_id > 255) fail(where + ": group_id must be in [0, 255]");
    if (g.reward_share.size() != groups.size()) fail(where + ": reward_share needs one per group");
    for (float s : g.reward_share) {
      if (!(s >= 0.0f && s <= 1.0f)) fail(where + ": reward shares must be in [0, 1]");
    }
  }
  for (size_t h = 0; h < groups.size(); ++h) {
    float given = 0.0f;
    for (const auto& g : groups) given += g.reward_share[h];
    if (given > 1.0f + 1e-5f) {
      fail("group '" + groups[h].name + "': shares of its reward add up to more than 1");
    }
  }
  int last = -1;
  for (const auto& a : actions) {
    const ActionHandler* handler = find_action(a.name);
    if (handler == nullptr) {
      std::string known;
      for (const auto& name : action_names_in_order()) known += (known.empty() ? "" : ", ") + name;
      fail("actions: unknown action '" + a.name + "' (known: " + known + ")");
    }
    const int t = action_order(a.name);
    if (t == last) fail("actions: '" + a.name + "' is listed twice");
    last = t;
    check_per_resource(a.required_resources, R, "action '" + a.name + "' required_resources");
    if (a.consumed_resources.size() != R) fail("action '" + a.name + "' consumed_resources size");
    for (size_t i = 0; i < R; ++i) {
      float c = a.consumed_resources[i];
      if (c < 0 || c > 255) fail("action '" + a.name + "': consumed amounts must be in [0, 255]");
      if (a.required_resources[i] < static_cast<int>(std::ceil(c))) {
        fail("action '" + a.name + "': required_resources must be >= ceil(consumed) for '" +
             resource_names[i] + "'");
      }
    }
    handler->validate(a, *this);
  }
  if (actions.empty() || actions[0].name != "noop") fail("actions: noop must be enabled");
  if (resource_loss_prob < 0 || resource_loss_prob > 1) fail("resource_loss_prob must be in [0,1]");
  if (inventory_regen_interval < 0) fail("inventory_regen_interval must be >= 0");
  if (!agent_initial_inventory.empty()) {
    if (agent_initial_inventory.size() != static_cast<size_t>(num_agents) * R) {
      fail("agent_initial_inventory: expected num_agents x resources entries");
    }
    for (int v : agent_initial_inventory) {
      if (v < -1 || v > 255) fail("agent_initial_inventory: amounts must be in [-1, 255]");
    }
  }

  // Map.
  const auto& m = map;
  if (m.kind != "fixed" && m.kind != "random" && m.kind != "mapgen") {
    fail("map.kind must be fixed, random or mapgen");
  }
  if (m.width < 1 || m.height < 1) fail("map: width and height must be >= 1");
  // Bounds before any size arithmetic, so nothing below can overflow.
  if (m.width > 65535 || m.height > 65535) fail("map: width and height must be <= 65535");
  if (m.border_width < 0 || m.instance_border_width < 0) fail("map: border widths must be >= 0");
  if (m.border_width > 65535 || m.instance_border_width > 65535)
    fail("map: border widths must be <= 65535");
  if (m.kind == "mapgen" && (m.instances < 1 || m.instances > 60000)) {
    fail("map: instances must be in [1, 60000]");
  }
  int w = 0, h = 0, ir = 0, ic = 0;
  map_size(m, &w, &h, &ir, &ic);
  if (static_cast<long>(w) * h > 60000) fail("map: at most 60000 cells");
  if (m.kind == "fixed") {
    // Bounded before the size check multiplies: every grid is held for the env's lifetime.
    if (m.variants < 1 || static_cast<long>(m.variants) * w * h > kMaxMapVariantCells) {
      fail("map: variants must be >= 1, with variants*height*width at most " +
           std::to_string(kMaxMapVariantCells) + " cells");
    }
    const size_t size = static_cast<size_t>(w) * h;
    if (m.cells.size() != m.variants * size)
      fail("map: cells must hold variants*height*width codes");
    for (int k = 0; k < m.variants; ++k) {
      int agents = 0;
      for (size_t i = k * size; i < (k + 1) * size; ++i) {
        const uint16_t code = m.cells[i];
        if (code & kAgentCellFlag) {
          if ((code & 0x7fff) >= groups.size()) fail("map: agent cell with unknown group");
          ++agents;
        } else if (code > objects.size()) {
          fail("map: cell code refers to an unknown object");
        }
      }
      if (agents != num_agents) {
        const std::string which = m.variants > 1 ? " " + std::to_string(k) : "";
        fail("map" + which + " has " + std::to_string(agents) + " agent cells but num_agents is " +
             std::to_string(num_agents));
      }
    }
  } else {
    if (m.object_counts.size() != objects.size()) fail("map: object_counts needs one per object");
    if (m.agents_per_group.size() != groups.size())
      fail("map: agents_per_group needs one per group");
    for (int n : m.object_counts) {
      if (n < 0) fail("map: object counts must be >= 0");
    }
    int per_area = 0;
    for (int n : m.agents_per_group) {
      if (n < 0) fail("map: agent counts must be >= 0");
      per_area += n;
    }
    const int areas = m.kind == "mapgen" ? m.instances : 1;
    if (per_area * areas != num_agents) {
      fail("map places " + std::to_string(per_area * areas) + " agents but num_agents is " +
           std::to_string(num_agents));
    }
    if (m.border_object < 0 || m.border_object >= static_cast<int>(objects.size())) {
      fail("map: border_object must name an object");
    }
    // Each side of the inner area on its own: two negative sides must not multiply into a
    // positive area (the builder would then place no agent at all).
    const int inner_w = m.kind == "mapgen" ? m.width : m.width - 2 * m.border_width;
    const int inner_h = m.kind == "mapgen" ? m.height : m.height - 2 * m.border_width;
    if (inner_w < 1 || inner_h < 1) {
      fail("map: border_width " + std::to_string(m.border_width) + " leaves no inner area in a " +
           std::to_string(m.width) + "x" + std::to_string(m.height) + " map");
    }
    const long inner = static_cast<long>(inner_w) * inner_h;
    if (inner < per_area) {
      fail("map: " + std::to_string(per_area) + " agents do not fit in an inner area of " +
           std::to_string(inner) + " cells");
    }
  }
}

int Rules::stat(const std::string& name, const std::string& kind, const std::string& a,
                const std::string& b) {
  auto it = stat_index_.find(name);
  if (it != stat_index_.end()) {
    // The same name interned again (a reward naming a built-in stat): the typed key stays.
    if (stat_keys[it->second].kind.empty()) stat_keys[it->second] = StatKey{kind, a, b};
    return it->second;
  }
  int id = static_cast<int>(stat_names.size());
  stat_names.push_back(name);
  stat_keys.push_back(StatKey{kind, a, b});
  stat_index_.emplace(name, id);
  return id;
}

namespace {

// The catalog's order is the handler registry's alone (each action file registers its
// position): a config may list its enabled actions in any order.
GameConfig in_catalog_order(GameConfig config) {
  std::stable_sort(config.actions.begin(), config.actions.end(),
                   [](const ActionConfig& x, const ActionConfig& y) {
                     return action_order(x.name) < action_order(y.name);
                   });
  return config;
}

}  // namespace

Rules::Rules(GameConfig config) : cfg(in_catalog_order(std::move(config))) {
  cfg.validate();
  num_resources = static_cast<int>(cfg.resource_names.size());
  num_groups = static_cast<int>(cfg.groups.size());
  kept_share.assign(num_groups, 1.0f);
  for (const auto& g : cfg.groups) {
    for (int h = 0; h < num_groups; ++h) {
      kept_share[h] -= g.reward_share[h];
      shares_rewards |= g.reward_share[h] != 0.0f;
    }
  }
  int ir = 0, ic = 0;
  map_size(cfg.map, &width, &height, &ir, &ic);
  pad = std::max(cfg.obs_width, cfg.obs_height) / 2;
  padded_width = width + 2 * pad;
  padded_cells = padded_width * (height + 2 * pad);

  // Flat action catalog, in handler order.
  for (size_t h = 0; h < cfg.actions.size(); ++h) {
    const ActionHandler* handler = find_action(cfg.actions[h].name);  // validated above
    handlers.push_back(handler);
    if (cfg.actions[h].name == "transfer") transfer_action = static_cast<int>(h);
    handler_priority.push_back(static_cast<uint8_t>(handler->priority()));
    const std::vector<std::string> names =
        handler->variants(cfg.actions[h].name, cfg.actions[h], cfg);
    for (size_t a = 0; a < names.size(); ++a) {
      action_names.push_back(names[a]);
      flat_handler.push_back(static_cast<uint8_t>(h));
      flat_arg.push_back(static_cast<uint8_t>(a));
    }
  }

  // Stat names. Interned up front so step() only indexes arrays.
  const int R = num_resources, G = num_groups;
  for (const auto& res : cfg.resource_names) {
    ids.gained.push_back(stat(res + ".gained", "gained", res));
    ids.lost.push_back(stat(res + ".lost", "lost", res));
    ids.amount.push_back(stat(res + ".amount", "amount", res));
    ids.put.push_back(stat(res + ".put", "put", res));
    ids.get.push_back(stat(res + ".get", "get", res));
  }
  ids.shared.assign(num_resources, -1);
  ids.received.assign(num_resources, -1);
  for (int r = 0; r < num_resources; ++r) {
    bool handed = false;  // by the classic hand-over or a vibe transfer
    for (const auto& g : cfg.groups) handed |= g.shareable[r] != 0;
    if (transfer_action >= 0) {
      const auto& amounts = cfg.actions[transfer_action].transfer_amounts;
      for (size_t k = r; k < amounts.size(); k += num_resources) handed |= amounts[k] > 0;
    }
    if (!handed) continue;
    ids.shared[r] = stat(cfg.resource_names[r] + ".shared", "shared", cfg.resource_names[r]);
    ids.received[r] = stat(cfg.resource_names[r] + ".received", "received", cfg.resource_names[r]);
  }
  for (const auto& a : cfg.actions) {
    ids.success.push_back(stat("action." + a.name + ".success", "action_success", a.name));
    ids.failed.push_back(stat("action." + a.name + ".failed", "action_failed", a.name));
  }
  ids.invalid_type = stat("action.invalid_type");
  ids.failure_penalty = stat("action.failure_penalty");
  ids.frozen_ticks = stat("status.frozen.ticks");
  ids.hit.resize(G * G);
  ids.hit_by.resize(G * G);
  ids.blocked_by.resize(G * G);
  for (int a = 0; a < G; ++a) {
    for (int b = 0; b < G; ++b) {
      const std::string& an = cfg.groups[a].name;
      const std::string& bn = cfg.groups[b].name;
      ids.hit[a * G + b] = stat("action.attack." + an + ".hit." + bn, "hit", an, bn);
      ids.hit_by[a * G + b] = stat("action.attack." + bn + ".hit_by." + an, "hit_by", bn, an);
      ids.blocked_by[a * G + b] = stat("action.attack.blocked_by." + bn);
    }
  }
  ids.steals.resize(R * G);
  for (int r = 0; r < R; ++r) {
    for (int g = 0; g < G; ++g) {
      ids.steals[r * G + g] =
          stat("steals." + cfg.resource_names[r] + ".from." + cfg.groups[g].name, "steals",
               cfg.resource_names[r], cfg.groups[g].name);
    }
  }
  ids.friendly_fire = stat("action.attack.friendly_fire");
  ids.wasted_on_frozen = stat("action.attack.wasted_on_frozen");
  for (const auto& o : cfg.objects) ids.objects_of_type.push_back(stat("objects." + o.name));
  for (auto* v : {&ids.chest_deposited, &ids.chest_withdrawn, &ids.chest_destroyed,
                  &ids.chest_amount, &ids.chest_passed, &ids.chest_regrown}) {
    v->assign(R, -1);
  }
  for (const auto& o : cfg.objects) {
    if (o.kind != ObjectKind::Chest || ids.chest_amount[o.chest_resource] >= 0) continue;
    const std::string prefix = "chest." + cfg.resource_names[o.chest_resource] + ".";
    ids.chest_deposited[o.chest_resource] = stat(prefix + "deposited");
    ids.chest_withdrawn[o.chest_resource] = stat(prefix + "withdrawn");
    ids.chest_destroyed[o.chest_resource] = stat(prefix + "destroyed");
    ids.chest_amount[o.chest_resource] =
        stat(prefix + "amount", "chest_amount", cfg.resource_names[o.chest_resource]);
    ids.chest_passed[o.chest_resource] =
        stat(prefix + "passed", "chest_passed", cfg.resource_names[o.chest_resource]);
    ids.chest_regrown[o.chest_resource] =
        stat(prefix + "regrown", "chest_regrown", cfg.resource_names[o.chest_resource]);
  }
  bool assemblers = false;
  for (const auto& o : cfg.objects) {
    const bool is_assembler = o.kind == ObjectKind::Assembler;
    assemblers |= is_assembler;
    ids.assembler_uses.push_back(is_assembler ? stat(o.name + ".uses", "uses", o.name) : -1);
    ids.assembler_uses_by_agents.push_back({-1, -1, -1});
    if (!is_assembler) continue;
    const char* counts[3] = {"1", "2", "3+"};
    for (int k = 0; k < 3; ++k) {
      ids.assembler_uses_by_agents.back()[k] =
          stat(o.name + ".uses.agents_" + counts[k], "uses_by_agents", o.name, counts[k]);
    }
  }
  ids.protocol_uses.resize(cfg.objects.size());
  for (size_t k = 0; k < cfg.objects.size(); ++k) {
    const ObjectConfig& o = cfg.objects[k];
    if (!o.by_protocol) continue;
    for (size_t p = 0; p < o.recipes.size(); ++p) {
      const std::string index = std::to_string(p);
      ids.protocol_uses[k].push_back(
          stat(o.name + ".uses.protocol_" + index, "protocol_uses", o.name, index));
    }
  }
  for (const auto& vibe : cfg.vibe_names) {
    ids.vibe_steps.push_back(stat("vibe." + vibe + ".steps", "vibe_steps", vibe));
  }
  for (const auto& vibe : cfg.vibe_names) {
    for (const auto& action : action_names) {
      ids.signal.push_back(stat("signal." + vibe + "." + action, "signal", vibe, action));
    }
  }
  const bool clipper = !cfg.clipper.unclipping.empty();
  if (clipper) {
    ids.clips = stat("clipper.clips", "clips");
    ids.repairs = stat("clipper.repairs", "repairs");
  }
  if (cfg.death.resource >= 0) {
    ids.deaths = stat("life.deaths", "deaths");
    ids.respawns = stat("life.respawns", "respawns");
    ids.steps_alive = stat("life.steps_alive", "steps_alive");
  }
  ids.objects_agent = stat("objects.agent");
  ids.tokens_written = stat("tokens_written");
  ids.tokens_dropped = stat("tokens_dropped");
  ids.tokens_free_space = stat("tokens_free_space");
  for (const auto& g : cfg.groups) {
    std::vector<int> rs;
    for (const auto& s : g.reward_stats) rs.push_back(stat(s));
    ids.reward_stat.push_back(rs);
    std::vector<std::vector<int>> li(g.limit_values.size());
    for (int r = 0; r < R; ++r) {
      if (g.limit_group_of_item[r] >= 0) li[g.limit_group_of_item[r]].push_back(r);
    }
    ids.limit_items.push_back(li);
  }

  // Observation window: cells by increasing Manhattan distance; for each distance rows go
  // top to bottom and within a row the left cell comes before the right one.
  const int hr = cfg.obs_height / 2, hc = cfg.obs_width / 2;
  center_location = static_cast<uint8_t>((hr << 4) | hc);
  for (int d = 0; d <= hr + hc; ++d) {
    for (int dr = -d; dr <= d; ++dr) {
      const int dc = d - std::abs(dr);
      if (std::abs(dr) > hr || dc > hc) continue;
      for (int sign : {-1, 1}) {
        if (sign == 1 && dc == 0) continue;
        const int c = sign * dc;
        window.push_back(
            {dr * padded_width + c, static_cast<uint8_t>(((dr + hr) << 4) | (c + hc))});
      }
    }
  }

  features = {{"type_id", feat::TypeId, 1.0f},
              {"agent:group", feat::Group, 10.0f},
              {"agent:frozen", feat::Frozen, 1.0f},
              {"agent:orientation", feat::Orientation, 1.0f},
              {"agent:color", feat::Color, 255.0f},
              {"converting", feat::Converting, 1.0f},
              {"swappable", feat::Swappable, 1.0f},
              {"episode_completion_pct", feat::EpisodeCompletion, 255.0f},
              {"last_action", feat::LastAction, 10.0f},
              {"last_reward", feat::LastReward, 100.0f},
              {"agent:glyph", feat::Glyph, 255.0f}};
  if (assemblers) {  // only envs with assemblers show them, so other envs' features stay as they
                     // were
    features.push_back({"cooldown_remaining", feat::CooldownRemaining, 255.0f});
    features.push_back({"remaining_uses", feat::RemainingUses, 255.0f});
  }
  if (clipper) features.push_back({"clipped", feat::Clipped, 1.0f});
  for (int r = 0; r < R; ++r) {
    features.push_back({"inv:" + cfg.resource_names[r], feat::InvBase + r, 100.0f});
  }
  if (cfg.recipe_details_obs) {
    for (int r = 0; r < R; ++r) {
      features.push_back({"input:" + cfg.resource_names[r], feat::input(R, r), 100.0f});
    }
    for (int r = 0; r < R; ++r) {
      features.push_back({"output:" + cfg.resource_names[r], feat::output(R, r), 100.0f});
    }
  }
}

namespace {
template <typename T>
void require_equal(const T& base, const T& task, const char* what) {
  if (!(base == task)) {
    throw std::invalid_argument(std::string("the task changes ") + what +
                                ", which every env of one batch must share");
  }
}
}  // namespace

void check_same_shape(const Rules& base, const Rules& task) {
  require_equal(base.cfg.slots(), task.cfg.slots(), "the agent slots (max_agents)");
  // A smaller map plays in the batch's buffers; a larger one cannot.
  if (task.width > base.width || task.height > base.height) {
    throw std::invalid_argument("the map (" + std::to_string(task.width) + "x" +
                                std::to_string(task.height) + ") is larger than the batch's (" +
                                std::to_string(base.width) + "x" + std::to_string(base.height) +
                                "), which sizes its buffers");
  }
  require_equal(base.cfg.obs_width, task.cfg.obs_width, "obs_width");
  require_equal(base.cfg.obs_height, task.cfg.obs_height, "obs_height");
  require_equal(base.cfg.num_observation_tokens, task.cfg.num_observation_tokens,
                "num_observation_tokens");
  require_equal(base.cfg.resource_names, task.cfg.resource_names, "the resources");
  require_equal(base.num_groups, task.num_groups, "the number of groups");
  require_equal(base.action_names, task.action_names, "the action catalog");
  require_equal(base.stat_names, task.stat_names, "the stat names");
  require_equal(base.features.size(), task.features.size(), "the observation features");
  for (size_t i = 0; i < base.features.size(); ++i) {
    require_equal(base.features[i].name, task.features[i].name, "the observation features");
    require_equal(base.features[i].id, task.features[i].id, "the observation features");
  }
}

}  // namespace mettagrid
