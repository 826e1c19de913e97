"""The web app's API and live-play protocol, through Starlette's test client (no browser):
confinement of every request path, replay checks, runs, scorecard and the websocket game."""

from __future__ import annotations

import json
import os
import zlib
from urllib.parse import quote

import numpy as np
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from metta_lit.env import MettaGridVecEnv
from metta_lit.env.replay import load_replay
from metta_lit.env.verify import replay_config
from metta_lit.web.app import WebConfig, create_app
from metta_lit.web.scorecard import leaderboard_rows, scorecard
from tests.conftest import EPOCH
from tests.web_site import free_move, write_crossplay, write_evaluation, write_experiment

BASE = "http://127.0.0.1:8000"
WS = "ws://127.0.0.1:8000"  # the test client's websockets ignore base_url


@pytest.fixture
def client(site) -> TestClient:
    config = WebConfig(data_dir=str(site["data"]), replay_dir=str(site["replays"]), stats_db=str(site["db"]))
    return TestClient(create_app(config), base_url=BASE)


def test_pages_and_static_files_are_served(client):
    for page, script in (("/replay", "viewer"), ("/play", "play"), ("/runs", "runs"), ("/leaderboard", "leaderboard")):
        response = client.get(page)
        assert response.status_code == 200 and f'src="/static/js/{script}.js"' in response.text
    assert client.get("/static/js/grid.js").status_code == 200
    assert client.get("/static/vendor/uplot/uPlot.iife.min.js").status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"] == "/runs"


def test_a_replay_is_listed_and_served_as_checked_json(client, site):
    listed = client.get("/api/replays").json()["replays"]
    assert [r["name"] for r in listed] == [site["replay"].name]
    replay = client.get(f"/api/replays/{site['replay'].name}").json()
    assert replay == json.loads(json.dumps(load_replay(str(site["replay"]))))
    assert replay["map_size"] == [62, 62] and replay["num_agents"] == 24 and replay["max_steps"] == 40


def observed(replay: dict, step: int, agent: int) -> list[tuple[int, int, str, int]]:
    """The agent's tokens after ``step`` steps, by stepping a fresh env with the replay's actions."""
    env = MettaGridVecEnv(replay_config(replay, "r"), num_envs=1)
    env.reset()
    env.set_episode_seed(0, replay["episode_seed"])
    for actions in replay["actions"][:step]:
        env.step(np.array([actions], np.int32))
    names = {spec["id"]: name for name, spec in env.feature_spec.items()}
    return [(loc >> 4, loc & 0xF, names[f], v) for loc, f, v in env.observations[0, agent].tolist() if loc != 255]


def test_what_an_agent_saw_is_the_envs_observation_at_that_step(client, site):
    name, replay = site["replay"].name, load_replay(str(site["replay"]))
    seen = client.get(f"/api/observation/{name}?step=10&agent=3").json()
    assert seen["window"] == [11, 11]
    assert [(t["row"], t["col"], t["feature"], t["value"]) for t in seen["tokens"]] == observed(replay, 10, 3)
    assert client.get(f"/api/observation/{name}?step=x&agent=3").status_code == 400
    far = client.get(f"/api/observation/{name}?step=41&agent=3")
    assert far.status_code == 422 and "step must be in [0, 40] and agent in [0, 23]" in far.json()["error"]
    assert client.get("/api/observation/..%2Fsecret.json.z?step=1&agent=0").status_code in (403, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/api/replays/../secret.json.z",
        "/api/replays/..%2Fsecret.json.z",
        "/api/replays/%2E%2E/secret.json.z",
        "/api/replays/%2Fetc%2Fpasswd",
        "/api/replays//etc/passwd",
        "/api/replays/~/secret.json.z",
        "/api/replays/a%5C..%5C..%5Csecret.json.z",
        "/api/runs/..%2Freplays",
        "/api/runs/..%2F..%2Fetc/metrics",
        "/static/../tests/test_web.py",
        "/static/%2E%2E/web/app.py",
    ],
)
def test_paths_outside_the_folders_are_refused(client, path):
    response = client.get(path)
    assert response.status_code in (403, 404), response.text
    assert "secret" not in response.text.replace("secret.json.z", "") and "root:" not in response.text


def test_a_symlink_pointing_out_of_the_folder_is_refused(client, site):
    link = site["replays"] / "escape.json.z"
    link.symlink_to(site["root"] / "secret.json.z")
    outside = site["data"] / "elsewhere"
    outside.symlink_to(site["root"], target_is_directory=True)
    try:
        response = client.get("/api/replays/escape.json.z")
        assert response.status_code == 403 and "leads outside" in response.json()["error"]
        assert "escape.json.z" not in [r["name"] for r in client.get("/api/replays").json()["replays"]]
        assert client.get("/api/runs/elsewhere").status_code == 403
    finally:
        link.unlink()
        outside.unlink()


def test_only_this_app_and_loopback_names_are_answered(client, site):
    assert client.get("/api/runs", headers={"host": "evil.example"}).status_code == 400  # DNS rebinding
    evil = {"origin": "http://evil.example"}
    checkpoint = client.get("/api/runs/webrun").json()["checkpoints"][0]["name"]
    assert client.post(f"/api/runs/webrun/replay?checkpoint={checkpoint}", headers=evil).status_code == 403
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(f"{WS}/ws/play", headers=evil):
        pass
    assert refused.value.code == 1008  # policy violation, before any game starts
    with client.websocket_connect(f"{WS}/ws/play?env=navigation", headers={"origin": BASE}) as ws:
        assert ws.receive_json()["type"] == "init"


def test_a_malformed_replay_is_an_error_message_not_a_traceback(client, site):
    bad = site["replays"] / "bad.json.z"
    bad.write_bytes(zlib.compress(b'{"version": 2}'))
    garbage = site["replays"] / "garbage.json.z"
    garbage.write_bytes(b"not zlib at all")
    try:
        response = client.get("/api/replays/bad.json.z")
        assert response.status_code == 422 and "bad.json.z: action_names: Field required" in response.json()["error"]
        assert str(site["replays"]) not in response.json()["error"]  # the server's paths stay private
        response = client.get("/api/replays/garbage.json.z")
        assert response.status_code == 422 and "not a zlib-compressed replay" in response.json()["error"]
    finally:
        bad.unlink()
        garbage.unlink()
    response = client.post("/api/replays/upload?name=mine.json.z", content=b"\x78\x9c garbage")
    assert response.status_code == 422 and response.json()["error"].startswith("mine.json.z:")
    good = client.post("/api/replays/upload?name=ok.json.z", content=site["replay"].read_bytes())
    assert good.status_code == 200 and good.json()["num_agents"] == 24
    assert not (site["replays"] / "ok.json.z").exists()  # an upload is shown, never stored


def test_runs_list_their_config_curves_and_checkpoints(client, site):
    runs = client.get("/api/runs").json()["runs"]
    assert [r["name"] for r in runs] == ["webrun"] and runs[0]["policies"] >= 1
    details = client.get("/api/runs/webrun").json()
    assert details["env"] == "navigation" and "total_timesteps" in details["config"]
    latest = details["checkpoints"][0]
    assert latest["name"] == f"webrun:v{latest['version']}.mpt" and latest["uri"].startswith("file://")
    assert (site["data"] / latest["path"]).is_file()
    metrics = client.get("/api/runs/webrun/metrics").json()
    steps = [v for v in metrics["overview/agent_steps"] if v is not None]  # validation rows have none
    assert steps[-1] >= 2 * EPOCH and len(metrics["overview/sps"]) == len(metrics["step"])
    assert [v for v in metrics["val/reward"] if v is not None]  # the site's run validates every update
    assert client.get("/api/runs/nothing").status_code == 404


def test_the_replay_button_plays_an_episode_of_a_checkpoint(client, site):
    latest = client.get("/api/runs/webrun").json()["checkpoints"][0]
    response = client.post(f"/api/runs/webrun/replay?checkpoint={latest['name']}")
    assert response.status_code == 200, response.text
    name = response.json()["name"]
    assert response.json()["url"] == f"/replay?replay={name}"
    replay = client.get(f"/api/replays/{name}").json()
    assert replay["mg_config"]["game"]["num_agents"] == 4  # the run's env: navigation
    refused = client.post("/api/runs/webrun/replay?checkpoint=../../../secret.json.z")
    assert refused.status_code == 403
    assert client.post("/api/runs/webrun/replay?checkpoint=last.ckpt").status_code == 404


def test_the_scorecard_follows_the_stats_db(client, site):
    card = client.get("/api/scorecard").json()
    assert card["policies"] == ["webrun:v2"] and card["simulations"] == ["suite/nav"] and card["values"] == [[1.5]]
    write_evaluation(str(site["db"]), "other", 1, 0.5, sim="arena")
    updated = client.get("/api/scorecard").json()
    assert updated["version"] != card["version"]
    assert updated["policies"] == ["other:v1", "webrun:v2"] and updated["simulations"] == ["suite/arena", "suite/nav"]
    assert updated["values"] == [[0.5, None], [None, 1.5]]


def test_experiments_are_listed_with_their_runs_status_and_results(tmp_path):
    folder = tmp_path / "experiments"
    write_experiment(folder, "exp")
    (folder / "broken").mkdir()
    (folder / "broken" / "plan.json").write_text('{"runs": 3}')
    config = WebConfig(data_dir=str(tmp_path), replay_dir=str(tmp_path / "r"), experiments_dir=str(folder))
    app = TestClient(create_app(config), base_url=BASE)
    listed = app.get("/api/experiments").json()
    assert listed["folder"] == str(folder)
    assert {"name": "exp", "runs": 4, "done": 2} in listed["experiments"]
    details = app.get("/api/experiments/exp").json()
    status = {run["run"]: run["status"] for run in details["runs"]}
    assert status == {"exp.a.s0": "done", "exp.a.s1": "started", "exp.b.s0": "done", "exp.b.s1": "waiting"}
    assert details["results"]["metrics"]["reward"]["arms"]["b"]["mean"] == 3.0
    assert app.get("/api/experiments/broken").status_code == 422
    assert app.get("/api/experiments/missing").status_code == 404
    assert app.get("/api/experiments/..%2F..%2Fetc").status_code in (403, 404)
    assert app.get("/experiments").status_code == 200


def test_cross_play_episodes_stay_out_of_the_scorecards_plain_means(tmp_path):
    """strong:v1 plays 2v2 beside weak:v1 (scoring 2.0 to weak's 0.5) and alone on another
    simulation (1.0): its plain mean there is 1.0, not mixed with the cross-play; the cross-play
    simulation is a missing cell for every policy, and the leaderboard still reads it."""
    db = str(tmp_path / "mixed.duckdb")
    write_crossplay(db, "strong", "weak", 2.0, 0.5, episodes=2)
    write_evaluation(db, "strong", 1, 1.0, sim="nav")
    card = scorecard(db)
    values = dict(zip(card["policies"], card["values"], strict=True))
    assert card["simulations"] == ["suite/nav", "suite/xplay"]
    assert values["strong:v1"] == [1.0, None] and values["weak:v1"] == [None, None]
    assert [row["policy"] for row in leaderboard_rows(db, "weak:v1")["rows"]] == ["strong:v1", "weak:v1"]


def test_the_leaderboard_follows_the_stats_db(client, tmp_path):
    db = str(tmp_path / "board.duckdb")
    config = WebConfig(data_dir=str(tmp_path), replay_dir=str(tmp_path), stats_db=db)
    board = TestClient(create_app(config), base_url=BASE)
    assert board.get("/api/leaderboard").json()["rows"] == []  # no database yet
    write_crossplay(db, "strong", "weak", 2.0, 0.5, episodes=3)
    first = board.get("/api/leaderboard?replacement=weak:v1").json()
    assert [r["policy"] for r in first["rows"]] == ["strong:v1", "weak:v1"]
    assert first["rows"][0]["vor"] == pytest.approx(0.75)  # strong instead of weak: (2+r)/2 - (0.5+r)/2
    write_crossplay(db, "strong", "weak", 2.0, 0.5, episodes=3, seed=1)
    second = board.get("/api/leaderboard?replacement=weak:v1").json()
    assert second["version"] != first["version"] and second["rows"][0]["meetings"] == 12
    width = [r["high"] - r["low"] for r in (first["rows"][0], second["rows"][0])]
    assert width[1] < width[0]  # more meetings, a narrower interval
    assert board.get("/api/leaderboard?replacement=nonsense").status_code == 400


def test_the_leaderboard_and_scorecard_leave_out_non_finite_values(tmp_path):
    """A database whose metrics hold NaN or infinity (no engine writes them; an edited one can)
    answers 200: the episodes holding them are left out, never a 500 or invalid JSON."""
    import duckdb

    db = str(tmp_path / "board.duckdb")
    write_crossplay(db, "strong", "weak", 2.0, 0.5, episodes=3)
    with duckdb.connect(db) as con:
        con.execute("UPDATE agent_metrics SET value = 'NaN' WHERE episode_id = 'x-strong-weak-0-0' AND agent_id = 0")
        con.execute(
            "UPDATE agent_metrics SET value = 'Infinity' WHERE episode_id = 'x-weak-strong-0-1' AND agent_id = 3"
        )
    config = WebConfig(data_dir=str(tmp_path), replay_dir=str(tmp_path), stats_db=db)
    board = TestClient(create_app(config), base_url=BASE)
    answer = board.get("/api/leaderboard?replacement=weak:v1")
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert [r["policy"] for r in rows] == ["strong:v1", "weak:v1"]
    assert rows[0]["meetings"] == 4  # 6 cross-play episodes, 2 left out
    assert rows[0]["vor"] == pytest.approx(0.75)
    card = board.get("/api/scorecard")
    assert card.status_code == 200 and None in [v for row in card.json()["values"] for v in row]
    unknown = board.get("/api/leaderboard?replacement=nosuch:v9")
    assert unknown.status_code == 400 and "no cross-play episode of it" in unknown.text


def agent_at(objects: list[dict], agent: int) -> dict:
    return next(o for o in objects if o.get("agent_id") == agent)


def test_live_play_steps_the_game_and_a_key_moves_the_controlled_agent(client, site):
    with client.websocket_connect(f"{WS}/ws/play?env=navigation&policy=random&seed=3") as ws:
        init = ws.receive_json()
        assert init["type"] == "init" and init["num_agents"] == 4 and init["step"] == 0
        assert init["keys"]["w"] == "move_north" and init["keys"]["ArrowLeft"] == "move_west"
        objects = {o["id"]: o for o in init["objects"]}
        ws.send_json({"type": "step"})
        frame = ws.receive_json()
        assert frame["type"] == "frame" and frame["step"] == 1 and not frame["done"]
        objects.update({o["id"]: o for o in frame["objects"]})
        ws.send_json({"type": "control", "agent": 2})
        assert ws.receive_json() == {"type": "control", "agent": 2}
        me = agent_at(list(objects.values()), 2)
        move, target = free_move(list(objects.values()), me)
        ws.send_json({"type": "step", "action": move})
        frame = ws.receive_json()
        moved = agent_at(frame["objects"], 2)
        assert moved["location"][:2] == target and init["action_names"][moved["action_id"]] == move
        assert moved["action_success"] is True
        ws.send_json({"type": "step", "action": "fly"})
        assert "action 'fly'" in ws.receive_json()["message"]
        ws.send_json({"type": "control", "agent": 99})
        assert "agents 0..3" in ws.receive_json()["message"]
        ws.send_json({"type": "save"})
        saved = ws.receive_json()
    replay = load_replay(str(site["replays"] / saved["name"]))
    assert replay["max_steps"] == 2 and replay["num_agents"] == 4
    me = next(o for o in replay["objects"] if o.get("agent_id") == 2)
    assert me["location"][-1] == [2, [*target, me["location"][0][1][2]]]
    os.remove(site["replays"] / saved["name"])


def test_live_play_shows_an_agents_policy_output_and_changes_its_memory(client):
    """Inspecting agent 1: every frame carries its action distribution (summing to 1), value
    and the action taken; its memory can be zeroed, noised or copied from agent 0."""
    policy = next(p for p in client.get("/api/policies").json()["policies"] if p != "random")
    with client.websocket_connect(f"{WS}/ws/play?env=navigation&policy={quote(policy)}&seed=1") as ws:
        init = ws.receive_json()
        ws.send_json({"type": "inspect", "agent": 1})
        assert ws.receive_json() == {"type": "inspect", "agent": 1}
        ws.send_json({"type": "step"})
        seen = ws.receive_json()["inspection"]
        assert seen["agent"] == 1 and seen["step"] == 0 and seen["actions"] == init["action_names"]
        assert abs(sum(seen["probs"]) - 1) < 1e-5 and all(p >= 0 for p in seen["probs"])
        assert isinstance(seen["value"], float) and seen["action"] in init["action_names"]
        for op in ({"op": "zero"}, {"op": "random"}, {"op": "copy", "from": 0}):
            ws.send_json({"type": "memory", "agent": 1, **op})
            assert ws.receive_json() == {"type": "memory", "agent": 1, "op": op["op"]}
        ws.send_json({"type": "memory", "agent": 1, "op": "erase"})
        assert "op must be zero, random or copy" in ws.receive_json()["message"]
        ws.send_json({"type": "inspect", "agent": "1"})
        assert "agent must be an integer or null" in ws.receive_json()["message"]
    with client.websocket_connect(f"{WS}/ws/play?env=navigation&policy=random") as ws:
        ws.receive_json()
        ws.send_json({"type": "memory", "agent": 1, "op": "zero"})
        assert "RandomPolicy keeps no memory to change" in ws.receive_json()["message"]


def test_memory_changes_reach_the_policys_next_step(site):
    """Zero, copy and random act on the memory the next step reads (checked on the game)."""
    import torch

    from metta_lit.env import env_config
    from metta_lit.evaluation.runner import PolicyHandle
    from metta_lit.web.live import LiveGame

    policy = PolicyHandle.from_uri(str(next(site["data"].rglob("*.mpt")))).policy
    game = LiveGame(env_config("navigation"), policy, seed=0)
    game.step()
    keys = list(policy.memory_shapes())
    game.set_memory(1, "zero")
    assert keys and all(not game.td[key][0, 1].any() for key in keys)
    game.set_memory(2, "copy", source=0)
    assert all(torch.equal(game.td[key][0, 2], game.td[key][0, 0]) for key in keys)
    game.set_memory(3, "random")
    assert all(game.td[key][0, 3].abs().sum() > 0 for key in keys)

    # The same game (same seeds) with and without agent 1's memory zeroed after 3 steps: its
    # next action distribution differs only when the memory was changed.
    def next_probs(zero: bool) -> list[float]:
        torch.manual_seed(0)
        twin = LiveGame(env_config("navigation"), policy, seed=0)
        twin.inspect(1)
        for _ in range(3):
            twin.step()
        if zero:
            twin.set_memory(1, "zero")
        twin.step()
        return twin.inspection["probs"]

    assert next_probs(False) == next_probs(False) != next_probs(True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("env=nowhere", "no env 'nowhere'"),
        ("env=arena&policy=../secret.mpt", "not a path inside"),
        ("env=arena&policy=/etc/passwd", "not a policy file"),
        ("env=arena&seed=-1", "seed must be"),
    ],
)
def test_live_play_refuses_bad_parameters(client, query, message):
    with client.websocket_connect(f"{WS}/ws/play?{query}") as ws:
        reply = ws.receive_json()
    assert reply["type"] == "error" and message in reply["message"]


def test_live_play_with_a_trained_policy_runs_to_the_end(client, site):
    policy = client.get("/api/runs/webrun").json()["checkpoints"][0]["path"]
    assert policy in client.get("/api/policies").json()["policies"]
    with client.websocket_connect(f"{WS}/ws/play?env=navigation&policy={policy}") as ws:
        init = ws.receive_json()
        frame = {"done": False}
        while not frame["done"]:
            ws.send_json({"type": "step"})
            frame = ws.receive_json()
        assert frame["step"] == init["max_steps"]
        ws.send_json({"type": "step"})
        assert "episode is over" in ws.receive_json()["message"]
        ws.send_json({"type": "reset"})
        assert ws.receive_json()["step"] == 0


# --- hardening: every response's headers, every file the server opens, every message -------


def test_every_response_forbids_inline_script(client):
    for path in ("/replay", "/api/runs", "/static/js/viewer.js", "/api/replays/../x"):
        csp = client.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp


@pytest.mark.parametrize("linked", ["logs/config.yaml", "logs/metrics.csv", "logs"])
def test_a_symlink_inside_a_run_folder_cannot_read_outside_it(client, site, tmp_path, linked):
    secret = tmp_path / "outside"
    (secret / "logs").mkdir(parents=True)
    for name in ("config.yaml", "metrics.csv", "logs/config.yaml", "logs/metrics.csv"):
        (secret / name).write_text("step,secret\n1,42\n")
    run = site["data"] / "linked"
    (run / "checkpoints").mkdir(parents=True)
    if linked != "logs":
        (run / "logs").mkdir()
    (run / linked).symlink_to(secret / linked.split("/")[-1] if linked != "logs" else secret / "logs")
    try:
        details = client.get("/api/runs/linked")
        metrics = client.get("/api/runs/linked/metrics")
        assert details.status_code in (200, 403) and "secret" not in details.text
        assert metrics.status_code in (200, 403) and "secret" not in metrics.text
        assert 403 in (details.status_code, metrics.status_code)
    finally:
        import shutil

        shutil.rmtree(run)


def test_uploads_are_same_origin_and_bounded_while_parsing(client):
    evil = {"origin": "http://evil.example"}
    assert client.post("/api/replays/upload", content=b"x", headers=evil).status_code == 403
    bomb = zlib.compress(b'{"objects":[' + b"{}," * 3_000_000 + b"{}]}", 9)  # ~27 KB -> 9 MB of dicts
    response = client.post("/api/replays/upload?name=bomb.json.z", content=bomb)
    assert response.status_code == 422 and "lists/objects" in response.json()["error"]
    names = zlib.compress(json.dumps({"version": 2, "action_names": ["a" * 5000]}).encode())
    response = client.post("/api/replays/upload?name=n.json.z", content=names)
    assert response.status_code == 422


@pytest.mark.parametrize("path", ["/api/runs/.", "/api/replays/.", "/api/replays/./", "/api/runs/./metrics"])
def test_the_folder_itself_is_not_a_file(client, path):
    # Never a 500; a client that normalizes the dot away gets the listing (200) instead.
    response = client.get(path)
    assert response.status_code in (200, 403, 404) and "error" in response.json() or response.status_code == 200


def test_a_metrics_field_too_long_is_an_error_not_a_crash(client, site):
    run = site["data"] / "huge"
    (run / "logs").mkdir(parents=True)
    (run / "logs" / "metrics.csv").write_text("step,x\n1," + "9" * 200_000 + "\n")
    try:
        response = client.get("/api/runs/huge/metrics")
        assert response.status_code == 422 and "metrics" in response.json()["error"]
    finally:
        import shutil

        shutil.rmtree(run)


def test_listening_on_all_interfaces_keeps_the_host_and_origin_checks(site):
    config = WebConfig(
        data_dir=str(site["data"]), replay_dir=str(site["replays"]), host="0.0.0.0", allowed_hosts=("lab.example",)
    )
    wide = TestClient(create_app(config), base_url="http://lab.example:8000")
    assert wide.get("/api/runs").status_code == 200
    assert wide.get("/api/runs", headers={"host": "evil.example"}).status_code == 400
    assert wide.post("/api/replays/upload", content=b"x", headers={"origin": "http://evil.example"}).status_code == 403


@pytest.mark.parametrize(
    ("send", "code"),
    [
        (lambda ws: ws.send_text("not json"), 1007),
        (lambda ws: ws.send_bytes(b"\x00\x01"), 1003),
        (lambda ws: ws.send_text("[" * 2000 + "]" * 2000), 1007),  # nesting deeper than Python's recursion
        (lambda ws: ws.send_text("1" * 5000), 1009),  # a 5000-digit number: too long before parsing
    ],
)
def test_a_malformed_play_message_is_answered_and_closed(client, send, code):
    with client.websocket_connect(f"{WS}/ws/play?env=navigation") as ws:
        assert ws.receive_json()["type"] == "init"
        send(ws)
        assert ws.receive_json()["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == code


@pytest.mark.slow
def test_serve_refuses_a_stats_db_it_cannot_read_and_listens_before_it_prints(site, tmp_path):
    import socket
    import subprocess
    import sys

    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database" * 100)
    for bad in (garbage, tmp_path):
        out = subprocess.run(
            [sys.executable, "-m", "metta_lit.cli", "serve", "--stats_db", str(bad), "--port", "0"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode != 0 and "stats database" in out.stderr and "Traceback" not in out.stderr
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "metta_lit.cli", "serve", "--data_dir", str(site["data"]), "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            port = int(proc.stdout.readline().split("http://127.0.0.1:")[1].split("/")[0])
            socket.create_connection(("127.0.0.1", port), timeout=5).close()  # at once: no refusal
        finally:
            proc.kill()
            proc.wait()
