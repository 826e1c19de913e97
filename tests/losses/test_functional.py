"""Loss math on hand-computed examples (losses/functional.py) and the PPO mixin's weighting."""

from __future__ import annotations

import math

import pytest
import torch
from tensordict import TensorDict
from torchrl.objectives.value.functional import generalized_advantage_estimate

from metta_lit.losses import functional as F
from metta_lit.losses.ppo import PPOLoss
from metta_lit.policy.core import NormalizedValue
from metta_lit.rl.schedules import progress, scale
from metta_lit.train.optimization import learning_rate

ROW = {
    "values": torch.tensor([[1.0, 2.0, 3.0]]),
    "rewards": torch.tensor([[1.0, 0.0, 2.0]]),
    "dones": torch.tensor([[0.0, 1.0, 0.0]]),
    "bootstrap": torch.tensor([4.0]),
}


def test_advantage_by_hand():
    # gamma = lambda = 0.5, ratio 1:
    # t=2: delta = 2 + .5*4 - 3 = 1                      A = 1
    # t=1: delta = 0 + .5*3*(1-1) - 2 = -2 (episode end)  A = -2
    # t=0: delta = 1 + .5*2 - 1 = 1                      A = 1 + .25*(-2) = 0.5
    adv = F.advantage(**ROW, importance=torch.ones(1, 3), gamma=0.5, gae_lambda=0.5)
    assert adv.tolist() == [[0.5, -2.0, 1.0]]


def test_vtrace_clipping_by_hand():
    # ratios (2, .5, 1) clipped at 1: rho = c = (1, .5, 1)
    # t=2: A = 1;  t=1: delta = .5*(-2) = -1, A = -1;  t=0: A = 1 + .25*1*(-1) = 0.75
    adv = F.advantage(**ROW, importance=torch.tensor([[2.0, 0.5, 1.0]]), gamma=0.5, gae_lambda=0.5)
    assert adv.tolist() == [[0.75, -1.0, 1.0]]


def test_advantage_matches_torchrl_gae_when_ratio_is_one():
    torch.manual_seed(0)
    rows, steps = 5, 17
    values, rewards = torch.randn(rows, steps), torch.randn(rows, steps)
    dones = (torch.rand(rows, steps) < 0.1).float()
    bootstrap = torch.randn(rows)
    ours = F.advantage(values, rewards, dones, bootstrap, torch.ones(rows, steps), 0.977, 0.891477)
    next_values = torch.cat([values[:, 1:], bootstrap[:, None]], 1)
    theirs, _ = generalized_advantage_estimate(
        0.977,
        0.891477,
        values[..., None],
        next_values[..., None],
        rewards[..., None],
        dones.bool()[..., None],
        dones.bool()[..., None],
        time_dim=-2,
    )
    torch.testing.assert_close(ours, theirs.squeeze(-1))


def test_ppo_terms_by_hand():
    t = F.ppo_terms(
        new_log_prob=torch.tensor([math.log(1.5), math.log(0.5)]),
        old_log_prob=torch.zeros(2),
        advantages=torch.tensor([1.0, -1.0]),
        new_values=torch.tensor([2.0, 0.0]),
        old_values=torch.tensor([1.0, 1.0]),
        returns=torch.tensor([3.0, 0.0]),
        entropy=torch.tensor([0.5, 1.5]),
        clip_coef=0.2,
        vf_clip_coef=0.5,
    )
    # ratios 1.5 / 0.5 -> clipped 1.2 / 0.8; max(-A*r, -A*clip(r)) = (-1.2, 0.8), mean -0.2
    assert t["policy"].item() == pytest.approx(-0.2)
    # unclipped (V-R)^2 = (1, 0); clipped V = (1.5, 0.5) -> (2.25, 0.25); .5 * mean(max) = 0.625
    assert t["value"].item() == pytest.approx(0.625)
    assert t["entropy"].item() == pytest.approx(1.0)
    assert t["approx_kl"].item() == pytest.approx(((0.5 - math.log(1.5)) + (-0.5 - math.log(0.5))) / 2)
    assert t["clipfrac"].item() == 1.0
    unclipped = F.ppo_terms(
        torch.zeros(2),
        torch.zeros(2),
        torch.ones(2),
        torch.tensor([2.0, 0.0]),
        torch.ones(2),
        torch.tensor([3.0, 0.0]),
        torch.zeros(2),
        0.2,
        0.5,
        clip_vloss=False,
    )
    assert unclipped["value"].item() == pytest.approx(0.25)  # .5 * mean(1, 0)


def test_ratio_is_clamped_before_exp():
    t = F.ppo_terms(
        torch.tensor([50.0]),
        torch.tensor([0.0]),
        torch.tensor([1.0]),
        torch.zeros(1),
        torch.zeros(1),
        torch.zeros(1),
        torch.zeros(1),
        0.2,
        0.1,
    )
    assert t["ratio"].item() == pytest.approx(math.exp(10.0))


def test_explained_variance():
    target = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert F.explained_variance(target, target).item() == 1.0
    assert F.explained_variance(torch.zeros(4), target).item() == pytest.approx(
        1 - target.var().item() / target.var().item()
    )
    assert math.isnan(F.explained_variance(torch.zeros(2), torch.ones(2)).item())


class _Terminal:
    policy = torch.nn.Linear(1, 1)  # a critic without PopArt

    def __init__(self, **kwargs):
        pass


class _PPO(PPOLoss, _Terminal):
    pass


def test_ppo_mixin_weights_its_terms_and_normalizes_advantages():
    ppo = _PPO(gamma=0.5, gae_lambda=0.5, clip_coef=0.2, vf_coef=2.0, ent_coef=0.1, vf_clip_coef=10.0)
    assert ppo.experience_keys() == {
        "action_log_prob",
        "state_value",
        ("next", "reward"),
        ("next", "done"),
        "bootstrap_value",
    }
    exp = TensorDict(
        {
            "state_value": ROW["values"][..., None],
            "next": {"reward": ROW["rewards"][..., None], "done": ROW["dones"][..., None]},
            "bootstrap_value": ROW["bootstrap"][:, None, None].expand(1, 3, 1),
            "action_log_prob": torch.zeros(1, 3),
        },
        batch_size=[1, 3],
    )
    rollout = exp.clone()
    ppo.prepare_experience(exp)
    assert exp["ppo", "returns"].tolist() == [[1.5, 0.0, 4.0]]  # A + V = (0.5, -2, 1) + (1, 2, 3)
    out = TensorDict(
        {
            "action_log_prob": torch.zeros(1, 3),
            "state_value": torch.tensor([[1.5, 0.0, 4.0]])[..., None],
            "entropy": torch.full((1, 3), 2.0),
        },
        batch_size=[1, 3],
    )
    seen = out.clone()
    terms = ppo.loss_terms(exp, out)
    adv = torch.tensor([0.5, -2.0, 1.0])
    norm = (adv - adv.mean()) / (adv.std() + 1e-8)
    assert terms["ppo/policy"].item() == pytest.approx(-norm.mean().item(), abs=1e-6)  # ratio 1: -mean(A)
    assert terms["ppo/value"].item() == pytest.approx(0.0)  # values equal the returns
    assert terms["ppo/entropy"].item() == pytest.approx(-0.2)
    ppo.after_minibatch(exp, torch.tensor([0]), out)
    assert exp["ppo", "values"].tolist() == [[1.5, 0.0, 4.0]] and exp["ppo", "ratio"].tolist() == [[1.0, 1.0, 1.0]]
    # PPO's state lives under its own key: the rollout's entries and the policy output are untouched.
    assert (exp.exclude("ppo") == rollout).all() and (out == seen).all()
    logged = ppo.loss_metrics()
    assert set(logged) >= {
        "losses/ppo/policy",
        "losses/ppo/approx_kl",
        "losses/ppo/clipfrac",
        "losses/ppo/explained_variance",
    }
    # Values (1, 2, 3) and returns (1.5, 0, 4): mean |V| 2, mean |G| 11/6, std of G (unbiased) 2.0207.
    assert logged["losses/ppo/value_scale"] == pytest.approx(2.0)
    assert logged["losses/ppo/return_scale"] == pytest.approx(11 / 6)
    assert logged["losses/ppo/return_std"] == pytest.approx(2.02073, abs=1e-5)


def test_row_priorities_and_importance_weights_by_hand():
    adv = torch.tensor([[1.0, -1.0], [0.0, 2.0], [0.0, 0.0]])  # |A| summed per row: 2, 2, 0
    p = F.row_priorities(adv, alpha=1.0)
    assert p.tolist() == pytest.approx([0.5, 0.5, 0.0], abs=1e-6) and p[2] > 0  # never exactly zero
    assert F.row_priorities(adv, alpha=0.0).tolist() == pytest.approx([1 / 3] * 3)  # alpha 0: uniform
    assert F.row_priorities(adv, alpha=2.0).tolist() == pytest.approx([0.5, 0.5, 0.0], abs=1e-6)
    w = F.importance_weights(torch.tensor([0.5, 0.25, 0.25]), beta=0.5)
    assert w.tolist() == pytest.approx([1.5**-0.5, 0.75**-0.5, 0.75**-0.5])
    assert F.importance_weights(torch.full((4,), 0.25), beta=0.6).tolist() == pytest.approx([1.0] * 4)


def two_rows() -> TensorDict:
    """ROW, and a row whose only reward comes last: with gamma = lambda = 0.5 its advantages
    are (1/16, 1/4, 1), so |A| sums to 3.5 and 1.3125 per row."""
    return TensorDict(
        {
            "state_value": torch.cat([ROW["values"], torch.zeros(1, 3)])[..., None],
            "next": {
                "reward": torch.cat([ROW["rewards"], torch.tensor([[0.0, 0.0, 1.0]])])[..., None],
                "done": torch.cat([ROW["dones"], torch.zeros(1, 3)])[..., None],
            },
            "bootstrap_value": torch.tensor([4.0, 0.0])[:, None, None].expand(2, 3, 1),
            "action_log_prob": torch.zeros(2, 3),
        },
        batch_size=[2, 3],
    )


def test_prioritized_replay_draws_by_advantage_and_weights_the_advantages():
    ppo = _PPO(gamma=0.5, gae_lambda=0.5, prio_alpha=1.0, prio_beta0=0.6)
    ppo.agent_steps, ppo.hparams = 0, {"total_timesteps": 1000}
    exp = two_rows()
    ppo.prepare_experience(exp)
    torch.manual_seed(0)
    order = ppo.minibatch_rows(exp, rows=1)
    assert len(order) == 2 and all(index.shape == (1,) for index in order)
    p = torch.tensor([3.5, 1.3125]) / 4.8125
    weights = (2 * p) ** -0.6  # beta = beta0 at the run's start
    assert exp["ppo", "prio_weight"][:, 0].tolist() == pytest.approx(weights.tolist(), rel=1e-5)
    draws = torch.cat([ppo.minibatch_rows(exp, rows=1)[0] for _ in range(4000)])
    assert (draws == 0).float().mean().item() == pytest.approx(p[0].item(), abs=0.03)
    assert all(len(set(i.tolist())) == 2 for i in ppo.minibatch_rows(exp, rows=2))  # no row twice in a minibatch
    out = TensorDict(
        {"action_log_prob": torch.zeros(2, 3), "state_value": exp["state_value"], "entropy": torch.zeros(2, 3)},
        batch_size=[2, 3],
    )
    terms = ppo.loss_terms(exp, out)
    adv = torch.tensor([[0.5, -2.0, 1.0], [0.0625, 0.25, 1.0]])
    norm = (adv - adv.mean()) / (adv.std() + 1e-8)
    assert terms["ppo/policy"].item() == pytest.approx(-(norm * weights[:, None]).mean().item(), abs=1e-6)  # ratio 1
    # beta rises towards 1 with the run: beta0 + (1 - beta0) * alpha * progress
    ppo.agent_steps = 500
    assert ppo.prio_beta() == pytest.approx(0.6 + 0.4 * 1.0 * 0.5)
    uniform = _PPO(gamma=0.5, gae_lambda=0.5)
    exp = two_rows()
    uniform.prepare_experience(exp)
    assert uniform.minibatch_rows(exp, rows=1) is None and ("ppo", "prio_weight") not in exp.keys(True)


def test_target_kl_ends_the_update_after_a_minibatch_that_moved_the_policy_too_far():
    exp = two_rows()
    out = TensorDict(
        {"action_log_prob": torch.full((2, 3), 0.5), "state_value": exp["state_value"], "entropy": torch.zeros(2, 3)},
        batch_size=[2, 3],
    )  # log ratio 0.5 everywhere: approx KL = (e^0.5 - 1) - 0.5 = 0.1487
    for target, stops in ((None, False), (0.2, False), (0.1, True)):
        ppo = _PPO(gamma=0.5, gae_lambda=0.5, target_kl=target)
        assert not ppo.stop_update()  # before any minibatch
        ppo.prepare_experience(exp.clone())
        ppo.loss_terms(
            exp.clone().update({"ppo": {"values": exp["state_value"].squeeze(-1), "ratio": torch.ones(2, 3)}}), out
        )
        assert ppo.loss_metrics()["losses/ppo/approx_kl"] == pytest.approx(math.exp(0.5) - 1.5)
        assert ppo.stop_update() is stops, target


def test_schedules_decay_to_zero_at_the_budget():
    assert [scale("constant", p) for p in (0, 0.5, 1)] == [1.0, 1.0, 1.0]
    assert [scale("linear", p) for p in (0, 0.25, 1)] == [1.0, 0.75, 0.0]
    assert [scale("cosine", p) for p in (0, 0.5, 1)] == pytest.approx([1.0, 0.5, 0.0])
    assert progress(250, 1000) == 0.25 and progress(2000, 1000) == 1.0  # past the budget: its end
    hp = {"learning_rate": 0.01, "total_timesteps": 1000, "lr_schedule": "linear"}
    assert learning_rate(hp, 250) == pytest.approx(0.0075)


def test_scheduled_entropy_coefficient_and_clip_range_follow_the_run():
    ppo = _PPO(
        gamma=0.5, gae_lambda=0.5, ent_coef=0.1, clip_coef=0.2, ent_coef_schedule="linear", clip_schedule="cosine"
    )
    ppo.agent_steps, ppo.hparams = 500, {"total_timesteps": 1000}
    exp = two_rows()
    ppo.prepare_experience(exp)
    out = TensorDict(
        {
            "action_log_prob": torch.full((2, 3), 0.5),
            "state_value": exp["state_value"],
            "entropy": torch.full((2, 3), 2.0),
        },
        batch_size=[2, 3],
    )  # ratio e^0.5 = 1.65: outside the clip range either way
    terms = ppo.loss_terms(exp, out)
    assert terms["ppo/entropy"].item() == pytest.approx(-0.1 * 0.5 * 2.0)  # half-way along a linear decay
    logged = ppo.loss_metrics()
    assert logged["losses/ppo/ent_coef"] == pytest.approx(0.05) and logged["losses/ppo/clip_coef"] == pytest.approx(0.1)
    assert logged["losses/ppo/clipfrac"] == 1.0  # |ratio - 1| = 0.65 > 0.1
    constant = _PPO(gamma=0.5, gae_lambda=0.5)
    constant.prepare_experience(exp := two_rows())
    constant.loss_terms(exp, out)
    assert "losses/ppo/ent_coef" not in constant.loss_metrics()  # only a scheduled value is logged


def test_popart_keeps_every_output_when_its_statistics_move():
    torch.manual_seed(0)
    layer = NormalizedValue(4)
    hidden = torch.randn(16, 4)
    before = layer(hidden)
    assert torch.equal(before, layer.linear(hidden))  # mean 0, std 1 until the first update
    layer.update(mean=5.0, square_mean=29.0, rate=0.01)  # the first update takes the batch's: std 2
    assert layer.mean.item() == 5.0 and layer.std.item() == pytest.approx(2.0)
    assert torch.allclose(layer(hidden), before, atol=1e-5)  # outputs preserved
    layer.update(mean=-3.0, square_mean=13.0, rate=0.01)  # the second: their running average
    assert layer.mean.item() == pytest.approx(1.0) and layer.square_mean.item() == pytest.approx(21.0)
    assert torch.allclose(layer(hidden), before, atol=1e-5)
    for _ in range(300):  # then 1% per update: the statistics follow a new scale
        layer.update(mean=100.0, square_mean=100.0**2 + 9.0, rate=0.01)
    assert torch.allclose(layer(hidden), before, atol=1e-3) and layer.updates.item() == 302
    assert layer.mean.item() == pytest.approx(100.0, rel=0.1)
    assert layer.normalize(torch.tensor([layer.mean.item()])).item() == pytest.approx(0.0, abs=1e-5)


def test_with_popart_the_value_is_fitted_in_normalized_units():
    class Critic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.out = NormalizedValue(1)

    class PopArtPPO(PPOLoss, _Terminal):
        policy = Critic()

    ppo = PopArtPPO(gamma=0.5, gae_lambda=0.5, vf_coef=1.0, vf_clip_coef=100.0)
    exp = two_rows()
    ppo.prepare_experience(exp)
    returns = exp["ppo", "returns"]
    normalizer = ppo.policy.out
    assert normalizer.mean.item() == pytest.approx(returns.mean().item())  # the first update: the batch's
    assert normalizer.std.item() == pytest.approx(returns.std(unbiased=False).item(), rel=1e-4)
    out = TensorDict(
        {"action_log_prob": torch.zeros(2, 3), "state_value": exp["state_value"] + 1.0, "entropy": torch.zeros(2, 3)},
        batch_size=[2, 3],
    )  # every value 1 above what the rollout recorded
    terms = ppo.loss_terms(exp, out)
    new = exp["state_value"].squeeze(-1) + 1.0
    expected = 0.5 * (((new - returns) / normalizer.std) ** 2).mean()
    assert terms["ppo/value"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert ppo.loss_metrics()["losses/ppo/value_norm_std"] == pytest.approx(normalizer.std.item())


def test_masked_means_and_group_baselines_by_hand():
    """Steps no agent played count for nothing: the mean of 1, 3 (2, 4 masked out) is 2; a
    mask of all True is the plain mean; nothing kept is 0, not NaN, even where the masked
    entries are NaN. GRPO's per-step group baseline averages only the rows that played."""
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    kept = torch.tensor([[True, False], [True, False]])
    assert F.masked_mean(x, kept).item() == 2.0
    assert F.masked_mean(x, torch.ones_like(kept)).item() == F.masked_mean(x).item() == 2.5
    assert F.masked_mean(torch.full((2, 2), math.nan), torch.zeros_like(kept)).item() == 0.0
    returns = torch.tensor([[1.0, 5.0], [3.0, 100.0], [8.0, 7.0]])
    played = torch.tensor([[True, True], [True, False], [True, True]])
    baselined = F.group_baselined(returns, 3, played)
    # step 0: mean of 1, 3, 8 = 4; step 1: mean of 5, 7 = 6 (row 1 left out)
    assert baselined.tolist() == [[-3.0, -1.0], [-1.0, 94.0], [4.0, 1.0]]
