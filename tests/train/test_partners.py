"""Partner pools: each env's partners are played by the member drawn at its episode start, the
learner trains on its own agents only, snapshots enter the pool, and DDP and resume keep it."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from tensordict import TensorDictBase

from metta_lit.core.errors import ConfigError
from metta_lit.policy import FastPolicy, Policy
from metta_lit.rl.acting import AgentSplitActor, acting_env, learner_rollout
from metta_lit.rl.partners import PartnerPool
from metta_lit.train.partners import partner_agents
from tests.conftest import EPOCH, NAV, SMALL, column, metta_lit, nav_env, read_metrics


class FixedAction(Policy):
    """Always the same action (its logit far above the others)."""

    def __init__(self, feature_spec: dict[str, dict[str, Any]], action_names: list[str], action: str = "noop") -> None:
        super().__init__(feature_spec, action_names)
        self.action = action
        self.in_keys, self.out_keys = ["observation"], ["logits", "state_value"]

    def forward(self, td: TensorDictBase) -> TensorDictBase:
        lead = td["observation"].shape[:-2]
        logits = torch.full((*lead, self.num_actions), -1e9)
        logits[..., self.action_names.index(self.action)] = 0.0
        td["logits"], td["state_value"] = logits, torch.zeros((*lead, 1))
        return td


def test_each_env_is_played_by_the_member_drawn_at_its_episode_start():
    env = nav_env(num_envs=8, max_steps=5)
    spec, names = env.feature_spec, env.action_names
    learner = FastPolicy(spec, names)
    named = [("still", FixedAction(spec, names, "noop")), ("north", FixedAction(spec, names, "move_north"))]
    pool = PartnerPool(named, learner, snapshots=2, num_envs=8, seed=0)
    env.on_episode_start = pool.start_episodes
    wrapped, actor = acting_env(env, [(learner, 2), (pool, 2)])
    td = wrapped.reset()
    draws = []
    for _ in range(12):  # two episodes and a bit: members are drawn again at each start
        draws.append(pool.choice.clone())
        td = actor(td)
        partner_actions = td["action"][:, 2:]
        for e in range(8):
            expected = names.index("noop" if pool.choice[e] == 0 else "move_north")
            assert (partner_actions[e] == expected).all()
        td = wrapped.step(td)
        td = wrapped.maybe_reset(td["next"].exclude("reward"))
    assert all((d < 2).all() for d in draws)  # the empty snapshot slots are never drawn
    assert any(not torch.equal(draws[0], d) for d in draws[5:])  # redrawn after the first episode
    kinds = {e.partner for e in env.pop_finished_episodes()}
    assert kinds <= {"still", "north"} and kinds


def test_snapshots_fill_the_slots_oldest_first_and_survive_a_state_round_trip():
    env = nav_env(num_envs=2)
    learner = FastPolicy(env.feature_spec, env.action_names)
    pool = PartnerPool([], learner, snapshots=2, num_envs=2, seed=0)
    assert pool.filled == [False, False]
    with pytest.raises(RuntimeError, match="no member yet"):
        pool.start_episodes([0])
    weights = []
    for k in range(3):
        with torch.no_grad():
            next(learner.parameters()).fill_(float(k))
        pool.add_snapshot(learner)
        weights.append(k)
    assert pool.filled == [True, True] and pool.snapshots_taken == 3
    first = [float(next(m.parameters()).flatten()[0]) for m in pool.members]
    assert first == [2.0, 1.0]  # the third snapshot replaced the first
    assert not any(p.requires_grad for p in pool.members.parameters())
    copy = PartnerPool([], learner, snapshots=2, num_envs=2, seed=5)
    copy.load(pool.state())
    assert [float(next(m.parameters()).flatten()[0]) for m in copy.members] == first
    assert copy.start_episodes([0, 1]) == pool.start_episodes([0, 1])  # the draws continue alike
    with pytest.raises(ValueError, match="has 2 members; this run's has 3"):
        PartnerPool([], learner, snapshots=3, num_envs=2, seed=0).load(pool.state())


def test_the_learner_sees_only_its_own_agents_with_its_memory_at_its_keys():
    env = nav_env(num_envs=2)
    learner = FastPolicy(env.feature_spec, env.action_names)
    other = FixedAction(env.feature_spec, env.action_names)
    wrapped, actor = acting_env(env, [(learner, 3), (other, 1)], keep=["state_value"])
    rollout = wrapped.rollout(4, actor)  # [E, A, T]
    mine = learner_rollout(rollout, 3, learner)
    assert mine.shape == torch.Size([2, 3, 4])
    for key in learner.memory_shapes():
        assert torch.equal(mine[key], rollout[AgentSplitActor.namespace(0), key][:, :3])
    assert "state_value" in mine.keys()  # the learner's own outputs are carried


@pytest.mark.parametrize(
    "share, pool, message",
    [(1.0, ["self"], "must be in"), (0.5, [], "needs partners"), (0.1, ["self"], "leaves the learner or the partners")],
)
def test_bad_partner_arguments_are_named(share, pool, message):
    hparams = {"partner_share": share, "partner_pool": pool, "partner_snapshot_every": 0, "partner_snapshots": 2}
    with pytest.raises(ConfigError, match=message):
        partner_agents(hparams, 4)
    assert partner_agents({**hparams, "partner_share": 0.0, "partner_pool": []}, 4) == 0


@pytest.mark.parametrize("snapshots", [0, 65, 1_000_000_000])
def test_the_number_of_snapshots_is_bounded_before_any_is_copied(snapshots):
    hparams = {"partner_share": 0.5, "partner_pool": ["self"], "partner_snapshot_every": 1}
    with pytest.raises(ConfigError, match=r"model.partner_snapshots: must be in \[1, 64\] \(each is a whole copy"):
        partner_agents({**hparams, "partner_snapshots": snapshots}, 4)
    assert partner_agents({**hparams, "partner_snapshots": 64}, 4) == 2


@pytest.mark.slow
def test_a_half_partner_pool_of_past_selves_trains_under_ddp_and_resume_keeps_it(tmp_path):
    args = [
        "fit",
        "--config",
        NAV,
        *SMALL,
        "--model.init_args.partner_share",
        "0.5",
        "--model.init_args.partner_pool",
        "[self, random]",
        "--model.init_args.partner_snapshot_every",
        "1",
        "--model.init_args.partner_snapshots",
        "3",
        "--trainer.strategy",
        "ddp",
        "--trainer.devices",
        "2",
        "--checkpoint.run",
        "pool",
    ]
    for epochs in (2, 4):  # each epoch: both ranks' rollouts, 2 x EPOCH agent steps
        metta_lit(*args, "--model.init_args.total_timesteps", str(2 * epochs * EPOCH), cwd=tmp_path, timeout=400)
    rows = read_metrics(tmp_path / "train_dir" / "pool")
    assert column(rows, "overview/agent_steps") == [2 * k * EPOCH for k in range(1, 5)]
    # A snapshot at the start, then one per update; three slots hold the newest. The resumed run
    # continues the count from its checkpoint instead of starting a new pool.
    assert column(rows, "partners/snapshots") == [1, 2, 3, 4]
    assert column(rows, "partners/pool_size") == [2, 3, 4, 4]  # random + the filled snapshot slots
    assert column(rows, "partners/self/episodes") and column(rows, "partners/random/episodes")
    # Each kind's rewards are logged for the learner and for its partners, as numbers.
    for kind in ("self", "random"):
        for name in ("reward", "partner_reward"):
            values = column(rows, f"partners/{kind}/{name}")
            assert values and all(math.isfinite(v) for v in values), (kind, name)
