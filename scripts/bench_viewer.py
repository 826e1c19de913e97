#!/usr/bin/env python
"""Replay viewer speed: full arena episodes (62x62, 24 agents) in headless chromium.

For each episode length (1,000 and 10,000 steps by default) it records an arena replay with a
random policy, serves it with ``metta-lit serve`` and opens it in Debian's chromium
(Playwright), then measures, in the page, with an agent followed and the overlays on (the
visitation heatmap of every agent, the agent's trail, the traces raster):
- the time to open it (fetch, parse, the analysis panels' one pass over the episode, first frame);
- the main-thread cost of one frame (state at a step + map + overlays + traces cursor + side
  panel) over every step in order and at random steps (scrubbing); within 33 ms keeps 30 fps;
- the frame rate of real playback at 60 steps/s (``requestAnimationFrame``);
- how long the server takes to answer "what the agent saw" halfway through (a re-simulation).

    python scripts/bench_viewer.py --json bench_results/viewer.json
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.table import Table

from metta_lit.core.results import write_results
from metta_lit.evaluation.config import SimulationConfig
from metta_lit.evaluation.runner import PolicyHandle, run_simulation

FRAME_TIMES = """(order) => {
  const v = window.viewer, times = [];
  const steps = [...Array(v.replay.maxSteps + 1).keys()].filter((s) => s % Math.ceil((v.replay.maxSteps + 1) / 2000) === 0);
  if (order === "random") steps.sort(() => Math.random() - 0.5);
  for (const s of steps) { const t = performance.now(); v.show(s); times.push(performance.now() - t); }
  return times;
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(steps: int, play_seconds: float) -> dict[str, float]:
    """One episode of ``steps`` steps: recorded, served, opened and timed (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        sim = SimulationConfig(suite="bench", name="arena", env="arena", env_overrides={"game.max_steps": steps})
        record = run_simulation(PolicyHandle.from_uri("random"), sim, replay_dir=tmp)
        name = record.episodes[0].replay_url.rsplit("/", 1)[-1]
        replay_kb = (Path(tmp) / name).stat().st_size / 1024
        server = subprocess.Popen(
            [sys.executable, "-m", "metta_lit.cli", "serve", "--port", "0", "--replay_dir", tmp, "--data_dir", tmp],
            stdout=subprocess.PIPE,
            text=True,
        )
        address = server.stdout.readline().split()[2].removesuffix("/runs")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
                # Playwright's wait_for_function evaluates a string, which the app's CSP forbids.
                page = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True).new_page()
                started = time.perf_counter()
                page.goto(f"{address}/replay?replay={name}")
                page.wait_for_function("window.viewer.replay !== null")
                load_s = time.perf_counter() - started
                page.locator('#agents li[data-agent="0"]').click()
                page.select_option("#heatmap", "all")
                page.locator("#trail").check()
                in_order = page.evaluate(FRAME_TIMES, "order")
                scrubbing = page.evaluate(FRAME_TIMES, "random")
                asked = time.perf_counter()
                page.evaluate(f"fetch('/api/observation/{name}?step={steps // 2}&agent=0').then((r) => r.json())")
                observation_s = time.perf_counter() - asked
                page.evaluate("window.viewer.show(0)")
                page.select_option("#speed", "60")
                page.locator("#play").click()
                time.sleep(play_seconds)
                fps = page.evaluate("window.viewer.fps")
                browser.close()
        finally:
            server.terminate()
    return {
        "steps": steps,
        "replay_kb": round(replay_kb),
        "load_s": round(load_s, 3),
        "frame_ms_mean": round(sum(in_order) / len(in_order), 3),
        "frame_ms_p99": round(percentile(in_order, 0.99), 3),
        "scrub_ms_mean": round(sum(scrubbing) / len(scrubbing), 3),
        "scrub_ms_p99": round(percentile(scrubbing, 0.99), 3),
        "playback_fps": round(fps, 1),
        "observation_s": round(observation_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 10000], help="episode lengths")
    parser.add_argument("--play_seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    load = os.getloadavg()[0]  # what else the machine was doing (2 cores: above ~0.5, the numbers are slower)
    rows = [measure(steps, args.play_seconds) for steps in args.steps]
    table = Table(title=f"replay viewer: arena 62x62, 24 agents, overlays on (headless chromium; load {load:.1f})")
    table.add_column("measure")
    for row in rows:
        table.add_column(f"{row['steps']:,} steps", justify="right")
    for key in rows[0]:
        table.add_row(key, *(str(row[key]) for row in rows))
    Console().print(table)
    if args.json:
        write_results(args.json, {"load_average_1min": round(load, 2), "episodes": rows}, threads=None)


if __name__ == "__main__":
    main()
