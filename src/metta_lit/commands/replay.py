"""``metta-lit replay``: run one episode with a policy and write its replay file."""

from __future__ import annotations


def replay(
    config: str,
    policy_uri: str = "random",
    replay_dir: str = "replays",
    seed: int = 0,
    open: bool = False,  # noqa: A002 (the flag is --open)
    port: int = 8000,
) -> str:
    """Run one episode with a policy and write its replay file; returns the replay's URL.

    Args:
        config: env name, env YAML, or training YAML (its model's env)
        policy_uri: the policy that acts for every agent: a policy URI, 'random' or 'scripted'
        replay_dir: directory the '<episode_id>.json.z' file is written to
        seed: seed of the map and of the sampled actions
        open: then serve the viewer (metta-lit serve) on replay_dir and print the replay's viewer URL
        port: the viewer's port with --open (0: any free port)
    """
    from metta_lit.evaluation.replays import record_replay  # loads torch: not needed for --help

    url = record_replay(config, policy_uri, replay_dir, seed)
    print(f"replay written to {url}", flush=True)  # plain print: a path must not be wrapped
    if open:
        from metta_lit.commands.serve import serve

        serve(replay_dir=replay_dir, port=port, open_replay=url.rsplit("/", 1)[-1])
    return url
