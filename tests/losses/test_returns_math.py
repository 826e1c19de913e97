"""Returns, baselines and contrastive math of the auxiliary losses, by hand."""

from __future__ import annotations

import math

import pytest
import torch

from metta_lit.losses import functional as F
from metta_lit.losses.contrastive import geometric_offsets


def test_discounted_returns_stop_at_episode_ends():
    rewards = torch.tensor([[1.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    dones = torch.tensor([[0, 1, 0], [0, 0, 0]], dtype=torch.bool)
    # Row 0: G2 = 2; G1 = 0 (its episode ends there); G0 = 1 + .5 * 0. Row 1: 1, 1.5, 1.75.
    assert F.discounted_returns(rewards, dones, 0.5).tolist() == [[1.0, 0.0, 2.0], [1.75, 1.5, 1.0]]


def test_group_baseline_subtracts_each_groups_mean_step_by_step():
    returns = torch.tensor([[1.0, 0.0], [3.0, 2.0], [5.0, 4.0], [7.0, 8.0], [9.0, 1.0]])
    out = F.group_baselined(returns, 2)
    assert out.tolist() == [[-1.0, -1.0], [1.0, 1.0], [-1.0, -2.0], [1.0, 2.0], [0.0, 0.0]]  # a last group of one


def test_lookahead_returns_are_truncated_by_horizon_episode_end_and_row_end():
    rewards = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    dones = torch.tensor([[0, 0, 1, 0]], dtype=torch.bool)
    # horizon 2, gamma .5: t0 = 1 + .5*2; t1 = 2 + .5*3; t2 = 3 (its episode ends); t3 = 4 (row ends).
    assert F.lookahead_returns(rewards, dones, 0.5, 2).tolist() == [[2.0, 3.5, 3.0, 4.0]]
    assert F.lookahead_returns(rewards, dones, 0.5, 1).tolist() == rewards.tolist()


def test_info_nce_on_orthogonal_pairs():
    eye = torch.eye(2)
    loss, positive, negative = F.info_nce(eye * 3.0, eye, temperature=1.0)  # normalized: scale is irrelevant
    assert loss.item() == pytest.approx(math.log(1.0 + math.exp(-1.0)))  # -log(e / (e + 1))
    assert positive.item() == pytest.approx(1.0) and negative.item() == pytest.approx(0.0)
    loss_cold, *_ = F.info_nce(eye, eye, temperature=0.1)
    assert loss_cold.item() < loss.item()  # sharper temperature, more confident


def test_clipped_surrogate_at_ratio_one_is_minus_the_mean_advantage():
    adv = torch.tensor([1.0, -3.0])
    loss, ratio = F.clipped_surrogate(torch.zeros(2), torch.zeros(2), adv, 0.2)
    assert loss.item() == pytest.approx(1.0) and ratio.tolist() == [1.0, 1.0]
    loss, _ = F.clipped_surrogate(torch.log(torch.tensor([2.0, 2.0])), torch.zeros(2), adv, 0.2)
    assert loss.item() == pytest.approx((-1.0 * 1.2 + 3.0 * 2.0) / 2)  # gains clipped, losses not


def test_geometric_offsets_stay_in_the_row_with_the_right_mean():
    offsets = geometric_offsets(4000, 64, 0.75, torch.Generator().manual_seed(0))
    assert (offsets[:, :-1] >= 1).all() and (offsets[:, -1] == 0).all()
    assert (offsets + torch.arange(64) <= 63).all()
    assert offsets[:, 0].float().mean().item() == pytest.approx(4.0, rel=0.05)  # 1 / (1 - .75)
