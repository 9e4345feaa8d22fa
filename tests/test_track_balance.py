"""Stage balance: a planted over-investment (acquisition interactions made four times as
costly) is called out, the untouched stages are not, and the shares add up."""

import numpy as np
import pytest

from rvq.inputs.catalog import shipped_catalog
from rvq.synth import generate_world, world_spec
from rvq.track.balance import stage_balance
from rvq.track.history import history_from_tables

OVERSPEND = 4.0


@pytest.fixture(scope="module")
def worlds():
    world = generate_world(world_spec("planted", accounts=600, seed=2))
    catalog = shipped_catalog().set_index("interaction_code")
    interactions = world.tables["interactions"].copy()
    stage = interactions["interaction_code"].map(catalog["stage"])
    acquisition = (stage == "acquisition").to_numpy()
    cost = interactions["interaction_code"].map(catalog["cost"]).astype(float)
    interactions.loc[acquisition, "cost"] = OVERSPEND * cost[acquisition]
    planted = {**world.tables, "interactions": interactions}
    return (
        stage_balance(history_from_tables(world.tables)),
        stage_balance(history_from_tables(planted)),
    )


def test_planted_over_investment_is_called(worlds):
    base, planted = (found.table.set_index("stage") for found in worlds)
    assert base.loc["acquisition", "verdict"] == "in line"
    assert planted.loc["acquisition", "verdict"] == "over-invests"
    assert planted.loc["acquisition", "ci_high"] < 0.5
    ratio = planted.loc["acquisition", "ratio_to_book"] / base.loc["acquisition", "ratio_to_book"]
    assert ratio == pytest.approx(1 / OVERSPEND, rel=0.1)
    assert planted.loc["retention", "verdict"] == "in line"
    assert "over-invests in acquisition" in worlds[1].headline


def test_shares_and_rates_add_up(worlds):
    found = worlds[1]
    table = found.table
    assert table.columns[-1] == "reason"
    assert np.isclose(table["share_of_rv"].sum(), 1) and np.isclose(table["share_of_cost"].sum(), 1)
    book = table["rv_created"].sum() / table["cost"].sum()
    assert np.allclose(table["ratio_to_book"], table["rv_per_cost"] / book)
    assert np.allclose(table["ratio_to_book"], table["share_of_rv"] / table["share_of_cost"])
    assert (table["ci_low"] <= table["ratio_to_book"]).all()
    assert (table["ratio_to_book"] <= table["ci_high"]).all()
    assert found.evidence["book_rv_per_cost"] == pytest.approx(book)
    assert table["reason"].str.contains("RV per unit of cost").all()


def test_recent_periods_only():
    world = generate_world(world_spec("planted", accounts=200, seed=3))
    history = history_from_tables(world.tables)
    recent = stage_balance(history, periods=2).table
    everything = stage_balance(history).table
    assert recent["interactions"].sum() == (history.events["period"] > history.as_of - 2).sum()
    assert recent["interactions"].sum() < everything["interactions"].sum()
