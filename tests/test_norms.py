"""Norm bands, positions and exception flags on hand-built panels with known percentiles."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from rvq import plots, scoring
from rvq.stats import norms

PERIODS = pd.period_range("2023Q1", periods=6, freq="Q")


def panel_from_flows(flows: dict[str, list[float]]) -> pd.DataFrame:
    """A complete panel: one account per entry, its flow per period, age from period 0."""
    rows = []
    for account, flow in flows.items():
        depth = np.cumsum(flow)
        for t, period in enumerate(PERIODS):
            rows.append((account, period, t, float(t), flow[t], depth[t]))
    return pd.DataFrame(
        rows, columns=["account_id", "period", "period_index", "age", "rv_flow", "rv_cum"]
    )


def normal_flows() -> dict[str, list[float]]:
    """20 accounts growing steadily: account i adds i+1 each period (depth (i+1)(t+1))."""
    return {f"N{i:02d}": [i + 1.0] * 6 for i in range(20)}


@pytest.fixture
def normal_panel() -> pd.DataFrame:
    return panel_from_flows(normal_flows())


@pytest.fixture
def accounts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [f"N{i:02d}" for i in range(20)],
            "industry": ["tech"] * 10 + ["retail"] * 10,
        }
    )


def test_bands_have_the_known_percentiles(normal_panel):
    bands = norms.norm_bands(normal_panel, min_accounts=20)
    assert list(bands.columns) == ["age", "n", "n_accounts", "p10", "p25", "p50", "p75", "p90"]
    assert bands["age"].tolist() == [0, 1, 2, 3, 4, 5]
    assert bands["n"].eq(20).all() and bands["n_accounts"].eq(20).all()
    # values at age t are (t+1) * 1..20; linear percentiles of 1..20: 1 + q * 19
    for t in range(6):
        row = bands.iloc[t]
        expected = [(t + 1) * (1 + q * 19) for q in (0.10, 0.25, 0.50, 0.75, 0.90)]
        np.testing.assert_allclose(row[["p10", "p25", "p50", "p75", "p90"]], expected)


def test_bands_by_subset_and_minimum_peers(normal_panel, accounts):
    bands = norms.norm_bands(normal_panel, by="industry", accounts=accounts, min_accounts=10)
    median = bands.set_index(["industry", "age"])["p50"]
    assert median[("tech", 0)] == pytest.approx(5.5)  # 1..10
    assert median[("retail", 0)] == pytest.approx(15.5)  # 11..20
    assert median[("retail", 3)] == pytest.approx(62.0)
    too_few = norms.norm_bands(normal_panel, by="industry", accounts=accounts, min_accounts=11)
    assert too_few.empty
    custom = norms.norm_bands(normal_panel, percentiles=(50, 95), min_accounts=1)
    assert list(custom.columns) == ["age", "n", "n_accounts", "p50", "p95"]
    with pytest.raises(ValueError, match="territory"):
        norms.norm_bands(normal_panel, by="territory", accounts=accounts)


def test_ages_before_the_first_interaction_are_not_in_any_norm(normal_panel):
    late = normal_panel.copy()
    late.loc[late["account_id"] == "N00", "age"] = [np.nan, np.nan, 0, 1, 2, 3]
    bands = norms.norm_bands(late, min_accounts=1)
    assert bands.set_index("age")["n"].tolist() == [20, 20, 20, 20, 19, 19]


def test_position_is_the_mid_rank_percentile(normal_panel):
    bands = norms.norm_bands(normal_panel, min_accounts=20)
    pos = norms.position_against_norm(normal_panel, bands)
    last = pos[pos["period"] == PERIODS[-1]].set_index("account_id")
    assert last.loc["N00", "norm_percentile"] == pytest.approx(2.5)
    assert last.loc["N09", "norm_percentile"] == pytest.approx(47.5)
    assert last.loc["N19", "norm_percentile"] == pytest.approx(97.5)
    assert last.loc["N00", "vs_median"] == pytest.approx(6 - 6 * 10.5)
    assert last.loc["N00", "p25"] == pytest.approx(6 * 5.75)
    no_norm = norms.position_against_norm(normal_panel, bands.iloc[:0])
    assert no_norm["norm_percentile"].isna().all()


def flagged_panel() -> pd.DataFrame:
    flows = normal_flows()
    flows["STALL"] = [18, 18, 18, 0, 0, 0]  # depth 54 flat, below the median (60)
    flows["FALL"] = [10, 1, 1, 1, 1, 1]  # below the 25th percentile, losing rank
    flows["DECL"] = [40, 40, 40, -2, -2, -2]  # deep, but moving backwards
    return panel_from_flows(flows)


def test_each_exception_fires_on_its_account_and_not_on_normal_ones():
    panel = flagged_panel()
    bands = norms.norm_bands(panel, min_accounts=20)
    flags = norms.flag_exceptions(panel, bands)
    assert list(flags.columns) == [
        "account_id", "period", "age", "rv_cum", "norm_percentile", "flag", "reason",
    ]  # fmt: skip
    found = set(zip(flags["account_id"], flags["flag"], strict=True))
    assert found == {("STALL", "stalled"), ("FALL", "falling_behind"), ("DECL", "declining")}
    assert (flags["period"] == PERIODS[-1]).all()
    reasons = flags.set_index("flag")["reason"]
    assert "last 3 periods" in reasons["stalled"] and "54.0" in reasons["stalled"]
    assert "25th percentile" in reasons["falling_behind"] and "15.0" in reasons["falling_behind"]
    assert "(together -6.0)" in reasons["declining"]


def test_exception_rules_respect_their_lookback():
    panel = flagged_panel()
    bands = norms.norm_bands(panel, min_accounts=20)
    # with a 4-period lookback DECL's 3 negative periods and STALL's 3 quiet ones are not enough
    flags = norms.flag_exceptions(panel, bands, k=4)
    assert not {"stalled", "declining"} & set(flags["flag"])
    history = norms.flag_exceptions(panel, bands, period="all")
    declining = history[history["flag"] == "declining"]
    assert declining["period"].tolist() == [PERIODS[-1]]  # first possible: the 3rd negative
    stalled = history[history["flag"] == "stalled"]
    assert stalled["period"].tolist() == [PERIODS[-1]]
    before = norms.flag_exceptions(panel, bands, period="2024Q1")
    assert before[["account_id", "flag"]].values.tolist() == [["FALL", "falling_behind"]]
    too_young = norms.flag_exceptions(panel, bands, period="2023Q3")  # age 2 < k
    assert too_young.empty and list(too_young.columns)[-2:] == ["flag", "reason"]
    loose = norms.flag_exceptions(panel, bands, near_zero=2.0)  # flows of 1 now count as quiet
    assert ("FALL", "stalled") in set(zip(loose["account_id"], loose["flag"], strict=True))


def test_norms_for_contacts():
    catalog = pd.DataFrame(
        {
            "interaction_code": ["CALL", "ESCALATION"],
            "rv": [3.0, -2.0],
            "cost": [1.0, 1.0],
            "stage": ["closing", "retention"],
            "function": ["sales", "customer_service"],
            "value_aspect": ["product", "experience"],
        }
    )
    n = 40
    interactions = pd.DataFrame(
        {
            "account_id": [f"A{i % 8}" for i in range(n)],
            "contact_id": [f"c{i % 16}" for i in range(n)],
            "timestamp": pd.date_range("2023-01-01", periods=n, freq="9D"),
            "interaction_code": ["CALL", "CALL", "ESCALATION", "CALL"] * (n // 4),
        }
    )
    contacts = scoring.contact_period_panel(interactions, catalog, freq="Q")
    bands = norms.norm_bands(contacts, min_accounts=5)
    assert bands["n"].max() <= 16 and bands["n"].iloc[0] == 16
    # 16 contacts of 8 accounts: privacy counts the accounts, not the contacts
    assert bands["n_accounts"].iloc[0] == 8 and (bands["n_accounts"] <= bands["n"]).all()
    assert norms.subset_median_table(bands.assign(all="all"), "all", k=9).iloc[0, 0] == (
        "suppressed (< 9 accounts)"
    )
    pos = norms.position_against_norm(contacts, bands)
    assert {"account_id", "contact_id", "norm_percentile"} <= set(pos.columns)
    ranked = pos["norm_percentile"].dropna()
    assert len(ranked) > 0 and ranked.between(0, 100).all()
    first = pos[pos["age"] == 0]  # each contact ranked among the 16 contacts at age 0
    assert first["norm_percentile"].min() > 0 and first["norm_percentile"].max() < 100
    ax = plots.plot_norm_trajectory(contacts, bands, "A1", contact_id="c1")
    assert ax.get_lines()[-1].get_label() == "c1 (A1)"


def test_plot_norm_trajectory_draws_the_bands_and_the_account(accounts):
    panel = flagged_panel()
    bands = norms.norm_bands(panel, min_accounts=20)
    ax = plots.plot_norm_trajectory(panel, bands, "FALL")
    own = ax.get_lines()[-1]
    np.testing.assert_allclose(own.get_ydata(), [10, 11, 12, 13, 14, 15])
    assert len(ax.collections) == 2  # the two shaded bands
    median = [line for line in ax.get_lines() if line.get_label() == "median"][0]
    np.testing.assert_allclose(median.get_ydata(), bands["p50"])
    by_industry = norms.norm_bands(
        panel_from_flows(normal_flows()), by="industry", accounts=accounts, min_accounts=10
    )
    ax = plots.plot_norm_trajectory(
        panel_from_flows(normal_flows()), by_industry, "N12", by="industry", accounts=accounts
    )
    assert "industry = retail" in ax.get_title()
    median = [line for line in ax.get_lines() if line.get_label() == "median"][0]
    assert median.get_ydata()[0] == pytest.approx(15.5)
    with pytest.raises(ValueError):
        plots.plot_norm_trajectory(panel, bands, "NOBODY")


def test_plot_norm_trajectory_of_an_account_without_interactions_shows_its_norm():
    panel = flagged_panel()
    bands = norms.norm_bands(panel, min_accounts=20)
    quiet = panel_from_flows({"NEW": [0.0] * 6}).assign(age=np.nan)  # outcomes only
    ax = plots.plot_norm_trajectory(pd.concat([panel, quiet]), bands, "NEW")
    assert "NEW has no interactions yet" in ax.get_title()
    assert len(ax.collections) == 2  # both bands still drawn
    median = [line for line in ax.get_lines() if line.get_label() == "median"][0]
    np.testing.assert_allclose(median.get_ydata(), bands["p50"])
    assert "NEW" not in [line.get_label() for line in ax.get_lines()]


# --------------------------------------------------------------------------- small cells


def segment_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    """26 accounts in three industries of 3, 6 and 17 accounts, all growing steadily."""
    flows = {f"S{i:02d}": [i + 1.0] * 6 for i in range(26)}
    industry = ["mining"] * 3 + ["retail"] * 6 + ["tech"] * 17
    accounts = pd.DataFrame({"account_id": list(flows), "industry": industry})
    return panel_from_flows(flows), accounts


def test_subset_medians_from_fewer_than_k_accounts_are_suppressed():
    panel, accounts = segment_panel()
    bands = norms.norm_bands(panel, by="industry", accounts=accounts, min_accounts=1)
    wide = norms.subset_median_table(bands, "industry", k=5)
    assert list(wide.columns) == [0, 1, 2, 3, 4, 5]
    assert (wide.loc["mining"] == "suppressed (< 5 accounts)").all()  # 3 accounts
    assert wide.loc["retail", 0] == pytest.approx(6.5)  # 6 accounts: median of 4..9 shown
    assert wide.loc["tech", 2] == pytest.approx(3 * 18)  # 17 accounts: 10..26, median 18
    shown = norms.subset_median_table(bands, "industry", k=0)
    assert shown.loc["mining", 0] == pytest.approx(2.0)
    kept = norms.drop_small_norms(bands, k=5)
    assert set(kept["industry"]) == {"retail", "tech"} and len(kept) == 12
    assert norms.drop_small_norms(bands, k=7)["industry"].eq("tech").all()


def test_subset_medians_suppress_below_the_floor_given():
    panel, accounts = segment_panel()
    bands = norms.norm_bands(panel, by="industry", accounts=accounts, min_accounts=1)
    assert (
        not norms.subset_median_table(bands, "industry")
        .isin(["suppressed (< 7 accounts)"])
        .any()
        .any()
    )
    wide = norms.subset_median_table(bands, "industry", k=7)
    assert (wide.loc[["mining", "retail"]] == "suppressed (< 7 accounts)").all().all()
    assert wide.loc["tech", 0] == pytest.approx(18.0)


def test_subset_norms_plot_draws_one_panel_per_subset_and_skips_small_ones():
    panel, accounts = segment_panel()
    bands = norms.norm_bands(panel, by="industry", accounts=accounts, min_accounts=1)
    whole = norms.norm_bands(panel, min_accounts=1)
    fig = plots.plot_subset_norms(bands, "industry", reference=whole, k=5)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == [
        "mining",
        "retail (6 accounts)",
        "tech (17 accounts)",
    ]
    medians = {
        ax.get_title().split()[0]: [ln for ln in ax.get_lines() if ln.get_label() == "median"][0]
        for ax in axes
    }
    assert np.isnan(medians["mining"].get_ydata()).all()  # 3 accounts: not drawn
    assert "suppressed (< 5 accounts)" in [t.get_text() for t in axes[0].texts]
    np.testing.assert_allclose(medians["retail"].get_ydata(), 6.5 * np.arange(1, 7))
    reference = [ln for ln in axes[1].get_lines() if ln.get_label() == "whole book median"][0]
    np.testing.assert_allclose(reference.get_ydata(), 13.5 * np.arange(1, 7))
    everything = plots.plot_subset_norms(bands, "industry", k=0)
    mining = [ln for ln in everything.axes[0].get_lines() if ln.get_label() == "median"][0]
    np.testing.assert_allclose(mining.get_ydata(), 2.0 * np.arange(1, 7))


def test_horizon_effect_ticks_are_whole_periods():
    table = pd.DataFrame(
        [(o, h, 0.1 * h, 0.0, 0.2 * h) for o in ("profit", "revenue_growth") for h in (1, 2, 3, 4)],
        columns=["outcome", "horizon", "effect", "ci_low", "ci_high"],
    )
    (ax,) = plots.plot_horizon_effects(table)  # no `spec` column: the forward panel only
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["1", "2", "3", "4"]


def test_horizon_effects_show_forward_beside_account_trends_from_the_evidence_table():
    rows = [
        (o, spec, h, 0.1 * h, 0.0, 0.2 * h)
        for o in ("profit", "revenue_growth")
        for spec in ("forward", "trends", "reverse")
        for h in (1, 2, 3)
    ]
    table = pd.DataFrame(
        rows, columns=["outcome", "spec", "horizon", "effect", "ci_low", "ci_high"]
    )
    axes = plots.plot_horizon_effects(table)
    assert [ax.get_title() for ax in axes] == list(plots.backtest.HORIZON_PANELS.values())
    assert all(len(ax.containers) == 2 for ax in axes)  # one error bar per outcome, no reverse


def test_a_subset_column_left_blank_gives_no_norm_rather_than_an_error():
    panel = pd.DataFrame(
        {
            "account_id": ["A", "A", "B", "B"],
            "period": pd.period_range("2024Q1", periods=2, freq="Q").tolist() * 2,
            "age": [0.0, 1.0, 0.0, 1.0],
            "rv_cum": [1.0, 2.0, 3.0, 4.0],
        }
    )
    accounts = pd.DataFrame({"account_id": ["A", "B"], "industry": [None, None]})
    bands = norms.norm_bands(panel, by="industry", accounts=accounts, min_accounts=1)
    assert bands.empty
    assert {"industry", "age", "n", "n_accounts", "p50"} <= set(bands.columns)
    filled = accounts.assign(industry="energy")
    assert len(norms.norm_bands(panel, by="industry", accounts=filled, min_accounts=1)) == 2
