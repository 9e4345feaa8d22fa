"""Client strings that look like TeX (issue 12, item 9): every figure kind of `rvq.plots`
draws segment values, interaction names and outcome names holding `$\\alert{x}$`, `C$` and
`$$` as plain characters, and renders; the report's notebooks turn math text off too."""

from __future__ import annotations

import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from test_datamap import CATALOG, EVENTS, panel_for_completeness  # noqa: E402
from test_gaps import CATALOG as GAP_CATALOG  # noqa: E402
from test_gaps import mixed_book  # noqa: E402

from rvq import plots as pp  # noqa: E402
from rvq.stats import norms  # noqa: E402
from rvq.steps.datamap import account_completeness, catalog_coverage  # noqa: E402
from rvq.steps.gaps import process_gaps  # noqa: E402

#: what a client's export may hold: math text matplotlib cannot parse, a lone and a double `$`
TEX = ["$\\alert{x}$", "C$", "$$", "Müller $\\frac{1", "50$ & $_^"]
PERIODS = pd.period_range("2023Q1", periods=4, freq="Q")


@pytest.fixture(autouse=True)
def plain_text_and_close():
    """Math text as a user's session may have left it (on), then rvq's setting again."""
    matplotlib.rcParams["text.parse_math"] = True
    pp.plain_text_figures()
    yield
    plt.close("all")


def rendered(drawn):
    """Render the figure of an Axes, several Axes or a Figure; return its texts."""
    fig = drawn.figure if hasattr(drawn, "figure") and drawn.figure else drawn
    if isinstance(drawn, np.ndarray):
        fig = drawn.flat[0].figure
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def shows_client_text(texts: list[str]) -> bool:
    return any(any(s in t for s in TEX) for t in texts)


def test_math_text_would_crash_a_figure():
    """The attack is real: with math text on, `$\\alert{x}$` cannot be drawn."""
    matplotlib.rcParams["text.parse_math"] = True
    fig, ax = plt.subplots()
    ax.set_title(TEX[0])
    with pytest.raises(ValueError):
        fig.canvas.draw()


def test_lead_lag_with_tex_outcome_and_rv_names():
    profile = pd.DataFrame(
        [(o, rv, k, 0.1 * k, -0.1, 0.3) for o in TEX[:2] for rv in TEX[2:4] for k in (-1, 0, 1)],
        columns=["outcome", "rv", "k", "corr", "ci_low", "ci_high"],
    )
    assert shows_client_text(rendered(pp.plot_lead_lag(profile, outcome=TEX[0])))


def test_horizon_effects_with_tex_outcome_names():
    table = pd.DataFrame(
        [(o, s, h, 0.1, 0.0, 0.2) for o in TEX for s in ("forward", "trends") for h in (1, 2)],
        columns=["outcome", "spec", "horizon", "effect", "ci_low", "ci_high"],
    )
    assert shows_client_text(rendered(pp.plot_horizon_effects(table)))


def test_segment_timeline_with_a_tex_question():
    measures = ["outcome_change", "rv_flow", TEX[1]]
    timeline = pd.DataFrame(
        [(TEX[0], m, t, 0.1 * t, 0.0, 0.5) for m in measures for t in range(4)],
        columns=["question", "measure", "period_index", "gap_d", "ci_low", "ci_high"],
    )
    ax = pp.plot_segment_timeline(timeline, TEX[0], divergence=2)
    assert shows_client_text(rendered(ax))


def test_power_grid_renders():
    grid = pd.DataFrame(
        [(p, a, 0.5, 0.4, 0.6) for p in (8, 12) for a in (100, 400)],
        columns=["periods", "accounts", "detection_rate", "ci_low", "ci_high"],
    )
    rendered(pp.plot_power_grid(grid))


def test_norm_figures_with_tex_segment_values_and_account_ids():
    ids = [f"{name} #{i}" for i, name in enumerate(TEX * 2)]
    rows = [
        (aid, p, t, float(t), i + 1.0, (i + 1.0) * (t + 1))
        for i, aid in enumerate(ids)
        for t, p in enumerate(PERIODS)
    ]
    panel = pd.DataFrame(
        rows, columns=["account_id", "period", "period_index", "age", "rv_flow", "rv_cum"]
    )
    accounts = pd.DataFrame({"account_id": ids, "industry": TEX * 2})
    bands = norms.norm_bands(panel, by="industry", accounts=accounts, min_accounts=1)
    whole = norms.norm_bands(panel, min_accounts=1)
    ax = pp.plot_norm_trajectory(panel, bands, ids[0], by="industry", accounts=accounts)
    assert shows_client_text(rendered(ax))
    fig = pp.plot_subset_norms(bands, "industry", reference=whole, k=0)
    assert shows_client_text(rendered(fig))


def test_datamap_figures_with_tex_sources_and_gap_subjects():
    rendered(pp.plot_catalog_coverage(catalog_coverage(EVENTS, CATALOG)))  # schema labels only
    rendered(pp.plot_account_completeness(account_completeness(panel_for_completeness())))
    matrix = pd.DataFrame(
        [[3, 0, 5, 1]] * len(TEX), index=pd.Index(TEX, name="source_system"), columns=PERIODS
    )
    assert shows_client_text(rendered(pp.plot_source_coverage(matrix)))
    gaps = pd.DataFrame(
        {"gap_kind": "missing_interaction", "subject": TEX, "owner": TEX, "weight": 0.5}
    )
    assert shows_client_text(rendered(pp.plot_data_gaps(gaps)))


def test_lifecycle_figures_with_tex_levels_and_outcome():
    divergence = pd.DataFrame(
        {
            "dimension": ["stage", "function", "aspect", TEX[2], "stage"],
            "level": TEX,
            "effect": 0.3,
            "ci_low": 0.1,
            "ci_high": 0.5,
            "needs_further_analysis": [True, False, True, False, False],
        }
    )
    divergence.attrs["outcome"] = TEX[0]
    assert shows_client_text(rendered(pp.plot_lifecycle_divergence(divergence)))
    paths = pd.DataFrame(
        [(p, f"rv_stage_{lvl}", g, 1.0) for p in PERIODS for lvl in TEX for g in ("good", "poor")],
        columns=["period", "component", "group", "rv_cum"],
    )
    assert shows_client_text(rendered(pp.plot_lifecycle_paths(paths)))


def test_gap_figures_with_tex_interaction_names_and_titles():
    gaps = process_gaps(mixed_book(), None, GAP_CATALOG, n=3)
    gaps.interactions["name"] = [TEX[i % len(TEX)] for i in range(len(gaps.interactions))]
    gaps.summary["title"] = [TEX[i % len(TEX)] for i in range(len(gaps.summary))]
    for gap_id in gaps.summary["gap_id"]:
        assert shows_client_text(rendered(pp.plot_gap_interactions(gaps, gap_id=int(gap_id))))
    assert shows_client_text(rendered(pp.plot_gap_aspects(gaps)))


def test_record_completeness_with_tex_teams_and_outcomes():
    completeness = pd.DataFrame(
        [
            (dim, v, p, 3, 2, 0.5, 0.7)
            for dim in ("team", TEX[1])
            for v in TEX
            for p in PERIODS
        ],
        columns=[
            "dimension", "value", "period", "n_priority", "accounts_served", "share", "share_of_served"
        ],
    )  # fmt: skip
    assert shows_client_text(rendered(pp.plot_record_completeness(completeness)))
    ax = pp.plot_record_completeness(completeness, dimension=TEX[1], value="share")
    assert shows_client_text(rendered(ax))


def test_importing_rvq_plots_turns_math_text_off():
    """Interactive use: `import rvq.plots` alone makes a `$` a dollar sign."""
    code = "import rvq.plots, matplotlib as m; print(m.rcParams['text.parse_math'])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert out.stdout.strip() == "False"


def test_the_report_notebooks_turn_math_text_off(monkeypatch):
    from rvq.report.tables import notebook_setup

    monkeypatch.setenv("TQDM_DISABLE", "0")
    matplotlib.rcParams["text.parse_math"] = True
    options = ["display.max_rows", 60, "display.max_columns", 20, "display.width", 80]
    options += ["display.precision", 6, "display.float_format", None]
    with matplotlib.rc_context(), pd.option_context(*options):  # notebook_setup's own
        notebook_setup()
        assert matplotlib.rcParams["text.parse_math"] is False
