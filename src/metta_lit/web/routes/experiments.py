"""``/api/experiments``: the experiments under the experiments folder and each one's runs and results."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from metta_lit.web import experiments
from metta_lit.web.site import Site


def routes(site: Site) -> list[Route]:
    folder = site.experiments

    async def list_experiments(request: Request) -> Response:
        found = await run_in_threadpool(experiments.list_experiments, folder)
        return JSONResponse({"folder": str(folder.root), "experiments": found})

    async def experiment_details(request: Request) -> Response:
        details = await run_in_threadpool(experiments.experiment_details, folder, request.path_params["name"])
        return JSONResponse(details)

    return [Route("/api/experiments", list_experiments), Route("/api/experiments/{name}", experiment_details)]
