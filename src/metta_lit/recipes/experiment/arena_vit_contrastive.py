"""Work in progress: the shaped arena with the ViT policy and PPO + a contrastive auxiliary loss.

Question: does a temporal contrastive objective on the ViT's embedding help agents connect
ore -> battery -> heart across the longer gaps of the arena? Not yet measured at scale.
"""

from __future__ import annotations

from metta_lit.recipe_api import TrainTool
from metta_lit.recipes.prod import arena_basic_easy_shaped


def train(size: str = "tiny", contrastive_coef: float = 0.1) -> TrainTool:
    """The shaped arena recipe with ViTPolicy(size) and PPO_Contrastive."""
    tool = arena_basic_easy_shaped.train(curriculum=True)
    model = tool.config["model"]
    model["class_path"] = "metta_lit.train.PPO_Contrastive"
    model["init_args"]["policy"] = {"class_path": "metta_lit.policy.ViTPolicy", "init_args": {"size": size}}
    model["init_args"]["contrastive_coef"] = contrastive_coef
    return tool
