"""``metta-lit replay``: run one episode with a policy and write its replay file."""

from __future__ import annotations

import argparse

from metta_lit.sim.config import SimulationConfig
from metta_lit.sim.runner import PolicyHandle, run_simulation
from metta_lit.tools.common import resolve_env


def replay(policy_uri: str, config: str, replay_dir: str = "replays", seed: int = 0) -> str:
    env, overrides = resolve_env(config)
    sim = SimulationConfig(
        suite="replay", name=env.rsplit("/", 1)[-1], env=env, env_overrides=overrides, num_episodes=1
    )
    record = run_simulation(PolicyHandle.from_uri(policy_uri), sim, seed=seed, replay_dir=replay_dir)
    url = record.episodes[0].replay_url
    print(f"replay written to {url}")  # plain print: a path must not be wrapped
    return url


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="metta-lit replay", description=__doc__)
    p.add_argument("--policy_uri", default="random", help="policy URI, or 'random'")
    p.add_argument("--config", required=True, help="env name, env YAML, or training YAML")
    p.add_argument("--replay_dir", default="replays")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    replay(a.policy_uri, a.config, a.replay_dir, a.seed)
