"""PPO as a loss mixin (spec 5.3-5.4): V-trace-clipped GAE, clipped policy and value losses."""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDictBase

from metta_lit.core.errors import check_range
from metta_lit.losses import functional as F
from metta_lit.losses.base import LossMixin
from metta_lit.policy.core import NormalizedValue, value_normalizer
from metta_lit.rl.experience import BOOTSTRAP_VALUE
from metta_lit.rl.schedules import Schedule, progress, scale


class PPOLoss(LossMixin):
    """Clipped-surrogate PPO. Defaults are the [A] column of spec 5.1.

    Advantages are computed once per rollout with importance ratio 1 (plain GAE), then
    recomputed for each minibatch's rows from the ratios and values stored after earlier
    minibatches (V-trace style), so later passes over a row correct for policy drift. That
    per-row state lives under ``experience["ppo", ...]`` (``values``, ``ratio``, ``returns``);
    the rollout's own ``state_value`` stays as the collector recorded it.
    """

    def __init__(
        self,
        *,
        gamma: float = 0.977,
        gae_lambda: float = 0.891477,
        clip_coef: float = 0.264407,
        vf_coef: float = 0.897619,
        vf_clip_coef: float = 0.1,
        ent_coef: float = 0.01,
        norm_adv: bool = True,
        clip_vloss: bool = True,
        vtrace_rho_clip: float = 1.0,
        vtrace_c_clip: float = 1.0,
        prio_alpha: float = 0.0,
        prio_beta0: float = 0.6,
        target_kl: float | None = None,
        ent_coef_schedule: Schedule = "constant",
        clip_schedule: Schedule = "constant",
        value_norm_rate: float = 0.01,
        **kwargs: Any,
    ) -> None:
        """Options beyond the spec's defaults, each off (or constant) unless set:

        - ``prio_alpha`` > 0 replays rows by priority (spec 5.3; the original's and PufferLib's
          ``prio_alpha``/``prio_beta0``): each pass draws its minibatches with probability
          ``(sum_t |A|)^alpha`` per row and weights the normalized advantages by
          ``(rows * P)^-beta``, beta rising from ``prio_beta0`` towards 1 over the run.
        - ``target_kl`` ends an update after the first minibatch whose approximate KL between
          the rollout's policy and the updated one (mean over DDP ranks) exceeds it.
        - ``ent_coef_schedule`` and ``clip_schedule`` decay ``ent_coef`` and ``clip_coef`` over
          the run as ``lr_schedule`` decays the learning rate (linear or cosine to 0; OpenAI
          Baselines annealed the clip range linearly).
        - With a policy built with ``value_normalization: true`` (PopArt,
          :class:`~metta_lit.policy.core.NormalizedValue`), each update moves the value
          targets' statistics by ``value_norm_rate`` (a running average over the first
          ``1/rate`` updates) and the value loss is taken in normalized units.
        """
        super().__init__(**kwargs)
        for name, value in (("gamma", gamma), ("gae_lambda", gae_lambda)):
            check_range(value, f"model.{name}", 0.0, 1.0)
        coefficients = {"clip_coef": clip_coef, "vf_coef": vf_coef, "vf_clip_coef": vf_clip_coef, "ent_coef": ent_coef}
        for name, value in {**coefficients, "vtrace_rho_clip": vtrace_rho_clip, "vtrace_c_clip": vtrace_c_clip}.items():
            check_range(value, f"model.{name}")  # >= 0: a negative coefficient trains the wrong way
        self.gamma, self.gae_lambda = gamma, gae_lambda
        self.clip_coef, self.vf_coef, self.vf_clip_coef, self.ent_coef = clip_coef, vf_coef, vf_clip_coef, ent_coef
        self.norm_adv, self.clip_vloss = norm_adv, clip_vloss
        self.vtrace_rho_clip, self.vtrace_c_clip = vtrace_rho_clip, vtrace_c_clip
        check_range(prio_alpha, "model.prio_alpha")
        check_range(prio_beta0, "model.prio_beta0", 0.0, 1.0)
        self.prio_alpha, self.prio_beta0 = prio_alpha, prio_beta0
        if target_kl is not None:
            check_range(target_kl, "model.target_kl")
        self.target_kl = target_kl
        self.ent_coef_schedule, self.clip_schedule = ent_coef_schedule, clip_schedule
        check_range(value_norm_rate, "model.value_norm_rate", 0.0, 1.0)
        self.value_norm_rate = value_norm_rate
        self._ppo_kl: torch.Tensor | None = None  # of the last minibatch, for stop_update
        self._ppo_ratio: torch.Tensor | None = None  # of the last minibatch, kept for after_minibatch
        self._value_normalizer: NormalizedValue | None = None  # the policy's PopArt layer, found each update

    def experience_keys(self) -> set:
        return super().experience_keys() | {
            "action_log_prob",
            "state_value",
            ("next", "reward"),
            ("next", "done"),
            BOOTSTRAP_VALUE,
        }

    def global_moments(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mean, mean of squares and count of ``x`` over every rank (one reduction)."""
        stats = torch.stack([x.sum(), (x * x).sum(), torch.tensor(float(x.numel()), device=x.device)])
        stats = self.sum_over_ranks(stats)
        return stats[0] / stats[2], stats[1] / stats[2], stats[2]

    def global_mean_std(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and (unbiased) std of ``x`` over every rank: advantages are normalized with
        global statistics."""
        mean, square_mean, count = self.global_moments(x)
        var = (square_mean - mean * mean) * count / (count - 1)
        return mean, var.clamp_min(0).sqrt()

    def _advantage(self, exp: TensorDictBase) -> torch.Tensor:
        """GAE over the rows (see :func:`~metta_lit.losses.functional.advantage`). Steps no
        agent played are cut off from the others by done flags (an episode's end, a death, a
        return), so no active step's advantage reads them."""
        return F.advantage(
            exp["ppo", "values"],
            exp["next", "reward"].squeeze(-1),
            exp["next", "done"].squeeze(-1),
            exp[BOOTSTRAP_VALUE][:, -1, 0],
            exp["ppo", "ratio"],
            self.gamma,
            self.gae_lambda,
            self.vtrace_rho_clip,
            self.vtrace_c_clip,
        )

    def prepare_experience(self, experience: TensorDictBase) -> None:
        super().prepare_experience(experience)
        values = experience["state_value"].squeeze(-1)
        experience["ppo", "values"] = values.clone()
        experience["ppo", "ratio"] = torch.ones_like(values)
        experience["ppo", "returns"] = self._advantage(experience) + values
        returns = experience["ppo", "returns"]
        active = self.active_steps(experience)
        played_values, played_returns = (values, returns) if active is None else (values[active], returns[active])
        self.record_metric(
            "ppo", "explained_variance", F.explained_variance(played_values.flatten(), played_returns.flatten())
        )
        # The scales a value normalization would act on: a critic far from its returns' scale
        # fits slowly, and the value loss then dominates the gradient.
        self.record_metric("ppo", "value_scale", played_values.abs().mean())
        self.record_metric("ppo", "return_scale", played_returns.abs().mean())
        self.record_metric("ppo", "return_std", played_returns.std())
        # Found once per update (the policy may have been replaced since the last one).
        self._value_normalizer = normalizer = value_normalizer(self.policy)
        if normalizer is not None:
            mean, square_mean, _ = self.global_moments(played_returns)
            normalizer.update(mean, square_mean, self.value_norm_rate)  # the same on every rank
            self.record_metric("ppo", "value_norm_mean", normalizer.mean)
            self.record_metric("ppo", "value_norm_std", normalizer.std)

    def progress(self) -> float:
        """The fraction of the run's budget done (the schedules' and the annealing's clock)."""
        return progress(self.agent_steps, self.hparams["total_timesteps"])

    def prio_beta(self) -> float:
        """The importance exponent now: ``beta0 + (1 - beta0) * alpha * progress`` (the
        original's annealing)."""
        return self.prio_beta0 + (1.0 - self.prio_beta0) * self.prio_alpha * self.progress()

    def scheduled(self, value: float, schedule: Schedule, name: str) -> float:
        """``value`` under its schedule now; a scheduled one is logged (``losses/ppo/<name>``)."""
        if schedule == "constant":
            return value
        value *= scale(schedule, self.progress())
        self.record_metric("ppo", name, value)
        return value

    def minibatch_rows(self, experience: TensorDictBase, rows: int) -> list[torch.Tensor] | None:
        if self.prio_alpha == 0:
            return super().minibatch_rows(experience, rows)
        with torch.no_grad():
            advantages = self._advantage(experience)
            active = self.active_steps(experience)
            if active is not None:  # a row's priority is what its played steps hold
                advantages = advantages * active
            probabilities = F.row_priorities(advantages, self.prio_alpha)
        weights = F.importance_weights(probabilities, self.prio_beta())
        experience["ppo", "prio_weight"] = weights[:, None].expand(experience.shape).clone()  # per row, over its steps
        segments = experience.shape[0]
        rows = min(rows, segments)
        # Each minibatch draws its rows without replacement; a row may recur across minibatches.
        return [torch.multinomial(probabilities, rows) for _ in range(max(1, segments // rows))]

    def loss_terms(self, minibatch: TensorDictBase, output: TensorDictBase) -> dict[str, torch.Tensor]:
        terms = super().loss_terms(minibatch, output)
        active = self.active_steps(minibatch)
        with torch.no_grad():
            adv = self._advantage(minibatch)
            returns = adv + minibatch["ppo", "values"]
            if self.norm_adv:  # by the played steps' statistics
                mean, std = self.global_mean_std(adv if active is None else adv[active])
                adv = F.normalize(adv, mean, std)
            if active is not None:  # finite where unplayed (0 * NaN would reach the gradient)
                adv = torch.where(active, adv, 0.0)
            if self.prio_alpha > 0:
                adv = adv * minibatch["ppo", "prio_weight"]
        new_values, old_values = output["state_value"].squeeze(-1), minibatch["ppo", "values"]
        normalizer = self._value_normalizer
        if normalizer is not None:  # the value is fitted at the scale its layer learns in
            new_values, old_values, returns = (normalizer.normalize(v) for v in (new_values, old_values, returns))
        t = F.ppo_terms(
            output["action_log_prob"],
            minibatch["action_log_prob"],
            adv,
            new_values,
            old_values,
            returns,
            output["entropy"],
            self.scheduled(self.clip_coef, self.clip_schedule, "clip_coef"),
            self.vf_clip_coef,
            self.clip_vloss,
            active,
        )
        self._ppo_ratio, self._ppo_kl = t["ratio"], t["approx_kl"]
        for key in ("policy", "value", "entropy", "approx_kl", "clipfrac"):
            self.record_metric("ppo", key, t[key])
        terms["ppo/policy"] = t["policy"]
        terms["ppo/value"] = self.vf_coef * t["value"]
        terms["ppo/entropy"] = -self.scheduled(self.ent_coef, self.ent_coef_schedule, "ent_coef") * t["entropy"]
        return terms

    def stop_update(self) -> bool:
        if self.target_kl is None or self._ppo_kl is None:
            return super().stop_update()
        kl_sum, ranks = self.sum_over_ranks(torch.stack([self._ppo_kl.detach(), torch.ones_like(self._ppo_kl)]))
        kl = float(kl_sum / ranks)  # the mean over ranks: one decision on every rank
        return kl > self.target_kl or super().stop_update()

    def after_minibatch(self, experience: TensorDictBase, index: torch.Tensor, output: TensorDictBase) -> None:
        super().after_minibatch(experience, index, output)
        # Later minibatches that draw these rows again see the current policy's view of them.
        experience["ppo", "values"][index] = output["state_value"].detach().squeeze(-1)
        experience["ppo", "ratio"][index] = self._ppo_ratio
