"""Live play: ``/api/envs`` and ``/api/policies`` to choose a game, and the ``/ws/play``
websocket that runs it (messages: :mod:`metta_lit.web.live`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from metta_lit.checkpoints.uri import EXTENSION
from metta_lit.core.errors import MettaLitError
from metta_lit.core.packaged import CONFIG_DIR
from metta_lit.web import runs
from metta_lit.web.paths import Folder
from metta_lit.web.site import Site, viewer_url

if TYPE_CHECKING:
    from metta_lit.web.live import LiveGame  # imports torch: loaded when a game starts


def env_names() -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / "env").glob("*.yaml"))


def routes(site: Site) -> list[BaseRoute]:
    data, replays = site.data, site.replays

    async def list_envs(request: Request) -> Response:
        return JSONResponse({"envs": env_names()})

    async def list_policies(request: Request) -> Response:
        policies = [c["path"] for path in runs.run_dirs(data) for c in runs.checkpoints(data, path)]
        return JSONResponse({"policies": ["random", *policies]})

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

    return [
        Route("/api/envs", list_envs),
        Route("/api/policies", list_policies),
        WebSocketRoute("/ws/play", play),
    ]


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
        if not policy.endswith(EXTENSION):
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
        game.control(message.get("agent"))
        return {"type": "control", "agent": game.controlled}
    if kind == "inspect":
        game.inspect(message.get("agent"))
        return {"type": "inspect", "agent": game.inspected}
    if kind == "memory":
        game.set_memory(message.get("agent"), message.get("op"), message.get("from"))
        return {"type": "memory", "agent": message.get("agent"), "op": message.get("op")}
    if kind == "save":
        name = game.save(replay_dir)
        return {"type": "saved", "name": name, "url": viewer_url(name)}
    if kind == "reset":
        game.reset()
        return {"type": "init", **game.header()}
    raise ValueError(f"unknown message {message!r}: expected type step, control, inspect, memory, save or reset")
