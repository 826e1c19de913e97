"""Periodic evaluation during training: a simulation suite on the newest policy."""

from __future__ import annotations

import copy

import lightning as L
from lightning.pytorch.utilities import rank_zero_info

from metta_lit.core.errors import check_range
from metta_lit.evaluation.config import load_simulations
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.evaluation.stats_db import EvalStatsDB
from metta_lit.train.callbacks.checkpoint import PolicyCheckpoint


class PolicyEvaluator(L.Callback):
    """Every ``evaluate_interval`` epochs (0 = never), runs ``suite`` on a copy of the policy and
    logs ``evaluator/eval_<suite>/score`` (mean episode reward per agent, averaged over the
    suite's simulations) and ``evaluator/eval_<suite>/<sim>``. Episodes also go to
    ``stats_db`` when one is given. Rank 0 evaluates; the other ranks go on training.
    """

    def __init__(
        self,
        suite: str = "arena",
        evaluate_interval: int = 0,
        num_episodes: int | None = None,
        stats_db: str | None = None,
        seed: int = 0,
    ) -> None:
        check_range(evaluate_interval, "evaluator.evaluate_interval")  # a negative one evaluated at odd epochs
        self.suite, self.evaluate_interval, self.num_episodes = suite, evaluate_interval, num_episodes
        self.stats_db, self.seed = stats_db, seed
        self.last_score: float | None = None
        if evaluate_interval:
            load_simulations([suite])  # fail at start-up on an unknown suite, not mid-run

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.evaluate_interval and self.stats_db and trainer.is_global_zero:
            EvalStatsDB(self.stats_db).check_writable()  # a bad path fails now, not after hours of training

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        epoch = trainer.current_epoch + 1
        if not self.evaluate_interval or epoch % self.evaluate_interval or not trainer.is_global_zero:
            return
        checkpoint = trainer.checkpoint_callback
        run = checkpoint.run if isinstance(checkpoint, PolicyCheckpoint) else "train"
        handle = PolicyHandle(copy.deepcopy(pl_module.policy).cpu().eval(), run, epoch)
        records, scores = [], {}
        for sim in load_simulations([self.suite]):
            if self.num_episodes:
                sim = sim.model_copy(update={"num_episodes": self.num_episodes})
            records.append(run_simulation(handle, sim, seed=self.seed))
            scores[sim.name] = records[-1].mean("reward")
        self.last_score = sum(scores.values()) / len(scores)
        metrics = {f"evaluator/eval_{self.suite}/score": self.last_score}
        metrics.update({f"evaluator/eval_{self.suite}/{name}": v for name, v in scores.items()})
        pl_module.log_dict(metrics, batch_size=1, rank_zero_only=True)
        if self.stats_db:
            EvalStatsDB(self.stats_db).write(records)
        rank_zero_info(f"[metta-lit] evaluation after epoch {epoch}: {self.suite} score {self.last_score:.3f}")
