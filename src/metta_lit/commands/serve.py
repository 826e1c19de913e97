"""``metta-lit serve``: the web app (replay viewer, live play, runs dashboard) on a local port."""

from __future__ import annotations


def serve(
    data_dir: str = "train_dir",
    stats_db: str | None = None,
    replay_dir: str = "replays",
    host: str = "127.0.0.1",
    port: int = 8000,
    open_replay: str | None = None,
    allowed_hosts: list[str] | None = None,
    experiments_dir: str = "experiments",
) -> None:
    """Serve the replay viewer, live play and the runs dashboard until interrupted.

    Args:
        data_dir: the runs the dashboard lists (training's --checkpoint.data_dir)
        stats_db: the DuckDB file whose scorecard the dashboard shows (evaluate's --stats_db)
        replay_dir: replays the viewer opens; live play and the dashboard's replay button write here
        host: interface to listen on (127.0.0.1: this machine only)
        port: port to listen on (0: any free port)
        open_replay: a replay in replay_dir to print the viewer's address for
        allowed_hosts: more host names the app answers to (e.g. this machine's name when host is
            0.0.0.0); loopback names are always allowed. There is no authentication: anyone who
            reaches the port can read the runs and replays.
        experiments_dir: the experiments the Experiments page lists (experiment's output_dir)
    """
    import socket

    import uvicorn

    from metta_lit.core.errors import ConfigError
    from metta_lit.evaluation.stats_db import EvalStatsDB
    from metta_lit.web.app import create_app
    from metta_lit.web.site import WebConfig, viewer_url

    if stats_db:
        EvalStatsDB(stats_db).check_readable()
    config = WebConfig(
        data_dir=data_dir,
        replay_dir=replay_dir,
        stats_db=stats_db,
        experiments_dir=experiments_dir,
        host=host,
        allowed_hosts=tuple(allowed_hosts or ()),
    )
    app = create_app(config)
    # Listen first: the printed address then has the real port (port 0 picks a free one), and
    # a client that connects at once waits in the backlog until the server accepts.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        raise ConfigError(
            f"--host {host} --port {port}: cannot listen there ({e.strerror}); pick another --port"
        ) from None
    sock.listen(128)  # listening before the address is printed: a client that connects at once is queued
    address = f"http://{f'[{host}]' if ':' in host else host}:{sock.getsockname()[1]}"
    print(f"metta-lit serve: {address}/runs  {address}/replay  {address}/play", flush=True)
    if open_replay:
        print(f"viewer: {address}{viewer_url(open_replay)}", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio"))
    server.run(sockets=[sock])
