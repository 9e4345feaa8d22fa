"""Next best actions: the planted best and setback interaction types of `rvq.synth.transitions`
are what the list recommends and warns against; the clustered fit agrees with statsmodels."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import sparse

from rvq.synth import generate_world, world_spec
from rvq.synth.transitions import plant_transitions
from rvq.track.actions import _clustered_fit, next_best_actions
from rvq.track.history import TrackHistory, history_from_tables

SEEDS = (1, 2)


@pytest.fixture(scope="module")
def planted():
    out = {}
    for seed in SEEDS:
        world = plant_transitions(
            generate_world(world_spec("planted", accounts=800, seed=seed)), boost=5.0
        )
        out[seed] = (world, next_best_actions(history_from_tables(world.tables)))
    return out


def test_recommendations_match_the_planted_best_and_setback(planted):
    matched = chosen = 0
    for world, found in planted.values():
        truth = world.truth["transitions"]["stages"]
        choices = pd.DataFrame(found.evidence["choices"])
        retention = choices.loc[choices["stage"] == "retention"]
        # retention has the most account-periods: every band finds both planted types
        assert (retention["best_interaction_code"] == truth["retention"]["best"]).all()
        assert (retention["setback_interaction_code"] == truth["retention"]["setback"]).all()
        assert len(retention) == 3
        best = choices.dropna(subset=["best_interaction_code"])
        planted_best = best["stage"].map({s: t["best"] for s, t in truth.items()})
        matched += int((best["best_interaction_code"] == planted_best).sum())
        chosen += len(best)
    assert chosen >= 6
    assert matched / chosen >= 0.75


def test_one_row_per_active_account_with_its_evidence(planted):
    world, found = planted[SEEDS[0]]
    table = found.table
    assert found.name == "next_best_actions"
    assert table.columns[-1] == "reason"
    assert table["account_id"].is_unique
    history = history_from_tables(world.tables)
    active = history.events.loc[history.events["period"] >= history.as_of - 1, "account_id"]
    assert set(table["account_id"]) == set(active)
    assert (table["key_contact_id"].str.split("-").str[0] == table["account_id"]).all()
    assert set(table["stage"]) <= {"acquisition", "closing", "retention"}
    recommended = table.dropna(subset=["recommended_action"])
    assert len(recommended) > 0
    assert (recommended["ci_low"] > 0).all()
    assert (recommended["times_seen"] >= 20).all()
    row = recommended.iloc[0]
    assert row["recommended_action"] in row["reason"]
    assert f"{row['expected_forward_rv']:+.1f}" in row["reason"]
    assert "interactions in" in row["how_it_got_here"]
    assert found.headline.startswith(f"{len(recommended):,} of {len(table):,}")


def test_clustered_fit_matches_statsmodels():
    rng = np.random.default_rng(3)
    n, groups = 400, 60
    cluster = rng.integers(0, groups, n)
    controls = rng.normal(size=(n, 2))
    types = (rng.random((n, 3)) < 0.3).astype(float)
    y = controls @ [1.0, -0.5] + types @ [2.0, 0.0, -1.0] + rng.normal(size=n) + cluster * 0.05
    effect, se = _clustered_fit(controls, sparse.csr_matrix(types), y, cluster)
    x = sm.add_constant(np.column_stack([controls, types]))
    fit = sm.OLS(y, x).fit(
        cov_type="cluster", cov_kwds={"groups": cluster, "use_correction": False}
    )
    np.testing.assert_allclose(effect, fit.params[3:], rtol=1e-8)
    correction = np.sqrt(groups / (groups - 1))
    np.testing.assert_allclose(se, fit.bse[3:] * correction, rtol=1e-6)


def test_no_interactions_is_a_list_that_says_why():
    world = generate_world(world_spec("planted", accounts=20, seed=1))
    history = history_from_tables(world.tables)
    empty = TrackHistory(
        events=history.events.iloc[:0],
        panel=history.panel.iloc[:0],
        accounts=history.accounts,
        freq="Q",
        as_of=history.as_of,
    )
    found = next_best_actions(empty)
    assert found.table.empty
    assert "No interactions" in found.headline
