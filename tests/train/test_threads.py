"""Torch threads that follow the load: what other processes keep busy, the count chosen, and
every loop that plays episodes following it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from metta_lit.core import threads
from metta_lit.core.threads import ThreadController, busy_cores


class Measured:
    """A monitor that reports fixed (this process's, others') busy cores."""

    def __init__(self, mine: float, others: float) -> None:
        self.value = (mine, others)

    def measure(self) -> tuple[float, float]:
        return self.value


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_the_count_is_the_share_of_what_others_leave_free(two_cores):
    one_rank = ThreadController(local_ranks=1)
    assert [one_rank.target(busy) for busy in (0.0, 0.4, 0.6, 1.3, 2.0, 5.0)] == [2, 2, 1, 1, 1, 1]
    assert ThreadController(local_ranks=2).target(0.0) == 1
    assert ThreadController(local_ranks=1, env_threads=2).target(0.0) == 1


def test_following_changes_the_count_between_updates_and_counts_sibling_ranks_as_ours(two_cores):
    controller = ThreadController(local_ranks=1, interval=0.0)
    torch.set_num_threads(2)
    controller.monitor = Measured(mine=1.0, others=1.3)  # two busy processes got 1.3 cores
    assert controller.follow() == 1 and torch.get_num_threads() == 1
    controller.monitor = Measured(mine=1.0, others=0.1)  # they ended
    assert controller.follow() == 2
    ranks = ThreadController(local_ranks=2, interval=0.0)
    torch.set_num_threads(1)
    ranks.monitor = Measured(mine=1.0, others=1.0)  # the other rank, as busy as this one: no load
    assert ranks.follow() == 1
    slow = ThreadController(local_ranks=1, interval=3600)
    torch.set_num_threads(2)
    slow.monitor = Measured(mine=1.0, others=2.0)
    assert slow.follow() == 2  # not yet time to decide again


@pytest.mark.slow
@pytest.mark.serial  # it measures the machine's load: nothing else may run beside it
def test_busy_processes_are_measured_as_busy_cores():
    quiet = busy_cores(0.5)
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        loaded = busy_cores(1.0)
    finally:
        for proc in loops:
            proc.kill()
            proc.wait()
    assert loaded > quiet + 1.2, (quiet, loaded)


def test_the_start_line_says_when_the_thread_count_follows_the_load():
    """The count chosen at start changes under load; the line must not promise it for the run."""
    from metta_lit.train.metrics import describe_fit

    adaptive = describe_fit(None, 2048, 1, threads_follow_load=True)
    assert "then follows the machine's load (overview/threads logs the count in use)" in adaptive
    assert "torch uses" in describe_fit(None, 2048, 1) and "follows" not in describe_fit(None, 2048, 1)


def test_playing_episodes_outside_training_chooses_threads_by_the_load(two_cores, monkeypatch):
    """``evaluate``, ``compare``, ``replay`` and the web app play through ``play_episodes``: in a
    process no command configured, it chooses torch's threads as training does (two busy
    processes on two cores: one thread) and follows the load between steps; a count fixed
    before (an evaluation worker's one thread) is kept."""
    from metta_lit.env import env_config
    from metta_lit.policy import RandomPolicy
    from metta_lit.rl.acting import play_episodes
    from metta_lit.rl.torch_env import MettaGridTorchEnv

    def play() -> None:
        env = MettaGridTorchEnv(env_config("navigation").with_overrides({"game.max_steps": 5}), num_envs=1)
        play_episodes(env, [(RandomPolicy(env.feature_spec, env.action_names), env.vec.num_agents)], [1])

    monkeypatch.setattr(threads, "_process_controller", None)
    monkeypatch.setattr(threads, "busy_cores", lambda: 2.0)
    torch.set_num_threads(2)
    play()
    chosen = threads.process_threads()
    assert torch.get_num_threads() == 1 and chosen.adaptive
    play()
    assert threads.process_threads() is chosen  # one controller per process
    fixed = threads.configure_threads(torch_threads=2)
    monkeypatch.setattr(threads, "busy_cores", lambda: 0.0)
    play()
    assert threads.process_threads() is fixed and not fixed.adaptive and torch.get_num_threads() == 2
