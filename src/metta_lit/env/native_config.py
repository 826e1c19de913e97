"""Conversion of a validated :class:`GameConfig` into the native C++ config structs.

Names become dense ids here (resources by list index, objects by dict order, groups by
dict order), so the C++ side never handles strings in its hot path.
"""

from __future__ import annotations

import math
from typing import Any

from metta_lit import _mettagrid as native
from metta_lit.env.checks import reward_share_matrix
from metta_lit.env.config import (
    SIDES,
    AgentConfig,
    AssemblerConfig,
    AssemblerRecipe,
    ChestConfig,
    ConverterConfig,
    GameConfig,
    Protocol,
)
from metta_lit.env.maps import parse_ascii, resolve_group

AGENT_CELL = 0x8000


def _recipe(game: GameConfig, recipe: AssemblerRecipe | Protocol) -> Any:
    """An assembler recipe or protocol as the native env takes it (vibes by id, sorted)."""
    r = native.AssemblerRecipe()
    r.input_resources = _per_resource(game, recipe.input_resources)
    r.output_resources = _per_resource(game, recipe.output_resources)
    r.cooldown = recipe.cooldown
    if isinstance(recipe, Protocol):
        r.min_agents = recipe.min_agents
        r.vibes = sorted(game.vibe_names.index(vibe) for vibe in recipe.vibes)
    return r


def _per_resource(game: GameConfig, amounts: dict, cast=int) -> list:
    index = {name: i for i, name in enumerate(game.resource_names)}
    out = [cast(0)] * len(game.resource_names)
    for name, qty in amounts.items():
        out[index[name]] = cast(qty)
    return out


def _flags(game: GameConfig, names: list[str]) -> list[int]:
    return [1 if r in names else 0 for r in game.resource_names]


def _group(game: GameConfig, name: str, agent: AgentConfig) -> native.GroupConfig:
    g = native.GroupConfig()
    spec = game.groups[name]
    g.name, g.group_id = name, spec.id
    g.reward_share = list(reward_share_matrix(game)[name].values())
    g.freeze_duration = agent.freeze_duration
    g.action_failure_penalty = agent.action_failure_penalty
    # Every limit is a "limit group": shared limits hold several items, per-item ones one.
    limit_of = [-1] * len(game.resource_names)
    values: list[int] = []
    index = {r: i for i, r in enumerate(game.resource_names)}
    for shared in agent.shared_limits:
        for r in shared.resources:
            limit_of[index[r]] = len(values)
        values.append(shared.limit)
    for i, r in enumerate(game.resource_names):
        if limit_of[i] >= 0:
            continue
        limit = agent.resource_limits.get(r, agent.default_resource_limit)
        if limit < 255:
            limit_of[i] = len(values)
            values.append(limit)
    g.limit_group_of_item, g.limit_values = limit_of, values
    g.initial_inventory = _per_resource(game, agent.initial_inventory)
    g.soul_bound = _flags(game, agent.soul_bound_resources)
    g.shareable = _flags(game, agent.shareable_resources)
    g.regen_amounts = _per_resource(game, agent.inventory_regen_amounts)
    stats, rates, caps = [], [], []
    rw = agent.rewards
    for res, rate in rw.inventory.items():
        stats.append(f"{res}.amount")
        rates.append(rate)
        caps.append(rw.inventory_max.get(res, math.inf))
    for stat, rate in rw.stats.items():
        stats.append(stat)
        rates.append(rate)
        caps.append(rw.stats_max.get(stat, math.inf))
    g.reward_stats, g.reward_rates, g.reward_max = stats, rates, caps
    return g


def _map(game: GameConfig, objects: list[str], groups: list[str]) -> native.MapConfig:
    m = native.MapConfig()
    mb = game.map_builder
    obj_index = {name: i for i, name in enumerate(objects)}
    if mb.type in ("ascii", "scene"):
        grids = [parse_ascii(game, mb.rows(), mb.char_to_name_map)] if mb.type == "ascii" else list(mb.grids().values())
        codes = {"empty": 0, **{name: 1 + i for name, i in obj_index.items()}}
        for name in {name for grid in grids for row in grid for name in row} - codes.keys():
            codes[name] = AGENT_CELL | groups.index(resolve_group(game, name))
        cells = [codes[name] for grid in grids for row in grid for name in row]
        m.kind, m.height, m.width, m.variants, m.cells = "fixed", len(grids[0]), len(grids[0][0]), len(grids), cells
        return m

    scene = mb if mb.type == "random" else mb.instance
    m.object_counts = [scene.objects.get(name, 0) for name in objects]
    agents = scene.agents if isinstance(scene.agents, dict) else {groups[0]: scene.agents}
    m.agents_per_group = [agents.get(g, 0) for g in groups]
    m.kind, m.width, m.height = mb.type, mb.width, mb.height
    m.border_width, m.border_object = mb.border_width, obj_index[mb.border_object]
    if mb.type == "mapgen":
        m.instances, m.instance_border_width = mb.instances, mb.instance_border_width
    return m


def to_native(game: GameConfig) -> native.GameConfig:
    """Builds the C++ GameConfig; the native side validates it once more on construction."""
    cfg = native.GameConfig()
    cfg.num_agents, cfg.max_steps, cfg.episode_truncates = game.num_agents, game.max_steps, game.episode_truncates
    cfg.max_agents = game.max_agents or 0
    cfg.obs_width, cfg.obs_height = game.obs_width, game.obs_height
    cfg.num_observation_tokens = game.num_observation_tokens
    cfg.allow_diagonals = game.allow_diagonals
    cfg.obs_episode_completion = game.global_obs.episode_completion_pct
    cfg.obs_last_action = game.global_obs.last_action
    cfg.obs_last_reward = game.global_obs.last_reward
    cfg.recipe_details_obs = game.recipe_details_obs
    cfg.resource_loss_prob = game.resource_loss_prob
    cfg.inventory_regen_interval = game.inventory_regen_interval
    if game.agent_initial_inventory:
        resources = {name: i for i, name in enumerate(game.resource_names)}
        table = [-1] * (game.num_agents * len(resources))
        for agent, amounts in game.agent_initial_inventory.items():
            for name, qty in amounts.items():
                table[agent * len(resources) + resources[name]] = qty
        cfg.agent_initial_inventory = table
    cfg.resource_names = list(game.resource_names)
    cfg.vibe_names = list(game.vibe_names)

    objects = []
    for name, spec in game.objects.items():
        o = native.ObjectConfig()
        o.name, o.type_id = name, spec.type_id
        if isinstance(spec, ConverterConfig):
            o.kind = native.ObjectKind.Converter
            o.input_resources = _per_resource(game, spec.input_resources)
            o.output_resources = _per_resource(game, spec.output_resources)
            o.max_output, o.max_conversions = spec.max_output, spec.max_conversions
            o.conversion_ticks, o.cooldown = spec.conversion_ticks, spec.cooldown
            o.initial_resource_count, o.color = spec.initial_resource_count, spec.color
        elif isinstance(spec, AssemblerConfig):
            o.kind = native.ObjectKind.Assembler
            o.recipes = [_recipe(game, recipe) for recipe in spec.native_recipes()]
            o.by_protocol = bool(spec.protocols)
            o.clip_immune, o.start_clipped = spec.clip_immune, spec.start_clipped
            o.recipe_of_mask = spec.recipe_of_mask() if spec.recipes else [-1] * 256
            o.max_uses, o.exhaustion, o.allow_partial_usage = spec.max_uses, spec.exhaustion, spec.allow_partial_usage
            o.color = spec.color
        elif isinstance(spec, ChestConfig):
            o.kind = native.ObjectKind.Chest
            o.chest_resource = game.resource_names.index(spec.resource_type)
            o.position_deltas = [spec.position_deltas.get(side, 0) for side in SIDES]
            if spec.vibe_deltas:
                o.vibe_deltas = [spec.vibe_deltas.get(vibe, 0) for vibe in game.vibe_names]
            o.max_inventory = 255 if spec.max_inventory < 0 else spec.max_inventory
            o.regrow_interval, o.regrow_rate = spec.regrow_interval, spec.regrow_rate
            o.initial_resource_count, o.color = spec.initial_inventory, spec.color
        else:
            o.kind = native.ObjectKind.Wall
            o.swappable = spec.swappable
        objects.append(o)
    cfg.objects = objects
    if game.clipper is not None:
        clipper = native.ClipperConfig()
        clipper.clip_rate, clipper.length_scale = game.clipper.clip_rate, game.clipper.length_scale
        clipper.cutoff = game.clipper.cutoff
        clipper.unclipping = [_recipe(game, protocol) for protocol in game.clipper.unclipping_protocols]
        cfg.clipper = clipper
    if game.death is not None:
        death = native.DeathConfig()
        death.resource = game.resource_names.index(game.death.resource)
        death.respawn_delay = -1 if game.death.respawn_delay is None else game.death.respawn_delay
        cfg.death = death

    groups = list(game.groups)
    cfg.groups = [_group(game, name, game.group_agent_config(name)) for name in groups]

    actions = []
    for name, spec in game.actions.enabled():
        a = native.ActionConfig()
        a.name = name
        consumed = _per_resource(game, spec.consumed_resources, float)
        required = [math.ceil(c) for c in consumed]
        for res, qty in spec.required_resources.items():
            required[game.resource_names.index(res)] = qty
        a.required_resources, a.consumed_resources = required, consumed
        a.defense_resources = _per_resource(game, getattr(spec, "defense_resources", {}))
        a.number_of_glyphs = getattr(spec, "number_of_glyphs", 0)
        if name == "transfer":
            a.transfer_amounts = [
                qty for vibe in game.vibe_names for qty in _per_resource(game, spec.vibe_transfers.get(vibe, {}))
            ]
        actions.append(a)
    cfg.actions = actions
    cfg.map = _map(game, list(game.objects), groups)
    return cfg
