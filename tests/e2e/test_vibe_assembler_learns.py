"""Signalling required: a short CPU run of vibe_assembler learns to show complementary vibes at
the assembler (up beside down) far more often than random pairs, scored on maps it never
trained on, and its vibes carry information about what the agents who see them do next."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT, UNSEEN_MAPS, fit_in_process

from metta_lit.env import env_config
from metta_lit.policy import Policy, RandomPolicy
from metta_lit.rl.acting import play_episodes
from metta_lit.rl.torch_env import MettaGridTorchEnv

# The pairs' rooms on a 13x13 map (5x5 rooms): pairs meet sooner than in the recipe's 7x7 rooms.
SMALL_ROOMS = {"game.map_builder.width": 13, "game.map_builder.height": 13}


def signalling(policy: Policy, envs: int = 8, episodes: int = 2) -> tuple[float, float]:
    """Mean uses per episode of the up-and-down protocol and the vibe-action mutual
    information (coop/vibe_action_mi), on maps no training run drew."""
    config = env_config("vibe_assembler").with_overrides({**SMALL_ROOMS, **UNSEEN_MAPS})
    base = MettaGridTorchEnv(config, num_envs=envs, seed=5)
    played = play_episodes(base, [(policy, base.vec.num_agents)], [episodes] * envs)
    column = played[0].stat_names.index("assembler.uses.protocol_0")
    uses = np.mean([e.stats.game[column] for e in played])
    mi = np.mean([e.cooperation()["coop/vibe_action_mi"] for e in played])
    return float(uses), float(mi)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_short_run_learns_to_signal_at_the_vibe_assembler(tmp_path):
    """700k agent steps of ``configs/vibe_assembler.yaml`` in small rooms, scored on maps it
    never trained on. Random pairs fit the protocol about once or twice per 200-step episode
    (4 rooms). Measured (2026-12-07, 2 CPU cores; uses per episode): seed 0 2.2 at 400k (not
    yet signalling) and 66.9 at 800k; seeds 1 and 2 35.6 and 23.1 at 600k. When pairs start
    signalling varies by seed, so the budget sits past the latest start seen; the check asserts
    5x random's uses and a vibe-action mutual information above random's."""
    overrides = ["--model.init_args.env_overrides", json.dumps(SMALL_ROOMS)]
    run = fit_in_process(str(ROOT / "configs" / "vibe_assembler.yaml"), 700_000, tmp_path, "vibe", *overrides)
    (random_uses, random_mi), (uses, mi) = signalling(RandomPolicy({}, [])), signalling(run.model.policy.eval())
    print(
        f"vibe_assembler: protocol uses per episode random {random_uses:.1f}, trained {uses:.1f}; "
        f"vibe-action MI random {random_mi:.4f}, trained {mi:.4f} bits"
    )
    assert random_uses < 3 and uses >= 5 * max(random_uses, 1.0) and mi > random_mi
