#!/usr/bin/env python
"""Training throughput: metta-lit's fast path, its plain path, and a plain PyTorch loop.

End to end = ``metta-lit fit --config configs/arena.yaml`` (LightningCLI, TorchRL collector,
loss mixins), measured after its first epoch, twice in one run:

- the fast path: the defaults (``autocast: auto``, bf16 where the hardware runs it natively)
  plus any ``--fast`` overrides (e.g. ``--fast --model.init_args.compile true``);
- the plain path: fp32 and no compilation (``autocast: off``, ``compile: false``).

Raw loop = the native vectorized env, the same Fast policy (its modules called directly
during rollout) and the same PPO update (the PPO mixin and row evaluation) in fp32, with no
TorchRL env/collector and no Lightning. All use the arena config's sizes. ``speedup`` is
fast / plain; ``ratio`` is plain / raw, the framework's overhead on the same fp32 work.

    python scripts/bench_train.py --seconds 60 --runs 3 --json bench_results/train.json

``--background-load N`` measures instead how training holds up when N busy processes start
``--load-after`` seconds into the run (load that arrives after torch chose its threads): the
default thread policy (it follows the load) beside each fixed thread count, agent-steps/s
before and under the load.

    python scripts/bench_train.py --background-load 2 --seconds 150 --json bench_results/threads.json
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import lightning as L
import torch
from rich.console import Console
from rich.table import Table
from tensordict import TensorDict

from metta_lit.cli.trainer import cli
from metta_lit.core.results import spread, write_results
from metta_lit.env import MettaGridVecEnv
from metta_lit.losses import LossMixin, PPOLoss
from metta_lit.policy import FastPolicy
from metta_lit.policy.precision import bf16_pays
from metta_lit.rl.experience import evaluate_rows

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "arena.yaml"


class StepTimer(L.Callback):
    """Agent steps and wall time at the end of every epoch."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, int]] = []

        self.threads: list[int] = []

    def on_train_batch_end(self, trainer, pl_module, *args) -> None:
        self.marks.append((time.perf_counter(), pl_module.agent_steps))
        self.threads.append(torch.get_num_threads())


def steady_sps(marks: list[tuple[float, int]]) -> float:
    """SPS from the end of the first epoch (warm-up excluded) to the last."""
    if len(marks) < 2:
        raise RuntimeError("run longer: need at least two epochs to measure")
    (t0, s0), (t1, s1) = marks[0], marks[-1]
    return (s1 - s0) / (t1 - t0)


def end_to_end(seconds: float, seed: int, overrides: tuple[str, ...] = ()) -> tuple[float, dict]:
    """Steady agent-steps/s of ``metta-lit fit --config configs/arena.yaml [overrides]``."""
    timer, hparams = fit_for(seconds, seed, overrides)
    return steady_sps(timer.marks), hparams


def fit_for(seconds: float, seed: int, overrides: tuple[str, ...] = ()) -> tuple[StepTimer, dict]:
    """Runs ``metta-lit fit`` on the arena for ``seconds``; its per-epoch marks and hyperparameters."""
    with tempfile.TemporaryDirectory() as tmp:
        app = cli(
            [
                "--config",
                str(CONFIG),
                "--seed_everything",
                str(seed),
                "--model.init_args.total_timesteps",
                str(10**12),
                "--trainer.max_time",
                time.strftime("00:%H:%M:%S", time.gmtime(int(seconds))),  # DD:HH:MM:SS
                "--trainer.check_val_every_n_epoch",
                "1000000",
                "--trainer.logger",
                "false",
                "--checkpoint.run",
                "bench",
                "--checkpoint.data_dir",
                tmp,
                "--checkpoint.checkpoint_interval",
                "1000000",
                *overrides,
            ],
            run=False,
        )
        timer = StepTimer()
        app.trainer.callbacks.append(timer)
        app.trainer.fit(app.model)
        return timer, dict(app.model.hparams)


def sps_between(marks: list[tuple[float, int]], start: float, end: float) -> float | None:
    """Agent-steps/s over the epochs that ended between ``start`` and ``end`` (perf_counter)."""
    inside = [m for m in marks if start <= m[0] <= end]
    if len(inside) < 2:
        return None
    (t0, s0), (t1, s1) = inside[0], inside[-1]
    return (s1 - s0) / (t1 - t0)


def under_load(seconds: float, seed: int, load: int, after: float, overrides: tuple[str, ...]) -> dict:
    """A fit of ``seconds`` with ``load`` busy processes started ``after`` seconds in."""
    busy: list[subprocess.Popen] = []
    began = time.perf_counter()

    def start_load() -> None:
        busy.extend(subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(load))

    timer_thread = threading.Timer(after, start_load)
    timer_thread.start()
    try:
        timer, _ = fit_for(seconds, seed, overrides)
    finally:
        timer_thread.cancel()
        for proc in busy:
            proc.kill()
            proc.wait()
    loaded = began + after
    return {
        "before_load_sps": sps_between(timer.marks, began, loaded),
        "under_load_sps": sps_between(timer.marks, loaded, float("inf")),
        "threads_at_end": timer.threads[-1] if timer.threads else None,
    }


def thread_policies(cores: int) -> dict[str, tuple[str, ...]]:
    policies = {"default (follows the load)": ()}
    policies.update({f"fixed {n}": ("--model.init_args.torch_threads", str(n)) for n in range(1, cores + 1)})
    return policies


def background_load(args: argparse.Namespace) -> None:
    from metta_lit.core.threads import available_cores

    policies = thread_policies(available_cores())
    samples: dict[str, list[dict]] = {name: [] for name in policies}
    for _ in range(args.runs):  # interleaved, so drift of the machine hits every policy alike
        for name, overrides in policies.items():
            samples[name].append(under_load(args.seconds, args.seed, args.background_load, args.load_after, overrides))
    results = {
        name: {
            "before_load_sps": spread([r["before_load_sps"] for r in runs if r["before_load_sps"] is not None]),
            "under_load_sps": spread([r["under_load_sps"] for r in runs if r["under_load_sps"] is not None]),
            "threads_at_end": [r["threads_at_end"] for r in runs],
        }
        for name, runs in samples.items()
    }
    table = Table(
        title=f"Training on the arena with {args.background_load} busy processes from {args.load_after:.0f} s "
        f"(agent-steps/s)"
    )
    for col in ("torch threads", "before the load", "under the load", "threads at the end"):
        table.add_column(col, justify="right")
    for name, r in results.items():
        cells = (r["before_load_sps"]["median"], r["under_load_sps"]["median"])
        table.add_row(name, *(f"{v:,.0f}" for v in cells), str(r["threads_at_end"]))
    Console().print(table)
    if args.json:
        payload = {
            "background_load": args.background_load,
            "load_after_s": args.load_after,
            "seconds": args.seconds,
            "policies": results,
        }
        write_results(args.json, payload, threads=None)
        print(f"wrote {args.json}")


class RawPPO(PPOLoss, LossMixin):
    """The PPO mixin on its own (no LightningModule)."""


def raw_loop(seconds: float, seed: int, hp: dict) -> float:
    torch.manual_seed(seed)
    env = MettaGridVecEnv(
        CONFIG.parent / "env" / f"{hp['env']}.yaml",
        num_envs=hp["num_envs"],
        seed=seed,
        num_threads=hp["env_threads"],
        desync_episodes=True,
    )
    policy = FastPolicy(env.feature_spec, env.action_names)
    ppo = RawPPO()
    optimizer = torch.optim.Adam(
        policy.parameters(), lr=hp["learning_rate"], betas=tuple(hp["adam_betas"]), eps=hp["adam_eps"]
    )
    E, A, T = env.num_envs, env.num_agents, hp["bptt_horizon"]
    N, layers, hidden = E * A, policy.hyperparameters["lstm_layers"], policy.hyperparameters["hidden_size"]
    lstm = policy.lstm.lstm  # the torch.nn.LSTM inside the TorchRL module
    obs_now = torch.from_numpy(env.reset()).view(N, *env.observations.shape[2:])
    h, c = torch.zeros(layers, N, hidden), torch.zeros(layers, N, hidden)
    is_init = torch.ones(N, dtype=torch.bool)
    marks: list[tuple[float, int]] = []
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or len(marks) < 2:
        buf = {
            "observation": torch.empty(N, T, *obs_now.shape[1:], dtype=torch.uint8),
            "is_init": torch.empty(N, T, 1, dtype=torch.bool),
            "action": torch.empty(N, T, dtype=torch.long),
            "action_log_prob": torch.empty(N, T),
            "state_value": torch.empty(N, T, 1),
            "next": {"reward": torch.empty(N, T, 1), "done": torch.empty(N, T, 1, dtype=torch.bool)},
            "lstm_h": torch.empty(N, T, layers, hidden),
            "lstm_c": torch.empty(N, T, layers, hidden),
        }
        with torch.no_grad():
            for t in range(T):
                keep = (~is_init).float().view(1, N, 1)
                h, c = h * keep, c * keep
                buf["observation"][:, t] = obs_now
                buf["is_init"][:, t, 0] = is_init
                buf["lstm_h"][:, t], buf["lstm_c"][:, t] = h.transpose(0, 1), c.transpose(0, 1)
                core, (h, c) = lstm(policy.encoder(obs_now).unsqueeze(1), (h, c))
                logits, value = policy.heads(core.squeeze(1))
                dist = torch.distributions.Categorical(logits=logits)
                action = dist.sample()
                buf["action"][:, t], buf["action_log_prob"][:, t], buf["state_value"][:, t] = (
                    action,
                    dist.log_prob(action),
                    value,
                )
                env.step(action.view(E, A).numpy())
                done = torch.from_numpy(env.terminals | env.truncations).view(N)
                buf["next"]["reward"][:, t, 0] = torch.from_numpy(env.rewards).view(N)
                buf["next"]["done"][:, t, 0] = done
                ended = (env.terminals | env.truncations).all(1)
                if ended.any():
                    env.reset(mask=ended)
                is_init = done
            core, _ = lstm(policy.encoder(obs_now).unsqueeze(1), (h * (~is_init).float().view(1, N, 1), c))
            bootstrap = policy.heads(core.squeeze(1))[1]
        exp = TensorDict(buf, batch_size=[N, T])
        exp["bootstrap_value"] = bootstrap[:, None].expand(N, T, 1)
        ppo.prepare_experience(exp)
        rows_per_minibatch = hp["minibatch_size"] // T
        for _ in range(hp["update_epochs"]):
            for index in torch.randperm(N).split(rows_per_minibatch):
                minibatch = exp[index]
                output = evaluate_rows(policy, minibatch)
                loss = sum(ppo.loss_terms(minibatch, output).values())
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(policy.parameters(), hp["max_grad_norm"])
                optimizer.step()
                ppo.after_minibatch(exp, index, output)
        steps += N * T
        marks.append((time.perf_counter(), steps))
    return steady_sps(marks)


PLAIN = ("--model.init_args.autocast", "off", "--model.init_args.compile", "false")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each of the three measurements")
    parser.add_argument("--json", type=Path, default=None, help="write a results file here")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of every measurement (min/median/max)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fast", nargs=argparse.REMAINDER, default=[], help="overrides for the fast path (metta-lit fit flags)"
    )
    parser.add_argument("--background-load", type=int, default=0, help="busy processes started during the run")
    parser.add_argument("--load-after", type=float, default=30.0, help="seconds into the run the load starts")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.background_load:
        background_load(args)
        return

    runs = []
    for _ in range(args.runs):  # interleaved, so drift of the machine hits every path alike
        fast, hp = end_to_end(args.seconds, args.seed, tuple(args.fast))
        plain, _ = end_to_end(args.seconds, args.seed, PLAIN)
        runs.append({"fast": fast, "plain": plain, "raw": raw_loop(args.seconds, args.seed, hp)})
    result = {
        "end_to_end_sps": spread([r["fast"] for r in runs]),
        "plain_sps": spread([r["plain"] for r in runs]),
        "speedup": spread([r["fast"] / r["plain"] for r in runs]),
        "raw_loop_sps": spread([r["raw"] for r in runs]),
        "ratio": spread([r["plain"] / r["raw"] for r in runs]),
        "seconds": args.seconds,
        "fast_path": {"autocast": hp["autocast"], "compile": hp["compile"], "overrides": args.fast},
        "bf16_pays_here": bf16_pays(torch.device("cpu")),
        "config": str(CONFIG.name),
        "agent_steps_per_update": hp["num_envs"] * 24 * hp["bptt_horizon"],
    }
    table = Table(title=f"Training throughput on the arena, Fast policy (agent-steps/s; median of {args.runs})")
    for col in ("fast path (metta-lit)", "plain fp32 (metta-lit)", "speedup", "raw PyTorch loop", "plain / raw"):
        table.add_column(col, justify="right")
    medians = {
        key: result[key]["median"] for key in ("end_to_end_sps", "plain_sps", "speedup", "raw_loop_sps", "ratio")
    }
    table.add_row(
        f"{medians['end_to_end_sps']:,.0f}",
        f"{medians['plain_sps']:,.0f}",
        f"{medians['speedup']:.3f}",
        f"{medians['raw_loop_sps']:,.0f}",
        f"{medians['ratio']:.3f}",
    )
    Console().print(table)
    print(
        f"fast path: autocast={hp['autocast']} compile={hp['compile']}; bf16 pays on this CPU: {result['bf16_pays_here']}"
    )
    if args.json:
        write_results(args.json, result, threads=torch.get_num_threads())
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
