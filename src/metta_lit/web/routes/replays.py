"""``/api/replays``: the replays folder's files, one replay, and a checked upload (never stored)."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from metta_lit.env.replay import MAX_REPLAY_BYTES, ReplayError, load_replay, parse_replay
from metta_lit.web.site import REPLAY_SUFFIX, Site


def routes(site: Site) -> list[Route]:
    replays = site.replays

    async def list_replays(request: Request) -> Response:
        files = [
            {"name": replays.relative(p), "bytes": p.stat().st_size, "mtime": p.stat().st_mtime}
            for p in replays.files(REPLAY_SUFFIX)
        ]
        return JSONResponse({"folder": str(replays.root), "replays": files})

    def replay_file(name: str) -> Path:
        """The replay file ``name`` inside the folder (403 outside it, 404 if it is none)."""
        path = replays.resolve(name)
        if not name.endswith(REPLAY_SUFFIX) or not path.is_file():
            raise HTTPException(404, f"replays: {name!r} is not a {REPLAY_SUFFIX} file")
        return path

    async def get_replay(request: Request) -> Response:
        name = request.path_params["name"]
        path = replay_file(name)
        try:
            replay = await run_in_threadpool(load_replay, str(path))
        except ReplayError as e:
            raise HTTPException(422, str(e).replace(str(path), name)) from None
        return JSONResponse(replay)

    async def get_observation(request: Request) -> Response:
        """What one agent observed at one step of a replay in the folder: the episode is
        re-simulated from the replay's actions up to that step (nothing is stored)."""
        from metta_lit.env.verify import observation_at  # loads the compiled env: only when asked

        name = request.path_params["name"]
        try:
            step, agent = int(request.query_params["step"]), int(request.query_params["agent"])
        except (KeyError, ValueError):
            raise HTTPException(400, "observation: give ?step=<integer>&agent=<integer>") from None
        path = replay_file(name)
        try:
            replay = await run_in_threadpool(load_replay, str(path))
            seen = await run_in_threadpool(observation_at, replay, step, agent, name)
        except ReplayError as e:
            raise HTTPException(422, str(e).replace(str(path), name)) from None
        return JSONResponse(seen)

    async def upload_replay(request: Request) -> Response:
        """A replay from the user's disk: checked like a file, returned, never stored."""
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_REPLAY_BYTES):
            raise HTTPException(413, f"upload: larger than the {MAX_REPLAY_BYTES:,}-byte limit")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_REPLAY_BYTES:
                raise HTTPException(413, f"upload: larger than the {MAX_REPLAY_BYTES:,}-byte limit")
        name = request.query_params.get("name", "upload")
        try:
            replay = await run_in_threadpool(parse_replay, bytes(body), name)
        except ReplayError as e:
            raise HTTPException(422, str(e)) from None
        return JSONResponse(replay)

    return [
        Route("/api/replays", list_replays),
        Route("/api/replays/upload", upload_replay, methods=["POST"]),
        Route("/api/observation/{name:path}", get_observation),
        Route("/api/replays/{name:path}", get_replay),
    ]
