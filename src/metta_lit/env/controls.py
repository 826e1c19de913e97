"""Keys a person plays an agent with, in the terminal (``metta-lit play``) and the browser
(``metta-lit serve``'s live play): one table, so both agree."""

# A key (as the terminal sends it) -> the action it takes; arrows are their ANSI sequences.
KEYS = {
    "w": "move_north",
    "s": "move_south",
    "a": "move_west",
    "d": "move_east",
    "\x1b[A": "move_north",
    "\x1b[B": "move_south",
    "\x1b[D": "move_west",
    "\x1b[C": "move_east",
    "e": "get_items",
    "r": "put_items",
    "f": "attack_0",
    " ": "noop",
    ".": "noop",
}
