"""The classic object set: type ids, map characters and recipes of the original's builder.

A game names these under ``game.objects`` (``altar: {}`` takes the altar as it is here, with
any field overridden); maps and error hints look characters up here.
"""

from __future__ import annotations

from typing import Any


def _converter(type_id: int, char: str, inputs: dict, outputs: dict, cooldown: int) -> dict:
    return {
        "type": "converter",
        "type_id": type_id,
        "map_char": char,
        "input_resources": inputs,
        "output_resources": outputs,
        "cooldown": cooldown,
    }


# The classic object set (type ids and map characters of the original builder).
OBJECT_LIBRARY: dict[str, dict[str, Any]] = {
    "wall": {"type": "wall", "type_id": 1, "map_char": "#"},
    "block": {"type": "wall", "type_id": 14, "map_char": "s", "swappable": True},
    "mine_red": _converter(2, "m", {}, {"ore_red": 1}, 50),
    "mine_blue": _converter(3, "b", {}, {"ore_blue": 1}, 50),
    "mine_green": _converter(4, "g", {}, {"ore_green": 1}, 50),
    "generator_red": _converter(5, "n", {"ore_red": 1}, {"battery_red": 1}, 25),
    "generator_blue": _converter(6, "B", {"ore_blue": 1}, {"battery_blue": 1}, 25),
    "generator_green": _converter(7, "G", {"ore_green": 1}, {"battery_green": 1}, 25),
    "altar": _converter(8, "_", {"battery_red": 3}, {"heart": 1}, 10),
    "lasery": _converter(15, "S", {"battery_red": 1, "ore_red": 2}, {"laser": 1}, 10),
    "armory": _converter(16, "o", {"ore_red": 3}, {"armor": 1}, 10),
    "lab": _converter(17, "L", {"ore_red": 3, "battery_red": 3}, {"blueprint": 1}, 5),
    "factory": _converter(18, "F", {"blueprint": 1, "ore_red": 5, "battery_red": 5}, {"armor": 5, "laser": 5}, 5),
    "temple": _converter(19, "T", {"heart": 1, "blueprint": 1}, {"heart": 5}, 5),
    # A heart chest: stepping into it from the north deposits one, from the south takes one.
    "chest": {
        "type": "chest",
        "type_id": 20,
        "map_char": "C",
        "resource_type": "heart",
        "position_deltas": {"N": 1, "S": -1},
    },
}
