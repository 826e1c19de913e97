"""Loss mixins compose from config by name, read only what they declare, and own their keys."""

from __future__ import annotations

import pytest
import torch
import yaml
from conftest import fit_args
from tensordict import TensorDict

from metta_lit.core.errors import ConfigError, MettaLitError
from metta_lit.losses import PPOLoss
from metta_lit.losses.base import LossMixin
from metta_lit.policy import FastPolicy
from metta_lit.rl.experience import rows_from_rollout
from metta_lit.train.module import MettaLitModule


class ProbeLoss(LossMixin):
    """A linear probe predicting each step's reward from the policy's core (the shape of the
    auxiliary losses to come): declares the reward, reads ``core`` from the forward output."""

    def __init__(self, *, probe_coef: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.probe_coef = probe_coef
        self.probe_head = torch.nn.Linear(128, 1)  # the Fast policy's core size
        self.probe_seen: set = set()
        self._probe_mse: list[float] = []

    def experience_keys(self) -> set:
        return super().experience_keys() | {("next", "reward")}

    def loss_terms(self, minibatch, output):
        terms = super().loss_terms(minibatch, output)
        self.probe_seen |= set(minibatch.keys(include_nested=True, leaves_only=True))
        mse = ((self.probe_head(output["core"].detach()) - minibatch["next", "reward"]) ** 2).mean()
        self._probe_mse.append(float(mse.detach()))
        terms["probe/mse"] = self.probe_coef * mse
        return terms

    def loss_metrics(self):
        metrics = super().loss_metrics()
        if self._probe_mse:
            metrics["losses/probe/mse"] = sum(self._probe_mse) / len(self._probe_mse)
        return metrics


def test_modules_compose_loss_mixins_by_name_in_hook_order():
    from metta_lit import train as modules

    composed = modules.PPO_Probe
    assert composed is modules.compose("PPO", "Probe")  # cached: one class per composition
    assert composed.__mro__[1:4] == (PPOLoss, ProbeLoss, MettaLitModule)
    assert modules.PPO is modules.PPOModule  # the name configs written before 2026-12 use
    assert modules.Probe_PPO.__mro__[1:3] == (ProbeLoss, PPOLoss)
    with pytest.raises(ConfigError, match=r"unknown loss 'Prob' \(closest: Probe"):
        modules.compose("PPO", "Prob")
    with pytest.raises(ConfigError, match="appears twice"):
        modules.compose("PPO", "PPO")
    assert not hasattr(modules, "PPO_Nope")


def test_a_run_composes_two_mixins_from_config_and_each_reads_what_it_declared(tmp_path, capsys):
    from metta_lit.cli.trainer import cli

    args = [
        *fit_args("probe", 2048),
        "--model",
        "metta_lit.train.PPO_Probe",
        "--model.init_args.probe_coef",
        "0.5",
        "--checkpoint.data_dir",
        str(tmp_path),
    ]
    with pytest.raises(SystemExit):
        cli([*args, "--print_config"])
    model = yaml.safe_load(capsys.readouterr().out)["model"]
    assert model["class_path"] == "metta_lit.train.PPO_Probe"
    assert model["init_args"]["probe_coef"] == 0.5 and "gamma" in model["init_args"]

    run = cli(args)
    module = run.model
    assert (
        type(module).__name__ == "PPO_Probe"
        and module.probe_coef == 0.5
        and module.gamma == model["init_args"]["gamma"]
    )
    assert module.agent_steps == 2048
    # The experience held the policy's inputs, PPO's declared keys and the probe's, and no more.
    assert ("next", "reward") in module.probe_seen and "action_log_prob" in module.probe_seen
    assert ("ppo", "values") in module.probe_seen  # PPO's own state, under its own key
    assert ("next", "truncated") not in module.probe_seen and ("next", "observation") not in module.probe_seen
    # Both mixins' terms reached the optimizer: the probe head trained, PPO logged its stats.
    assert module.probe_head.weight.grad is not None
    metrics = run.trainer.logged_metrics
    assert "losses/probe/mse" in metrics and "losses/ppo/approx_kl" in metrics


def test_a_loss_reading_a_key_the_rollout_lacks_is_named():
    policy = FastPolicy({"wall": {"id": 1, "normalization": 1.0}}, ["noop", "move_north"])
    rollout = TensorDict(
        {
            "observation": torch.zeros(2, 1, 3, 5, 3, dtype=torch.uint8),
            "is_init": torch.ones(2, 1, 3, 1, dtype=torch.bool),
            "action": torch.zeros(2, 1, 3, dtype=torch.long),
            "lstm_h": torch.zeros(2, 1, 3, 2, 128),
            "lstm_c": torch.zeros(2, 1, 3, 2, 128),
        },
        batch_size=[2, 1, 3],
    )
    rows = rows_from_rollout(rollout, policy, set(), torch.device("cpu"))
    assert rows.shape == (2, 3) and set(rows.keys()) == {"observation", "is_init", "action", "lstm_h", "lstm_c"}
    with pytest.raises(MettaLitError, match=r"rollout keys \[\('next', 'reward'\)\]"):
        rows_from_rollout(rollout, policy, {("next", "reward")}, torch.device("cpu"))


def attributes_read(cls: type) -> set[str]:
    """Every ``self.<name>`` a class's own source reads."""
    import ast
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
    }


def own_names(cls: type) -> set[str]:
    """What a loss defines itself: its methods, and attributes it assigns or takes as arguments."""
    import ast
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    assigned = {
        target.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"
    }
    return assigned | set(vars(cls)) | set(inspect.signature(cls.__init__).parameters)


def test_losses_read_only_the_host_contract_and_the_module_provides_it():
    """The loss-mixin contract: a loss reads from the module only what ``LossHost`` declares,
    and a built module satisfies ``LossHost``."""
    from typing import get_type_hints

    from metta_lit.losses.base import LossHost
    from metta_lit.train.compose import loss_mixins

    contract = set(
        get_type_hints(LossHost, include_extras=False, localns={"Policy": object, "MettaGridConfig": object})
    )
    base = set(dir(LossMixin)) | {"__dict__", "__class__"}
    for name, mixin in loss_mixins().items():
        if mixin.__module__.startswith("metta_lit.losses"):
            foreign = attributes_read(mixin) - own_names(mixin) - base - contract
            assert not foreign, f"{name}Loss reads {sorted(foreign)} from the module, outside LossHost"
    module = MettaLitModule(env="navigation", num_envs=1)
    assert isinstance(module, LossHost)
    assert contract <= set(dir(module)) | set(vars(module))
