"""``/api/runs``, ``/api/scorecard`` and ``/api/leaderboard``: the dashboard's runs, their
histories and policies, a replay played with one of a run's policies, and the stats DB's
scorecard and leaderboard."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from metta_lit.checkpoints.uri import EXTENSION
from metta_lit.core.errors import ConfigError, MettaLitError
from metta_lit.runs import RunDir
from metta_lit.web import runs
from metta_lit.web.scorecard import leaderboard_rows, scorecard
from metta_lit.web.site import Site, viewer_url


def routes(site: Site) -> list[Route]:
    data, replays, stats_db = site.data, site.replays, site.config.stats_db

    async def list_runs(request: Request) -> Response:
        return JSONResponse({"folder": str(data.root), "runs": runs.list_runs(data)})

    async def run_details(request: Request) -> Response:
        return JSONResponse(runs.run_details(data, request.path_params["run"]))

    async def run_metrics(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(runs.run_metrics, data, request.path_params["run"]))

    async def run_replay(request: Request) -> Response:
        """Plays one episode with a checkpoint of the run, in the run's env, as a replay."""
        from metta_lit.evaluation.replays import record_replay  # loads torch and the env

        run = request.path_params["run"]
        run_dir = runs.run_dir(data, run)
        checkpoint = request.query_params.get("checkpoint", "")
        policy = data.resolve(f"{run}/{RunDir.CHECKPOINTS}/{checkpoint}")
        if policy.parent != RunDir(run_dir).checkpoints or not checkpoint.endswith(EXTENSION):
            raise HTTPException(404, f"runs: {checkpoint!r} is not a policy file of {run}")
        run_config = runs.run_file(data, run, RunDir.CONFIG)
        if not run_config.is_file():
            raise HTTPException(404, f"runs: {run} has no {RunDir.CONFIG} to take its env from")
        async with site.episode_lock:
            try:
                url = await run_in_threadpool(record_replay, str(run_config), str(policy), str(replays.root))
            except MettaLitError as e:
                raise HTTPException(422, str(e)) from None
        name = replays.relative(Path(url.removeprefix("file://")))
        return JSONResponse({"name": name, "url": viewer_url(name)})

    async def get_scorecard(request: Request) -> Response:
        if not stats_db:
            return JSONResponse({"version": None, "configured": False})
        metric = request.query_params.get("metric", "reward")
        card = await run_in_threadpool(scorecard, stats_db, metric)
        return JSONResponse({**card, "configured": True, "path": stats_db})

    async def get_leaderboard(request: Request) -> Response:
        if not stats_db:
            return JSONResponse({"version": None, "configured": False})
        try:
            board = await run_in_threadpool(leaderboard_rows, stats_db, request.query_params.get("replacement"))
        except ConfigError as e:
            raise HTTPException(400, f"leaderboard: {e}") from None
        return JSONResponse({**board, "configured": True, "path": stats_db})

    return [
        Route("/api/runs", list_runs),
        Route("/api/runs/{run}", run_details),
        Route("/api/runs/{run}/metrics", run_metrics),
        Route("/api/runs/{run}/replay", run_replay, methods=["POST"]),
        Route("/api/scorecard", get_scorecard),
        Route("/api/leaderboard", get_leaderboard),
    ]
