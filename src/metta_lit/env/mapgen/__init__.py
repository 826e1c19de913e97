"""Map generation from composable scenes: one scene a file, each a pydantic config with ``type``.

A scene fills a rectangle of cell names (``"empty"``, ``"wall"``, ``"altar"``,
``"agent.team_1"``…) from a seeded numpy generator, so the same config and seed give the same
map. Scenes compose: ``mirror``, ``make_connected`` and ``layout`` take child scenes. A game
uses them through its ``map_builder: {type: scene, width, height, seed, maps, scene: {...}}``,
which makes ``maps`` maps from consecutive seeds for its resets to draw from.
"""

from metta_lit.env.mapgen.base import SCENES, Scene, SceneError, generate, load_scene_modules, parse_scene

load_scene_modules()  # every scenes file registers its type: a new scene is one new file

__all__ = ["SCENES", "Scene", "SceneError", "generate", "parse_scene"]
