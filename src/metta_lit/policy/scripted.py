"""A scripted heuristic agent: walks to the nearest useful object in view and uses it.

The teacher of action-supervised learning on the arena and navigation. It reads only its own
observation (the egocentric token window), like a learned policy:

- an object is *useful* when it holds an output worth taking that the agent has room for
  (``get_items``; its inventory limits, shared ones included, come from the env config), or
  when the agent holds all of its inputs (``put_items``); outputs are ranked by how close they are to a
  rewarded item (heart 0, battery 1 as the altar's input, ore 2 as the generator's input), and
  the best-ranked useful object in view, then the nearest, is the target;
- next to the target it turns to face it (a blocked move turns the agent) and uses it;
- otherwise it takes the first step of a shortest path to the target through the free cells of
  its window (breadth-first: a straight-line step would get stuck behind a wall), and with no
  target in view, or none it can reach inside the window, it explores, keeping its last
  direction while the way is free.

Where an assembler's protocol asks for two or more vibes (``protocol_vibes``: its type id ->
the vibe ids asked), the assembler is a target too, and the agent signals: beside it, it shows
a vibe the protocol asks for that no other agent beside it shows (drawn at random among those,
so two agents that arrive together settle on different vibes), and moves into it once every
vibe asked is shown around it.

Where assemblers can be clipped (``stations``: type id -> agents a repair needs), a clipped
one in view comes first: the agent goes beside it and, once enough agents stand there, moves
into it; otherwise it uses the nearest station in view that is not resting (no cooldown
token) and answers one agent.

It is a :class:`Policy`, so it acts through the same TorchRL actor as any other: its logits
put (practically) all mass on the chosen action.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import torch
from tensordict import TensorDictBase

from metta_lit.core.errors import ConfigError
from metta_lit.env.config import MettaGridConfig
from metta_lit.policy.base import Policy

EMPTY = 0xFF


def directions() -> list[str]:
    """The cardinal orientations by id (0..3), as the native env names them. Read on use, so
    reading a policy file does not load the compiled env."""
    from metta_lit import _mettagrid as native

    return native.direction_names[:4]


STEP = {0: (-1, 0), 1: (1, 0), 2: (0, -1), 3: (0, 1)}  # their (row, column) steps
DIRECTION_OF = {step: d for d, step in STEP.items()}  # and back
CONFIDENT = 30.0  # logit of the chosen action (all others -CONFIDENT)


def protocol_vibes(config: MettaGridConfig) -> dict[int, list[int]]:
    """Assembler type id -> the vibe ids (sorted) of its best-paying protocol that asks for two
    or more vibes; assemblers without one are left out."""
    game = config.game
    out: dict[int, list[int]] = {}
    for spec in game.objects.values():
        asking = [p for p in getattr(spec, "protocols", []) if len(p.vibes) >= 2]
        if asking:
            best = max(asking, key=lambda p: sum(p.output_resources.values()))
            out[spec.type_id] = sorted(game.vibe_names.index(v) for v in best.vibes)
    return out


def clippable_stations(config: MettaGridConfig) -> dict[int, int]:
    """With a clipper: each assembler type id that can be clipped -> the agents its repair
    needs (the most any unclipping protocol asks for)."""
    game = config.game
    if game.clipper is None:
        return {}
    needed = max(p.min_agents for p in game.clipper.unclipping_protocols)
    return {spec.type_id: needed for spec in game.objects.values() if spec.type == "assembler" and not spec.clip_immune}


def inventory_limits(config: MettaGridConfig) -> list[tuple[frozenset[str], int]]:
    """The agent's inventory limits as (items sharing the limit, limit), tightest rules first:
    shared limits, then each listed resource's own."""
    agent = config.game.agent
    limits = [(frozenset(shared.resources), shared.limit) for shared in agent.shared_limits]
    for name in config.game.resource_names:
        limits.append((frozenset([name]), agent.resource_limits.get(name, agent.default_resource_limit)))
    return limits


def recipe_ranks(config: MettaGridConfig) -> dict[int, tuple[dict[str, int], dict[str, int], int]]:
    """Converter type id -> (inputs, outputs, rank): rank 0 makes a rewarded item, rank k+1
    makes an input of a rank-k converter. Converters that lead to no reward are left out."""
    game = config.game
    rewarded = {name for name, value in (game.agent.rewards.inventory or {}).items() if value}
    converters = {
        spec.type_id: (dict(spec.input_resources), dict(spec.output_resources))
        for spec in game.objects.values()
        if getattr(spec, "output_resources", None)
    }
    ranks: dict[int, int] = {}
    wanted, rank = rewarded, 0
    while wanted:
        found = {t for t, (_, outputs) in converters.items() if t not in ranks and set(outputs) & wanted}
        for t in found:
            ranks[t] = rank
        wanted = {item for t in found for item in converters[t][0]}
        rank += 1
    return {t: (*converters[t], r) for t, r in ranks.items()}


class ScriptedPolicy(Policy):
    """The heuristic agent (see the module docstring); build it for an env with :meth:`for_env`."""

    def __init__(
        self,
        feature_spec: dict[str, dict[str, Any]],
        action_names: list[str],
        recipes: dict[int, tuple[dict[str, int], dict[str, int], int]],
        limits: list[tuple[frozenset[str], int]] = [],  # noqa: B006 (never mutated)
        obs_height: int = 11,
        obs_width: int = 11,
        seed: int = 0,
        protocol_vibes: dict[int, list[int]] = {},  # noqa: B006 (never mutated)
        stations: dict[int, int] = {},  # noqa: B006 (never mutated)
    ) -> None:
        super().__init__(feature_spec, action_names)
        self.recipes = recipes
        self.protocol_vibes = protocol_vibes
        self.stations = stations
        self.limits = limits
        self.center = (obs_height // 2, obs_width // 2)  # the agent's own cell in its window
        self.window = (obs_height, obs_width)
        self.rng = np.random.default_rng(seed)
        self.in_keys = ["observation"]
        self.out_keys = ["logits", "state_value"]
        self.initialize_to_environment(feature_spec, action_names)

    @classmethod
    def for_env(
        cls, config: MettaGridConfig, feature_spec: dict, action_names: list[str], seed: int = 0
    ) -> ScriptedPolicy:
        """The scripted agent of an env; refused (naming why) where it has nothing to do."""
        recipes, protocols, stations = recipe_ranks(config), protocol_vibes(config), clippable_stations(config)
        moves = {f"move_{d}" for d in directions()}
        converters_usable = bool(recipes) and moves | {"get_items"} <= set(action_names)
        assemblers_usable = bool(protocols or stations) and moves <= set(action_names)
        if not (converters_usable or assemblers_usable):
            raise ConfigError(
                f"env {config.label!r} has no scripted agent: it needs converters whose outputs lead to a reward "
                f"and the actions {sorted(moves | {'get_items'})} (it has {len(recipes)} such converters), or "
                "assemblers with protocols asking for two or more vibes, or a clipper, and the move actions"
            )
        game = config.game
        limits = inventory_limits(config)
        return cls(
            feature_spec, action_names, recipes, limits, game.obs_height, game.obs_width, seed, protocols, stations
        )

    def initialize_to_environment(self, feature_spec: dict[str, dict[str, Any]], action_names: list[str]) -> None:
        # Scripted for whatever the env offers: adopt its ids instead of narrowing logits.
        self.feature_spec = {name: dict(info) for name, info in feature_spec.items()}
        self.action_names = list(action_names)
        self.env_action_index = None
        ids = {name: info["id"] for name, info in feature_spec.items()}
        self._type_feature, self._orientation = ids["type_id"], ids.get("agent:orientation", -1)
        self._last_action = ids.get("last_action", -1)
        self._inventory = {ids[n]: n.removeprefix("inv:") for n in ids if n.startswith("inv:")}
        act = {name: i for i, name in enumerate(action_names)}
        self._move = [act.get(f"move_{d}", 0) for d in directions()]
        self._get, self._put = act.get("get_items", 0), act.get("put_items", act.get("get_items", 0))
        self._glyph = ids.get("agent:glyph", -1)
        self._clipped, self._resting = ids.get("clipped", -1), ids.get("cooldown_remaining", -1)
        self._show = {int(n.rsplit("_", 1)[1]): i for n, i in act.items() if n.startswith("change_glyph_")}
        vibe_actions = [n for n in action_names if n.startswith("change_vibe_")]
        self._show |= {k: act[n] for k, n in enumerate(vibe_actions)}  # vibe k is glyph k

    def forward(self, td: TensorDictBase) -> TensorDictBase:
        obs = td["observation"]
        lead = obs.shape[:-2]
        flat = obs.reshape(-1, *obs.shape[-2:]).cpu().numpy()
        actions = np.array([self.choose(tokens) for tokens in flat], dtype=np.int64)
        logits = torch.full((len(actions), len(self.action_names)), -CONFIDENT)
        logits[torch.arange(len(actions)), torch.from_numpy(actions)] = CONFIDENT
        td["logits"] = logits.reshape(*lead, -1).to(obs.device)
        td["state_value"] = torch.zeros((*lead, 1), device=obs.device)
        return td

    def choose(self, tokens: np.ndarray) -> int:
        """One agent's action from its ``[tokens, 3]`` observation."""
        tokens = tokens[tokens[:, 0] != EMPTY]
        rows, cols = tokens[:, 0] >> 4, tokens[:, 0] & 0xF
        center = self.center
        types: dict[tuple[int, int], int] = {}
        held: dict[tuple[int, int], dict[str, int]] = {}
        vibes: dict[tuple[int, int], int] = {}
        flags: dict[int, set[tuple[int, int]]] = {self._clipped: set(), self._resting: set()}
        mine: dict[str, int] = {}
        orientation, last = -1, -1
        for (_, feature, value), r, c in zip(tokens.tolist(), rows.tolist(), cols.tolist(), strict=True):
            cell = (r, c)
            if feature == self._glyph:
                vibes[cell] = value
            elif feature in flags:
                flags[feature].add(cell)
            elif cell == center:
                if feature in self._inventory:
                    mine[self._inventory[feature]] = value
                elif feature == self._orientation:
                    orientation = value
                elif feature == self._last_action:
                    last = value
            elif feature == self._type_feature:
                types[cell] = value
            elif feature in self._inventory:
                held.setdefault(cell, {})[self._inventory[feature]] = value
        target, use = self._target(types, held, mine, center)
        if target is None and self.protocol_vibes:
            signalled = self._signal(types, vibes, center, last)
            if signalled is not None:
                return signalled
        if target is None and self.stations:
            tended = self._tend(types, flags[self._clipped], flags[self._resting], center, last)
            if tended is not None:
                return tended
        if target is None:
            return self._explore(types, center, last)
        dr, dc = target[0] - center[0], target[1] - center[1]
        if abs(dr) + abs(dc) == 1:
            facing = DIRECTION_OF[(dr, dc)]
            return use if orientation == facing else self._move[facing]
        step = self._first_step(types, center, target)
        return self._move[step] if step is not None else self._explore(types, center, last)

    def _signal(self, types: dict, vibes: dict[tuple[int, int], int], center: tuple[int, int], last: int) -> int | None:
        """The action towards the nearest assembler in view whose protocol asks for vibes
        (None: none in view). Far from it: a step towards it. Beside it: show a vibe it asks
        for that the other agents beside it do not show (a random one; an agent that finds
        its vibe shown by another changes only half the time, so two agents that chose alike
        soon differ), wait while one is missing, and move into it once all are shown (from a
        diagonal cell, first a step to a side it can be entered from)."""
        found = [
            (abs(c[0] - center[0]) + abs(c[1] - center[1]), c) for c, t in types.items() if t in self.protocol_vibes
        ]
        if not found:
            return None
        _, cell = min(found)
        dr, dc = cell[0] - center[0], cell[1] - center[1]
        if max(abs(dr), abs(dc)) > 1:
            step = self._first_step(types, center, cell)
            return self._move[step] if step is not None else self._explore(types, center, last)
        around = [(cell[0] + r, cell[1] + c) for r in (-1, 0, 1) for c in (-1, 0, 1) if r or c]
        missing = list(self.protocol_vibes[types[cell]])
        for other in (c for c in around if c != center and types.get(c) == 0):
            if vibes.get(other, 0) in missing:
                missing.remove(vibes.get(other, 0))
        own = vibes.get(center, 0)
        if own not in missing:
            choices = [v for v in missing if v in self._show]
            if not choices or (own != 0 and self.rng.random() < 0.5):
                return 0  # noop: nothing left to show, or keep this vibe a step longer
            return self._show[int(self.rng.choice(choices))]
        if len(missing) > 1:
            return 0  # noop: wait for the others' vibes
        if abs(dr) + abs(dc) == 1:
            return self._move[DIRECTION_OF[(dr, dc)]]
        step = self._first_step(types, center, cell)
        return self._move[step] if step is not None else 0

    def _tend(self, types: dict, clipped: set, resting: set, center: tuple[int, int], last: int) -> int | None:
        """The action towards the nearest clipped station in view (beside it: wait until enough
        agents stand around it, then move into it), else towards the nearest station that is
        neither clipped nor resting (moving into it uses it); None when neither is in view."""
        stations = [c for c, t in types.items() if t in self.stations]
        broken = [c for c in stations if c in clipped]
        ready = [c for c in stations if c not in clipped and c not in resting]
        for cells, repairing in ((broken, True), (ready, False)):
            if not cells:
                continue
            cell = min(cells, key=lambda c: abs(c[0] - center[0]) + abs(c[1] - center[1]))
            dr, dc = cell[0] - center[0], cell[1] - center[1]
            if abs(dr) + abs(dc) == 1:
                around = [(cell[0] + r, cell[1] + c) for r in (-1, 0, 1) for c in (-1, 0, 1) if r or c]
                others = sum(types.get(c) == 0 for c in around if c != center)
                if repairing and others + 1 < self.stations[types[cell]]:
                    return 0  # noop: wait beside it for a partner
                return self._move[DIRECTION_OF[(dr, dc)]]
            step = self._first_step(types, center, cell)
            if step is not None:
                return self._move[step]
        return None

    def _target(
        self, types: dict, held: dict, mine: dict[str, int], center: tuple[int, int]
    ) -> tuple[tuple[int, int] | None, int]:
        best: tuple[int, int, tuple[int, int] | None, int] = (99, 99, None, self._get)
        for cell, type_id in types.items():
            if type_id not in self.recipes:
                continue
            inputs, outputs, rank = self.recipes[type_id]
            stocked = any(held.get(cell, {}).get(item, 0) > 0 and self._room_for(item, mine) for item in outputs)
            can_put = bool(inputs) and all(mine.get(item, 0) >= n for item, n in inputs.items())
            if not (stocked or can_put):
                continue
            distance = abs(cell[0] - center[0]) + abs(cell[1] - center[1])
            use = self._get if stocked else self._put
            if (rank, distance) < best[:2]:
                best = (rank, distance, cell, use)
        return best[2], best[3]

    def _room_for(self, item: str, mine: dict[str, int]) -> bool:
        return all(sum(mine.get(i, 0) for i in items) < limit for items, limit in self.limits if item in items)

    def _free(self, types: dict, center: tuple[int, int], direction: int) -> bool:
        dr, dc = STEP[direction]
        return (center[0] + dr, center[1] + dc) not in types

    def _first_step(self, types: dict, center: tuple[int, int], target: tuple[int, int]) -> int | None:
        """The direction of the first step of a shortest path from ``center`` to a free cell
        beside ``target``, through free cells of the window; None when there is none."""
        height, width = self.window
        goals = {(target[0] + dr, target[1] + dc) for dr, dc in STEP.values()}
        first: dict[tuple[int, int], int] = {}
        queue: deque[tuple[int, int]] = deque()
        for direction, (dr, dc) in STEP.items():
            cell = (center[0] + dr, center[1] + dc)
            if 0 <= cell[0] < height and 0 <= cell[1] < width and cell not in types:
                first[cell] = direction
                queue.append(cell)
        while queue:
            cell = queue.popleft()
            if cell in goals:
                return first[cell]
            for dr, dc in STEP.values():
                nxt = (cell[0] + dr, cell[1] + dc)
                if 0 <= nxt[0] < height and 0 <= nxt[1] < width and nxt not in types and nxt not in first:
                    first[nxt] = first[cell]
                    queue.append(nxt)
        return None

    def _explore(self, types: dict, center: tuple[int, int], last: int) -> int:
        free = [d for d in range(4) if self._free(types, center, d)]
        if not free:
            return self._get
        if last in self._move and self._move.index(last) in free and self.rng.random() < 0.8:
            return last
        return self._move[int(self.rng.choice(free))]
