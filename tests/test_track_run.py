"""`rvq track` end to end on a small synthetic world: the folder it writes (formula-safe
CSVs, track.json keeping its contract, the page), a re-run of the period that changes
nothing in the store, one new period that appends only itself, and one-line errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rvq import cli
from rvq.synth import WorldSpec, generate_world, write_world
from rvq.track.document import check_track
from rvq.track.history import TrackHistory, TrackList
from rvq.track.run import LISTS, TrackError, run_track
from rvq.track.store import TABLES, open_store

HOSTILE = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script>'


def hostile_list(history: TrackHistory) -> TrackList:
    """A list whose reason starts like a formula and holds markup."""
    now = history.panel[history.panel["period"] == history.as_of].head(3)
    table = now[["account_id", "rv_flow"]].assign(reason=HOSTILE).reset_index(drop=True)
    return TrackList("hostile", "A hostile <b>title</b>", table, {"rows": 3}, HOSTILE)


def empty_list(history: TrackHistory) -> TrackList:
    return TrackList(
        "empty", "Nothing", pd.DataFrame(columns=["reason"]), {}, "No campaigns table was given."
    )


FAKE = {"hostile": hostile_list, "empty": empty_list}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data") / "shop"
    write_world(generate_world(WorldSpec(accounts=80, periods=6, seed=4)), folder)
    return folder


def store_rows(location) -> dict[str, pd.DataFrame]:
    with open_store(location) as store:
        present = store.backend.tables()
        return {name: store.table(name) for name in TABLES if name in present}


def test_track_writes_its_folder_and_a_rerun_changes_nothing(source, tmp_path):
    out, cache = tmp_path / "reports", tmp_path / "cache"
    first = run_track(source, as_of="2024Q1", out=out, cache_dir=cache, lists=FAKE)
    assert first.folder == out.resolve() / "shop" / "track-2024Q1"
    assert [str(p) for p in first.appended][-1] == "2024Q1" and len(first.appended) == 5
    names = {p.name for p in first.folder.iterdir()}
    assert {"index.html", "track.json", "hostile.csv", "empty.csv"} <= names
    assert not any(n.startswith(".") for n in names)  # the page's work folder is gone
    document = json.loads((first.folder / "track.json").read_text())
    assert check_track(document) == []
    assert [e["name"] for e in document["lists"]] == ["hostile", "empty"]
    assert document["store"]["appended"][-1] == "2024Q1"
    csv = pd.read_csv(first.folder / "hostile.csv", dtype=str)
    assert csv["reason"].str.startswith("'=").all()  # a spreadsheet shows it as text
    page = (first.folder / "index.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "A hostile &lt;b&gt;title&lt;/b&gt;" in page

    store = out.resolve() / "shop" / "track.duckdb"
    before = store_rows(store)
    again = run_track(source, as_of="2024Q1", out=out, cache_dir=cache, lists=FAKE)
    assert again.appended == []
    after = store_rows(store)
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)

    later = run_track(source, as_of="2024Q2", out=out, cache_dir=cache, lists=FAKE)
    assert [str(p) for p in later.appended] == ["2024Q2"]
    assert len(later.tracked) == 6
    assert (out.resolve() / "shop" / "track-2024Q1" / "index.html").is_file()  # kept


def test_a_period_outside_the_data_is_one_line(source, tmp_path):
    with pytest.raises(TrackError, match=r"--as-of 2031Q1 is outside the data's quarters"):
        run_track(source, as_of="2031Q1", out=tmp_path, cache_dir=tmp_path / "c", lists=FAKE)
    with pytest.raises(TrackError, match="is not a quarter"):
        run_track(source, as_of="soon", out=tmp_path, cache_dir=tmp_path / "c", lists=FAKE)


def test_the_command_runs_every_list(source, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RVQ_CACHE_DIR", str(tmp_path / "cache"))
    code = cli.main(["track", str(source), "--out", str(tmp_path / "r"), "--as-of", "2024Q2"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "appended: 2023Q1" in printed.out and "track-2024Q2" in printed.out
    folder = tmp_path / "r" / "shop" / "track-2024Q2"
    document = json.loads((folder / "track.json").read_text())
    assert [e["name"] for e in document["lists"]] == list(LISTS)
    for entry in document["lists"]:
        csv = pd.read_csv(folder / entry["file"], dtype=str)
        assert len(csv) == entry["rows"]
        assert entry["rows"] == 0 or csv.columns[-1] == "reason", entry["name"]
    code = cli.main(["track", str(source), "--out", str(tmp_path / "r"), "--as-of", "1999Q1"])
    assert code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_suppressed_row_shows_no_figure_not_even_in_its_reason():
    from rvq.track.history import TrackList
    from rvq.track.run import shown_table

    teams = pd.DataFrame({"name": ["R-1", "R-2"], "n_accounts": [3, 40], "rv": [9.66, 5.1]}).assign(
        reason=["9.66 RV per 100 of cost over 3 accounts", "5.1 RV over 40 accounts"]
    )
    shown = shown_table(TrackList("team_performance", "", teams, {}, ""), 5)
    assert shown["reason"].iloc[0] == "Figures suppressed (< 5 accounts)."
    assert "9.66" not in shown.to_csv() and shown["reason"].iloc[1] == teams["reason"].iloc[1]
    arms = pd.DataFrame({"n_arm": [40, 40], "n_control": [2, 40], "difference": [1.5, 2.5]})
    arms["reason"] = ["a difference of +1.5", "a difference of +2.5"]
    shown = shown_table(TrackList("campaign_effects", "", arms, {}, ""), 5)
    assert "+1.5" not in shown.to_csv() and "+2.5" in shown.to_csv()
