"""Training diagnostics: gradient norms per group, dead units and the collapse signature, on
hand-made modules and sequences."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from metta_lit.train.diagnostics import CollapseWatch, UpdateDiagnostics, parameter_group
from tests.conftest import NAV, fit_in_process


class Heads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.actor = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
        self.critic = nn.Linear(2, 1)


class Net(nn.Module):
    """An encoder, heads with an actor and a critic, and a sequence sharing them (as policies do)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, 2, 1), nn.ReLU())
        self.heads = Heads()
        self.sequence = nn.ModuleList([self.encoder, self.heads])


def test_parameters_group_by_top_module_with_actor_and_critic_apart():
    assert parameter_group("encoder.0.weight") == "encoder"
    assert parameter_group("heads.actor.0.bias") == "heads.actor"
    assert parameter_group("heads.critic.weight") == "heads.critic"
    assert parameter_group("lstm.weight_ih_l0") == "lstm"
    assert set(UpdateDiagnostics(Net(), 1.0).groups) == {"encoder", "heads.actor", "heads.critic"}  # shared once


def test_gradient_norms_are_per_group_means_over_minibatches_before_clipping():
    net = Net()
    diagnostics = UpdateDiagnostics(net, max_grad_norm=6.0)
    for scale in (1.0, 3.0):  # two minibatches
        for param in net.parameters():
            param.grad = torch.zeros_like(param)
        net.encoder[0].weight.grad.view(-1)[:2] = torch.tensor([3.0, 4.0]) * scale  # norm 5 * scale
        net.heads.critic.bias.grad[0] = 2.0 * scale
        diagnostics.after_backward()
    logged = diagnostics.metrics()
    assert logged["diag/grad_norm/encoder"] == pytest.approx(10.0)  # (5 + 15) / 2
    assert logged["diag/grad_norm/heads.critic"] == pytest.approx(4.0)  # (2 + 6) / 2
    assert logged["diag/grad_norm/heads.actor"] == 0.0
    assert logged["diag/grad_norm"] == pytest.approx((29**0.5 + 261**0.5) / 2)  # the minibatches' whole norms
    assert logged["diag/clipped"] == 0.5  # norms 5.39 and 16.2 against 6: the second was clipped
    assert diagnostics.metrics() == {}  # the next update starts empty


def test_dead_units_are_relu_units_zero_for_every_row_of_the_watched_minibatch():
    net = Net()
    with torch.no_grad():
        net.encoder[0].weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))  # channel 1 < 0 on positive input
        net.encoder[0].bias.zero_()
        net.heads.actor[0].weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
        net.heads.actor[0].bias.zero_()
    diagnostics = UpdateDiagnostics(net, 1.0)
    x = torch.rand(5, 1, 3, 3) + 0.1
    with diagnostics.watching_units():
        net.encoder(x)
        net.heads.actor(torch.rand(5, 2) + 0.1)
    net.heads.actor(-torch.ones(5, 2))  # outside the block: not counted
    # conv: 1 of 2 channels dead; actor: 1 of 2 features dead
    assert diagnostics.metrics()["diag/dead_units"] == 0.5
    assert all(not module._forward_hooks for module in net.modules())  # hooks removed


def test_the_collapse_signature_warns_once_and_learning_never_does():
    learning = CollapseWatch(window=100)
    for step in range(0, 1000, 10):  # entropy falls to a tenth while reward rises
        assert learning.add(step, 2.0 - 1.8 * step / 1000, reward=step / 100) is None
    collapse = CollapseWatch(window=100)
    warnings = [
        collapse.add(step, 2.0 if step < 50 else 0.1, reward=1.0 if step < 50 else 0.2) for step in range(0, 200, 10)
    ]
    fired = [w for w in warnings if w]
    assert len(fired) == 1 and "entropy fell from 2.000 to 0.100" in fired[0] and "reward fell from" in fired[0]
    assert warnings.index(fired[0]) == 5  # the first update at low entropy with falling reward
    # Entropy low but reward rising (a policy that found what pays): no warning.
    sure = CollapseWatch(window=100)
    assert all(sure.add(step, 2.0 if step < 50 else 0.1, reward=step) is None for step in range(0, 200, 10))
    # Recovered, then collapsing again: warns again.
    assert collapse.add(200, 2.0, 1.0) is None
    again = [collapse.add(step, 0.1, 0.0) for step in range(210, 300, 10)]
    assert sum(w is not None for w in again) == 1


def test_an_update_ended_by_target_kl_makes_fewer_minibatches(tmp_path):
    """Two passes of 2 minibatches each make 4 per update (its last logged here). With a target
    KL no change stays under, the update ends after its second: the first minibatch measures the
    rollout's own policy (KL 0), the second the policy its step moved."""
    common = (
        "--model.init_args.num_envs",
        "8",
        "--model.init_args.update_epochs",
        "2",
        "--model.init_args.minibatch_size",
        "512",
    )
    for run, extra, made in (("all", (), 4.0), ("kl", ("--model.init_args.target_kl", "1e-12"), 2.0)):
        cli = fit_in_process(NAV, 2048, tmp_path, run, *common, *extra)
        assert cli.model.agent_steps == 2048 and float(cli.trainer.logged_metrics["diag/minibatches"]) == made, run
