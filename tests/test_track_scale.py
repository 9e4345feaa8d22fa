"""`rvq track` on a pilot that keeps its events summed (streamed, or above
`rvq.scoring.cells.CELLS_ABOVE_ROWS` rows): the periods the store lacks are read again
from the source (`rvq.track.source`), and the store and track.json come out exactly as
from a pilot that holds its events -- rows set aside stay aside, pseudonyms are the same
-- a re-run appends nothing and a new period appends only its own rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rvq.scoring import cells
from rvq.synth import WorldSpec, generate_world, write_world
from rvq.track import run as track_run
from rvq.track.run import run_track
from rvq.track.store import TABLES, open_store

#: what a run records about itself, not about the book
RUN_COLUMNS = ("tracked_at", "input_version")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A small book whose interactions, out of time order, hold a duplicate event and a row
    of an unknown account: both set aside, by the whole read and by the blocks alike."""
    folder = tmp_path_factory.mktemp("data") / "shop"
    write_world(generate_world(WorldSpec(accounts=40, periods=6, seed=7)), folder)
    path = folder / "interactions.csv"
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    stranger = rows.iloc[[5]].assign(account_id="NOBODY", event_id="E-stranger")
    rows = rows.sample(frac=1, random_state=3)  # not in time order: the file's order counts
    pd.concat([rows, rows.iloc[[len(rows) // 2]], stranger]).to_csv(path, index=False)
    return folder


def config(folder, tmp_path, name: str, stream: str) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"data: {folder}\nclient: shop\nstream: {stream}\nprivacy:\n  pseudonymize: true\n"
    )
    return str(path)


@pytest.fixture(autouse=True)
def quick_page(monkeypatch):
    """The page's notebook is tested by test_track_run and the browser test: here a stub,
    so that six runs take seconds."""
    monkeypatch.setenv("RVQ_PSEUDONYM_KEY", "a test key, long enough to be a secret")

    def stub(folder, work, **_):
        (folder / "index.html").write_text("page")
        return folder / "index.html"

    monkeypatch.setattr(track_run, "render_track_page", stub)


def track(source, period, tmp_path, name):
    return run_track(source, as_of=period, out=tmp_path / name, cache_dir=tmp_path / f"c-{name}")


def store_rows(run) -> dict[str, pd.DataFrame]:
    with open_store(run.store) as store:
        present = store.backend.tables()
        return {
            name: store.table(name).drop(columns=list(RUN_COLUMNS), errors="ignore")
            for name in TABLES
            if name in present
        }


def document(run) -> dict:
    out = json.loads((run.folder / "track.json").read_text())
    out.pop("created")
    out["store"].pop("location")
    return out


def assert_same_store(a, b) -> None:
    first, second = store_rows(a), store_rows(b)
    assert first.keys() == second.keys()
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], check_dtype=False, obj=name)


def test_a_summed_pilot_tracks_as_a_whole_one(folder, tmp_path, monkeypatch):
    whole = track(config(folder, tmp_path, "whole", "never"), "2024Q1", tmp_path, "whole")
    streamed_config = config(folder, tmp_path, "streamed", "always")
    streamed = track(streamed_config, "2024Q1", tmp_path, "streamed")
    assert [str(p) for p in streamed.appended] == [str(p) for p in whole.appended]
    assert len(whole.appended) == 5
    assert_same_store(whole, streamed)
    assert document(whole) == document(streamed)
    events = store_rows(streamed)["track_events"]
    assert events["account_id"].str.startswith("acct_").all()  # pseudonyms, as the whole read's
    assert not events["event_id"].isin(["E-stranger"]).any()
    assert not events[["period", "event_id"]].duplicated().any()

    # a pilot read whole but above CELLS_ABOVE_ROWS keeps cells too: the same store
    with monkeypatch.context() as patch:
        patch.setattr(cells, "CELLS_ABOVE_ROWS", 0)
        summed = track(config(folder, tmp_path, "summed", "never"), "2024Q1", tmp_path, "summed")
    assert_same_store(whole, summed)
    assert document(whole) == document(summed)

    # the same period again appends nothing and never reads the source
    before = store_rows(streamed)
    with monkeypatch.context() as patch:
        patch.setattr(track_run, "source_events", lambda *_: pytest.fail("read the source"))
        again = track(streamed_config, "2024Q1", tmp_path, "streamed")
    assert again.appended == []
    after = store_rows(streamed)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)

    # one new period appends its rows alone, the same as the whole path's
    later = track(streamed_config, "2024Q2", tmp_path, "streamed")
    assert [str(p) for p in later.appended] == ["2024Q2"]
    grown = store_rows(streamed)
    for name in ("track_events", "track_panel"):
        old = grown[name][grown[name]["period"] != "2024Q2"].reset_index(drop=True)
        pd.testing.assert_frame_equal(old, before[name], obj=name)
    whole_later = track(config(folder, tmp_path, "whole", "never"), "2024Q2", tmp_path, "whole")
    assert_same_store(whole_later, later)
    assert document(whole_later) == document(later)


def test_a_summed_pilot_from_a_database_tracks_as_a_whole_one(folder, tmp_path, monkeypatch):
    """Interactions in a database are never streamed: a pilot above CELLS_ABOVE_ROWS reads
    them whole, and so does `rvq track` for the periods it lacks."""
    import duckdb

    database = tmp_path / "crm.duckdb"
    with duckdb.connect(str(database)) as con:
        for csv in sorted(folder.glob("*.csv")):
            con.execute(
                f"CREATE TABLE {csv.stem} AS SELECT * FROM read_csv(?, all_varchar = true)",
                [str(csv)],
            )
    tables = {csv.stem: f"duckdb:///{database}#{csv.stem}" for csv in folder.glob("*.csv")}
    path = tmp_path / "crm.yaml"
    path.write_text(
        json.dumps({"client": "shop", "tables": tables, "privacy": {"pseudonymize": True}})
    )
    whole = track(str(path), "2024Q1", tmp_path, "whole")
    with monkeypatch.context() as patch:
        patch.setattr(cells, "CELLS_ABOVE_ROWS", 0)
        summed = track(str(path), "2024Q1", tmp_path, "summed")
    assert len(summed.appended) == 5
    assert_same_store(whole, summed)
    assert document(whole) == document(summed)
