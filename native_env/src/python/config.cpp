// The config classes as Python sees them (metta_lit.env.native_config fills them from the
// pydantic config). Each field is named here once more: pybind11 has no reflection over C++
// structs, so config.hpp, this file, native_config.py and the pydantic model each list it.
#include <pybind11/stl.h>

#include "bindings.hpp"

namespace mettagrid::python {

void bind_config(py::module_& m) {
  py::enum_<ObjectKind>(m, "ObjectKind")
      .value("Wall", ObjectKind::Wall)
      .value("Converter", ObjectKind::Converter)
      .value("Chest", ObjectKind::Chest)
      .value("Assembler", ObjectKind::Assembler);

  py::class_<AssemblerRecipe>(m, "AssemblerRecipe")
      .def(py::init<>())
      .def_readwrite("input_resources", &AssemblerRecipe::input_resources)
      .def_readwrite("output_resources", &AssemblerRecipe::output_resources)
      .def_readwrite("cooldown", &AssemblerRecipe::cooldown)
      .def_readwrite("min_agents", &AssemblerRecipe::min_agents)
      .def_readwrite("vibes", &AssemblerRecipe::vibes);

  py::class_<ObjectConfig>(m, "ObjectConfig")
      .def(py::init<>())
      .def_readwrite("name", &ObjectConfig::name)
      .def_readwrite("type_id", &ObjectConfig::type_id)
      .def_readwrite("kind", &ObjectConfig::kind)
      .def_readwrite("swappable", &ObjectConfig::swappable)
      .def_readwrite("input_resources", &ObjectConfig::input_resources)
      .def_readwrite("output_resources", &ObjectConfig::output_resources)
      .def_readwrite("max_output", &ObjectConfig::max_output)
      .def_readwrite("max_conversions", &ObjectConfig::max_conversions)
      .def_readwrite("conversion_ticks", &ObjectConfig::conversion_ticks)
      .def_readwrite("cooldown", &ObjectConfig::cooldown)
      .def_readwrite("initial_resource_count", &ObjectConfig::initial_resource_count)
      .def_readwrite("color", &ObjectConfig::color)
      .def_readwrite("chest_resource", &ObjectConfig::chest_resource)
      .def_readwrite("position_deltas", &ObjectConfig::position_deltas)
      .def_readwrite("vibe_deltas", &ObjectConfig::vibe_deltas)
      .def_readwrite("max_inventory", &ObjectConfig::max_inventory)
      .def_readwrite("regrow_interval", &ObjectConfig::regrow_interval)
      .def_readwrite("regrow_rate", &ObjectConfig::regrow_rate)
      .def_readwrite("recipes", &ObjectConfig::recipes)
      .def_readwrite("recipe_of_mask", &ObjectConfig::recipe_of_mask)
      .def_readwrite("by_protocol", &ObjectConfig::by_protocol)
      .def_readwrite("clip_immune", &ObjectConfig::clip_immune)
      .def_readwrite("start_clipped", &ObjectConfig::start_clipped)
      .def_readwrite("max_uses", &ObjectConfig::max_uses)
      .def_readwrite("exhaustion", &ObjectConfig::exhaustion)
      .def_readwrite("allow_partial_usage", &ObjectConfig::allow_partial_usage);

  py::class_<ClipperConfig>(m, "ClipperConfig")
      .def(py::init<>())
      .def_readwrite("clip_rate", &ClipperConfig::clip_rate)
      .def_readwrite("length_scale", &ClipperConfig::length_scale)
      .def_readwrite("cutoff", &ClipperConfig::cutoff)
      .def_readwrite("unclipping", &ClipperConfig::unclipping);

  py::class_<DeathConfig>(m, "DeathConfig")
      .def(py::init<>())
      .def_readwrite("resource", &DeathConfig::resource)
      .def_readwrite("respawn_delay", &DeathConfig::respawn_delay);

  py::class_<GroupConfig>(m, "GroupConfig")
      .def(py::init<>())
      .def_readwrite("name", &GroupConfig::name)
      .def_readwrite("group_id", &GroupConfig::group_id)
      .def_readwrite("reward_share", &GroupConfig::reward_share)
      .def_readwrite("freeze_duration", &GroupConfig::freeze_duration)
      .def_readwrite("action_failure_penalty", &GroupConfig::action_failure_penalty)
      .def_readwrite("limit_group_of_item", &GroupConfig::limit_group_of_item)
      .def_readwrite("limit_values", &GroupConfig::limit_values)
      .def_readwrite("initial_inventory", &GroupConfig::initial_inventory)
      .def_readwrite("soul_bound", &GroupConfig::soul_bound)
      .def_readwrite("shareable", &GroupConfig::shareable)
      .def_readwrite("regen_amounts", &GroupConfig::regen_amounts)
      .def_readwrite("reward_stats", &GroupConfig::reward_stats)
      .def_readwrite("reward_rates", &GroupConfig::reward_rates)
      .def_readwrite("reward_max", &GroupConfig::reward_max);

  py::class_<ActionConfig>(m, "ActionConfig")
      .def(py::init<>())
      .def_readwrite("name", &ActionConfig::name)
      .def_readwrite("required_resources", &ActionConfig::required_resources)
      .def_readwrite("consumed_resources", &ActionConfig::consumed_resources)
      .def_readwrite("defense_resources", &ActionConfig::defense_resources)
      .def_readwrite("number_of_glyphs", &ActionConfig::number_of_glyphs)
      .def_readwrite("transfer_amounts", &ActionConfig::transfer_amounts);

  py::class_<MapConfig>(m, "MapConfig")
      .def(py::init<>())
      .def_readwrite("kind", &MapConfig::kind)
      .def_readwrite("width", &MapConfig::width)
      .def_readwrite("height", &MapConfig::height)
      .def_readwrite("variants", &MapConfig::variants)
      .def_readwrite("cells", &MapConfig::cells)
      .def_readwrite("object_counts", &MapConfig::object_counts)
      .def_readwrite("agents_per_group", &MapConfig::agents_per_group)
      .def_readwrite("border_width", &MapConfig::border_width)
      .def_readwrite("border_object", &MapConfig::border_object)
      .def_readwrite("instances", &MapConfig::instances)
      .def_readwrite("instance_border_width", &MapConfig::instance_border_width);

  py::class_<GameConfig>(m, "GameConfig")
      .def(py::init<>())
      .def_readwrite("num_agents", &GameConfig::num_agents)
      .def_readwrite("max_agents", &GameConfig::max_agents)
      .def_readwrite("death", &GameConfig::death)
      .def_readwrite("max_steps", &GameConfig::max_steps)
      .def_readwrite("episode_truncates", &GameConfig::episode_truncates)
      .def_readwrite("obs_width", &GameConfig::obs_width)
      .def_readwrite("obs_height", &GameConfig::obs_height)
      .def_readwrite("num_observation_tokens", &GameConfig::num_observation_tokens)
      .def_readwrite("allow_diagonals", &GameConfig::allow_diagonals)
      .def_readwrite("obs_episode_completion", &GameConfig::obs_episode_completion)
      .def_readwrite("obs_last_action", &GameConfig::obs_last_action)
      .def_readwrite("obs_last_reward", &GameConfig::obs_last_reward)
      .def_readwrite("recipe_details_obs", &GameConfig::recipe_details_obs)
      .def_readwrite("resource_loss_prob", &GameConfig::resource_loss_prob)
      .def_readwrite("inventory_regen_interval", &GameConfig::inventory_regen_interval)
      .def_readwrite("agent_initial_inventory", &GameConfig::agent_initial_inventory)
      .def_readwrite("resource_names", &GameConfig::resource_names)
      .def_readwrite("vibe_names", &GameConfig::vibe_names)
      .def_readwrite("objects", &GameConfig::objects)
      .def_readwrite("clipper", &GameConfig::clipper)
      .def_readwrite("groups", &GameConfig::groups)
      .def_readwrite("actions", &GameConfig::actions)
      .def_readwrite("map", &GameConfig::map)
      .def("validate", &GameConfig::validate);
}

}  // namespace mettagrid::python
