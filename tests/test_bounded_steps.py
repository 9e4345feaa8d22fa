"""Every step bounded: a pilot read whole keeps one copy of its rows, and above
`CELLS_ABOVE_ROWS` interactions event cells and a row digest instead of its events.

One small book is opened twice, read whole both times: as it is (below the threshold:
the events) and with the threshold lowered to 0 (the cells path). Steps b, d and e must
give the same results from either.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rvq import pilot as pilot_cache
from rvq import synth
from rvq.cache import read_entry
from rvq.inputs.digest import frame_digest
from rvq.scoring import cells
from rvq.steps import datamap, gaps, history


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """A synthetic book with rows without a team, a rep in two teams and a repeated row;
    sparse enough that accounts stall (periods without a forward step)."""
    spec = synth.WorldSpec(accounts=60, periods=8, seed=5, interactions_per_contact_per_period=0.3)
    world = synth.generate_world(spec)
    data = synth.write_world(world, tmp_path_factory.mktemp("bounded") / "data")
    path = data / "interactions.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame.index[::11], "team"] = ""
    frame.loc[frame.index[30], "team"] = "partners"  # a rep in two teams
    again = frame.iloc[[7]].assign(event_id="E-again")  # a possible duplicate
    pd.concat([frame, again], ignore_index=True).to_csv(path, index=False)
    return data


@pytest.fixture(scope="module")
def pilots(book, tmp_path_factory):
    """The book's pilot as it is (events) and with `CELLS_ABOVE_ROWS` lowered to 0 (cells)."""
    folder = tmp_path_factory.mktemp("cache")
    events = pilot_cache.open_pilot(book, cache_dir=folder / "events")
    lowered = pytest.MonkeyPatch()
    lowered.setattr(cells, "CELLS_ABOVE_ROWS", 0)
    try:
        from_cells = pilot_cache.open_pilot(book, cache_dir=folder / "cells")
    finally:
        lowered.undo()
    return events, from_cells


def test_below_the_threshold_the_pilot_keeps_events_above_it_cells_and_a_digest(pilots):
    events, from_cells = pilots
    assert not cells.is_cells(events.events) and events.digest is None
    assert cells.is_cells(from_cells.events) and from_cells.digest is not None
    assert not events.streamed and not from_cells.streamed  # both read whole
    assert len(from_cells.events) < len(events.events)
    assert events.interaction_rows is events.events and from_cells.interaction_rows is None


def test_the_threshold_counts_rows_and_keeps_events_up_to_it(pilots, monkeypatch):
    scored = pilots[0].events
    monkeypatch.setattr(cells, "CELLS_ABOVE_ROWS", len(scored))
    kept, digest = pilot_cache.bounded_events(scored)
    assert kept is scored and digest is None
    monkeypatch.setattr(cells, "CELLS_ABOVE_ROWS", len(scored) - 1)
    kept, digest = pilot_cache.bounded_events(scored)
    assert cells.is_cells(kept) and kept["n_events"].sum() == len(scored)
    assert digest is not None and not digest.repeats.empty


def test_each_process_holds_the_rows_once(pilots):
    for pilot in pilots:
        assert pilot.dataset.interactions is None
        parts, _ = read_entry(next(pilot.cache_dir.glob("pilot-*")))
        assert "dataset.interactions" not in parts and "events" in parts


def test_counts_and_panel_are_the_same_on_both_paths(pilots):
    events, from_cells = pilots
    assert from_cells.data_counts() == events.data_counts()
    assert from_cells.table_counts() == events.table_counts()
    pd.testing.assert_frame_equal(from_cells.panel, events.panel)


def test_the_data_map_is_the_same_on_both_paths(pilots):
    events, from_cells = pilots
    catalog = events.dataset.catalog
    pd.testing.assert_frame_equal(
        datamap.catalog_coverage(from_cells.events, catalog),
        datamap.catalog_coverage(events.events, catalog),
    )
    for by in ("source_system", "team"):
        pd.testing.assert_frame_equal(
            datamap.source_coverage(from_cells.events, by=by, freq=from_cells.freq),
            datamap.source_coverage(events.events, by=by, freq=events.freq),
        )
    pd.testing.assert_frame_equal(
        datamap.account_completeness(from_cells.panel, from_cells.events),
        datamap.account_completeness(events.panel, events.events),
    )


def test_process_gaps_are_the_same_on_both_paths(pilots):
    """Every gap, candidate, mapped interaction and value-aspect split, stalls included.
    (From cells, the last forward step before a stall costs its cell's mean cost, a known
    difference, docs/design.md; on this book it changes no figure.)"""
    events, from_cells = pilots
    catalog = events.dataset.catalog
    found = [gaps.process_gaps(p.events, p.panel, catalog, n=6) for p in (events, from_cells)]
    assert set(found[0].summary["kind"]) == {"backward", "stall", "costly"}
    order = {
        "interactions": ["gap_id", "role", "interaction_code"],
        "candidates": ["kind", "stage", "function"],
    }
    for part in ("summary", "interactions", "aspects", "candidates"):
        a, b = (getattr(f, part) for f in found)
        if part in order:
            a, b = (x.sort_values(order[part], ignore_index=True) for x in (a, b))
        pd.testing.assert_frame_equal(b, a)


def test_the_historical_record_is_the_same_on_both_paths(pilots):
    events, from_cells = pilots
    dataset = events.dataset
    priority = history.priority_customers(dataset.outcomes, 20)
    found = []
    for pilot in (events, from_cells):
        completeness = history.record_completeness(
            priority, pilot.events, dataset.outcomes, dataset.voc, freq=pilot.freq
        )
        conflicts = history.duplicates_and_conflicts(
            pilot.interaction_rows,
            pilot.validation,
            dataset.outcomes,
            dataset.accounts,
            digest=pilot.digest,
        )
        requests = history.data_requests(
            priority, pilot.events, dataset.outcomes, dataset.voc, conflicts, freq=pilot.freq
        )
        found.append((completeness, conflicts, requests))
    assert {"possible_duplicate", "conflicting_team"} <= set(found[0][1]["check"])
    for a, b in zip(*found, strict=True):
        pd.testing.assert_frame_equal(b, a)


def test_the_digest_of_rows_finds_what_the_rows_find(pilots):
    rows = pilots[0].interaction_rows
    digest = frame_digest(rows)
    assert set(digest.pairs) == {("rep_id", "team")}
    pd.testing.assert_frame_equal(
        history.duplicates_and_conflicts(None, digest=digest),
        history.duplicates_and_conflicts(rows),
    )
