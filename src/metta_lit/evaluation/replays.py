"""One episode played to a replay file: what ``metta-lit replay`` and the dashboard's *open a
replay* button do."""

from __future__ import annotations

from metta_lit.env.presets import resolve_env
from metta_lit.evaluation.config import SimulationConfig
from metta_lit.evaluation.runner import PolicyHandle, run_simulation


def record_replay(config: str, policy_uri: str, replay_dir: str, seed: int = 0) -> str:
    """Plays one episode of the env ``config`` names (env name, env YAML or training YAML) with
    ``policy_uri`` acting for every agent; returns the URL of the replay written under ``replay_dir``."""
    env, overrides = resolve_env(config)
    sim = SimulationConfig(
        suite="replay", name=env.rsplit("/", 1)[-1], env=env, env_overrides=overrides, num_episodes=1
    )
    record = run_simulation(PolicyHandle.from_uri(policy_uri), sim, seed=seed, replay_dir=replay_dir)
    return record.episodes[0].replay_url
