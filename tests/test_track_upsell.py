"""List 4, up-sell readiness: plans in the next periods, ready or not by RV growth against
the stage-and-age norm, and how well that figure predicted past plans (AUC).

A planted world (rvq.synth.plans: past success rises with prior RV growth) must give an
AUC interval above 0.5 (the >= 20-seed rate is in benchmarks/track_truths.py)."""

import numpy as np
import pandas as pd
import pytest

from rvq.synth import generate_world
from rvq.synth.plans import plant_plans
from rvq.synth.worlds import world_spec
from rvq.track.history import TrackHistory, history_from_tables
from rvq.track.stages import stage_panel
from rvq.track.upsell import BUILD, READY, upsell_readiness


def test_stage_is_the_furthest_reached_so_far():
    periods = pd.period_range("2024Q1", periods=4, freq="Q")
    panel = pd.DataFrame(
        {
            "account_id": "A1",
            "period": periods,
            "rv_flow": 0.0,
            "rv_cum": 0.0,
            "age": [np.nan, 0, 1, 2],
        }
    )
    events = pd.DataFrame(
        {
            "account_id": "A1",
            "period": periods[[1, 2, 3, 3]],
            "stage": ["closing", "acquisition", "retention", "closing"],
        }
    )
    history = TrackHistory(events, panel, pd.DataFrame({"account_id": ["A1"]}), "Q", periods[-1])
    stages = stage_panel(history)["stage"]
    assert stages.isna().iloc[0]
    assert list(stages.iloc[1:]) == ["closing", "closing", "retention"]


@pytest.fixture(scope="module")
def world():
    return plant_plans(generate_world(world_spec("planted", accounts=600, seed=4)))


@pytest.fixture(scope="module")
def result(world):
    return upsell_readiness(history_from_tables(world.tables))


def test_planted_success_is_predicted_better_than_chance(result):
    past = result.evidence["past_plans"]
    assert past["n_plans"] > 100
    assert 0.5 < past["ci_low"] < past["auc"] < past["ci_high"]
    assert past["won_when_ready"] > past["won_when_not"]
    assert "AUC" in result.headline


def test_upcoming_plans_are_listed_with_readiness_from_the_norm(world, result):
    table = result.table
    assert len(table) == world.truth["plans"]["upcoming"]
    assert table["periods_ahead"].between(1, 2).all()
    ready = table["norm_percentile"] >= 50
    assert (table.loc[ready, "readiness"] == READY).all()
    assert (table.loc[~ready, "readiness"] == BUILD).all()
    assert table["reason"].str.contains("over the last 2 periods").all()
    assert table.columns[-1] == "reason"


def test_contract_end_counts_as_a_renewal(world):
    history = history_from_tables(world.tables)
    accounts = history.accounts.assign(contract_end=pd.NaT)
    accounts.loc[:2, "contract_end"] = (history.as_of + 1).start_time + pd.Timedelta(days=9)
    history = TrackHistory(**{**history.__dict__, "accounts": accounts, "plans": None})
    table = upsell_readiness(history).table
    assert list(table["account_id"]) == list(accounts["account_id"].iloc[:3])
    assert (table["kind"] == "renewal (contract end)").all()


def test_no_plans_says_what_to_add(world):
    history = history_from_tables({k: v for k, v in world.tables.items() if k != "plans"})
    result = upsell_readiness(history)
    assert result.table.empty
    assert "plans.csv" in result.headline
