#!/usr/bin/env python
"""Replay viewer frame cost: a full arena episode (62x62, 24 agents) in headless chromium.

Records one 1000-step arena replay with a random policy, serves it with ``metta-lit serve`` and
opens it in Debian's chromium (Playwright). It measures, in the page:
- the main-thread cost of one frame (state at a step + canvas draw + side panel) over every
  step, drawn in order and at random steps (scrubbing), with an agent selected;
- the frame rate of real playback at 60 steps/s (``requestAnimationFrame``).
A frame within 16.7 ms keeps 60 fps.

    python scripts/bench_viewer.py --json bench_results/viewer.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.table import Table

from metta_lit.evaluation.config import SimulationConfig
from metta_lit.evaluation.runner import PolicyHandle, run_simulation

FRAME_TIMES = """(order) => {
  const v = window.viewer, times = [];
  const steps = [...Array(v.replay.maxSteps + 1).keys()];
  if (order === "random") steps.sort(() => Math.random() - 0.5);
  for (const s of steps) { const t = performance.now(); v.show(s); times.push(performance.now() - t); }
  return times;
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="episode length")
    parser.add_argument("--play_seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sim = SimulationConfig(suite="bench", name="arena", env="arena", env_overrides={"game.max_steps": args.steps})
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
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                started = time.perf_counter()
                page.goto(f"{address}/replay?replay={name}")
                page.wait_for_function("window.viewer.replay !== null")
                load_s = time.perf_counter() - started
                page.locator('#agents li[data-agent="0"]').click()
                in_order = page.evaluate(FRAME_TIMES, "order")
                scrubbing = page.evaluate(FRAME_TIMES, "random")
                page.evaluate("window.viewer.show(0)")
                page.select_option("#speed", "60")
                page.locator("#play").click()
                time.sleep(args.play_seconds)
                fps = page.evaluate("window.viewer.fps")
                cell = page.evaluate("window.viewer.replay && document.getElementById('grid').clientWidth / 62")
                browser.close()
        finally:
            server.terminate()
    results = {
        "steps": args.steps,
        "replay_kb": round(replay_kb),
        "load_s": round(load_s, 3),
        "frame_ms_mean": round(sum(in_order) / len(in_order), 3),
        "frame_ms_p99": round(percentile(in_order, 0.99), 3),
        "scrub_ms_mean": round(sum(scrubbing) / len(scrubbing), 3),
        "scrub_ms_p99": round(percentile(scrubbing, 0.99), 3),
        "playback_fps": round(fps, 1),
        "cell_px": round(cell, 1),
    }
    table = Table(title=f"replay viewer: arena 62x62, 24 agents, {args.steps} steps (headless chromium)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in results.items():
        table.add_row(key, str(value))
    Console().print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
