"""Cooperation required: a short CPU run of coop_assembler learns to use the two-agent
assembler together far more often than random agents do (slow: under two minutes)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT, UNSEEN_MAPS, fit_in_process

from metta_lit.env import env_config
from metta_lit.policy import Policy, RandomPolicy
from metta_lit.rl.acting import play_episodes
from metta_lit.rl.torch_env import MettaGridTorchEnv


def uses_together(policy: Policy, envs: int = 8, episodes: int = 2) -> float:
    """Mean uses per episode of the rooms' assemblers with two agents beside them (a game stat),
    on maps no training run drew."""
    base = MettaGridTorchEnv(env_config("coop_assembler").with_overrides(UNSEEN_MAPS), num_envs=envs, seed=5)
    played = play_episodes(base, [(policy, base.vec.num_agents)], [episodes] * envs)
    column = played[0].stat_names.index("assembler.uses.agents_2")
    return float(np.mean([episode.stats.game[column] for episode in played]))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_short_run_learns_to_use_the_two_agent_assembler_together(tmp_path):
    """800k agent steps of ``configs/coop_assembler.yaml``, scored on maps it never trained on.
    Random pairs use an assembler together about 1-2 times per 200-step episode (4 rooms).
    When pairs start meeting varies by seed: at 600k steps seed 0 scored 82.9 uses and seed 1
    7.4; at 800k seeds 1 and 2 scored 70.2 and 108.4."""
    run = fit_in_process(str(ROOT / "configs" / "coop_assembler.yaml"), 800_000, tmp_path, "coop")
    random, trained = uses_together(RandomPolicy({}, [])), uses_together(run.model.policy.eval())
    print(f"coop_assembler: assembler uses with 2 agents per episode: random {random:.1f}, trained {trained:.1f}")
    assert random < 5 and trained >= 5 * max(random, 1.0)
