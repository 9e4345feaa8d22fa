"""The tracking store (rvq.track.store) on DuckDB and on a real PostgreSQL server: a period
is appended once, re-running it changes no row, one new period appends only its rows, and
the history read back is the history written."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
from test_sql import postgres, world  # noqa: F401  (the throw-away PostgreSQL server)

from rvq.synth import WorldSpec, generate_world
from rvq.track.history import TrackHistory, history_from_tables
from rvq.track.store import PANEL, TABLES, StoreError, open_store

SMALL = WorldSpec(accounts=60, periods=6, seed=3)


@pytest.fixture(scope="module")
def tables():
    return generate_world(SMALL).tables


@pytest.fixture(params=["duckdb", "postgresql"])
def location(request, tmp_path, monkeypatch):
    """A fresh, empty store on each backend."""
    if request.param == "duckdb":
        return str(tmp_path / "track.duckdb")
    url, password = request.getfixturevalue("postgres")
    monkeypatch.setenv("RVQ_DB_PASSWORD", password)
    import psycopg

    name = f"track_{uuid.uuid4().hex[:10]}"
    host, port = url.split("@", 1)[1].split("/", 1)[0].split(":")
    admin = f"host={host} port={port} user=rvq password={password} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + f"/{name}"


def contents(location) -> dict[str, pd.DataFrame]:
    """Every table of the store, rows in a stable order."""
    with open_store(location) as store:
        present = store.backend.tables()
        return {name: store.table(name) for name in TABLES if name in present}


def assert_same(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)


def test_a_rerun_changes_nothing_and_one_new_period_appends_only_its_rows(tables, location):
    last = history_from_tables(tables)
    first = history_from_tables(tables, as_of=last.as_of - 1)
    with open_store(location) as store:
        appended = store.append(first)
        assert appended == list(first.periods)
        assert store.tracked_periods("Q") == list(first.periods)
    before = contents(location)
    with open_store(location) as store:
        assert store.append(first) == []
    assert_same(before, contents(location))  # row for row

    with open_store(location) as store:
        assert store.append(last) == [last.as_of]
    after = contents(location)
    for name in ("track_panel", "track_events", "track_periods"):
        old = after[name][after[name]["period"] != str(last.as_of)].reset_index(drop=True)
        pd.testing.assert_frame_equal(old, before[name], obj=name)  # history untouched
    new_rows = after[PANEL][after[PANEL]["period"] == str(last.as_of)]
    assert len(new_rows) == (last.panel["period"] == last.as_of).sum() > 0


def test_the_history_read_back_is_the_history_written(tables, location):
    written = history_from_tables(tables)
    with open_store(location) as store:
        store.append(written)
        read = store.history(written.as_of - 1, "Q")
        whole = store.history(written.as_of, "Q")
    assert isinstance(read, TrackHistory) and read.as_of == written.as_of - 1
    assert read.panel["period"].max() == written.as_of - 1
    cut = written.panel[written.panel["period"] <= read.as_of].reset_index(drop=True)
    assert len(read.panel) == len(cut)
    pd.testing.assert_series_equal(read.panel["rv_cum"], cut["rv_cum"], check_names=False)
    assert len(whole.events) == len(written.events)
    assert (
        whole.events["contact_id"].astype(str) == written.events["contact_id"].astype(str)
    ).all()
    assert (whole.events["timestamp"].to_numpy() == written.events["timestamp"].to_numpy()).all()
    assert whole.events["rv"].sum() == pytest.approx(written.events["rv"].sum())
    assert set(whole.accounts["account_id"]) == set(written.accounts["account_id"])


def test_accounts_are_replaced_only_when_they_change(tables, tmp_path):
    location = str(tmp_path / "track.duckdb")
    history = history_from_tables(tables)
    with open_store(location) as store:
        store.append(history)
    before = contents(location)
    renamed = history.accounts.assign(team="renamed", partner="P1")  # a column more
    with open_store(location) as store:
        store.append(TrackHistory(**{**vars(history), "accounts": renamed}))
        assert set(store.snapshot("accounts")["team"]) == {"renamed"}
        assert set(store.snapshot("accounts")["partner"]) == {"P1"}
    after = contents(location)
    assert_same(
        {k: v for k, v in before.items() if k not in ("track_accounts", "track_meta")},
        {k: v for k, v in after.items() if k not in ("track_accounts", "track_meta")},
    )


def test_a_store_never_mixes_pseudonyms_with_raw_ids(tables, tmp_path):
    history = history_from_tables(tables, as_of=history_from_tables(tables).as_of - 1)
    with open_store(tmp_path / "t.duckdb") as store:
        store.append(history, ids="raw")
        with pytest.raises(StoreError, match="ids = 'raw'"):
            store.append(history_from_tables(tables), ids="pseudonyms")
        with pytest.raises(StoreError, match="holds no period up to"):
            store.history(history.periods[0] - 1, "Q")


def test_a_url_with_a_password_is_refused_without_showing_it(tmp_path):
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://rvq:s3cret-pw@127.0.0.1:1/x")
    assert "s3cret-pw" not in str(caught.value)


def test_a_period_whose_export_gained_or_lost_a_column_still_appends(tables, tmp_path):
    last = history_from_tables(tables)
    first = history_from_tables(tables, as_of=last.as_of - 1)
    changed = last.events.assign(new_column="x").drop(columns="source_system")
    with open_store(tmp_path / "t.duckdb") as store:
        store.append(first)
        assert store.append(TrackHistory(**{**vars(last), "events": changed})) == [last.as_of]
        events = store.history(last.as_of, "Q").events
    assert "new_column" not in events
    assert events.loc[events["period"] == last.as_of, "source_system"].isna().all()
    assert events.loc[events["period"] < last.as_of, "source_system"].notna().all()


def test_an_account_that_first_appears_later_gets_a_complete_grid_and_every_list_runs(
    tables, tmp_path
):
    """Tracked periods are frozen: an account new in a later period has no rows in the
    earlier ones, and the lists need a complete account x period grid."""
    from rvq.track.run import LISTS

    newcomer = tables["accounts"]["account_id"].iloc[0]
    full = history_from_tables(tables)
    first_two = full.periods[:2]
    early = {
        name: frame[frame["account_id"] != newcomer] if "account_id" in frame else frame
        for name, frame in tables.items()
    }
    with open_store(tmp_path / "track.duckdb") as store:
        store.append(history_from_tables(early, as_of=first_two[-1]))
        store.append(full)
        history = store.history(full.as_of, "Q")
    accounts, periods = history.panel["account_id"].nunique(), len(full.periods)
    assert len(history.panel) == accounts * periods
    before = history.panel[
        (history.panel["account_id"] == newcomer) & history.panel["period"].isin(first_two)
    ]
    assert (
        len(before) == 2
        and (before["rv_flow"] == 0).all()
        and (before["n_interactions"] == 0).all()
    )
    assert before["age"].isna().all() and before["revenue"].isna().all()
    for name, build in LISTS.items():
        assert build(history).name == name


def test_a_supplier_of_events_must_give_each_lacking_period_in_order_and_is_closed(
    tables, tmp_path
):
    """A summed pilot's events come from a supplier (rvq.track.source): a period it skips
    or gives out of turn is never written or reported as tracked, and its temporary files
    (its `finally`) go as soon as the store stops, not when the error is collected."""
    history = history_from_tables(tables)
    by_period = dict(tuple(history.events.groupby("period", sort=True)))
    closed = []

    def supplier(skip=None, stop_after=None):
        def events(periods):
            try:
                for i, period in enumerate(periods):
                    if stop_after is not None and i == stop_after:
                        return
                    if period != skip:
                        yield period, by_period.get(period, history.events.iloc[:0])
            finally:
                closed.append(True)

        return events

    location = tmp_path / "t.duckdb"
    second = history.periods[1]
    with open_store(location) as store:
        with pytest.raises(StoreError, match=f"came for {history.periods[2]}"):
            store.append(history, events=supplier(skip=second))
        assert closed == [True]
        assert [str(p) for p in store.tracked_periods("Q")] == [str(history.periods[0])]
        with pytest.raises(StoreError, match="no events were supplied for"):
            store.append(history, events=supplier(stop_after=2))
        assert len(store.tracked_periods("Q")) == 3
        assert store.append(history, events=supplier()) == list(history.periods[3:])
    assert len(closed) == 3
