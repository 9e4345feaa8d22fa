"""Unit comparison: the planted deeper business unit of `rvq.synth.units` is found, the
others are not called deeper, and a unit below the small-cell floor shows no figure and
leaves no trace in the others'."""

import numpy as np
import pytest

from rvq.synth import generate_world, world_spec
from rvq.synth.units import plant_units
from rvq.track.history import history_from_tables
from rvq.track.units import COLUMNS, unit_comparison


@pytest.fixture(scope="module")
def world():
    return plant_units(generate_world(world_spec("planted", accounts=600, seed=4)), extra=1.0)


@pytest.fixture(scope="module")
def history(world):
    return history_from_tables(world.tables)


def test_the_planted_deeper_unit_is_found(world, history):
    truth = world.truth["units"]
    found = unit_comparison(history, min_cell_accounts=5)
    table = found.table.set_index("unit")
    deep = table.loc[truth["deep_unit"]]
    assert deep["difference_ci_low"] > 0
    assert deep["difference_ci_low"] <= truth["mean_added_depth"] <= deep["difference_ci_high"]
    assert deep["position_ci_low"] > 50
    assert found.evidence["deeper"] == [truth["deep_unit"]]
    assert "deeper than the rest of the book" in deep["reason"]
    others = table.drop(index=[truth["deep_unit"], truth["small_unit"]])
    assert (others["difference_from_rest"] < 0).all()
    assert (others["accounts"] == [truth["accounts"][u] for u in others.index]).all()


def test_small_units_are_suppressed_and_leave_no_trace(world, history):
    small = world.truth["units"]["small_unit"]
    found = unit_comparison(history, min_cell_accounts=5)
    table = found.table
    assert list(table.columns) == COLUMNS  # unit-level figures only: no ids
    row = table.loc[table["unit"] == small].iloc[0]
    assert row[COLUMNS[2:-1]].isna().all()
    assert "suppressed (< 5 accounts)" in row["reason"]
    assert found.evidence["suppressed_units"] == 1
    # the shown units' figures are those of a book without the small unit's accounts
    accounts = history.accounts
    without = accounts.loc[accounts["business_unit"] != small]
    alone = unit_comparison(
        history.__class__(**{**history.__dict__, "accounts": without}), min_cell_accounts=5
    ).table.set_index("unit")
    shown = table.loc[table["unit"] != small].set_index("unit")
    figures = ["accounts", "mean_depth", "difference_from_rest", "difference_ci_low"]
    np.testing.assert_allclose(shown[figures], alone.loc[shown.index, figures])
    # no floor: the small unit is shown like any other
    open_table = unit_comparison(history, min_cell_accounts=0).table.set_index("unit")
    assert open_table.loc[small, "accounts"] == 3


def test_without_a_unit_column_the_list_says_why(history):
    bare = history.__class__(
        **{**history.__dict__, "accounts": history.accounts.drop(columns="business_unit")}
    )
    found = unit_comparison(bare)
    assert found.table.empty
    assert "business_unit" in found.headline
