"""The web pages in a real headless browser (Debian's chromium through Playwright) against a
real ``metta-lit serve`` process. Screenshots of each page go to ``test-artifacts/``."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlparse

import numpy as np
import pytest

from metta_lit.env.replay import ReplayRecorder, load_replay
from tests.conftest import ROOT, Driver, require
from tests.web_site import free_move, write_evaluation, write_experiment

# Each module run starts a headless chromium and a server: the full tier (`make test-all`).
pytestmark = pytest.mark.slow

ARTIFACTS = Path(os.environ.get("METTA_LIT_TEST_ARTIFACTS", ROOT / "test-artifacts"))
KEY_FOR = {"move_north": "w", "move_south": "s", "move_west": "ArrowLeft", "move_east": "d"}
# Counts the canvas's pixels that differ from the snapshot `window.before` (taken by `snap`).
SNAP = "() => { const c = document.getElementById('grid'); window.before = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; }"
DIFF = """() => {
  const c = document.getElementById('grid');
  const now = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let changed = 0;
  for (let i = 0; i < now.length; i += 4) if (now[i] !== before[i] || now[i + 1] !== before[i + 1] || now[i + 2] !== before[i + 2]) changed++;
  return changed;
}"""


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    require(chromium is not None, "needs Debian's chromium and the playwright package (scripts/setup.sh installs both)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:
    """``metta-lit serve`` on a free port; yields its address."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "metta_lit.cli", "serve", "--port", "0"]
        + ["--data_dir", str(site["data"]), "--replay_dir", str(site["replays"]), "--stats_db", str(site["db"])]
        + ["--experiments_dir", str(site["root"] / "experiments")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    line = proc.stdout.readline()
    assert line.startswith("metta-lit serve: http://127.0.0.1:"), line + proc.stdout.read()
    yield line.split()[2].removesuffix("/runs")
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def page(browser, request):
    """A fresh page; JavaScript errors fail the test, and its screenshot is kept. Playwright's
    ``wait_for_function`` evaluates strings, which the app's Content-Security-Policy forbids,
    so these pages bypass it; the XSS test below keeps it on."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_the_viewer_draws_a_replay_and_the_scrubber_moves_it(page, server, site):
    name = site["replay"].name
    page.goto(f"{server}/replay?replay={quote(name)}")
    page.wait_for_function("window.viewer.replay !== null")
    assert page.locator("#step").inner_text() == "step 0 / 40"
    assert page.locator("#replays a").first.inner_text() == name
    page.evaluate(SNAP)
    page.locator("#scrubber").fill("30")
    assert page.locator("#step").inner_text() == "step 30 / 40"
    assert page.evaluate(DIFF) > 50  # agents moved
    page.keyboard.press("Home")
    assert page.evaluate("window.viewer.step") == 0 and page.evaluate(DIFF) == 0  # the same frame again
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.viewer.step") == 1
    # The side panel follows a selected agent.
    page.locator('#agents li[data-agent="5"]').click()
    assert page.locator("#agent h3").inner_text().startswith("agent 5")
    assert "last action" in page.locator("#agent").inner_text()
    # Play runs to the end at the chosen speed.
    page.select_option("#speed", "120")
    page.locator("#play").click()
    page.wait_for_function("window.viewer.step === 40 && !window.viewer.playing", timeout=5000)


def test_the_viewer_opens_uploads_and_shows_errors_in_the_page(page, server, site, tmp_path):
    page.goto(f"{server}/replay?replay={quote('../secret.json.z')}")
    page.wait_for_selector("#error:not([hidden])")
    assert "not a path inside the replays folder" in page.locator("#error").inner_text()
    broken = tmp_path / "broken.json.z"
    broken.write_bytes(b"\x78\x9c this is no replay")
    page.set_input_files("#upload", str(broken))
    page.wait_for_function("document.getElementById('error').textContent.includes('broken.json.z')")
    assert "zlib" in page.locator("#error").inner_text()
    page.set_input_files("#upload", str(site["replay"]))
    page.wait_for_function("window.viewer.replay !== null && document.getElementById('error').hidden")
    assert page.locator("#step").inner_text() == "step 0 / 40"


def test_live_play_advances_and_a_key_moves_the_controlled_agent(page, server, site):
    page.goto(f"{server}/play?env=navigation&autostart=1")
    page.wait_for_function("window.live.state !== null && !window.live.waiting")
    # The legend names what the map holds; hovering an agent shows its fields.
    kinds = set(page.locator("#legend [data-kind]").evaluate_all("(els) => els.map((e) => e.dataset.kind)"))
    assert kinds == set(page.evaluate("window.live.state.objects().map((o) => o.type_name)")) - {"agent"}
    first = page.evaluate("window.live.state.objects().find((o) => o.agent_id === 0)")
    grid = page.locator("#grid").bounding_box()
    size = grid["width"] / page.evaluate("window.live.state.width")
    page.mouse.move(grid["x"] + (first["location"][0] + 0.5) * size, grid["y"] + (first["location"][1] + 0.5) * size)
    assert "agent_id: 0" in page.locator("#tooltip").inner_text()
    page.locator("#step").click()
    page.wait_for_function("window.live.step === 1 && !window.live.waiting")
    page.select_option("#control", "1")
    page.wait_for_function("!window.live.waiting")
    objects = page.evaluate("window.live.state.objects()")
    move, target = free_move(objects, next(o for o in objects if o.get("agent_id") == 1))
    page.keyboard.press(KEY_FOR[move])
    page.wait_for_function("window.live.step === 2 && !window.live.waiting")
    moved = page.evaluate("window.live.state.objects().find((o) => o.agent_id === 1)")
    assert moved["location"][:2] == target
    assert page.locator("#agent h3").inner_text().startswith("agent 1")
    # Playing runs steps on its own; saving writes a replay the viewer opens.
    page.locator("#play").click()
    page.wait_for_function("window.live.step >= 6")
    page.locator("#play").click()
    page.wait_for_function("!window.live.waiting")
    page.locator("#save").click()
    link = page.locator("#saved a")
    link.wait_for()
    saved = site["replays"] / link.inner_text()
    assert saved.is_file()
    link.click()
    page.wait_for_function("window.viewer && window.viewer.replay !== null")
    assert page.evaluate("window.viewer.replay.maxSteps") >= 6
    saved.unlink()


def test_the_dashboard_lists_the_run_its_curves_and_a_live_scorecard(page, server, site):
    page.goto(f"{server}/runs")
    page.wait_for_selector('#runs a[data-run="webrun"]')
    page.wait_for_selector('.curve[data-metric="overview/sps"] canvas')
    points = page.evaluate("window.dashboard.charts.map((c) => c.data[1].filter((v) => v !== null).length)")
    rows = page.evaluate("window.dashboard.metrics['overview/sps'].filter((v) => v !== null).length")
    assert points[0] > 0 and rows in points  # the curves hold the run's history (validation rows have no sps)
    charts = page.evaluate(
        """window.dashboard.charts.map((c) => ({
            metric: c.series[1].label, x: c.axes[0].label, y: c.axes[1].label,
            pairs: c.data[0].filter((x, i) => x !== null && c.data[1][i] !== null).length }))"""
    )
    assert charts[0]["metric"] == "episode/reward" and charts[0]["y"] == "reward per agent-episode"
    assert all(chart["x"] == "agent steps" for chart in charts)
    validation = next(chart for chart in charts if chart["metric"] == "val/reward")
    assert validation["pairs"] == 2  # one point per validation (two updates), placed at its agent steps
    assert "webrun:v" in page.locator("#checkpoints").inner_text()
    page.wait_for_selector("#scorecard td")
    assert "webrun:v2" in page.locator("#scorecard").inner_text()
    write_evaluation(str(site["db"]), "newcomer", 7, 0.25, sim="arena")
    page.wait_for_function("document.getElementById('scorecard').textContent.includes('newcomer:v7')", timeout=10_000)
    assert "0.250" in page.locator("#scorecard").inner_text()
    # newcomer was never evaluated on nav (webrun's simulation): drawn as missing, not as 0.
    cells = page.locator("#scorecard tbody tr", has_text="newcomer:v7").locator("td")
    missing = [cells.nth(i) for i in range(cells.count()) if cells.nth(i).inner_text() == "–"]
    assert len(missing) == 1 and missing[0].evaluate("td => td.style.background") in ("", "transparent")
    # A checkpoint's button plays an episode with it and opens that replay in the viewer.
    page.locator("#checkpoints button").first.click()
    page.wait_for_url("**/replay?replay=*", timeout=60_000)
    page.wait_for_function("window.viewer.replay !== null")
    assert page.evaluate("window.viewer.replay.meta.num_agents") == 4  # the run's env: navigation


def test_scorecard_colours_keep_small_gains_visible_beside_large_ones_and_ticks_use_si(page, server):
    """Around random's 0.1, a trained 0.2 is clearly green though scripted makes 2.0 (20x): the
    symmetric-log scale gives it about 0.4 of the column's full colour where a linear one gives
    0.05; below the baseline is red, at it grey; no baseline falls back to the column's range."""
    page.goto(f"{server}/runs")
    out = page.evaluate(
        """async () => {
            const s = await import('/static/js/scale.js');
            const column = [0.1, 0.2, 2.0, null, 0.05];
            return {
                trained: s.symlog(0.1, 1.9), scripted: s.symlog(1.9, 1.9), worse: s.symlog(-0.05, 1.9),
                at: s.cellColor(0.1, column, 0.1), above: s.cellColor(0.2, column, 0.1),
                below: s.cellColor(0.05, column, 0.1), missing: s.cellColor(null, column, 0.1),
                ranged: s.cellColor(2.0, column, null),
                ticks: [1500000, 250000, 2000, 0.02, 3e9].map(s.si),
            };
        }"""
    )
    assert 0.3 < out["trained"] < 0.5 and out["scripted"] == 1 and -0.5 < out["worse"] < 0
    assert out["at"] == "hsl(0, 0%, 35%)" and out["above"].startswith("hsl(120,") and out["below"].startswith("hsl(0,")
    assert out["missing"] == "transparent" and out["ranged"] == "hsl(120, 65%, 35%)"
    assert out["ticks"] == ["1.5M", "250k", "2k", "0.02", "3G"]


PAYLOAD = '<img src=x onerror="window.pwned=1">'


def test_the_leaderboard_page_ranks_policies_and_shows_names_as_text(page, server, site):
    from tests.web_site import write_crossplay

    page.goto(f"{server}/leaderboard")
    page.wait_for_selector("#leaderboard p, #leaderboard table")
    write_crossplay(str(site["db"]), "champion", PAYLOAD, 3.0, 1.0, episodes=2)
    page.wait_for_selector('#leaderboard tr[data-policy="champion:v1"]', timeout=10_000)
    ranked = page.locator("#leaderboard tbody th").all_inner_texts()
    assert ranked == ["champion:v1", f"{PAYLOAD}:v1"]  # the markup in a policy name is text
    assert page.locator("#leaderboard img").count() == 0 and page.evaluate("window.pwned") is None


def test_text_from_a_replay_file_is_never_run_as_html(browser, server, site):
    """A stored XSS attempt: names in a replay (an agent id, an item name) hold markup whose
    handler would set ``window.pwned``. The page (with its Content-Security-Policy on) shows
    them as text and runs nothing; an inline script added to it does not run either."""
    import json
    import zlib

    from metta_lit.env.replay import load_replay

    replay = load_replay(str(site["replay"]))
    agents = [o for o in replay["objects"] if o.get("type_name") == "agent"]
    agents[0]["agent_id"] = PAYLOAD
    agents[1]["inventory"] = [[0, [[0, 3]]]]  # holds item 0 from step 0
    replay["item_names"][0] = PAYLOAD
    evil = site["replays"] / "evil.json.z"
    evil.write_bytes(zlib.compress(json.dumps(replay).encode()))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server}/replay?replay=evil.json.z")
        page.wait_for_selector("#agents li")
        page.locator(f'#agents li[data-agent="{agents[1]["agent_id"]}"]').click()
        page.wait_for_selector("#agent .inventory li")
        assert PAYLOAD in page.locator("#agents").inner_text()  # the name, shown as text
        assert PAYLOAD in page.locator("#agent .inventory").inner_text()
        assert page.locator("#agents img, #agent img").count() == 0
        assert page.evaluate("window.pwned") is None
        inline = "() => { const s = document.createElement('script'); s.textContent = 'window.inline = 1';"
        assert page.evaluate(inline + " document.body.append(s); return window.inline; }") is None  # CSP
        assert not errors, errors
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "test_text_from_a_replay_file_is_never_run_as_html.png"), full_page=True)
    finally:
        context.close()
        evil.unlink()


def test_a_symlinked_run_file_shows_an_error_not_its_target(page, server, site, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n")
    run = site["data"] / "linked"
    (run / "logs").mkdir(parents=True)
    (run / "checkpoints").mkdir()
    (run / "logs" / "config.yaml").symlink_to(secret)
    try:
        page.goto(f"{server}/runs?run=linked")
        page.wait_for_selector("#error:not([hidden])")
        assert "leads outside" in page.locator("#error").inner_text()
        assert "hunter2" not in page.content()
    finally:
        shutil.rmtree(run)


def test_the_server_refuses_raw_traversal_paths(server):
    address = urlparse(server)
    for path in (
        "/api/replays/../secret.json.z",
        "/api/replays/..%2f..%2fsecret.json.z",
        "/static/../app.py",
        "/static/..%2f..%2fweb%2fapp.py",
        "/api/runs/..%2f..",
    ):
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        connection.request("GET", path)  # sent as written: no client-side normalization
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        assert response.status in (403, 404), (path, response.status)
        assert '"secret"' not in body and "create_app" not in body
        connection.close()


def test_replay_open_writes_the_replay_and_prints_the_viewer_url(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "metta_lit.cli", "replay", "--config", "navigation", "--open", "true"]
        + ["--port", "0", "--replay_dir", str(tmp_path / "r")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        viewer = next(line.split()[1] for line in lines if line.startswith("viewer: "))
        (written,) = (tmp_path / "r").glob("*.json.z")
        assert viewer.endswith(f"/replay?replay={written.name}")
        address = urlparse(viewer)
        deadline = time.monotonic() + 10
        while True:
            try:
                connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
                connection.request("GET", f"/api/replays/{written.name}")
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert connection.getresponse().status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_experiments_page_shows_runs_results_verdicts_and_curves_as_text(page, server, site):
    """An experiment's runs by arm and seed, its arms' intervals, its verdicts (a hostile one
    stays text) and a learning curve with its band per arm."""
    write_experiment(site["root"] / "experiments", "exp", verdict=PAYLOAD)
    page.goto(f"{server}/experiments")
    page.wait_for_selector("#runs td")
    assert page.locator("#runs").inner_text().count("done") == 2 and "started" in page.locator("#runs").inner_text()
    assert "3.00 [0.900, 1.10]" in page.locator("#results").inner_text()
    assert page.locator("#verdicts li").inner_text() == PAYLOAD
    assert page.evaluate("window.pwned") is None
    page.wait_for_selector('.curve[data-arm="b"] canvas')
    assert page.evaluate("window.experiments.charts.length") == 2


def recorded(d: Driver, steps: list[tuple[str | None, ...]], path: Path) -> Path:
    """The replay of a hand-made episode: ``d``'s env from reset through ``steps`` (per step,
    each agent's action name; None: noop), written to ``path``."""
    recorder = ReplayRecorder(d.env, 0)
    recorder.record()
    for names in steps:
        actions = np.array([[d.ids[n or "noop"] for n in names]], np.int32)
        d.env.step(actions)
        recorder.record(actions[0])
    recorder.write(str(path), path.name.split(".")[0])
    return path


def open_replay(page, server: str, path: Path) -> None:
    """The viewer with the replay at ``path`` uploaded and analysed."""
    page.goto(f"{server}/replay")
    page.set_input_files("#upload", str(path))
    page.wait_for_function("window.viewer.replay !== null")


def joint_use_replay(path: Path) -> Path:
    """A hand-made coop episode: agent 0 (west of a two-agent assembler) and agent 1 (south of
    agent 0, diagonal to it) use it together at step 1; at step 2 agent 0 moves into agent 1,
    handing it half of its batteries (1 of 2); then both wait."""
    together = {"positions": ["Any", "Any"], "input_resources": {"battery_red": 2}, "output_resources": {"heart": 1}}
    objects = {"wall": {}, "assembler": {"type": "assembler", "type_id": 21, "map_char": "A", "recipes": [together]}}
    d = Driver(["@A.", "@..", "..."], objects=objects, agent={"shareable_resources": ["battery_red"]})
    d.give(0, "battery_red", 4)
    return recorded(d, [("move_east", None), ("move_south", None), (None, None), (None, None)], path)


def test_the_viewer_lists_a_joint_assembler_use_and_a_hand_over_and_jumps_to_them(page, server, tmp_path):
    open_replay(page, server, joint_use_replay(tmp_path / "joint.json.z"))
    events = page.evaluate("window.viewer.analysis.events")
    assert [(e["step"], e["kind"], e["agents"]) for e in events] == [(1, "assembler", [0, 1]), (2, "share", [0, 1])]
    assert events[1]["items"] == [[page.evaluate("window.viewer.replay.meta.item_names.indexOf('battery_red')"), 1]]
    page.locator(".tabs button[data-tab=events]").click()
    page.select_option("#event-kind", "joint")
    assert page.locator("#events li").count() == 1
    assert page.locator("#events li").inner_text() == "step 1 joint use of assembler at 1,0 by agents 0, 1"
    page.locator("#events li").click()
    assert page.evaluate("[window.viewer.step, window.viewer.selected]") == [1, 0]
    page.select_option("#event-kind", "share")
    assert "agent 0 gave agent 1 1 battery_red (teammate)" in page.locator("#events li").inner_text()
    # The table counts the same: a joint use for each, one battery given and received.
    page.locator(".tabs button[data-tab=table]").click()
    cells = page.evaluate(
        "[...document.querySelectorAll('#agent-table tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent))"
    )
    headers = page.locator("#agent-table th").all_inner_texts()
    rows = [dict(zip([h.rstrip(" ▲▼") for h in headers], row, strict=True)) for row in cells]
    assert [(r["together"], r["items given"], r["received"], r["hearts"]) for r in rows] == [
        ("1", "1", "0", "1"),  # the heart goes to the agent that used the assembler
        ("1", "0", "1", "0"),
    ]
    page.locator(".tabs button[data-tab=events]").click()  # left on screen for the docs' screenshot
    page.select_option("#event-kind", "all")
    assert page.locator("#events li").count() == 2


def test_the_viewer_legend_traces_table_and_heatmap(page, server, site):
    name = site["replay"].name
    page.goto(f"{server}/replay?replay={quote(name)}")
    page.wait_for_function("window.viewer.replay !== null")
    # The legend names every kind of object on the map and every team.
    kinds = set(page.locator("#legend [data-kind]").evaluate_all("(els) => els.map((e) => e.dataset.kind)"))
    present = set(page.evaluate("window.viewer.replay.stateAt(0).map((o) => o.type_name)")) - {"agent"}
    assert kinds == present and "wall" in kinds
    teams = page.locator("#legend [data-team]").evaluate_all("(els) => els.map((e) => Number(e.dataset.team))")
    assert teams == page.evaluate("window.viewer.analysis.teams")
    # A click on the traces raster: that row's agent at that column's step.
    box = page.locator("#traces").bounding_box()
    steps, rows = 41, page.evaluate("document.getElementById('traces').height") / 8
    page.mouse.click(box["x"] + box["width"] * 25.5 / steps, box["y"] + box["height"] * 2.5 / rows)
    assert page.evaluate("window.viewer.step") == 25 and page.locator("#step").inner_text() == "step 25 / 40"
    assert page.evaluate("window.viewer.selected") == 2  # rows by agent id
    assert page.locator("#agent h3").inner_text().startswith("agent 2")
    # The table sorts by a column (descending first, then reversed) and finds agents by team.
    page.locator(".tabs button[data-tab=table]").click()
    page.locator("#agent-table th[data-key=reward]").click()
    rewards = [float(r) for r in page.locator("#agent-table tbody tr td:nth-child(3)").all_inner_texts()]
    assert len(rewards) == 24 and rewards == sorted(rewards, reverse=True)
    page.locator("#agent-table th[data-key=reward]").click()
    rewards = [float(r) for r in page.locator("#agent-table tbody tr td:nth-child(3)").all_inner_texts()]
    assert rewards == sorted(rewards)
    page.fill("#agent-search", "team 0")  # the arena's 24 agents are one team
    assert page.locator("#agent-table tbody tr td:nth-child(2)").all_inner_texts() == ["0"] * 24
    page.fill("#agent-search", "team 3")
    assert page.locator("#agent-table tbody tr").count() == 0
    page.fill("#agent-search", "7")
    assert page.locator("#agent-table tbody tr td:nth-child(1)").all_inner_texts() == ["7"]
    page.locator("#agent-table tbody tr").click()
    assert page.evaluate("window.viewer.selected") == 7
    # The heatmap shades visited cells; off again, the frame is what it was.
    page.evaluate(SNAP)
    page.select_option("#heatmap", "all")
    assert page.evaluate(DIFF) > 50
    page.select_option("#heatmap", "off")
    assert page.evaluate(DIFF) == 0
    # The trail of the selected agent draws over the map.
    page.locator("#trail").check()
    assert page.evaluate(DIFF) > 0
    # The tooltip shows every field of what stands under the pointer.
    agent = page.evaluate("window.viewer.replay.stateAt(window.viewer.step).find((o) => o.agent_id === 7)")
    grid = page.locator("#grid").bounding_box()
    size = grid["width"] / page.evaluate("window.viewer.replay.width")
    page.mouse.move(grid["x"] + (agent["location"][0] + 0.5) * size, grid["y"] + (agent["location"][1] + 0.5) * size)
    tip = page.locator("#tooltip").inner_text()
    assert "agent_id: 7" in tip and "total_reward:" in tip and "inventory:" in tip
    # Left on screen for the docs' screenshot: every agent's heatmap under the traces.
    page.select_option("#heatmap", "all")
    page.locator(".tabs button[data-tab=traces]").click()


def test_what_the_selected_agent_saw_is_its_observation_with_fog_outside_its_window(page, server, site):
    from tests.web.test_web import observed

    page.goto(f"{server}/replay?replay={quote(site['replay'].name)}")
    page.wait_for_function("window.viewer.replay !== null")
    page.locator('#agents li[data-agent="3"]').click()
    page.locator("#scrubber").fill("10")
    page.evaluate(SNAP)
    page.locator("#saw").check()
    page.wait_for_function("window.viewer.seen && window.viewer.seen.step === 10 && window.viewer.seen.agent === 3")
    shown = page.locator("#seen li").evaluate_all(
        "(els) => els.map((e) => [Number(e.dataset.row), Number(e.dataset.col), e.dataset.feature, Number(e.dataset.value)])"
    )
    assert [tuple(t) for t in shown] == observed(load_replay(str(site["replay"])), 10, 3)
    assert page.evaluate(DIFF) > 1000  # the fog darkens the map outside the agent's 11x11 window


def test_live_play_shows_the_inspected_agents_action_distribution_and_resets_its_memory(page, server, site):
    policy = next(str(p.relative_to(site["data"])) for p in site["data"].rglob("*.mpt"))
    page.goto(f"{server}/play?env=navigation&policy={quote(policy)}&autostart=1")
    page.wait_for_function("window.live.state !== null && !window.live.waiting")
    page.select_option("#inspect", "1")
    page.wait_for_function("!window.live.waiting")
    page.locator("#step").click()
    page.wait_for_function("window.live.inspection !== null && !window.live.waiting")
    probs = page.locator("#inspection li").evaluate_all("(els) => els.map((e) => Number(e.dataset.prob))")
    assert len(probs) == len(page.evaluate("window.live.state.meta.action_names")) and abs(sum(probs) - 1) < 1e-5
    taken = page.locator("#inspection li.taken").get_attribute("data-action")
    assert taken == page.evaluate("window.live.inspection.action")
    float(page.locator("#inspection [data-field=value]").inner_text())  # a number
    page.locator("#mem-zero").click()
    page.wait_for_function("document.getElementById('mem-done').textContent.includes('zero')")
    page.select_option("#mem-from", "0")
    page.locator("#mem-copy").click()
    page.wait_for_function("document.getElementById('mem-done').textContent.includes('copy')")
    page.locator("#step").click()
    page.wait_for_function("window.live.step === 2 && !window.live.waiting")
    assert page.evaluate("window.live.inspection.step") == 1


def test_the_viewer_zooms_pans_follows_and_its_minimap_moves_the_view(page, server, site):
    page.goto(f"{server}/replay?replay={quote(site['replay'].name)}")
    page.wait_for_function("window.viewer.replay !== null")
    state = "() => ({zoom: window.viewer.renderer.zoom, origin: window.viewer.renderer.origin, span: window.viewer.renderer.span})"
    page.evaluate(SNAP)
    page.locator("#zoom-in").click()
    page.locator("#zoom-in").click()
    view = page.evaluate(state)
    assert view["zoom"] == 2.25 and page.evaluate(DIFF) > 1000
    # Following agent 5: the view centres on it (within the map's edges) at every step.
    page.locator('#agents li[data-agent="5"]').click()
    for step in ("10", "30"):
        page.locator("#scrubber").fill(step)
        view, agent = (
            page.evaluate(state),
            page.evaluate(f"window.viewer.replay.stateAt({step}).find((o) => o.agent_id === 5).location"),
        )
        for axis in (0, 1):
            assert view["origin"][axis] <= agent[axis] < view["origin"][axis] + view["span"][axis]
    # Dragging pans (and stops following); the wheel zooms at the pointer.
    box = page.locator("#grid").bounding_box()
    before = page.evaluate(state)["origin"]
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 260, box["y"] + 230, steps=5)
    page.mouse.up()
    after = page.evaluate(state)
    size = box["width"] / 62 * after["zoom"]
    assert not page.locator("#follow").is_checked()
    assert abs((before[0] - after["origin"][0]) * size - 60) < 2 or after["origin"][0] == 0
    page.mouse.wheel(0, -100)
    assert page.evaluate(state)["zoom"] > 2.25
    # The minimap: a click at its centre centres the view on the map's centre.
    mini = page.locator("#minimap").bounding_box()
    page.mouse.click(mini["x"] + mini["width"] / 2, mini["y"] + mini["height"] / 2)
    view = page.evaluate(state)
    assert (
        abs(view["origin"][0] + view["span"][0] / 2 - 31) < 1 and abs(view["origin"][1] + view["span"][1] / 2 - 31) < 1
    )
    # Fit: the whole map again.
    page.locator("#zoom-fit").click()
    page.locator("#scrubber").fill("0")
    assert page.evaluate(state)["zoom"] == 1 and page.evaluate(state)["origin"] == [0, 0]


def test_the_timeline_lists_a_chest_pass_between_two_agents(page, server, tmp_path):
    """Agent 0 (north of a heart chest) deposits a heart at step 1; agent 1 (south of it)
    takes it out at step 2: a chest pass from agent 0 to agent 1."""
    d = Driver(["@", "C", "@"], objects={"wall": {}, "chest": {}})
    d.give(0, "heart", 1)
    open_replay(
        page, server, recorded(d, [("move_south", None), (None, "move_north"), (None, None)], tmp_path / "chest.json.z")
    )
    events = page.evaluate("window.viewer.analysis.events")
    assert [(e["step"], e["kind"], e["agents"]) for e in events] == [(2, "chest", [1, 0])]
    page.locator(".tabs button[data-tab=events]").click()
    page.select_option("#event-kind", "chest")
    assert page.locator("#events li").inner_text() == (
        "step 2 agent 1 took 1 heart from the chest at 0,1 that agent 0 filled (teammate)"
    )


def signal_replay(path: Path) -> Path:
    """A hand-made signalling episode: agents 0 and 1 stand either side of a station that starts
    clipped and is repaired by two agents showing up and down; at step 1 agent 0 shows up and
    agent 1 down, at step 2 agent 1 uses it (the repair), at step 3 again (a use by the up+down
    protocol)."""
    pair = {"min_agents": 2, "vibes": ["up", "down"], "output_resources": {"heart": 2}}
    station = {"type": "assembler", "type_id": 21, "map_char": "A", "protocols": [pair], "start_clipped": True}
    d = Driver(
        ["@A@"],
        vibe_names=["calm", "up", "down"],
        actions={"noop": True, "move": True, "change_vibe": True},
        objects={"wall": {}, "station": station},
        clipper={"clip_rate": 0.0, "unclipping_protocols": [{"min_agents": 2, "vibes": ["up", "down"]}]},
    )
    steps = [("change_vibe_up", "change_vibe_down"), (None, "move_west"), (None, "move_west"), (None, None)]
    return recorded(d, steps, path)


def test_the_viewer_shows_vibes_clips_and_repairs(page, server, tmp_path):
    open_replay(page, server, signal_replay(tmp_path / "signal.json.z"))
    assert page.evaluate("window.viewer.replay.meta.vibe_names") == ["calm", "up", "down"]
    events = page.evaluate("window.viewer.analysis.events")
    assert [(e["step"], e["kind"], e["agents"], e.get("vibes")) for e in events] == [
        (1, "vibe", [0], None),
        (1, "vibe", [1], None),
        (2, "repair", [0, 1], [1, 2]),
        (3, "assembler", [0, 1], [1, 2]),
    ]
    page.locator(".tabs button[data-tab=events]").click()
    page.select_option("#event-kind", "repair")
    assert page.locator("#events li").inner_text() == "step 2 station at 1,0 repaired by agents 0 (up), 1 (down)"
    page.select_option("#event-kind", "vibe")
    assert page.locator("#events li").all_inner_texts() == ["step 1 agent 0 shows up", "step 1 agent 1 shows down"]
    # The legend names the vibes with badges (the starting one has none) and the clipped mark.
    assert [t.strip() for t in page.locator('[data-part="vibes"] li').all_inner_texts()] == ["vibe up", "vibe down"]
    assert "red cross: clipped" in page.locator("#legend").inner_text()
    # The agent panel names the vibe the followed agent shows; the table counts vibe changes.
    page.locator("#events li").first.click()
    assert page.locator('#agent [data-field="vibe"]').inner_text() == "up"
    page.locator("#scrubber").fill("0")
    assert page.locator('#agent [data-field="vibe"]').inner_text() == "calm"
    page.locator(".tabs button[data-tab=table]").click()
    headers = [h.rstrip(" ▲▼") for h in page.locator("#agent-table th").all_inner_texts()]
    column = headers.index("vibe changes")
    assert page.evaluate(
        f"[...document.querySelectorAll('#agent-table tbody tr')].map((tr) => tr.cells[{column}].textContent)"
    ) == ["1", "1"]


def test_a_dead_agent_leaves_the_map_in_the_viewer_until_it_returns(page, server, tmp_path):
    """Agent 0 (every action costs energy; it starts with 2) dies at step 2 and returns at step
    5: in between, nothing stands on its cell (the tooltip finds nothing there)."""
    costly = {"required_resources": {"energy": 1}, "consumed_resources": {"energy": 1}}
    d = Driver(
        ["@.@"],
        resource_names=["energy"],
        agent={"initial_inventory": {"energy": 2}},
        agent_initial_inventory={1: {"energy": 100}},
        actions={"noop": costly},
        objects={"wall": {}},
        death={"resource": "energy", "respawn_delay": 3},
    )
    open_replay(page, server, recorded(d, [(None, None)] * 6, tmp_path / "mortal.json.z"))
    grid = page.locator("#grid").bounding_box()
    size = grid["width"] / page.evaluate("window.viewer.replay.width")
    tips = []
    for step in ("1", "3", "5"):
        page.locator("#scrubber").fill(step)
        page.mouse.move(grid["x"] + 0.5 * size, grid["y"] + 0.5 * size)
        tips.append(page.locator("#tooltip").inner_text() if page.locator("#tooltip").is_visible() else "")
    assert "agent_id: 0" in tips[0] and tips[1] == "" and "agent_id: 0" in tips[2]
    assert page.evaluate("window.viewer.replay.stateAt(3).find((o) => o.agent_id === 0).is_dead") is True


def test_odd_values_in_a_replay_leave_the_panels_working(page, server, site, tmp_path):
    """A replay whose fields hold what the engine never writes (an agent outside the map, a
    location that is not a list, an orientation and an action beyond the catalogs) opens with
    every panel and no script error (the page fixture fails on one); where an agent is not on
    the map, it visits no cell."""
    import json
    import zlib

    replay = load_replay(str(site["replay"]))
    agents = [o for o in replay["objects"] if o.get("type_name") == "agent"]
    agents[0]["location"] = [[0, [999, -5, 0]], [3, "here"]]
    agents[1]["orientation"] = 42
    agents[1]["action_id"] = [[0, 999]]
    odd = tmp_path / "odd.json.z"
    odd.write_bytes(zlib.compress(json.dumps(replay).encode()))
    page.goto(f"{server}/replay")
    page.set_input_files("#upload", str(odd))
    page.wait_for_function("window.viewer.replay !== null")
    page.select_option("#heatmap", "all")
    page.locator("#trail").check()
    page.locator('#agents li[data-agent="1"]').click()
    page.locator("#scrubber").fill("20")
    page.locator(".tabs button[data-tab=table]").click()
    assert page.locator("#agent-table tbody tr").count() == 24
    assert page.evaluate("window.viewer.analysis.agents[0].stats.visited") == 0  # never on the map
