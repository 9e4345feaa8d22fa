"""The command line end to end on a small synthetic world: demo → validate → backtest."""

from __future__ import annotations

import json

import pytest

from rvq import report
from rvq.cli import main


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "demo"
    code = main(
        ["demo", "--out", str(out), "--accounts", "300", "--periods", "10", "--seed", "3"]
        + ["--quiet"]
    )
    assert code == 0
    return out


def test_demo_writes_the_canonical_folder_and_its_truth(small_demo):
    names = {p.name for p in small_demo.iterdir()}
    assert {"interactions.csv", "accounts.csv", "outcomes.csv", "voc.csv", "truth.json"} <= names
    truth = json.loads((small_demo / "truth.json").read_text())
    assert truth["outcomes"]["profit"]["lag"] == 2


def test_validate_passes_a_clean_demo(small_demo, capsys):
    assert main(["validate", str(small_demo)]) == 0
    out = capsys.readouterr().out
    # the one warning: the planted prospects (rvq.synth.prospects) have no outcomes yet
    prospects = json.loads((small_demo / "truth.json").read_text())["prospects"]["count"]
    assert "WARNING (1)" in out and f"{prospects} accounts have no outcomes" in out


def test_backtest_writes_a_summary_that_meets_the_contract(small_demo, tmp_path, monkeypatch):
    monkeypatch.setenv("RVQ_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "out" / "summary.json"
    assert main(["backtest", str(small_demo), "--json", str(target)]) == 0
    summary = json.loads(target.read_text())
    assert report.check_summary(summary) == []
    assert summary["data"]["events_read"] == (
        summary["data"]["events_used"] + summary["data"]["events_set_aside"]
    )
    truth = json.loads((small_demo / "truth.json").read_text())
    assert summary["data"]["accounts"] == 300 + truth["prospects"]["count"]


def test_validate_and_backtest_stop_on_a_fatal_dataset(small_demo, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("accounts.csv", "outcomes.csv"):
        (broken / name).write_bytes((small_demo / name).read_bytes())
    lines = (small_demo / "interactions.csv").read_text().splitlines()
    header = lines[0].replace("timestamp", "when")
    (broken / "interactions.csv").write_text("\n".join([header, *lines[1:50]]) + "\n")
    assert main(["validate", str(broken)]) == 2
    assert main(["backtest", str(broken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("rvq backtest:") and "timestamp" in err[-1]
