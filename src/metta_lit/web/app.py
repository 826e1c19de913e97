"""The ``metta-lit serve`` web app: replay viewer, live play and runs dashboard (Starlette).

Pages are static files of this package (``static/``: HTML, CSS and plain ES modules, no build
step); the pages talk to the JSON API below and to one websocket for live play. Every path a
request names goes through :class:`~metta_lit.web.paths.Folder`, so it cannot leave the
configured folders; files are parsed as data (JSON, CSV, YAML text, safetensors), never run.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from metta_lit.core.errors import MettaLitError
from metta_lit.core.packaged import CONFIG_DIR
from metta_lit.env.replay import MAX_REPLAY_BYTES, ReplayError, load_replay, parse_replay
from metta_lit.web import runs
from metta_lit.web.paths import Folder
from metta_lit.web.scorecard import scorecard
from metta_lit.web.security import SecurityMiddleware, allowed_hosts

if TYPE_CHECKING:
    from metta_lit.web.live import LiveGame  # imports torch: loaded when a game starts

STATIC = Path(__file__).parent / "static"
PAGES = ("replay", "play", "runs")
REPLAY_SUFFIX = ".json.z"


@dataclass(frozen=True)
class WebConfig:
    """What the app may read: runs under ``data_dir``, replays under ``replay_dir`` (where
    live play and the dashboard's replay button also write) and one stats DB."""

    data_dir: str = "train_dir"
    replay_dir: str = "replays"
    stats_db: str | None = None
    host: str = "127.0.0.1"  # where the server listens (see security.allowed_hosts)
    allowed_hosts: tuple[str, ...] = ()  # more host names to answer to, e.g. when listening on 0.0.0.0

    def folders(self) -> tuple[Folder, Folder]:
        return Folder.at(self.data_dir, "runs"), Folder.at(self.replay_dir, "replays")


def env_names() -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / "env").glob("*.yaml"))


def viewer_url(name: str) -> str:
    return f"/replay?replay={quote(name)}"


def create_app(config: WebConfig) -> Starlette:
    data, replays = config.folders()
    replays.root.mkdir(parents=True, exist_ok=True)
    episode_lock = asyncio.Lock()  # one dashboard replay at a time: each runs a whole episode

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / f"{request.url.path.strip('/')}.html")

    async def list_replays(request: Request) -> Response:
        files = [
            {"name": replays.relative(p), "bytes": p.stat().st_size, "mtime": p.stat().st_mtime}
            for p in replays.files(REPLAY_SUFFIX)
        ]
        return JSONResponse({"folder": str(replays.root), "replays": files})

    async def get_replay(request: Request) -> Response:
        name = request.path_params["name"]
        path = replays.resolve(name)
        if not name.endswith(REPLAY_SUFFIX) or not path.is_file():
            raise HTTPException(404, f"replays: {name!r} is not a {REPLAY_SUFFIX} file")
        try:
            replay = await run_in_threadpool(load_replay, str(path))
        except ReplayError as e:
            raise HTTPException(422, str(e).replace(str(path), name)) from None
        return JSONResponse(replay)

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

    async def list_envs(request: Request) -> Response:
        return JSONResponse({"envs": env_names()})

    async def list_policies(request: Request) -> Response:
        policies = [c["path"] for path in runs.run_dirs(data) for c in runs.checkpoints(data, path)]
        return JSONResponse({"policies": ["random", *policies]})

    async def list_runs(request: Request) -> Response:
        return JSONResponse({"folder": str(data.root), "runs": runs.list_runs(data)})

    async def run_details(request: Request) -> Response:
        return JSONResponse(runs.run_details(data, request.path_params["run"]))

    async def run_metrics(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(runs.run_metrics, data, request.path_params["run"]))

    async def run_replay(request: Request) -> Response:
        """Plays one episode with a checkpoint of the run, in the run's env, as a replay."""
        from metta_lit.evaluation.replays import record_replay

        run = request.path_params["run"]
        run_dir = runs.run_dir(data, run)
        checkpoint = request.query_params.get("checkpoint", "")
        policy = data.resolve(f"{run}/checkpoints/{checkpoint}")
        if policy.parent != run_dir / "checkpoints" or not checkpoint.endswith(".mpt"):
            raise HTTPException(404, f"runs: {checkpoint!r} is not a policy file of {run}")
        run_config = runs.run_file(data, run, runs.CONFIG)
        if not run_config.is_file():
            raise HTTPException(404, f"runs: {run} has no {runs.CONFIG} to take its env from")
        async with episode_lock:
            try:
                url = await run_in_threadpool(record_replay, str(run_config), str(policy), str(replays.root))
            except MettaLitError as e:
                raise HTTPException(422, str(e)) from None
        name = replays.relative(Path(url.removeprefix("file://")))
        return JSONResponse({"name": name, "url": viewer_url(name)})

    async def get_scorecard(request: Request) -> Response:
        if not config.stats_db:
            return JSONResponse({"version": None, "configured": False})
        metric = request.query_params.get("metric", "reward")
        card = await run_in_threadpool(scorecard, config.stats_db, metric)
        return JSONResponse({**card, "configured": True, "path": config.stats_db})

    async def play(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            game = await run_in_threadpool(start_game, websocket.query_params, data)
        except (HTTPException, MettaLitError, ValueError) as e:
            await websocket.send_json({"type": "error", "message": getattr(e, "detail", None) or str(e)})
            await websocket.close()
            return
        try:
            await websocket.send_json({"type": "init", **game.header()})
            while True:
                try:
                    message = decode_message(await websocket.receive())
                except ProtocolError as e:  # answered, then closed: the client is not ours
                    await websocket.send_json({"type": "error", "message": str(e)})
                    await websocket.close(code=e.code, reason=str(e)[:120])
                    return
                try:
                    reply = await run_in_threadpool(handle, game, message, replays.root)
                except (ValueError, TypeError, KeyError) as e:
                    reply = {"type": "error", "message": str(e)}
                await websocket.send_json(reply)
        except WebSocketDisconnect:
            pass
        finally:
            game.close()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    routes = [
        Route("/", lambda request: RedirectResponse("/runs")),
        *(Route(f"/{name}", page) for name in PAGES),
        Route("/api/replays", list_replays),
        Route("/api/replays/upload", upload_replay, methods=["POST"]),
        Route("/api/replays/{name:path}", get_replay),
        Route("/api/envs", list_envs),
        Route("/api/policies", list_policies),
        Route("/api/runs", list_runs),
        Route("/api/runs/{run}", run_details),
        Route("/api/runs/{run}/metrics", run_metrics),
        Route("/api/runs/{run}/replay", run_replay, methods=["POST"]),
        Route("/api/scorecard", get_scorecard),
        WebSocketRoute("/ws/play", play),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error},
        middleware=[
            # Outermost first: the Host allow-list, then origin checks and security headers.
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(config.host, config.allowed_hosts)),
            Middleware(SecurityMiddleware),
        ],
    )


def start_game(params: Any, data: Folder) -> LiveGame:
    """A live game from the websocket's query: ``env`` (a shipped env), ``policy`` ('random' or a
    policy file under the data folder), ``seed``."""
    from metta_lit.env import env_config
    from metta_lit.evaluation.runner import PolicyHandle
    from metta_lit.web.live import LiveGame

    env = params.get("env", "arena")
    if env not in env_names():
        raise HTTPException(404, f"play: no env {env!r} (available: {', '.join(env_names())})")
    policy = params.get("policy", "random")
    if policy != "random":
        if not policy.endswith(".mpt"):
            raise HTTPException(404, f"play: {policy!r} is not a policy file (.mpt)")
        policy = str(data.resolve(policy))
    seed = params.get("seed", "0")
    if not seed.isdigit():
        raise HTTPException(400, f"play: seed must be a non-negative integer, got {seed!r}")
    return LiveGame(env_config(env), PolicyHandle.from_uri(policy).policy, int(seed))


MAX_MESSAGE = 4096  # characters: the longest real message is a step with an action name


class ProtocolError(ValueError):
    """A websocket message that is not this protocol's; ``code`` is the close code to send."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def decode_message(event: dict[str, Any]) -> Any:
    """The JSON value of a websocket ``receive()`` event, or a :class:`ProtocolError` (1003 for
    binary frames, 1009 for oversized text, 1007 for text that is not small plain JSON)."""
    if event["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(event.get("code", 1000))
    text = event.get("text")
    if text is None:
        raise ProtocolError("play: messages are JSON text, not binary frames", 1003)
    if len(text) > MAX_MESSAGE:
        raise ProtocolError(f"play: a message is at most {MAX_MESSAGE} characters", 1009)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:  # not JSON, a 5000-digit number, deep nesting
        raise ProtocolError(f"play: not a JSON message ({str(e)[:80]})", 1007) from None


def handle(game: LiveGame, message: Any, replay_dir: Path) -> dict[str, Any]:
    """One client message -> the reply (see :mod:`metta_lit.web.live` for the protocol)."""
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "step":
        game.step(message.get("action"))
        return game.frame()
    if kind == "control":
        agent = message.get("agent")
        if agent is not None and (isinstance(agent, bool) or not isinstance(agent, int)):
            raise ValueError(f"control: agent must be an integer or null, got {agent!r}")
        game.control(agent)
        return {"type": "control", "agent": agent}
    if kind == "save":
        name = game.save(replay_dir)
        return {"type": "saved", "name": name, "url": viewer_url(name)}
    if kind == "reset":
        game.reset()
        return {"type": "init", **game.header()}
    raise ValueError(f"unknown message {message!r}: expected type step, control, save or reset")
