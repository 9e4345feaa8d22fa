"""RV scoring and the panels, checked against hand-computed answers on tiny frames."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rvq import scoring
from rvq.inputs.dataset import dictionary_encoded

NAN = np.nan


def make_catalog() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interaction_code": ["CALL", "DEMO", "COMPLAINT"],
            "name": ["call", "demo", "complaint"],
            "kind": ["major", "major", "voc"],
            "stage": ["acquisition", "closing", "retention"],
            "function": ["sales", "sales", "customer_service"],
            "channel": ["phone", "video_call", "phone"],
            "rv": [2.0, 5.0, -3.0],
            "cost": [10.0, 50.0, 20.0],
            "value_aspect": ["brand", "product", "experience"],
        }
    )


@pytest.fixture
def catalog() -> pd.DataFrame:
    return make_catalog()


@pytest.fixture
def interactions() -> pd.DataFrame:
    """3 accounts, 10 interactions over 2024 (see the expected values in the tests)."""
    rows = [
        ("A", "a1", "2024-01-05", "CALL", NAN),
        ("A", "a2", "2024-02-10", "DEMO", NAN),
        ("A", "a1", "2024-03-01", "CALL", 4.0),  # the row's own cost overrides 10
        ("A", "a1", "2024-08-15", "COMPLAINT", NAN),
        ("A", "a2", "2024-11-20", "CALL", NAN),
        ("B", "b1", "2024-01-20", "CALL", NAN),
        ("B", "b1", "2024-04-02", "COMPLAINT", NAN),
        ("B", "b2", "2024-04-03", "DEMO", NAN),
        ("C", "c1", "2024-10-01", "DEMO", NAN),
        ("C", "c1", "2024-12-31 23:59", "COMPLAINT", NAN),
    ]
    frame = pd.DataFrame(
        rows, columns=["account_id", "contact_id", "timestamp", "interaction_code", "cost"]
    )
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601")
    return frame


def column(panel: pd.DataFrame, name: str, account: str) -> list[float]:
    return panel.loc[panel["account_id"] == account, name].tolist()


def assert_values(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=1e-12)


# --- events --------------------------------------------------------------------------------


def test_score_events_rv_cost_attributes_and_period(interactions, catalog):
    events = scoring.score_events(interactions, catalog, freq="Q")
    assert events["rv"].tolist() == [2, 5, 2, -3, 2, 2, -3, 5, 5, -3]
    assert events["cost"].tolist() == [10, 50, 4, 20, 10, 10, 20, 50, 50, 20]
    assert events["stage"].tolist()[:4] == ["acquisition", "closing", "acquisition", "retention"]
    assert events["kind"].tolist()[3] == "voc"
    assert [str(p) for p in events["period"]] == [
        "2024Q1", "2024Q1", "2024Q1", "2024Q3", "2024Q4",
        "2024Q1", "2024Q2", "2024Q2", "2024Q4", "2024Q4",
    ]  # fmt: skip
    assert len(interactions) == 10 and interactions["cost"].isna().sum() == 9  # input untouched


def test_unknown_interaction_code_is_an_error(interactions, catalog):
    interactions.loc[3, "interaction_code"] = "TELEPATHY"
    with pytest.raises(ValueError, match="TELEPATHY"):
        scoring.account_period_panel(interactions, catalog)


# --- the account panel ---------------------------------------------------------------------


def test_account_panel_hand_computed(interactions, catalog):
    panel = scoring.account_period_panel(interactions, catalog, freq="Q")
    assert list(panel.columns) == list(scoring.ACCOUNT_PANEL_COLUMNS)
    assert len(panel) == 3 * 4  # complete grid: 3 accounts x 2024Q1..Q4
    assert [str(p) for p in panel["period"][:4]] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert panel["period_index"].tolist() == [0, 1, 2, 3] * 3

    assert_values(column(panel, "rv_flow", "A"), [9, 0, -3, 2])
    assert_values(column(panel, "rv_cum", "A"), [9, 9, 6, 8])
    assert_values(column(panel, "rv_velocity", "A"), [3, 3, 2, -1 / 3])
    assert_values(column(panel, "rv_pos", "A"), [9, 0, 0, 2])
    assert_values(column(panel, "rv_neg", "A"), [0, 0, -3, 0])
    assert_values(column(panel, "n_interactions", "A"), [3, 0, 1, 1])
    assert_values(column(panel, "cost", "A"), [64, 0, 20, 10])
    assert_values(column(panel, "rv_per_cost", "A"), [9 / 64, NAN, -3 / 20, 0.2])
    assert_values(column(panel, "age", "A"), [0, 1, 2, 3])
    assert_values(column(panel, "breadth", "A"), [2, 2, 2, 2])
    assert_values(column(panel, "n_contacts_active", "A"), [2, 0, 1, 1])
    assert_values(column(panel, "rv_stage_acquisition", "A"), [4, 0, 0, 2])
    assert_values(column(panel, "rv_stage_closing", "A"), [5, 0, 0, 0])
    assert_values(column(panel, "rv_stage_retention", "A"), [0, 0, -3, 0])
    assert_values(column(panel, "rv_function_sales", "A"), [9, 0, 0, 2])
    assert_values(column(panel, "rv_function_customer_service", "A"), [0, 0, -3, 0])
    assert_values(column(panel, "rv_function_marketing", "A"), [0, 0, 0, 0])
    assert_values(column(panel, "rv_aspect_brand", "A"), [4, 0, 0, 2])
    assert_values(column(panel, "rv_aspect_product", "A"), [5, 0, 0, 0])

    # B: contact b1 goes negative in Q2 (2 - 3) while b2 turns positive (5)
    assert_values(column(panel, "rv_flow", "B"), [2, 2, 0, 0])
    assert_values(column(panel, "rv_cum", "B"), [2, 4, 4, 4])
    assert_values(column(panel, "rv_velocity", "B"), [2 / 3, 4 / 3, 4 / 3, 2 / 3])
    assert_values(column(panel, "rv_pos", "B"), [2, 5, 0, 0])
    assert_values(column(panel, "rv_neg", "B"), [0, -3, 0, 0])
    assert_values(column(panel, "breadth", "B"), [1, 1, 1, 1])
    assert_values(column(panel, "n_contacts_active", "B"), [1, 2, 0, 0])

    # C starts in Q4: zero flow and no age before
    assert_values(column(panel, "rv_flow", "C"), [0, 0, 0, 2])
    assert_values(column(panel, "age", "C"), [NAN, NAN, NAN, 0])
    assert_values(column(panel, "breadth", "C"), [0, 0, 0, 1])
    assert_values(column(panel, "rv_per_cost", "C"), [NAN, NAN, NAN, 2 / 70])

    # no VoC, no outcomes: present and empty
    assert panel["n_surveys"].eq(0).all() and panel["nps"].isna().all()
    assert panel["revenue"].isna().all() and panel["share_of_wallet"].isna().all()


def test_splits_add_up_to_the_flow(interactions, catalog):
    panel = scoring.account_period_panel(interactions, catalog, freq="M")
    for _, prefix, values in scoring.SPLITS:
        total = panel[[prefix + v for v in values]].sum(axis=1)
        np.testing.assert_allclose(total, panel["rv_flow"])
    np.testing.assert_allclose(panel["rv_pos"] + panel["rv_neg"], panel["rv_flow"])


def test_complete_grid_with_zero_flow_months(interactions, catalog):
    panel = scoring.account_period_panel(interactions, catalog, freq="M")
    assert len(panel) == 3 * 12  # Jan..Dec 2024 for every account
    a = panel[panel["account_id"] == "A"]
    assert_values(a["rv_flow"], [2, 5, 2, 0, 0, 0, 0, -3, 0, 0, 2, 0])
    assert_values(a["n_interactions"], [1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0])
    assert a["rv_cum"].iloc[-1] == 8
    assert a["period"].iloc[4] == pd.Period("2024-05", "M")


def test_row_cost_overrides_catalog_cost(interactions, catalog):
    without = interactions.drop(columns="cost")
    panel_catalog = scoring.account_period_panel(without, catalog)
    panel_rows = scoring.account_period_panel(interactions, catalog)
    assert column(panel_catalog, "cost", "A")[0] == 70  # 10 + 50 + 10
    assert column(panel_rows, "cost", "A")[0] == 64  # 10 + 50 + 4
    interactions.loc[interactions["account_id"] == "B", "cost"] = 0.0
    panel_free = scoring.account_period_panel(interactions, catalog)
    assert_values(column(panel_free, "rv_per_cost", "B"), [NAN] * 4)  # zero cost -> NaN


def test_half_life_decay(interactions, catalog):
    panel = scoring.account_period_panel(interactions, catalog, half_life=1.0)
    # A's flows 9, 0, -3, 2 halve each quarter: 9, 4.5, 2.25 - 3, -0.375 + 2
    assert_values(column(panel, "rv_cum", "A"), [9, 4.5, -0.75, 1.625])
    assert_values(column(panel, "rv_velocity", "A"), [3, 1.5, -0.25, (1.625 - 9) / 3])
    # a1 fades 4, 2, then 1 - 3 < 0: breadth follows each contact's faded depth
    assert_values(column(panel, "breadth", "A"), [2, 2, 1, 1])
    two = scoring.account_period_panel(interactions, catalog, half_life=2.0)
    keep = 0.5**0.5
    second = 2 * keep + 2  # B's flows are 2, 2, 0, 0
    assert_values(column(two, "rv_cum", "B"), [2, second, second * keep, second * keep**2])
    with pytest.raises(ValueError):
        scoring.account_period_panel(interactions, catalog, half_life=0)


def test_explicit_window_counts_earlier_interactions(interactions, catalog):
    panel = scoring.account_period_panel(interactions, catalog, periods=("2024Q2", "2024Q3"))
    assert [str(p) for p in panel["period"].unique()] == ["2024Q2", "2024Q3"]
    assert panel["period_index"].tolist() == [0, 1] * 3
    assert_values(column(panel, "rv_cum", "A"), [9, 6])  # Q1's 9 carried in
    assert_values(column(panel, "age", "A"), [1, 2])
    assert_values(column(panel, "breadth", "B"), [1, 1])
    assert_values(column(panel, "age", "C"), [NAN, NAN])  # C's Q4 is after the window
    longer = scoring.account_period_panel(interactions, catalog, periods=("2024Q1", "2025Q2"))
    assert len(longer) == 3 * 6
    assert_values(column(longer, "breadth", "A")[-2:], [2, 2])  # carried forward
    assert_values(column(longer, "rv_cum", "C")[-1:], [2])


def test_outcomes_finer_than_the_panel_are_aggregated(interactions, catalog):
    outcomes = pd.DataFrame(
        {
            "account_id": ["A", "A", "A", "B", "B", "D"],
            "period": pd.PeriodIndex(
                ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2025-02"], freq="M"
            ),
            "revenue": [10.0, 20.0, 30.0, 5.0, 5.0, 1.0],
            "profit": [1.0, NAN, 2.0, NAN, NAN, 0.5],
            "wallet": [100.0, NAN, 100.0, NAN, NAN, NAN],
            "share_of_wallet": [NAN, NAN, NAN, 0.2, 0.4, NAN],
        }
    )
    panel = scoring.account_period_panel(interactions, catalog, outcomes, freq="Q")
    # D has outcomes only (present, no RV), and 2025Q1 extends the window
    assert sorted(panel["account_id"].unique()) == ["A", "B", "C", "D"]
    assert len(panel) == 4 * 5
    assert_values(column(panel, "revenue", "A"), [60, NAN, NAN, NAN, NAN])
    assert_values(column(panel, "profit", "A")[:1], [3])
    assert_values(column(panel, "wallet", "A")[:1], [200])
    assert_values(column(panel, "share_of_wallet", "A")[:1], [0.3])  # revenue / wallet
    assert_values(column(panel, "revenue", "B")[:2], [NAN, 10])
    assert_values(column(panel, "profit", "B")[:2], [NAN, NAN])  # all parts unknown
    assert_values(column(panel, "share_of_wallet", "B")[:2], [NAN, 0.3])  # mean of shares
    assert_values(column(panel, "rv_flow", "D"), [0] * 5)
    assert_values(column(panel, "revenue", "D"), [NAN] * 4 + [1])


def test_outcomes_coarser_than_the_panel_land_where_they_end(interactions, catalog):
    outcomes = pd.DataFrame(
        {"account_id": ["A"], "period": ["2024-Q1"], "revenue": [90.0], "profit": [9.0]}
    )
    panel = scoring.account_period_panel(interactions, catalog, outcomes, freq="M")
    assert_values(column(panel, "revenue", "A")[:4], [NAN, NAN, 90, NAN])


def test_voc_period_means(interactions, catalog):
    voc = pd.DataFrame(
        {
            "account_id": ["A", "A", "A", "B", "Z"],
            "contact_id": ["a1", "a2", None, "b1", "z1"],
            "date": pd.to_datetime(
                ["2024-01-10", "2024-02-10", "2024-03-01", "2024-07-01", "2024-01-01"]
            ),
            "nps": [9.0, 5.0, NAN, 10.0, 0.0],
            "csat": [4.0, NAN, 2.0, 5.0, 1.0],
        }
    )
    panel = scoring.account_period_panel(interactions, catalog, voc=voc)
    assert_values(column(panel, "nps", "A"), [7, NAN, NAN, NAN])
    assert_values(column(panel, "csat", "A"), [3, NAN, NAN, NAN])
    assert_values(column(panel, "n_surveys", "A"), [3, 0, 0, 0])
    assert_values(column(panel, "nps", "B"), [NAN, NAN, 10, NAN])
    assert "Z" not in set(panel["account_id"])  # survey of an unknown account is ignored
    contacts = scoring.contact_period_panel(interactions, catalog, voc=voc)
    a1 = contacts[contacts["contact_id"] == "a1"]
    assert_values(a1["nps"], [9, NAN, NAN, NAN])
    assert_values(a1["n_surveys"], [1, 0, 0, 0])


# --- the contact panel ---------------------------------------------------------------------


def test_contact_panel_hand_computed(interactions, catalog):
    panel = scoring.contact_period_panel(interactions, catalog)
    assert list(panel.columns) == list(scoring.CONTACT_PANEL_COLUMNS)
    assert panel[["account_id", "contact_id"]].drop_duplicates().values.tolist() == [
        ["A", "a1"], ["A", "a2"], ["B", "b1"], ["B", "b2"], ["C", "c1"],
    ]  # fmt: skip
    assert len(panel) == 5 * 4
    b1 = panel[panel["contact_id"] == "b1"]
    assert_values(b1["rv_cum"], [2, -1, -1, -1])
    assert_values(b1["age"], [0, 1, 2, 3])
    b2 = panel[panel["contact_id"] == "b2"]
    assert_values(b2["rv_flow"], [0, 5, 0, 0])
    assert_values(b2["age"], [NAN, 0, 1, 2])
    a1 = panel[panel["contact_id"] == "a1"]
    assert_values(a1["cost"], [14, 0, 20, 0])


def test_contact_id_shared_by_two_accounts_is_two_contacts(interactions, catalog):
    interactions.loc[interactions["contact_id"] == "c1", "contact_id"] = "a1"
    panel = scoring.contact_period_panel(interactions, catalog)
    pairs = panel[["account_id", "contact_id"]].drop_duplicates().values.tolist()
    assert ["A", "a1"] in pairs and ["C", "a1"] in pairs and len(pairs) == 5
    accounts = scoring.account_period_panel(interactions, catalog)
    assert_values(column(accounts, "breadth", "C"), [0, 0, 0, 1])
    assert_values(column(accounts, "breadth", "A"), [2, 2, 2, 2])


@pytest.mark.parametrize("kind", ["int", "category"])
def test_integer_and_categorical_ids_give_the_same_panel(interactions, catalog, kind):
    expected = scoring.account_period_panel(interactions, catalog)
    coded = interactions.copy()
    if kind == "int":
        coded["account_id"] = coded["account_id"].map({"A": 10, "B": 20, "C": 30})
        coded["contact_id"] = coded["contact_id"].map({"a1": 7, "a2": 3, "b1": 5, "b2": 1, "c1": 9})
    else:
        coded["account_id"] = coded["account_id"].astype(
            pd.CategoricalDtype(["X", "C", "B", "A"])  # unused and unsorted categories
        )
        coded["contact_id"] = coded["contact_id"].astype("category")
        coded["interaction_code"] = coded["interaction_code"].astype("category")
    panel = scoring.account_period_panel(coded, catalog)
    assert panel["account_id"].astype(str).tolist() == [
        str(a) for a in np.repeat(panel["account_id"].unique(), 4)
    ]
    pd.testing.assert_frame_equal(
        panel.drop(columns="account_id"), expected.drop(columns="account_id")
    )


def test_dictionary_encoded_ids_give_the_panels_of_the_text_ids(interactions, catalog):
    """As `load_dataset` holds them: the same panels, ids as text, and the same events."""
    encoded = dictionary_encoded(interactions)
    assert isinstance(encoded["contact_id"].dtype, pd.CategoricalDtype)
    for panel in (scoring.account_period_panel, scoring.contact_period_panel):
        pd.testing.assert_frame_equal(
            panel(encoded, catalog, freq="M", half_life=2.0),
            panel(interactions, catalog, freq="M", half_life=2.0),
        )
    events = scoring.score_events(encoded, catalog)
    pd.testing.assert_frame_equal(
        events.astype({c: str for c in ("account_id", "contact_id", "interaction_code")}),
        scoring.score_events(interactions, catalog),
    )


def test_panel_from_dataset_uses_the_config(interactions, catalog):
    dataset = SimpleNamespace(
        interactions=interactions,
        catalog=catalog,
        outcomes=None,
        voc=None,
        config=SimpleNamespace(freq="M", half_life=None, engine="memory"),
    )
    panel = scoring.panel_from_dataset(dataset)
    assert panel["period"].dtype == pd.PeriodDtype("M") and len(panel) == 36
    contacts = scoring.panel_from_dataset(dataset, level="contact", freq="Q")
    assert len(contacts) == 20


# --- invariants ----------------------------------------------------------------------------

event = st.tuples(
    st.integers(0, 3),  # account
    st.integers(0, 4),  # contact (shared ids across accounts happen)
    st.integers(0, 500),  # day
    st.integers(0, 2),  # code
    st.one_of(st.just(NAN), st.floats(0, 100, allow_nan=False)),  # row cost
)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(event, min_size=1, max_size=40), seed=st.integers(0, 2**32 - 1))
def test_panel_totals_reconcile_whatever_the_row_order(rows, seed):
    catalog = make_catalog()
    codes = catalog["interaction_code"].to_numpy()
    frame = pd.DataFrame(
        {
            "account_id": [f"acc{a}" for a, *_ in rows],
            "contact_id": [f"c{c}" for _, c, *_ in rows],
            "timestamp": pd.Timestamp("2023-11-01") + pd.to_timedelta([r[2] for r in rows], "D"),
            "interaction_code": codes[[r[3] for r in rows]],
            "cost": [r[4] for r in rows],
        }
    )
    events = scoring.score_events(frame, catalog, freq="M")
    panel = scoring.account_period_panel(frame, catalog, freq="M")
    assert panel["rv_flow"].sum() == pytest.approx(events["rv"].sum())
    assert panel["cost"].sum() == pytest.approx(events["cost"].sum())
    assert panel["n_interactions"].sum() == len(frame)
    last = panel.groupby("account_id")["rv_cum"].last()
    per_account = events.groupby("account_id")["rv"].sum()
    np.testing.assert_allclose(last.sort_index(), per_account.sort_index())

    shuffled = frame.sample(frac=1.0, random_state=seed % 2**32).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        scoring.account_period_panel(shuffled, catalog, freq="M"), panel, rtol=1e-9
    )
    contacts = scoring.contact_period_panel(frame, catalog, freq="M")
    assert contacts["rv_flow"].sum() == pytest.approx(events["rv"].sum())

    encoded = dictionary_encoded(frame)  # as load_dataset holds the ids
    pd.testing.assert_frame_equal(scoring.account_period_panel(encoded, catalog, freq="M"), panel)
    pd.testing.assert_frame_equal(
        scoring.contact_period_panel(encoded, catalog, freq="M"), contacts
    )
