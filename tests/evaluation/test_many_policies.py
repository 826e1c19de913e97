"""Many policies in one world: cross-play rows and matrix, ratings and value over replacement,
paired comparisons (the statistics on hand-computed cases, then real play)."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from rich.console import Console

from metta_lit.commands.analyze import analyze
from metta_lit.commands.compare import compare
from metta_lit.commands.evaluate import evaluate
from metta_lit.core.errors import ConfigError
from metta_lit.evaluation.config import Split
from metta_lit.evaluation.distributed import jobs_for
from metta_lit.evaluation.ratings import bradley_terry, crossplay_matrix, leaderboard, partner_effects
from metta_lit.evaluation.records import CrossplaySide
from metta_lit.evaluation.statistics import bootstrap_interval, episodes_needed
from metta_lit.evaluation.stats_db import EvalStatsDB

SCRIPTED, RANDOM = ("scripted", 0), ("random", 0)


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def test_splits_share_any_number_of_agents():
    assert Split.parse("1v3").counts(4) == (1, 3) and Split.parse("1v3").counts(24) == (6, 18)
    assert Split.parse("2v2").counts(24) == (12, 12) and Split.parse("3v1").counts(4) == (3, 1)
    for bad in ("1:3", "0v4", "v2", "2v"):
        with pytest.raises(ConfigError, match="expected NvM"):
            Split.parse(bad)
    for split, agents, parts in (("1v9", 4, 10), ("1v2", 4, 3), ("2v2", 6, 4)):  # 1v2 of 4 would play 1 beside 3
        with pytest.raises(
            ConfigError, match=f"cannot divide {agents} agents as written .it needs a multiple of {parts}"
        ):
            Split.parse(split).counts(agents)


def test_evaluate_refuses_a_split_the_simulations_cannot_play_before_anything_runs(tmp_path):
    db = tmp_path / "stats.duckdb"
    with pytest.raises(ConfigError, match="navigation/.*: split 1v2 cannot divide 4 agents"):
        evaluate(["random", "scripted"], simulations=["navigation"], splits=["1v2"], stats_db=str(db), console=quiet())
    assert not db.exists()


def test_bradley_terry_matches_the_closed_form_and_narrows_with_meetings():
    a, b = ("a", 1), ("b", 1)
    # Two policies, a wins 3 of every 4: the likelihood's optimum is log-odds ln 3 apart, i.e.
    # 400·log10(3) = 190.8 Elo points; the weak prior pulls it in only slightly at 400 meetings.
    many = bradley_terry([(a, b, 1.0)] * 300 + [(a, b, 0.0)] * 100)
    few = bradley_terry([(a, b, 1.0)] * 30 + [(a, b, 0.0)] * 10)
    assert [r.policy for r in many] == [a, b]
    assert many[0].rating - many[1].rating == pytest.approx(400 * math.log10(3), abs=1.0)
    assert many[0].rating + many[1].rating == pytest.approx(2000)
    assert many[0].wins == 300 and many[0].meetings == 400
    assert all(m.high - m.low < 0.4 * (f.high - f.low) for m, f in zip(many, few, strict=True))  # ~1/sqrt(10)
    # Ties count half: an even record is an even rating; one that always wins stays finite.
    even = bradley_terry([(a, b, 0.5)] * 10)
    assert even[0].rating == pytest.approx(1000) and even[1].rating == pytest.approx(1000)
    assert math.isfinite(bradley_terry([(a, b, 1.0)] * 50)[0].rating)


def test_partner_effects_pair_the_same_maps_and_position():
    a, b = ("a", 1), ("b", 1)

    def side(policy, partner, slot, reward, first=True):
        return CrossplaySide(
            f"{policy}{partner}{slot}{first}", "s/x", "2v2", slot, first, policy, partner, 2, 2, reward
        )

    sides = [side(a, b, f"0/0.{k}", 2 * (3 + k)) for k in range(4)]  # beside b: 3 + k per agent
    sides += [side(a, a, f"0/0.{k}", 2 * (1 + k)) for k in range(4)]  # beside itself: 1 + k
    sides += [side(a, b, "0/0.0", 100.0, first=False)]  # the other position is not compared
    [effect] = [e for e in partner_effects(sides) if e.policy == a]
    assert (effect.partner, effect.instead) == (a, b)  # partners in sorted order: a, then b
    assert effect.difference == -2 and effect.low == effect.high == -2 and effect.maps == 4


def test_the_paired_statistics_on_hand_computed_differences():
    assert bootstrap_interval(np.array([1.0, 1.0, 1.0]), seed=0) == (1.0, 1.0)
    low, high = bootstrap_interval(np.array([-1.0, 1.0] * 50), seed=0)
    assert low < 0 < high and low == pytest.approx(-high, abs=0.05)  # mean 0, sd of the mean 0.1
    assert low == pytest.approx(-0.196, abs=0.03)
    assert episodes_needed(np.zeros(5)) == math.inf
    # mean 2, sd sqrt(2): (1.96 · 1.414 / 2)² = 1.92 -> at least 2 episodes.
    assert episodes_needed(np.array([1.0, 3.0])) == 2
    # mean 0.2, sd sqrt(4.8 / 4) = 1.0954: (1.96 · 1.0954 / 0.2)² = 115.2 -> 116.
    assert episodes_needed(np.array([1.0, -1.0, 1.0, -1.0, 1.0])) == 116


def test_jobs_cover_every_ordered_pair_and_keep_plain_identities():
    from metta_lit.evaluation.config import load_simulations

    sims = load_simulations(["navigation/default"])
    plain = jobs_for(["a", "b"], sims, 0, None, "cpu")
    crossed = jobs_for(["a", "b", "c"], sims, 0, None, "cpu", ["1v3", "2v2"])
    assert len(plain) == 2 * 16 and len(crossed) == 9 * 2 * 16
    assert len({j.key for j in crossed}) == len({j.identity for j in crossed}) == len(crossed)
    assert "with" not in plain[0].identity  # the ids of earlier evaluations do not move


@pytest.fixture(scope="module")
def crossplay_db(trained, tmp_path_factory):
    """Random, scripted and a briefly trained navigation policy, every ordered pair in 1v3 and 2v2."""
    db = str(tmp_path_factory.mktemp("xplay") / "x.duckdb")
    uris = ["random", "scripted", str(trained)]
    records = evaluate(uris, ["navigation/default"], db, splits=["1v3", "2v2"], console=quiet())
    return db, records


@pytest.mark.slow
def test_crossplay_writes_a_row_per_agent_and_the_matrix_ranks_scripted_over_random(crossplay_db):
    db_path, records = crossplay_db
    db = EvalStatsDB(db_path)
    assert len(records) == 9 * 2  # ordered pairs (self-play included) x splits
    episodes = 9 * 2 * 16
    assert db.count("episode_pairings") == episodes
    assert db.query("SELECT count(*) FROM crossplay_agents")[0][0] == episodes * 4
    # 1v3: one agent of the row policy; 2v2: two.
    counts = db.query("SELECT split, sum(side_agents) / count(*) FROM crossplay_agents GROUP BY 1 ORDER BY 1")
    assert counts == [("1v3", 1.0), ("2v2", 2.0)]
    # Every pairing played the same maps: its slots are the same 16.
    slots = db.query("SELECT count(DISTINCT slot), count(DISTINCT episode_id) FROM crossplay_agents")[0]
    assert slots == (16, episodes)
    matrix = crossplay_matrix(db.crossplay_sides())
    partners = {col for _, col in matrix}
    assert len(matrix) == 9 and len(partners) == 3
    for partner in partners:
        assert matrix[SCRIPTED, partner][0] > 3 * matrix[RANDOM, partner][0] + 1
    table = io.StringIO()
    png = str(EvalStatsDB(db_path).path) + ".png"
    analyze(db_path, crossplay=True, crossplay_png=png, console=Console(file=table, width=200))
    assert "scripted:v0" in table.getvalue() and "random:v0" in table.getvalue()
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_the_leaderboard_orders_the_policies_by_their_meetings(crossplay_db):
    db_path, _ = crossplay_db
    db = EvalStatsDB(db_path)
    board = leaderboard(db)
    ratings = [row.rating for row in board]
    assert ratings[0].policy == SCRIPTED
    # A round robin where everyone meets everyone equally often: ratings order as wins do.
    assert [r.wins for r in ratings] == sorted((r.wins for r in ratings), reverse=True)
    vor = {row.rating.policy: row.vor for row in board}
    assert vor[SCRIPTED].low > 0 and vor[RANDOM] is None  # random is the replacement
    table = io.StringIO()
    analyze(db_path, leaderboard=True, console=Console(file=table, width=200))
    lines = [line for line in table.getvalue().splitlines() if line.startswith("│")]
    assert "scripted:v0" in lines[0]


@pytest.mark.slow
def test_crossplay_on_worker_processes_writes_the_same_rows(tmp_path):
    db = str(tmp_path / "w.duckdb")
    evaluate(["random", "scripted"], ["navigation/default"], db, splits=["1v3"], workers=2, console=quiet())
    stats = EvalStatsDB(db)
    assert stats.count("episode_pairings") == 4 * 16
    matrix = crossplay_matrix(stats.crossplay_sides())
    assert matrix[SCRIPTED, RANDOM][0] > matrix[RANDOM, SCRIPTED][0]


@pytest.mark.slow
def test_compare_finds_no_difference_with_itself_and_scripted_better_than_random(trained, tmp_path):
    out = io.StringIO()
    [same] = compare(
        str(trained), str(trained), simulations=["navigation/default"], episodes=6, console=Console(file=out, width=200)
    )
    assert same.difference == 0 and same.low == same.high == 0
    assert same.verdict == "no detectable difference at N=6" and math.isinf(same.needed)
    [better] = compare(
        "scripted",
        "random",
        simulations=["arena/basic"],
        episodes=4,
        stats_db=str(tmp_path / "c.duckdb"),
        console=Console(file=out, width=200),
    )
    assert better.verdict == "A better" and better.low > 0 and better.mean_a > better.mean_b
    text = out.getvalue()
    assert "no detectable difference at N=6" in text and "A better" in text
    assert f"[{better.low:+.3f}, {better.high:+.3f}]" in text  # the interval is printed
    assert EvalStatsDB(str(tmp_path / "c.duckdb")).count("episodes") == 8
    # The same policies, simulations and seed give the same numbers.
    [again] = compare("scripted", "random", simulations=["arena/basic"], episodes=4, console=quiet())
    assert (again.difference, again.low, again.high) == (better.difference, better.low, better.high)


def _record(pairing_agents: int | None, rewards: list[list[float]], policies: list[tuple[str, int]]):
    from datetime import datetime

    from metta_lit.evaluation.records import EpisodeRecord, Pairing, SimulationRecord

    now = datetime.now()
    pairing = Pairing("1v3", "a", 0, pairing_agents, "a", 0) if pairing_agents else None
    episodes = [
        EpisodeRecord(f"e{i}", "s", 10, now, {}, [0] * 4, [{"reward": r} for r in row], policies, pairing=pairing)
        for i, row in enumerate(rewards)
    ]
    return SimulationRecord("s", "suite", "sim", "a", 0, now, now, episodes)


def test_evaluate_says_whose_mean_reward_each_number_is():
    """Self-play cross-play (the same policy on both sides: only the split tells them apart),
    an NPC beside the policy, and the policy alone; the evaluate line names whose each is."""
    from types import SimpleNamespace

    from metta_lit.commands.evaluate import _report

    rewards = [[4.0, 0.0, 0.0, 0.0], [2.0, 1.0, 1.0, 1.0]]
    selfplay = _record(1, rewards, [("a", 0)] * 4)
    assert (selfplay.mean("reward", "policy"), selfplay.mean("reward", "others")) == (3.0, 0.5)
    assert selfplay.mean() == 9.0 / 8
    npc = _record(None, rewards, [("a", 0), ("a", 0), ("npc", 0), ("npc", 0)])
    assert (npc.mean("reward", "policy"), npc.mean("reward", "others")) == (1.75, 0.5)
    alone = _record(None, rewards, [("a", 0)] * 4)
    assert math.isnan(alone.mean("reward", "others")) and alone.mean("reward", "policy") == alone.mean()

    out = io.StringIO()
    console, sim = Console(file=out, width=300), SimpleNamespace(full_name="nav/default")
    a, b = SimpleNamespace(label="a:v0"), SimpleNamespace(label="b:v2")
    _report(console, a, b, "1v3", sim, selfplay)
    _report(console, a, None, None, sim, npc)
    _report(console, a, None, None, sim, alone)
    assert out.getvalue().splitlines() == [
        "a:v0 with b:v2 (1v3)  nav/default: 2 episodes, mean reward per agent a:v0's 3.000, b:v2's 0.500",
        "a:v0  nav/default: 2 episodes, mean reward per agent a:v0's 1.750, the NPCs' 0.500",
        "a:v0  nav/default: 2 episodes, mean reward per agent 1.125",
    ]
