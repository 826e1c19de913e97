"""Typed configuration of a MettaGrid game.

These pydantic models are what YAML files, recipes and the CLI produce. They check every
name and range up front and report *where* a problem is (the pydantic location path, or the
row/column of a map), so a bad config never reaches the native code.
:func:`metta_lit.env.native_config.to_native` turns a validated config into the C++ structs.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from omegaconf import OmegaConf
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from metta_lit.core.errors import ConfigError, unknown_key_message, validation_message
from metta_lit.core.files import read_yaml
from metta_lit.env.checks import check_game_names
from metta_lit.env.library import OBJECT_LIBRARY
from metta_lit.env.maps import MapCount

DEFAULT_RESOURCES = [
    "ore_red",
    "ore_blue",
    "ore_green",
    "battery_red",
    "battery_blue",
    "battery_green",
    "heart",
    "armor",
    "laser",
    "blueprint",
]


# The native config's C++ types (config.hpp): every int field is an ``int`` and every float a
# ``float``, so each field here is bounded to fit one; a larger value would fail in pybind's cast
# with a signature dump (ints) or become infinite (floats) instead of getting a clear error.
INT32_MAX = 2**31 - 1
FLOAT32_MAX = float(np.finfo(np.float32).max)
NativeFloat = Annotated[float, Field(ge=-FLOAT32_MAX, le=FLOAT32_MAX)]


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in a config must not be silently ignored."""

    # NaN or infinite rewards/penalties/probabilities would poison every return they touch.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, validate_default=True, allow_inf_nan=False)


# --- objects ------------------------------------------------------------------------------


class WallConfig(StrictModel):
    """Impassable cell; a swappable wall is a "block" that the swap action can move."""

    type: Literal["wall"] = "wall"
    type_id: int = Field(ge=1, le=255)
    map_char: str | None = Field(default=None, min_length=1, max_length=1)
    swappable: bool = False


class ConverterConfig(StrictModel):
    """Turns input resources into output resources (mines, generators, altars, ...).

    A conversion starts as soon as the inputs are present and fewer than ``max_output``
    output items are held; it finishes ``conversion_ticks`` steps later and is followed by
    ``cooldown`` idle steps.
    """

    type: Literal["converter"] = "converter"
    type_id: int = Field(ge=1, le=255)
    map_char: str | None = Field(default=None, min_length=1, max_length=1)
    input_resources: dict[str, Annotated[int, Field(ge=0, le=255)]] = {}
    output_resources: dict[str, Annotated[int, Field(ge=0, le=255)]]
    max_output: int = Field(default=5, ge=-1, le=INT32_MAX)
    max_conversions: int = Field(default=-1, ge=-1, le=INT32_MAX)
    conversion_ticks: int = Field(default=1, ge=1, le=INT32_MAX)
    cooldown: int = Field(ge=0, le=INT32_MAX)
    initial_resource_count: int = Field(default=0, ge=0, le=255)
    color: int = Field(default=0, ge=0, le=255)


# The sides of an object an agent can stand on, in the native bit order (assembler masks, chest deltas).
Side = Literal["NW", "N", "NE", "W", "E", "SW", "S", "SE"]
SIDES: tuple[str, ...] = Side.__args__


class ChestConfig(StrictModel):
    """Holds one resource and is used by moving into it. Which side of the chest its user stands
    on decides what a use does: ``position_deltas`` maps a side to an amount, deposited up to it
    when positive and withdrawn up to it when negative (sides not named do nothing; with
    cardinal moves only N, S, W and E can be used); a chest keyed by vibes (``vibe_deltas``, the
    original's vibe transfers) decides by the vibe its user shows instead, a vibe it does not
    name doing nothing. What is deposited past ``max_inventory`` is destroyed. A chest with ``regrow_interval`` is a commons: every that many steps, holding
    n > 0 units, it gains ceil(``regrow_rate`` x n), so what is left decides what grows back and
    an emptied chest stays empty."""

    type: Literal["chest"] = "chest"
    type_id: int = Field(ge=1, le=255)
    map_char: str | None = Field(default=None, min_length=1, max_length=1)
    resource_type: str
    position_deltas: dict[Side, Annotated[int, Field(ge=-255, le=255)]] = {}
    vibe_deltas: dict[str, Annotated[int, Field(ge=-255, le=255)]] = Field(
        default={}, description="vibe name -> amount deposited (> 0) or withdrawn (< 0); replaces position_deltas"
    )
    initial_inventory: int = Field(default=0, ge=0, le=255)
    max_inventory: int = Field(default=255, ge=-1, le=255, description="-1: unlimited (255, what an inventory holds)")
    regrow_interval: int = Field(
        default=0, ge=0, le=INT32_MAX, description="a commons: every this many steps (0: never), ..."
    )
    regrow_rate: float = Field(
        default=0.0, ge=0.0, le=255.0, description="... a chest holding n > 0 gains ceil(rate x n)"
    )
    color: int = Field(default=0, ge=0, le=255)

    @model_validator(mode="after")
    def _initial_fits(self) -> ChestConfig:
        if self.max_inventory >= 0 and self.initial_inventory > self.max_inventory:
            raise ValueError(f"initial_inventory {self.initial_inventory} exceeds max_inventory {self.max_inventory}")
        return self


class AssemblerRecipe(StrictModel):
    """What the agents around an assembler give and its user gets, when they stand as
    ``positions`` says: a side (``N``, ``SE``...) is an agent on that side, ``Any`` an agent on
    any other side, and the count must match exactly (``[Any, Any]``: exactly two agents
    anywhere around it; ``[N]``: exactly one, to the north)."""

    positions: list[Side | Literal["Any"]] = Field(min_length=1, max_length=8)
    input_resources: dict[str, Annotated[int, Field(ge=0, le=255)]] = {}
    output_resources: dict[str, Annotated[int, Field(ge=0, le=255)]] = {}
    cooldown: int = Field(default=0, ge=0, le=INT32_MAX)

    @field_validator("positions")
    @classmethod
    def _one_agent_per_side(cls, positions: list[str]) -> list[str]:
        fixed = [p for p in positions if p != "Any"]
        if len(set(fixed)) != len(fixed):
            raise ValueError(f"{positions}: a side can hold only one agent")
        return positions

    def masks(self) -> list[int]:
        """The neighbour masks (bit i: an agent on side ``SIDES[i]``) this recipe matches."""
        fixed = sum(1 << SIDES.index(p) for p in self.positions if p != "Any")
        return [m for m in range(256) if m & fixed == fixed and bin(m).count("1") == len(self.positions)]


class Protocol(StrictModel):
    """One way an assembler with ``protocols`` can be used, chosen by what its neighbours show:
    it fits when at least ``min_agents`` agents stand around it and the vibes they show, other
    than the first of ``vibe_names`` (everyone's start, never counted), are exactly ``vibes``
    (a multiset: ``[up, up]`` needs two agents showing ``up``; ``[]`` asks for none)."""

    # The upper bound is checked below, to say why (the schema still shows it).
    min_agents: int = Field(default=1, ge=1, json_schema_extra={"maximum": len(SIDES)})
    vibes: list[str] = Field(default=[], max_length=8)
    input_resources: dict[str, Annotated[int, Field(ge=0, le=255)]] = {}
    output_resources: dict[str, Annotated[int, Field(ge=0, le=255)]] = {}
    cooldown: int = Field(default=0, ge=0, le=INT32_MAX)

    @field_validator("min_agents")
    @classmethod
    def _fits_the_sides(cls, v: int) -> int:
        if v > len(SIDES):
            raise ValueError(f"{v} agents cannot stand around an assembler: it has {len(SIDES)} sides")
        return v

    def key(self) -> tuple[int, tuple[str, ...]]:
        """What the protocol matches: two protocols with one key can never both be chosen."""
        return self.min_agents, tuple(sorted(self.vibes))


class AssemblerConfig(StrictModel):
    """Used by moving into it. Its recipe is chosen either by which of its 8 neighbouring cells
    hold agents (``recipes``, see :class:`AssemblerRecipe`), so a recipe for two agents needs
    two to stand by it, or by the vibes its neighbours show (``protocols``, see
    :class:`Protocol`): of the protocols whose vibes are exactly those shown and whose
    ``min_agents`` are around, the one needing the most agents fires; failing that, the same
    among the protocols that ask for no vibes. Inputs are pooled from all the agents around
    (taken in NW..SE order); outputs go to the user, except that a protocol asking for two or
    more vibes shares them among the agents that showed them, unit by unit in turn. Where
    several recipes match one arrangement the later one wins (the original lists recipes in
    reverse order of priority), and a recipe left with no arrangement of its own is an error
    unless ``fully_overlapping_recipes_allowed``. After a use it cools down for the recipe's
    cooldown times a multiplier that grows by ``1 + exhaustion`` per use; ``max_uses`` > 0
    caps its uses; ``allow_partial_usage`` lets it be used while cooling down, inputs scaled
    by the progress made (rounded up) and outputs too (rounded down)."""

    type: Literal["assembler"] = "assembler"
    type_id: int = Field(ge=1, le=255)
    map_char: str | None = Field(default=None, min_length=1, max_length=1)
    recipes: list[AssemblerRecipe] = Field(default=[], max_length=256)
    protocols: list[Protocol] = Field(default=[], max_length=256)
    max_uses: int = Field(default=0, ge=0, le=INT32_MAX)
    exhaustion: float = Field(default=0.0, ge=0.0, le=1000.0)
    allow_partial_usage: bool = False
    fully_overlapping_recipes_allowed: bool = False
    color: int = Field(default=0, ge=0, le=255)
    clip_immune: bool = Field(default=False, description="never clipped by the clipper (game.clipper)")
    start_clipped: bool = Field(default=False, description="clipped at reset (needs game.clipper)")

    @model_validator(mode="after")
    def _every_recipe_reachable(self) -> AssemblerConfig:
        if bool(self.recipes) == bool(self.protocols):
            raise ValueError("give either recipes (chosen by where agents stand) or protocols (chosen by vibes)")
        if self.recipes:
            self.recipe_of_mask()
        seen: dict[tuple[int, tuple[str, ...]], int] = {}
        for index, protocol in enumerate(self.protocols):
            if protocol.key() in seen:
                raise ValueError(
                    f"protocols.{index}: protocols.{seen[protocol.key()]} already needs {protocol.min_agents} "
                    f"agents showing {list(protocol.key()[1])}, so this one could never fire"
                )
            seen[protocol.key()] = index
        return self

    def native_recipes(self) -> list[AssemblerRecipe | Protocol]:
        """Its recipes or its protocols (it has one kind), in the order the native env numbers
        them (``recipe_of_mask``, ``<name>.uses.protocol_<k>``)."""
        return [*self.recipes, *self.protocols]

    def recipe_of_mask(self) -> list[int]:
        """For each of the 256 neighbour masks, the index of its recipe (-1: none)."""
        table = [-1] * 256
        for index in reversed(range(len(self.recipes))):
            claimed = False
            for mask in self.recipes[index].masks():
                if table[mask] < 0:
                    table[mask] = index
                    claimed = True
            if not claimed and not self.fully_overlapping_recipes_allowed:
                raise ValueError(
                    f"recipes.{index}: every arrangement of {self.recipes[index].positions} is taken by a later "
                    "recipe (set fully_overlapping_recipes_allowed to keep it anyway)"
                )
        return table


ObjectConfig = Annotated[WallConfig | ConverterConfig | ChestConfig | AssemblerConfig, Field(discriminator="type")]


class ClipperConfig(StrictModel):
    """Stations clipped over time (the original's clipper): each step, with probability
    ``clip_rate``, one more assembler is clipped, drawn by the pull of the clipped ones near it
    (each within ``cutoff`` length scales, L-inf distance d, adds ``2^(cutoff - d //
    length_scale)``; none near any: drawn uniformly). A clipped assembler makes nothing until
    agents use it by its unclipping protocol (one of ``unclipping_protocols``, drawn per clip:
    resources, several agents, vibes), which repairs it. ``clip_immune`` assemblers never clip."""

    # The bounds are checked below, to say why (the schema still shows them).
    clip_rate: float = Field(
        default=0.0,
        description="probability per step of one more clip",
        json_schema_extra={"minimum": 0.0, "maximum": 1.0},
    )
    length_scale: int = Field(default=0, ge=0, le=65535, description="cells; 0: from the assemblers' density")
    cutoff: int = Field(default=3, ge=0, le=12, description="in length scales: farther ones do not spread")
    unclipping_protocols: list[Protocol] = Field(min_length=1, max_length=256)

    @field_validator("clip_rate")
    @classmethod
    def _a_probability(cls, v: float) -> float:
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"clip_rate {v} is a probability per step: it must be in [0, 1]")
        return v


# --- agents -------------------------------------------------------------------------------


class SharedLimit(StrictModel):
    """Several resources that share one inventory limit."""

    resources: list[str] = Field(min_length=1)
    limit: int = Field(ge=0, le=255)


class AgentRewards(StrictModel):
    """Reward = change of sum(min(value * rate, max)); inventory key X means stat X.amount."""

    inventory: dict[str, NativeFloat] = {}
    inventory_max: dict[str, NativeFloat] = {}
    stats: dict[str, NativeFloat] = {}
    stats_max: dict[str, NativeFloat] = {}


class AgentConfig(StrictModel):
    default_resource_limit: int = Field(default=255, ge=0, le=255)
    resource_limits: dict[str, Annotated[int, Field(ge=0, le=255)]] = {}
    shared_limits: list[SharedLimit] = []
    initial_inventory: dict[str, Annotated[int, Field(ge=0, le=255)]] = {}
    freeze_duration: int = Field(default=10, ge=0, le=255)
    action_failure_penalty: NativeFloat = 0.0
    rewards: AgentRewards = AgentRewards()
    soul_bound_resources: list[str] = []
    shareable_resources: list[str] = []
    inventory_regen_amounts: dict[str, Annotated[int, Field(ge=0, le=255)]] = {}


class GroupConfig(StrictModel):
    """A team. ``agent`` holds overrides of the game's default AgentConfig for its members."""

    id: int = Field(default=0, ge=0, le=255)
    group_reward_pct: float = Field(default=0.0, ge=0.0, le=1.0)
    agent: dict[str, Any] = {}


# --- actions ------------------------------------------------------------------------------


class ActionConfig(StrictModel):
    enabled: bool = False
    required_resources: dict[str, Annotated[int, Field(ge=0, le=255)]] = {}
    consumed_resources: dict[str, Annotated[float, Field(ge=0, le=255)]] = {}

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `move: true` enables an action; a mapping without `enabled` means enabled too.
        if isinstance(data, bool):
            return {"enabled": data}
        if isinstance(data, dict) and "enabled" not in data:
            return {**data, "enabled": True}
        return data


class AttackActionConfig(ActionConfig):
    defense_resources: dict[str, Annotated[int, Field(ge=0, le=255)]] = {}


class ChangeGlyphActionConfig(ActionConfig):
    number_of_glyphs: int = Field(default=4, ge=1, le=256)


class TransferActionConfig(ActionConfig):
    """No actions of its own: moving into another agent while showing one of these vibes
    moves that vibe's amounts from the mover to it, all or nothing (the mover holds them all,
    the other has room for them all and is not frozen); other vibes keep the classic hand-over."""

    vibe_transfers: dict[str, dict[str, Annotated[int, Field(ge=1, le=255)]]] = Field(
        default={}, description="vibe name -> resource -> amount moved"
    )


class ActionsConfig(StrictModel):
    """Which action handlers an env enables, and their settings; noop is always enabled. The
    catalog's order comes from the native handler registry alone (each ``actions/*.cpp``
    registers its position; Python sees it as ``_mettagrid.registered_actions``), not from
    the order of these fields."""

    noop: ActionConfig = ActionConfig(enabled=True)
    move: ActionConfig = ActionConfig(enabled=False)
    rotate: ActionConfig = ActionConfig(enabled=False)
    put_items: ActionConfig = ActionConfig(enabled=False)
    get_items: ActionConfig = ActionConfig(enabled=False)
    attack: AttackActionConfig = AttackActionConfig(enabled=False)
    swap: ActionConfig = ActionConfig(enabled=False)
    change_color: ActionConfig = ActionConfig(enabled=False)
    change_glyph: ChangeGlyphActionConfig = ChangeGlyphActionConfig(enabled=False)
    change_vibe: ActionConfig = Field(
        default=ActionConfig(enabled=False), description="change_vibe_<name> for each of game.vibe_names"
    )
    transfer: TransferActionConfig = TransferActionConfig(enabled=False)

    @field_validator("noop")
    @classmethod
    def _noop_enabled(cls, v: ActionConfig) -> ActionConfig:
        if not v.enabled:
            raise ValueError("noop cannot be disabled: it is action 0 of the catalog")
        return v

    def enabled(self) -> list[tuple[str, ActionConfig]]:
        return [(name, getattr(self, name)) for name in type(self).model_fields if getattr(self, name).enabled]


# --- maps ---------------------------------------------------------------------------------

MAX_SCENE_MAPS = 1024
MAX_SCENE_MAP_CELLS = 1 << 22  # a scene builder's maps together: the native env's bound (8 MiB)


class AsciiMapBuilder(StrictModel):
    """A fixed map drawn with characters; every reset restores it."""

    type: Literal["ascii"] = "ascii"
    map_data: str | list[str]
    char_to_name_map: dict[str, str] = {}

    def rows(self) -> list[str]:
        rows = self.map_data.splitlines() if isinstance(self.map_data, str) else list(self.map_data)
        return [r for r in (row.rstrip("\n") for row in rows) if r.strip() != ""]


class RandomMapBuilder(StrictModel):
    """Border, then objects + agents shuffled over the inner area (counts halved until they fit)."""

    type: Literal["random"] = "random"
    width: int = Field(default=10, ge=1, le=255)
    height: int = Field(default=10, ge=1, le=255)
    objects: dict[str, MapCount] = {}
    agents: MapCount | dict[str, MapCount] = 0
    border_width: int = Field(default=0, ge=0, le=255)
    border_object: str = "wall"


class RandomScene(StrictModel):
    """Objects and agents placed at random empty cells of one instance (extras dropped)."""

    objects: dict[str, MapCount] = {}
    agents: MapCount | dict[str, MapCount] = 0


class MapGenBuilder(StrictModel):
    """Instances of ``width`` x ``height`` tiled in a near-square grid inside a border."""

    type: Literal["mapgen"] = "mapgen"
    width: int = Field(ge=1, le=255)
    height: int = Field(ge=1, le=255)
    instance: RandomScene
    instances: int = Field(default=1, ge=1, le=60000)
    border_width: int = Field(default=5, ge=0, le=255)
    instance_border_width: int = Field(default=5, ge=0, le=255)
    border_object: str = "wall"


class SceneMapBuilder(StrictModel):
    """Maps made from a scene (:mod:`metta_lit.env.mapgen`), one from each of the seeds ``seed``
    … ``seed + maps - 1``; every reset draws one of them with the env's map RNG. The original
    builds a fresh map at each reset; the native env resets finished envs inside its step, where
    Python cannot run, so the maps are made up front and shipped with the config. A scene that
    ignores its seed makes one map. ``border_width`` walls surround each."""

    type: Literal["scene"] = "scene"
    width: int = Field(ge=1, le=255)
    height: int = Field(ge=1, le=255)
    seed: int = Field(default=0, ge=0, le=INT32_MAX)
    maps: int = Field(default=64, ge=1, le=MAX_SCENE_MAPS)
    border_width: int = Field(default=0, ge=0, le=127)
    scene: dict[str, Any]

    @model_validator(mode="after")
    def _bounded(self) -> SceneMapBuilder:
        # Checked before any map is made: the native env keeps every grid for its lifetime.
        if self.maps * self.width * self.height > MAX_SCENE_MAP_CELLS:
            raise ValueError(
                f"maps: {self.maps} maps of {self.width}x{self.height} cells exceed "
                f"{MAX_SCENE_MAP_CELLS} cells in all; use at most {MAX_SCENE_MAP_CELLS // (self.width * self.height)}"
            )
        return self

    def grids(self) -> dict[int, list[list[str]]]:
        """The distinct maps' cell names by the first seed that made each (read-only: they are
        shared by every copy of this config in the process)."""
        return _scene_grids(self.model_dump_json())


@functools.lru_cache(maxsize=16)
def _scene_grids(builder_json: str) -> dict[int, list[list[str]]]:
    """A scene builder's maps, kept per builder: configs are copied for every env, task and
    evaluation, and some scenes take most of a second a map (ConvChain)."""
    from metta_lit.env.mapgen import SceneError, generate  # numpy scenes: loaded by scene maps only

    mb = SceneMapBuilder.model_validate_json(builder_json)
    b = mb.border_width
    if 2 * b >= min(mb.width, mb.height):
        raise ValueError(f"border_width {b} leaves no area inside a {mb.width}x{mb.height} map")
    made: dict[bytes, tuple[int, list[list[str]]]] = {}
    for seed in range(mb.seed, mb.seed + mb.maps):
        try:
            inner = generate(mb.scene, mb.width - 2 * b, mb.height - 2 * b, seed)
        except SceneError as e:
            raise SceneError(f"the map of seed {seed} (of {mb.seed}..{mb.seed + mb.maps - 1}): {e}") from None
        grid = np.full((mb.height, mb.width), "wall", dtype=inner.dtype)
        grid[b : mb.height - b, b : mb.width - b] = inner
        if (key := grid.tobytes()) not in made:
            # One str object per distinct name, not per cell (tolist's 64 bytes a cell): the
            # cache may hold up to MAX_SCENE_MAP_CELLS cells per builder.
            names, codes = np.unique(grid, return_inverse=True)
            shared = [str(name) for name in names]
            made[key] = (seed, [[shared[c] for c in row] for row in codes.reshape(grid.shape).tolist()])
    return dict(made.values())


MapBuilderConfig = Annotated[
    AsciiMapBuilder | RandomMapBuilder | MapGenBuilder | SceneMapBuilder, Field(discriminator="type")
]


# --- game ---------------------------------------------------------------------------------


class DeathConfig(StrictModel):
    """Agents that die and come back: an agent whose holding of ``resource`` falls to 0 by the
    end of a step leaves the map (what it held is dropped); ``respawn_delay`` steps later it
    returns to the cell it started the episode on, as soon as that cell is free, with its
    initial inventory (``None``: it does not return this episode). Its slot is inactive
    meanwhile: padding observations, no reward, actions ignored, out of the loss."""

    resource: str
    respawn_delay: int | None = Field(default=10, ge=1, le=1_000_000)


class GlobalObsConfig(StrictModel):
    episode_completion_pct: bool = True
    last_action: bool = True
    last_reward: bool = True


class GameConfig(StrictModel):
    num_agents: int = Field(ge=1, le=4096, description="the agents this game's maps place")
    max_agents: int | None = Field(
        default=None,
        ge=1,
        le=4096,
        description="agent slots of an env built for this game (None: num_agents); its curriculum tasks "
        "may place any number of agents up to it, the slots left over being inactive",
    )
    max_steps: int = Field(default=1000, ge=0, le=INT32_MAX)
    episode_truncates: bool = False
    obs_width: int = Field(default=11, ge=3, le=15)
    obs_height: int = Field(default=11, ge=3, le=15)
    num_observation_tokens: int = Field(default=200, ge=1, le=65535)
    allow_diagonals: bool = False
    global_obs: GlobalObsConfig = GlobalObsConfig()
    recipe_details_obs: bool = Field(
        default=False,
        description="converters and assemblers show their recipe as input:<res> / output:<res> tokens "
        "(an assembler: the recipe the agents around it would make now)",
    )
    resource_names: list[str] = Field(default_factory=lambda: list(DEFAULT_RESOURCES), max_length=64)
    vibe_names: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,32}$")]] = Field(
        default=[],
        max_length=256,
        description="the vibes agents can show (change_vibe_<name>), seen as the agent:glyph token "
        "(vibe k is glyph k); the first is every agent's start and never counts for a protocol",
    )
    agent: AgentConfig = AgentConfig()
    groups: dict[str, GroupConfig] = {"agent": GroupConfig(id=0)}
    reward_sharing: dict[str, dict[str, Annotated[float, Field(ge=0.0, le=1.0)]]] = Field(
        default={},
        description=(
            "receiving group -> source group -> the share of the source group's step reward the receiving "
            "group gets, split evenly among its members; the source's members keep the rest. A group's "
            "group_reward_pct is its own diagonal entry."
        ),
    )
    objects: dict[str, ObjectConfig] = Field(default_factory=lambda: {"wall": OBJECT_LIBRARY["wall"]})
    clipper: ClipperConfig | None = None
    death: DeathConfig | None = None
    actions: ActionsConfig = ActionsConfig()
    map_builder: MapBuilderConfig
    resource_loss_prob: float = Field(default=0.0, ge=0.0, le=1.0)
    inventory_regen_interval: int = Field(default=0, ge=0, le=INT32_MAX)
    agent_initial_inventory: dict[int, dict[str, Annotated[int, Field(ge=0, le=255)]]] = Field(
        default={},
        description="agent id -> its own initial inventory, replacing its group's for those resources",
    )

    @field_validator("objects", mode="before")
    @classmethod
    def _fill_from_library(cls, objects: Any) -> Any:
        # `altar: {}` (or `altar: {cooldown: 5}`) means the library's altar, with overrides.
        if not isinstance(objects, dict):
            return objects
        out = {}
        for name, spec in objects.items():
            if name in OBJECT_LIBRARY and (spec is None or isinstance(spec, dict)):
                spec = {**OBJECT_LIBRARY[name], **(spec or {})}
            out[name] = spec
        return out

    @field_validator("obs_width", "obs_height")
    @classmethod
    def _odd(cls, v: int) -> int:
        if v % 2 == 0:
            raise ValueError("observation window sizes must be odd (3..15)")
        return v

    @model_validator(mode="after")
    def _check_names(self) -> GameConfig:
        check_game_names(self)
        return self

    @property
    def agent_slots(self) -> int:
        """The agents an env built for this game holds: ``max_agents`` or ``num_agents``."""
        return max(self.max_agents or 0, self.num_agents)

    def group_agent_config(self, group: str) -> AgentConfig:
        """The default AgentConfig with the group's overrides applied."""
        overrides = self.groups[group].agent
        return AgentConfig.model_validate({**self.agent.model_dump(), **overrides})


class MettaGridConfig(StrictModel):
    """An environment: a label (used in stats and eval names) and its game."""

    label: str = "mettagrid"
    game: GameConfig

    def with_overrides(self, overrides: dict[str, Any]) -> MettaGridConfig:
        """A copy with dotted overrides applied, e.g. ``{"game.max_steps": 200}``, re-validated.

        A key's parents must exist (a typo is named with the closest valid keys); its last part
        may be new, as in a mapping of rewards or resources."""
        known = self.model_dump()
        data = OmegaConf.create(known)
        for dotted, value in overrides.items():
            *parents, _ = dotted.split(".")
            node = known
            for depth, key in enumerate(parents):
                if not isinstance(node, dict) or key not in node:
                    raise ConfigError(unknown_key_message(f"env override {dotted!r}", parents[: depth + 1], known))
                node = node[key]
            if not isinstance(node, dict):
                raise ConfigError(f"env override {dotted!r}: {'.'.join(parents)} is not a mapping")
            OmegaConf.update(data, dotted, value, merge=False)
        try:
            return MettaGridConfig.model_validate(OmegaConf.to_container(data))
        except ValidationError as e:
            raise ConfigError(validation_message(e, "env override", known)) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> MettaGridConfig:
        return cls.from_data(read_yaml(path, "env config"), Path(path))

    @classmethod
    def from_data(cls, data: Any, path: Path) -> MettaGridConfig:
        """The config of an env file's parsed YAML (``path`` names it in errors)."""
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping with 'label' and 'game'")
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise ConfigError(validation_message(e, str(path))) from None
