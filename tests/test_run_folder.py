"""Run-folder details a consultant meets (issue 12, item 16): a killed run's `.partial`
folder is named by the next run, a non-ASCII client keeps a readable folder name, and a
table present under two names says which file is read (`rvq validate` and the run)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import write_tables
from test_pipeline import StandInPilot, run_folders, stand_in, write_stand_ins  # noqa: F401

from rvq import cli, pipeline, report
from rvq.config import load_config
from rvq.inputs.dataset import locate_tables, table_file_notes

ONLY_06 = (pipeline.STEPS[5],)


@pytest.mark.parametrize(
    "client, folder",
    [
        ("Müller & Söhne", "Muller-Sohne"),
        ("Straße Ørsted A/S", "Strasse-Orsted-A-S"),
        ("Газпром нефть", "Газпром-нефть"),  # no Latin form: the letters stay
        ("acme & co", "acme-co"),  # ASCII names as before
        ("../../etc/passwd", "etc-passwd"),  # never a path out of the reports folder
        ("  ...  ", "client"),
    ],
)
def test_client_folder_names_stay_readable(client, folder):
    assert pipeline.client_folder_name(client) == folder


def test_a_non_ascii_client_gets_a_readable_run_folder(stand_in, monkeypatch):  # noqa: F811
    monkeypatch.setattr(StandInPilot, "client", "Müller & Söhne")
    notebooks = write_stand_ins(stand_in / "nb")
    run = pipeline.run_pilot("src", stand_in / "r", False, notebooks=notebooks, steps=ONLY_06)
    assert run.parent.name == "Muller-Sohne"


def test_a_killed_runs_partial_folder_is_named_by_the_next_run(stand_in, capsys):  # noqa: F811
    notebooks = write_stand_ins(stand_in / "nb")
    out = stand_in / "reports"
    first = pipeline.run_pilot("src", out, False, notebooks=notebooks, steps=ONLY_06)
    assert report.read_findings(first)[report.RUN_RECORD]["notes"] == []
    killed = first.parent / "20260101T000000Z-abcdef.partial"  # what a SIGKILL leaves
    killed.mkdir()
    capsys.readouterr()
    second = pipeline.run_pilot("src", out, True, notebooks=notebooks, steps=ONLY_06)
    notes = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("note:")]
    assert len(notes) == 1 and str(killed) in notes[0] and "killed" in notes[0]
    assert report.read_findings(second)[report.RUN_RECORD]["notes"] == [notes[0][6:]]
    assert killed.is_dir()  # named, never removed: it may be a run still going
    assert pipeline.unfinished_runs(first.parent) == [killed]


@pytest.fixture
def two_interactions(tmp_path, valid_tables):
    """A dataset folder holding interactions both as .parquet and as .csv."""
    folder = write_tables(tmp_path / "both", valid_tables)
    valid_tables["interactions"].to_parquet(folder / "interactions.parquet", index=False)
    return folder


def test_the_file_read_is_named_when_a_table_has_two(two_interactions, dataset_dir):
    config = load_config(two_interactions)
    [note] = table_file_notes(config)
    read = locate_tables(config)["interactions"]
    assert read.name == "interactions.parquet"
    assert note.startswith(f"interactions: reading {read}, not interactions.csv")
    assert table_file_notes(load_config(dataset_dir)) == []  # one file each: nothing to say


def test_a_configured_table_file_is_no_choice(two_interactions, tmp_path):
    config_file = tmp_path / "pilot.yaml"
    config_file.write_text(
        f"data: {two_interactions}\ntables:\n  interactions: {two_interactions}/interactions.csv\n"
    )
    assert table_file_notes(load_config(config_file)) == []


def test_validate_says_which_file_it_read(two_interactions, capsys):
    cli.main(["validate", str(two_interactions)])
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("note: interactions: reading ")
    assert "interactions.parquet, not interactions.csv" in out


def test_the_run_says_which_file_it_read(stand_in, two_interactions, monkeypatch, capsys):  # noqa: F811
    def open_pilot(source, cache_dir=None, refresh=False):
        pilot = StandInPilot(stand_in)
        pilot.config = SimpleNamespace(output=None, data=two_interactions, tables={})
        return pilot

    monkeypatch.setattr(pipeline, "open_pilot", open_pilot)
    notebooks = write_stand_ins(stand_in / "nb")
    run = pipeline.run_pilot("src", stand_in / "r", True, notebooks=notebooks, steps=ONLY_06)
    err = capsys.readouterr().err
    assert "note: interactions: reading " in err and "not interactions.csv" in err
    [note] = report.read_findings(run)[report.RUN_RECORD]["notes"]
    assert "interactions.parquet" in note
