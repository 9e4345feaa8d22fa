"""Synthetic pilot worlds: reproducible, canonical, and carrying the truth they claim.

The worlds are small (300 accounts) so the module stays within a few seconds; the
statistical checks compare a within-account correlation with its sampling error
(about 1/sqrt(rows)), never with a hand-tuned constant that a broken generator could meet.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from rvq.inputs.catalog import shipped_catalog
from rvq.schema import TABLES
from rvq.synth import CONTACT_ROLES, OUTCOME_NAMES, World, WorldSpec, generate_world, write_world

SMALL = {"accounts": 300, "periods": 12, "seed": 11}


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    return shipped_catalog()


@pytest.fixture(scope="module")
def planted(catalog) -> World:
    return generate_world(WorldSpec(**SMALL, effect=0.5), catalog=catalog)


@pytest.fixture(scope="module")
def null(catalog) -> World:
    return generate_world(WorldSpec(**SMALL, effect=0.0), catalog=catalog)


@pytest.fixture(scope="module")
def reverse(catalog) -> World:
    return generate_world(WorldSpec(**SMALL, effect=0.5, reverse=True), catalog=catalog)


# --------------------------------------------------------------------------- helpers


def period_labels(world: World) -> pd.Series:
    """Interactions' period labels in the outcomes' format (YYYY-Qn)."""
    ts = world.tables["interactions"]["timestamp"]
    return ts.dt.to_period(world.spec.freq).dt.strftime("%Y-Q%q")


_PANELS: dict[int, tuple[World, pd.DataFrame]] = {}  # keeps the world alive: ids stay unique


def panel(world: World, catalog: pd.DataFrame) -> pd.DataFrame:
    """Account x period: RV flow from the written interactions and the catalog, outcomes,
    and revenue growth log(rev_t / rev_{t-1}); a period index per account. (Cached.)"""
    if id(world) not in _PANELS:
        _PANELS[id(world)] = (world, _panel(world, catalog))
    return _PANELS[id(world)][1].copy()


def _panel(world: World, catalog: pd.DataFrame) -> pd.DataFrame:
    inter = world.tables["interactions"]
    rv = inter["interaction_code"].map(catalog.set_index("interaction_code")["rv"])
    flow = (
        pd.DataFrame({"account_id": inter["account_id"], "period": period_labels(world), "rv": rv})
        .groupby(["account_id", "period"], as_index=False)["rv"]
        .sum()
        .rename(columns={"rv": "rv_flow"})
    )
    periods = world.spec.period_index.strftime("%Y-Q%q")
    grid = pd.MultiIndex.from_product(
        [world.tables["accounts"]["account_id"], periods], names=["account_id", "period"]
    ).to_frame(index=False)
    out = grid.merge(flow, how="left").merge(world.tables["outcomes"], how="left")
    out["rv_flow"] = out["rv_flow"].fillna(0.0)
    out["t"] = out["period"].map({p: i for i, p in enumerate(periods)})
    out = out.sort_values(["account_id", "t"], ignore_index=True)
    out["revenue_growth"] = np.log(out["revenue"] / out.groupby("account_id")["revenue"].shift())
    return out


def within_corr(frame: pd.DataFrame, x: str, y: str, shift: int) -> tuple[float, int]:
    """Correlation of x at t - shift with y at t, both demeaned by account and period
    over the rows where both exist; also the number of rows."""
    d = frame[["account_id", "t", y]].copy()
    d["x"] = frame.groupby("account_id")[x].shift(shift)
    d = d.dropna()
    for col in ("x", y):
        d[col] = d[col] - d.groupby("account_id")[col].transform("mean")
        d[col] = d[col] - d.groupby("t")[col].transform("mean")
    return float(np.corrcoef(d["x"], d[y])[0, 1]), len(d)


# --------------------------------------------------------------------------- reproducible


def test_same_seed_gives_identical_tables(catalog):
    a = generate_world(WorldSpec(accounts=60, seed=3), catalog=catalog)
    b = generate_world(WorldSpec(accounts=60, seed=3), catalog=catalog)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    ignore = {"generated_at", "generation_seconds"}
    assert {k: v for k, v in a.truth.items() if k not in ignore} == {
        k: v for k, v in b.truth.items() if k not in ignore
    }


def test_different_seed_gives_different_tables(catalog):
    a = generate_world(WorldSpec(accounts=60, seed=3), catalog=catalog)
    b = generate_world(WorldSpec(accounts=60, seed=4), catalog=catalog)
    for name in ("interactions", "outcomes", "voc"):
        assert not a.tables[name].equals(b.tables[name]), name


# --------------------------------------------------------------------------- layout


def test_tables_have_the_canonical_columns(planted):
    assert set(planted.tables) == {"interactions", "accounts", "outcomes", "voc"}
    for name, frame in planted.tables.items():
        spec = TABLES[name]
        assert set(spec.required) <= set(frame.columns), name
        assert list(frame.columns) == [c for c in spec.columns if c in frame.columns], name
        assert len(frame) > 0, name


def test_event_ids_unique_and_every_account_known(planted):
    inter = planted.tables["interactions"]
    assert inter["event_id"].is_unique
    known = set(planted.tables["accounts"]["account_id"])
    for name in ("interactions", "outcomes", "voc"):
        assert set(planted.tables[name]["account_id"]) <= known, name
    assert set(inter["account_id"]) == known


def test_interaction_codes_come_from_the_catalog_and_costs_mostly_empty(planted, catalog):
    inter = planted.tables["interactions"]
    assert set(inter["interaction_code"]) <= set(catalog["interaction_code"])
    overrides = inter["cost"].notna().mean()
    assert 0 < overrides < 0.05
    assert (inter["cost"].dropna() >= 0).all()
    assert set(inter["source_system"]) == {
        "crm",
        "support_desk",
        "marketing_automation",
        "community_platform",
        "survey_tool",
    }


def test_timestamps_inside_the_window_and_before_as_of(planted):
    spec = planted.spec
    ts = planted.tables["interactions"]["timestamp"]
    assert ts.min() >= spec.period_index[0].start_time
    assert ts.max() < pd.Timestamp(spec.as_of_date)
    assert planted.tables["voc"]["date"].max() < pd.Timestamp(spec.as_of_date)


def test_share_of_wallet_in_unit_interval_and_wallet_consistent(planted):
    out = planted.tables["outcomes"]
    assert out["share_of_wallet"].between(0, 1).all()
    assert (out["wallet"] >= out["revenue"]).all()
    implied = out["revenue"] / out["wallet"]
    np.testing.assert_allclose(implied, out["share_of_wallet"], atol=1e-3)
    assert (out["revenue"] > 0).all()


def test_some_accounts_lose_money(planted):
    by_account = planted.tables["outcomes"].groupby("account_id")["profit"].sum()
    assert 0 < (by_account < 0).mean() < 0.5


def test_every_account_has_contacts_in_several_roles(planted):
    contacts = pd.concat(
        [planted.tables["interactions"][["account_id", "contact_id"]], planted.tables["voc"]]
    )[["account_id", "contact_id"]].drop_duplicates()
    parts = contacts["contact_id"].str.split("-")
    assert (parts.str[0] == contacts["account_id"]).all()
    role = parts.str[-1]
    assert set(role) == set(CONTACT_ROLES)
    roles_per_account = role.groupby(contacts["account_id"]).nunique()
    assert (roles_per_account >= 2).all()
    assert roles_per_account.mean() > 3
    per_account = planted.tables["interactions"].groupby("account_id")["contact_id"].nunique()
    assert per_account.median() >= 3  # interactions spread across the buying center


def test_voc_answers_are_sparse_valid_and_follow_strength(planted):
    voc = planted.tables["voc"]
    nps, csat = voc["nps"].dropna(), voc["csat"].dropna()
    assert nps.between(0, 10).all() and csat.between(1, 5).all()
    assert (voc["nps"].isna() ^ voc["csat"].isna()).all()  # one question per answer
    assert len(voc) < 0.1 * len(planted.tables["interactions"])
    labels = pd.to_datetime(voc["date"]).dt.to_period("Q").dt.strftime("%Y-Q%q")
    strength = planted.latent.set_index(["account_id", "period"])["strength_z"]
    z = strength.reindex(pd.MultiIndex.from_arrays([voc["account_id"], labels])).to_numpy()
    has = voc["nps"].notna().to_numpy()
    r = np.corrcoef(z[has], voc["nps"].to_numpy(dtype=float)[has])[0, 1]
    assert 0.2 < r < 0.9  # related to the relationship, with substantial noise


# --------------------------------------------------------------------------- structure


def test_lifecycle_stages_precede_the_first_purchase(planted, catalog):
    """Before an account's first outcome period only acquisition/closing interactions;
    from it on only retention ones; some accounts join inside the window."""
    inter = planted.tables["interactions"]
    stage = inter["interaction_code"].map(catalog.set_index("interaction_code")["stage"])
    first_purchase = planted.tables["outcomes"].groupby("account_id")["period"].min()
    before = period_labels(planted) < inter["account_id"].map(first_purchase)
    assert (stage[before] != "retention").all()
    assert (stage[~before] == "retention").all()
    assert {"acquisition", "closing"} <= set(stage[before])
    window_start = planted.spec.period_index.strftime("%Y-Q%q")[0]
    assert (first_purchase > window_start).sum() >= 0.1 * planted.spec.accounts


def test_hostage_revenue_flat_while_rv_falls(planted, catalog):
    hostage = planted.truth["hostage"]
    assert hostage["count"] == len(hostage["contract_end"]) > 0
    p = panel(planted, catalog)
    p["hostage"] = p["account_id"].isin(list(hostage["contract_end"]))
    p["locked"] = p["period"] < p["account_id"].map(hostage["contract_end"])
    # locked revenue repeats itself a year later (only the common season moves it)
    p["yoy"] = p["revenue"] / p.groupby("account_id")["revenue"].shift(4)
    both_locked = p["hostage"] & p["locked"] & p.groupby("account_id")["locked"].shift(4)
    assert both_locked.sum() > 20
    np.testing.assert_allclose(p.loc[both_locked, "yoy"], 1.0, atol=1e-4)
    others = p.loc[~p["hostage"], "yoy"].dropna()
    assert others.std() > 0.05  # everyone else's revenue moves
    # ... while their RV flow falls over the window, and others' does not
    slope = p.groupby("account_id").apply(
        lambda d: np.polyfit(d["t"], d["rv_flow"], 1)[0], include_groups=False
    )
    is_hostage = slope.index.isin(list(hostage["contract_end"]))
    assert slope[is_hostage].mean() < 0
    assert slope[is_hostage].mean() < slope[~is_hostage].mean() - 2


def test_community_roles_and_their_interactions(planted, catalog):
    accounts = planted.tables["accounts"].set_index("account_id")
    assert set(accounts["community_role"]) == {"leader", "doer", "watcher", "none"}
    assert planted.truth["community"] == accounts["community_role"].value_counts().to_dict()
    inter = planted.tables["interactions"]
    function = inter["interaction_code"].map(catalog.set_index("interaction_code")["function"])
    community = inter.loc[function == "community", "account_id"]
    roles = accounts.loc[community, "community_role"]
    assert (roles != "none").all()
    per_account = roles.value_counts() / accounts["community_role"].value_counts()
    assert per_account["leader"] > per_account["doer"] > per_account["watcher"] > 0


def test_emotional_moments_are_rare_large_and_both_signs(planted, catalog):
    codes = planted.truth["model"]["emotional_codes"]
    rv = catalog.set_index("interaction_code")["rv"]
    assert (rv[codes] > 0).any() and (rv[codes] < 0).any()
    major = catalog.loc[catalog["kind"] == "major", "rv"].abs()
    assert rv[codes].abs().min() >= major.quantile(0.9)
    share = planted.tables["interactions"]["interaction_code"].isin(codes).mean()
    assert 0 < share < 0.02


def test_q4_has_more_interactions_and_revenue(planted):
    inter_q = planted.tables["interactions"]["timestamp"].dt.quarter.value_counts()
    assert inter_q[4] > 1.15 * inter_q[[1, 2, 3]].max()
    out = planted.tables["outcomes"]
    quarter = out["period"].str[-1].astype(int)
    by_q = np.log(out["revenue"]).groupby([out["account_id"], quarter]).mean().unstack()
    assert (by_q[4] - by_q[3]).mean() > 0.08


# --------------------------------------------------------------------------- planted truth


@pytest.mark.parametrize("outcome", OUTCOME_NAMES)
def test_planted_effect_visible_at_the_planted_lag(planted, null, catalog, outcome):
    lag = planted.spec.lag[outcome]
    r, rows = within_corr(panel(planted, catalog), "rv_flow", outcome, lag)
    r0, rows0 = within_corr(panel(null, catalog), "rv_flow", outcome, lag)
    se = 1 / math.sqrt(rows)
    assert r > 5 * se, (r, se)
    assert abs(r0) < 3.5 / math.sqrt(rows0), r0
    # strongest at the planted lag, not at the neighbouring ones
    before, _ = within_corr(panel(planted, catalog), "rv_flow", outcome, lag - 1)
    assert r > before + 3 * se


@pytest.mark.parametrize("outcome", OUTCOME_NAMES)
def test_reverse_world_outcome_leads_rv(reverse, catalog, outcome):
    lag = reverse.spec.lag[outcome]
    p = panel(reverse, catalog)
    rv_follows, rows = within_corr(p, outcome, "rv_flow", lag)  # outcome at t-L, RV at t
    rv_leads, _ = within_corr(p, "rv_flow", outcome, lag)  # RV at t-L, outcome at t
    se = 1 / math.sqrt(rows)
    assert rv_follows > 5 * se
    assert rv_leads < rv_follows - 4 * se
    assert reverse.truth["outcomes"][outcome]["direction"] == "outcome_leads"


def test_truth_documents_effects_lags_directions(planted, null, reverse):
    for world, direction in ((planted, "rv_leads"), (null, "none"), (reverse, "outcome_leads")):
        for o in OUTCOME_NAMES:
            entry = world.truth["outcomes"][o]
            assert entry["effect"] == world.spec.effect[o]
            assert entry["lag"] == world.spec.lag[o]
            assert entry["direction"] == direction
    assert planted.truth["counts"]["interactions"] == len(planted.tables["interactions"])
    assert WorldSpec(**planted.truth["spec"]) == planted.spec
    # the realised latent correlation is close to the planted effect
    for o in OUTCOME_NAMES:
        assert abs(planted.truth["outcomes"][o]["realized_latent_corr"] - 0.5) < 0.12


def test_effect_and_lag_per_outcome(catalog):
    spec = WorldSpec(
        accounts=300,
        seed=5,
        effect={"profit": 0.6, "revenue_growth": 0.0},
        lag={"profit": 1, "share_of_wallet": 3},
    )
    assert spec.effect == {"profit": 0.6, "revenue_growth": 0.0, "share_of_wallet": 0.3}
    assert spec.lag == {"profit": 1, "revenue_growth": 2, "share_of_wallet": 3}
    world = generate_world(spec, catalog=catalog)
    p = panel(world, catalog)
    r1, rows = within_corr(p, "rv_flow", "profit", 1)
    r2, _ = within_corr(p, "rv_flow", "profit", 2)
    assert r1 > r2 + 3 / math.sqrt(rows)
    g, rows_g = within_corr(p, "rv_flow", "revenue_growth", 2)
    assert abs(g) < 3.5 / math.sqrt(rows_g)
    assert world.truth["outcomes"]["revenue_growth"]["direction"] == "none"


# --------------------------------------------------------------------------- spec and I/O


@pytest.mark.parametrize(
    "bad",
    [
        {"effect": 1.2},
        {"effect": {"margin": 0.3}},
        {"lag": 12},
        {"lag": -1},
        {"start": "not a period"},
        {"as_of": "2024-01-01"},
        {"accounts": 3},
        {"colour": "blue"},
    ],
)
def test_spec_rejects_bad_values(bad):
    with pytest.raises(ValidationError):
        WorldSpec(**bad)


def test_spec_defaults_are_the_demo():
    spec = WorldSpec()
    assert (spec.accounts, spec.periods, spec.freq, spec.seed) == (2000, 12, "Q", 7)
    assert spec.effect == {"profit": 0.35, "revenue_growth": 0.3, "share_of_wallet": 0.3}
    assert spec.as_of_date == pd.Timestamp("2026-01-01").date()
    assert WorldSpec(effect=0).effect == dict.fromkeys(OUTCOME_NAMES, 0.0)


def test_stand_in_catalog_is_used_by_attributes():
    """Any catalog works: rows are chosen by stage, function, kind and RV sign/size."""
    rows = []
    for stage in ("acquisition", "closing", "retention"):
        for function in ("marketing", "sales", "customer_service", "community"):
            for rv in (3.0, -4.0):
                rows.append(
                    (f"X_{stage[:3]}_{function[:3]}_{rv:+.0f}", "major", stage, function, rv)
                )
        rows.append((f"X_{stage[:3]}_voc", "voc", stage, "marketing", 1.0))
    rows += [("X_BIG_UP", "major", "retention", "sales", 40.0)]
    rows += [("X_BIG_DOWN", "major", "retention", "customer_service", -40.0)]
    cat = pd.DataFrame(rows, columns=["interaction_code", "kind", "stage", "function", "rv"])
    cat["cost"], cat["name"], cat["channel"], cat["value_aspect"] = 10.0, "x", "x", "brand"
    world = generate_world(WorldSpec(accounts=40, periods=6, seed=1), catalog=cat)
    codes = set(world.tables["interactions"]["interaction_code"])
    assert codes <= set(cat["interaction_code"])
    assert {"X_BIG_UP", "X_BIG_DOWN"} <= set(world.truth["model"]["emotional_codes"])
    assert "inside-sales" not in set(world.tables["interactions"]["team"])  # no such rows


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_world_round_trip(tmp_path, fmt, catalog):
    world = generate_world(WorldSpec(accounts=40, periods=6, seed=2), catalog=catalog)
    other = "parquet" if fmt == "csv" else "csv"
    (tmp_path / f"outcomes.{other}").write_text("stale")
    out = write_world(world, tmp_path, fmt=fmt)
    assert not (tmp_path / f"outcomes.{other}").exists()
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    for name, frame in world.tables.items():
        back = read(out / f"{name}.{fmt}")
        assert list(back.columns) == list(frame.columns)
        assert len(back) == len(frame)
    inter = read(out / f"interactions.{fmt}")
    assert inter["event_id"].is_unique
    assert (pd.to_datetime(inter["timestamp"]) == world.tables["interactions"]["timestamp"]).all()
    truth = json.loads((out / "truth.json").read_text())
    assert truth["outcomes"]["profit"]["lag"] == 2
    assert truth["spec"]["seed"] == 2
    assert not list(tmp_path.glob(".*tmp"))


def test_monthly_world(catalog):
    world = generate_world(
        WorldSpec(accounts=80, periods=8, freq="M", start="2024-01", seed=1), catalog=catalog
    )
    assert world.tables["outcomes"]["period"].min() == "2024-01"
    assert world.truth["last_period"] == "2024-08"
