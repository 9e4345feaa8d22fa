"""List 5, team performance: reps ranked by shrunk RV per cost, so a tiny book cannot top it.

`shrunk_ratios` is checked on hand-made records; a planted world (rvq.synth.teams) checks
that the skilled rep comes first and the lucky rep with three accounts does not (the
>= 20-seed rates are in benchmarks/track_truths.py)."""

import numpy as np
import pandas as pd
import pytest

from rvq.synth import generate_world
from rvq.synth.teams import plant_rep_performance
from rvq.synth.worlds import world_spec
from rvq.track.history import history_from_tables
from rvq.track.teams import shrunk_ratios, team_performance


def _records(spread: float, seed: int = 0) -> pd.DataFrame:
    """Ten reps of 60 accounts (true ratios spread around 0.1) and one of 3 lucky accounts at 0.2."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(10):
        truth = 0.1 + spread * (r - 4.5) / 4.5
        for _ in range(60):
            x = rng.uniform(50, 150)
            rows.append({"rep": f"R{r}", "y": truth * x + rng.normal(0, 10), "x": x, "n": 5})
    for _ in range(3):
        rows.append({"rep": "LUCKY", "y": 0.2 * 100, "x": 100.0, "n": 5})
    return pd.DataFrame(rows)


def test_a_tiny_lucky_record_is_pulled_to_the_mean_and_large_ones_keep_theirs():
    fit = shrunk_ratios(_records(spread=0.05), "rep")
    assert fit.loc["LUCKY", "raw"] == pytest.approx(0.2)
    assert fit["raw"].idxmax() == "LUCKY"
    assert fit["shrunk"].idxmax() in {"R7", "R8", "R9"}
    assert fit.loc["LUCKY", "weight"] < 0.5 < fit.loc["R9", "weight"]
    assert (fit["ci_low"] < fit["shrunk"]).all() and (fit["shrunk"] < fit["ci_high"]).all()
    # the pooled variance guards the three identical accounts (own variance 0)
    assert fit.loc["LUCKY", "variance"] > 0


def test_no_spread_between_reps_shrinks_everyone_to_the_mean():
    fit = shrunk_ratios(_records(spread=0.0).query("rep != 'LUCKY'"), "rep")
    assert fit.attrs["tau2"] == pytest.approx(0.0, abs=1e-6)
    assert fit["shrunk"].std() < 1e-3


@pytest.fixture(scope="module")
def planted():
    world = plant_rep_performance(generate_world(world_spec("planted", accounts=800, seed=3)))
    return world, team_performance(history_from_tables(world.tables))


def test_best_rep_first_and_lucky_tiny_rep_not(planted):
    world, result = planted
    truth = world.truth["rep_performance"]
    sales = result.table[(result.table["level"] == "rep") & (result.table["function"] == "sales")]
    sales = sales.set_index("name")
    assert sales.loc[truth["best_rep"], "rank"] == 1
    assert sales.loc[truth["lucky_rep"], "rank"] > 1
    assert sales.loc[truth["lucky_rep"], "n_accounts"] == 3
    assert truth["best_rep"] in result.headline
    assert result.table.columns[-1] == "reason"
    assert "3 accounts" in sales.loc[truth["lucky_rep"], "reason"]


def test_teams_and_stage_pattern_are_listed(planted):
    _, result = planted
    teams = result.table[result.table["level"] == "team"]
    assert {"sales-north", "sales-south"} <= set(teams["name"])
    stages = {p["stage"] for p in result.evidence["stage_pattern"] if p["function"] == "sales"}
    assert "retention" in stages
    assert result.evidence["outcome"] == "share_of_wallet"


def test_no_rep_column_gives_an_empty_list_that_says_why(planted):
    world, _ = planted
    history = history_from_tables(world.tables)
    events = history.events.drop(columns="rep_id")
    history = type(history)(**{**history.__dict__, "events": events})
    result = team_performance(history)
    assert result.table.empty
    assert "nothing to rank" in result.headline
