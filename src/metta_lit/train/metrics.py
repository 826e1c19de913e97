"""What a training update and a validation pass log (names are the run history's columns)."""

from __future__ import annotations

import time
from collections import deque

import torch
from tensordict import TensorDictBase

from metta_lit.losses.functional import masked_mean
from metta_lit.rl.torch_env import EpisodeResult

# Shown next to the progress bar; everything is logged.
PROGRESS_BAR_METRICS = ("overview/sps", "episode/reward", "env_agent/heart.gained")


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    """Means over finished episodes (a stat missing from an episode counts as zero)."""
    keys = set().union(*rows) if rows else set()
    return {k: sum(r.get(k, 0.0) for r in rows) / len(rows) for k in sorted(keys)}


def episode_metrics(episodes: list[EpisodeResult]) -> dict[str, float]:
    """Means over the episodes an update finished, and their count (none: nothing)."""
    if not episodes:
        return {}
    summaries = [episode.summary() for episode in episodes]
    out = {**mean_metrics(summaries), "overview/episodes": float(len(episodes))}
    sizes = sorted({len(episode.rewards) for episode in episodes})
    if len(sizes) > 1:  # episodes of several group sizes (a curriculum over them): each size's own means
        for size in sizes:
            group = [s for s, episode in zip(summaries, episodes, strict=True) if len(episode.rewards) == size]
            out.update(
                {f"by_agents/{size}/{key}": value for key, value in mean_metrics(group).items() if _per_size(key)}
            )
    return out


def _per_size(key: str) -> bool:
    """Whether a metric is reported per group size: reward, hearts, lives and cooperation."""
    return key in ("episode/reward", "env_agent/heart.gained") or key.startswith(("coop/", "life/"))


def validation_metrics(episodes: list[EpisodeResult]) -> dict[str, float]:
    """``val/reward``, ``val/heart.gained`` and every agent stat, as means per agent-episode."""
    summary = mean_metrics([episode.summary() for episode in episodes])
    metrics = {"val/reward": summary["episode/reward"], "val/heart.gained": summary.get("env_agent/heart.gained", 0.0)}
    metrics.update({f"val/{k.split('/', 1)[1]}": v for k, v in summary.items() if k.startswith("env_agent/")})
    return metrics


def describe_fit(
    network_dtype: torch.dtype | None, batch_per_rank: int, world_size: int, threads_follow_load: bool = False
) -> str:
    """What a run prints at fit start: threads, precision and the batch over ranks. Threads that
    follow the load change during the run, so the line says so (``overview/threads`` logs them)."""
    threads = f"torch uses {torch.get_num_threads()} CPU threads per rank"
    if threads_follow_load:
        threads = (
            f"torch starts with {torch.get_num_threads()} CPU threads per rank, then follows the machine's load "
            "(overview/threads logs the count in use)"
        )
    return (
        f"[metta-lit] {threads}; policy network precision: "
        f"{network_dtype or torch.float32}\n[metta-lit] batch: {batch_per_rank:,} agent steps per rank x "
        f"{world_size} ranks = {batch_per_rank * world_size:,} per update (total_timesteps counts all ranks)"
    )


def update_metrics(
    rollout: TensorDictBase,
    lr: float,
    agent_steps: int,
    batch_per_rank: int,
    world_size: int,
    started: float,
    rollout_seconds: float,
) -> dict[str, float]:
    """The ``overview/*`` of one update; ``started``: ``perf_counter`` when its rollout began.
    ``agent_steps`` counts slot-steps (what the update cost); reward per step is per step an
    agent played."""
    steps = batch_per_rank * world_size
    active = rollout["active"]
    return {
        "overview/sps": steps / (time.perf_counter() - started),  # rollout + update
        "overview/rollout_sps": steps / rollout_seconds,
        "overview/agent_steps": float(agent_steps),
        "overview/batch_per_rank": float(batch_per_rank),
        "overview/global_batch": float(steps),
        "overview/learning_rate": lr,
        "overview/reward_per_step": float(masked_mean(rollout["next", "reward"], active)),
        "overview/active_share": float(active.float().mean()),  # of the slot-steps, those an agent played
        "overview/threads": float(torch.get_num_threads()),
    }


class EpisodeWindow:
    """The progress bar's reward and hearts: episode-weighted means over the last ``updates``
    updates that finished episodes, as one update's few episodes swing widely (the bar's final
    line would otherwise show one noisy update)."""

    def __init__(self, updates: int = 10) -> None:
        self._rows: deque[tuple[float, float, float | None]] = deque(maxlen=updates)

    def add(self, logged: dict[str, float]) -> None:
        """One update's logged metrics (those without finished episodes are skipped)."""
        if logged.get("overview/episodes"):
            reward, hearts = logged.get("episode/reward", 0.0), logged.get("env_agent/heart.gained")
            self._rows.append((logged["overview/episodes"], reward, hearts))

    def means(self) -> dict[str, float]:
        """``episode/reward`` and, where any update logged it, ``env_agent/heart.gained`` (an
        update without it made none); empty before the first finished episode."""
        episodes = sum(n for n, _, _ in self._rows)
        if not episodes:
            return {}
        out = {"episode/reward": sum(n * r for n, r, _ in self._rows) / episodes}
        if any(h is not None for _, _, h in self._rows):
            out["env_agent/heart.gained"] = sum(n * (h or 0.0) for n, _, h in self._rows) / episodes
        return out


def split_progress_bar(metrics: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """(shown beside the progress bar, the rest)."""
    rest = dict(metrics)
    shown = {k: rest.pop(k) for k in PROGRESS_BAR_METRICS if k in rest}
    return shown, rest
