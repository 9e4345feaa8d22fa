"""The tracking lists' one input: a synthetic world's tables become a TrackHistory cut at `as_of`."""

import pandas as pd
import pytest

from rvq.synth import generate_world
from rvq.synth.worlds import world_spec
from rvq.track.history import history_from_tables


@pytest.fixture(scope="module")
def world():
    return generate_world(world_spec("planted", accounts=60, seed=5))


def test_as_of_cuts_events_and_panel(world):
    history = history_from_tables(world.tables, as_of="2024Q2")
    assert history.as_of == pd.Period("2024Q2", freq="Q")
    assert history.events["period"].max() == history.as_of
    assert history.panel["period"].max() == history.as_of
    assert list(history.periods[[0, -1]].astype(str)) == ["2023Q1", "2024Q2"]


def test_default_as_of_is_the_last_period_with_an_interaction(world):
    history = history_from_tables(world.tables)
    last = world.tables["interactions"]["timestamp"].max()
    assert history.as_of == pd.Period(last, freq="Q")
    scored = history.events
    assert len(scored) == len(world.tables["interactions"])
    assert {"rv", "cost", "stage", "period"} <= set(scored.columns)
