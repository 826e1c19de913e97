"""The cross-field checks of a game config: every resource, object and group a field names
exists, inventories fit their limits, and the map holds ``num_agents`` agents and its objects.

Run by :class:`~metta_lit.env.config.GameConfig`'s validator, so a config that loads is one
the native env accepts.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from metta_lit.env.library import OBJECT_LIBRARY
from metta_lit.env.maps import MapError, check_scene_map, parse_ascii

if TYPE_CHECKING:
    from metta_lit.env.config import AgentConfig, GameConfig, Protocol


def _check_resources(game: GameConfig, where: str, names) -> None:
    known = set(game.resource_names)
    for n in names:
        if n not in known:
            raise ValueError(f"{where}: unknown resource {n!r} (resources: {', '.join(game.resource_names)})")


def _check_agent(game: GameConfig, where: str, agent: AgentConfig) -> None:
    _check_resources(game, f"{where}.resource_limits", agent.resource_limits)
    _check_resources(game, f"{where}.initial_inventory", agent.initial_inventory)
    _check_resources(game, f"{where}.soul_bound_resources", agent.soul_bound_resources)
    _check_resources(game, f"{where}.shareable_resources", agent.shareable_resources)
    _check_resources(game, f"{where}.inventory_regen_amounts", agent.inventory_regen_amounts)
    _check_resources(game, f"{where}.rewards.inventory", agent.rewards.inventory)
    _check_resources(game, f"{where}.rewards.inventory_max", agent.rewards.inventory_max)
    seen: set[str] = set()
    for i, shared in enumerate(agent.shared_limits):
        _check_resources(game, f"{where}.shared_limits[{i}]", shared.resources)
        dup = (seen | set(agent.resource_limits)) & set(shared.resources)
        if dup:
            raise ValueError(f"{where}.shared_limits[{i}]: {sorted(dup)} already have a limit")
        seen |= set(shared.resources)
    _check_inventory_fits(f"{where}.initial_inventory", agent, agent.initial_inventory)


def _check_inventory_fits(where: str, agent: AgentConfig, amounts: dict[str, int]) -> None:
    """An inventory an agent starts with must fit its shared and per-resource limits."""
    shared_resources: set[str] = set()
    for shared in agent.shared_limits:
        shared_resources |= set(shared.resources)
        held = sum(amounts.get(r, 0) for r in shared.resources)
        if held > shared.limit:
            raise ValueError(f"{where}: {held} of {shared.resources} exceed their shared limit {shared.limit}")
    for resource, amount in amounts.items():
        limit = agent.resource_limits.get(resource, agent.default_resource_limit)
        if resource not in shared_resources and amount > limit:
            raise ValueError(f"{where}.{resource}: {amount} exceeds its resource limit {limit}")


def _object_counts_fit(where: str, objects: dict[str, int], agents: int, area: int, halve: bool) -> None:
    if area <= 0:
        raise MapError(f"{where}: the border leaves no room inside the map")
    if agents > area:
        raise MapError(f"{where}: {agents} agents do not fit in {area} free cells")
    # Random maps halve object counts (min 1) until they fit; instances place them as given.
    needed = agents + sum(min(n, 1) for n in objects.values()) if halve else agents + sum(objects.values())
    if needed > area:
        raise MapError(f"{where}: {sum(objects.values())} objects and {agents} agents do not fit in {area} free cells")


def _agent_count(game: GameConfig, where: str, agents: int | dict[str, int]) -> int:
    if isinstance(agents, int):
        return agents
    for group in agents:
        if group not in game.groups:
            raise MapError(f"{where}.agents: unknown group {group!r} (groups: {', '.join(game.groups)})")
    return sum(agents.values())


def reward_share_matrix(game: GameConfig) -> dict[str, dict[str, float]]:
    """receiving group -> source group -> share, for every pair: ``reward_sharing`` with each
    group's ``group_reward_pct`` on the diagonal."""
    return {
        g: {h: game.reward_sharing.get(g, {}).get(h, spec.group_reward_pct if g == h else 0.0) for h in game.groups}
        for g, spec in game.groups.items()
    }


def _check_reward_sharing(game: GameConfig) -> None:
    for g, row in game.reward_sharing.items():
        for h in [g, *row]:
            if h not in game.groups:
                raise ValueError(f"reward_sharing.{g}: no group {h!r} (groups: {', '.join(game.groups)})")
        if g in row and game.groups[g].group_reward_pct:
            raise ValueError(f"reward_sharing.{g}.{g}: set here and as groups.{g}.group_reward_pct; keep one")
    matrix = reward_share_matrix(game)
    for h in game.groups:
        given = sum(matrix[g][h] for g in game.groups)
        if given > 1 + 1e-6:
            raise ValueError(
                f"reward_sharing: groups receive {given:g} of group {h!r}'s reward in all; at most 1 can be given"
            )


def _check_slots_and_death(game: GameConfig) -> None:
    """A game places at most its slots' agents; agents that can die start with some of the
    resource they die without (else every agent would die on the first step)."""
    if game.max_agents is not None and game.num_agents > game.max_agents:
        raise ValueError(f"num_agents {game.num_agents} is more than max_agents {game.max_agents} (the agent slots)")
    if game.death is None:
        return
    resource = game.death.resource
    _check_resources(game, "death.resource", [resource])
    for group in game.groups:
        if game.group_agent_config(group).initial_inventory.get(resource, 0) == 0:
            raise ValueError(
                f"death.resource: agents of group {group!r} start with no {resource!r} and would die on the "
                f"first step; give them some (initial_inventory)"
            )


def _check_vibes(game: GameConfig) -> None:
    """Vibe names are unique, and the vibe is set one way: by name (change_vibe) or by number
    (the classic change_glyph), never both, since both set the same value."""
    twice = sorted({v for v in game.vibe_names if game.vibe_names.count(v) > 1})
    if twice:
        raise ValueError(f"vibe_names: {', '.join(twice)} named twice")
    if game.actions.change_vibe.enabled:
        if len(game.vibe_names) < 2:
            raise ValueError("actions.change_vibe: needs at least two vibe_names to change between")
        if game.actions.change_glyph.enabled:
            raise ValueError("actions: change_vibe and change_glyph both set the agent's vibe; enable one")


def _check_transfers(game: GameConfig) -> None:
    transfer = game.actions.transfer
    if not transfer.enabled:
        return
    if not transfer.vibe_transfers:
        raise ValueError("actions.transfer: vibe_transfers names no vibe (vibe name -> resource -> amount)")
    for vibe, amounts in transfer.vibe_transfers.items():
        where = f"actions.transfer.vibe_transfers.{vibe}"
        _check_vibe_names(game, where, [vibe])
        if not amounts:
            raise ValueError(f"{where}: moves nothing (resource -> amount)")
        _check_resources(game, where, amounts)


def _check_clipper(game: GameConfig) -> None:
    clipper = game.clipper
    for name, obj in game.objects.items():
        if obj.type == "assembler" and obj.start_clipped and (clipper is None or obj.clip_immune):
            raise ValueError(
                f"objects.{name}.start_clipped: needs game.clipper and an assembler that is not clip_immune"
            )
    if clipper is None:
        return
    for k, protocol in enumerate(clipper.unclipping_protocols):
        _check_protocol(game, f"clipper.unclipping_protocols.{k}", protocol)


def _check_vibe_names(game: GameConfig, where: str, names) -> None:
    for vibe in names:
        if vibe not in game.vibe_names:
            known = ", ".join(game.vibe_names) or "none: set game.vibe_names"
            raise ValueError(f"{where}: unknown vibe {vibe!r} (vibes: {known})")


def _check_protocol(game: GameConfig, where: str, protocol: Protocol) -> None:
    """An assembler's or the clipper's protocol: its resources and vibes exist, and it never
    asks for the starting vibe (which is not counted)."""
    _check_resources(game, f"{where}.input_resources", protocol.input_resources)
    _check_resources(game, f"{where}.output_resources", protocol.output_resources)
    _check_vibe_names(game, f"{where}.vibes", protocol.vibes)
    for vibe in protocol.vibes:
        if vibe == game.vibe_names[0]:
            raise ValueError(f"{where}.vibes: {vibe!r} is every agent's starting vibe, which a protocol never counts")


def check_game_names(game: GameConfig) -> None:
    """Cross-field checks: every referenced resource, object and group exists, maps fit."""
    if len(set(game.resource_names)) != len(game.resource_names):
        raise ValueError("resource_names: names must be unique")
    _check_vibes(game)
    _check_transfers(game)
    _check_clipper(game)
    _check_slots_and_death(game)
    for name, obj in game.objects.items():
        if name == "agent" or name == "empty" or name.startswith("agent."):
            raise ValueError(f"objects.{name}: reserved name")
        if obj.type == "converter":
            _check_resources(game, f"objects.{name}.input_resources", obj.input_resources)
            _check_resources(game, f"objects.{name}.output_resources", obj.output_resources)
        if obj.type == "assembler":
            for k, recipe in enumerate(obj.recipes):
                _check_resources(game, f"objects.{name}.recipes.{k}.input_resources", recipe.input_resources)
                _check_resources(game, f"objects.{name}.recipes.{k}.output_resources", recipe.output_resources)
            for k, protocol in enumerate(obj.protocols):
                _check_protocol(game, f"objects.{name}.protocols.{k}", protocol)
        if obj.type == "chest":
            _check_resources(game, f"objects.{name}.resource_type", {obj.resource_type: 1})
            _check_vibe_names(game, f"objects.{name}.vibe_deltas", obj.vibe_deltas)
    chars = [o.map_char for o in game.objects.values() if o.map_char is not None]
    if len(set(chars)) != len(chars):
        raise ValueError("objects: two objects share a map_char")
    by_type_id: dict[int, str] = {}
    for name, obj in game.objects.items():
        if obj.type_id in by_type_id:
            raise ValueError(
                f"objects.{name}.type_id: {obj.type_id} is already the type_id of {by_type_id[obj.type_id]!r}"
            )
        by_type_id[obj.type_id] = name
    ids = [g.id for g in game.groups.values()]
    if not game.groups or len(set(ids)) != len(ids):
        raise ValueError("groups: need at least one group, with unique ids")
    _check_reward_sharing(game)
    _check_agent(game, "agent", game.agent)
    for agent, amounts in game.agent_initial_inventory.items():
        where = f"agent_initial_inventory.{agent}"
        if not 0 <= agent < game.num_agents:
            raise ValueError(f"{where}: no agent {agent} (agents are 0..{game.num_agents - 1})")
        _check_resources(game, where, amounts)
        _check_inventory_fits(where, game.agent, amounts)
    for gname in game.groups:
        try:
            agent = game.group_agent_config(gname)
        except ValueError as e:
            raise ValueError(f"groups.{gname}.agent: {e}") from e
        _check_agent(game, f"groups.{gname}.agent", agent)
    for aname, action in game.actions.enabled():
        where = f"actions.{aname}"
        _check_resources(game, f"{where}.required_resources", action.required_resources)
        _check_resources(game, f"{where}.consumed_resources", action.consumed_resources)
        for res, cost in action.consumed_resources.items():
            if action.required_resources.get(res, math.ceil(cost)) < math.ceil(cost):
                raise ValueError(f"{where}.required_resources: {res!r} must be >= ceil(consumed) = {math.ceil(cost)}")
        if hasattr(action, "defense_resources"):
            _check_resources(game, f"{where}.defense_resources", action.defense_resources)

    mb = game.map_builder
    where = "map_builder"
    if mb.type == "ascii":
        grid = parse_ascii(game, mb.rows(), mb.char_to_name_map)
        agents = sum(1 for row in grid for name in row if name.startswith("agent."))
    elif mb.type == "scene":
        for seed, grid in mb.grids().items():
            agents = check_scene_map(game, grid)
            if agents != game.num_agents:
                raise MapError(
                    f"{where}: the map of seed {seed} has {agents} agents but num_agents is {game.num_agents}"
                )
    elif mb.type == "random":
        agents = _agent_count(game, where, mb.agents)
        inner_w, inner_h = mb.width - 2 * mb.border_width, mb.height - 2 * mb.border_width
        if inner_w < 1 or inner_h < 1:
            raise MapError(
                f"{where}.border_width: {mb.border_width} leaves no inner area in a {mb.width}x{mb.height} map "
                f"(it must be below half of both the width and the height)"
            )
        inner = inner_w * inner_h
        _check_map_objects(game, where, mb.objects, mb.border_object)
        _object_counts_fit(where, mb.objects, agents, inner, halve=True)
    else:
        per = _agent_count(game, f"{where}.instance", mb.instance.agents)
        _check_map_objects(game, f"{where}.instance", mb.instance.objects, mb.border_object)
        _object_counts_fit(f"{where}.instance", mb.instance.objects, per, mb.width * mb.height, halve=False)
        agents = per * mb.instances
    if agents != game.num_agents:
        raise MapError(f"{where}: the map has {agents} agents but num_agents is {game.num_agents}")


def _check_map_objects(game: GameConfig, where: str, objects: dict[str, int], border: str) -> None:
    for name in list(objects) + [border]:
        if name not in game.objects:
            configured = ", ".join(game.objects) or "none"
            add = f"; configure it under game.objects ({name}: {{}})" if name in OBJECT_LIBRARY else ""
            raise MapError(f"{where}: unknown object {name!r} (objects: {configured}){add}")
