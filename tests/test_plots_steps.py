"""Figures of steps b–e: each draws what its frame says, labelled, on the Axes it returns."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from test_datamap import CATALOG, EVENTS, panel_for_completeness  # noqa: E402
from test_gaps import CATALOG as GAP_CATALOG  # noqa: E402
from test_gaps import mixed_book  # noqa: E402
from test_history import events_frame, outcomes_frame  # noqa: E402
from test_lifecycle import planted_panel  # noqa: E402

from rvq import plots as pp  # noqa: E402
from rvq.steps.datamap import account_completeness, catalog_coverage, data_gaps, source_coverage
from rvq.steps.gaps import process_gaps  # noqa: E402
from rvq.steps.history import priority_customers, record_completeness  # noqa: E402
from rvq.steps.lifecycle import lifecycle_divergence, lifecycle_paths  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labelled(ax):
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    return ax


def bars(ax):
    return [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]


def test_catalog_coverage_heat_map_counts_seen_interactions_per_cell():
    ax = labelled(pp.plot_catalog_coverage(catalog_coverage(EVENTS, CATALOG)))
    texts = {t.get_text() for t in ax.texts}
    assert {"1 of 1", "0 of 1"} <= texts  # e.g. retention/community: REF never seen
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Acquisition", "Closing", "Retention"]


def test_source_coverage_heat_map_has_a_row_per_source_and_masks_silent_periods():
    matrix = source_coverage(EVENTS, by="source_system")
    ax = labelled(pp.plot_source_coverage(matrix))
    assert len(ax.get_yticklabels()) == len(matrix)
    mesh = ax.collections[0].get_array()
    assert np.ma.count_masked(mesh) == int((matrix.to_numpy() == 0).sum())


def test_account_completeness_histogram_counts_every_account():
    completeness = account_completeness(panel_for_completeness())
    ax = labelled(pp.plot_account_completeness(completeness))
    assert sum(p.get_height() for p in bars(ax)) == len(completeness)


def test_data_gaps_bars_show_the_heaviest_gaps():
    gaps = data_gaps(coverage=catalog_coverage(EVENTS, CATALOG))
    ax = labelled(pp.plot_data_gaps(gaps, top=2))
    widths = sorted(p.get_width() for p in bars(ax))[-2:]
    assert widths == sorted(gaps["weight"].head(2).tolist())
    empty = pp.plot_data_gaps(gaps.iloc[0:0])
    assert "no data gaps" in empty.texts[0].get_text()


def test_lifecycle_divergence_forest_marks_components_needing_analysis():
    table = lifecycle_divergence(planted_panel(), n_boot=99)
    ax = labelled(pp.plot_lifecycle_divergence(table))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(table)
    assert labels[-1] == "Stage: Closing  ★"  # first-ranked component drawn at the top
    assert sum("★" in label for label in labels) == int(table["needs_further_analysis"].sum())


def test_lifecycle_paths_draw_a_line_per_stage_and_group():
    paths = lifecycle_paths(planted_panel())
    ax = labelled(pp.plot_lifecycle_paths(paths))
    assert len(ax.get_lines()) == 3 * 2 + 1  # three stages × good/poor, and the zero line


def test_gap_map_bars_measure_what_makes_each_gap():
    gaps = process_gaps(mixed_book(), None, GAP_CATALOG, n=3)
    backward = int(gaps.summary.loc[gaps.summary["kind"] == "backward", "gap_id"].iloc[0])
    ax = labelled(pp.plot_gap_interactions(gaps, gap_id=backward))
    mapped = gaps.interactions.loc[gaps.interactions["gap_id"] == backward]
    assert sorted(p.get_width() for p in bars(ax)) == sorted((-mapped["rv"]).tolist())
    assert "RV units lost" in ax.get_xlabel()


def test_gap_aspect_bars_split_each_gap_to_one_hundred_percent():
    gaps = process_gaps(mixed_book(), None, GAP_CATALOG, n=3)
    ax = labelled(pp.plot_gap_aspects(gaps))
    ends = {}
    for p in bars(ax):
        y = round(p.get_y(), 3)
        ends[y] = max(ends.get(y, 0), p.get_x() + p.get_width())
    assert len(ends) == len(gaps.summary)
    assert all(v == pytest.approx(1.0) for v in ends.values())


def test_record_completeness_heat_map_has_a_row_per_source():
    o = outcomes_frame()
    c = record_completeness(priority_customers(o, n=3), events_frame(), o)
    ax = labelled(pp.plot_record_completeness(c))
    rows = c[["dimension", "value"]].drop_duplicates()
    assert len(ax.get_yticklabels()) == len(rows)
    assert "(3 of 3)" in ax.get_yticklabels()[0].get_text()
    ax = labelled(pp.plot_record_completeness(c, dimension="team", value="share"))
    assert len(ax.get_yticklabels()) == 1


def test_an_axes_passed_in_is_drawn_on():
    fig, axes = plt.subplots(1, 2)
    ax = pp.plot_source_coverage(source_coverage(EVENTS, by="team"), ax=axes[1])
    assert ax is axes[1] and ax.figure is fig
    pd.testing.assert_index_equal(
        pd.Index([t.get_text() for t in ax.get_yticklabels()]),
        pd.Index(["east", "west", "support"]),
    )
