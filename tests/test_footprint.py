"""`stream: auto` decides from the in-memory path's expected footprint (rvq.scoring.footprint),
says which path it took and why in the run's log, and a step whose kernel dies is reported
in one line with its peak memory and the setting that avoids it (rvq.pipeline)."""

from __future__ import annotations

import gzip
import json
import re

import nbformat
import numpy as np
import pandas as pd
import pytest
from test_pipeline import (  # noqa: F401
    StandInPilot,
    run_folders,
    stand_in,
    stand_in_notebook,
    write_stand_ins,
)

from rvq import pipeline, report
from rvq.cli import main
from rvq.config import load_config
from rvq.pilot import open_pilot
from rvq.scoring import footprint, stream

ONLY_06 = (pipeline.STEPS[5],)


def write_lines(path, n_rows: int, seed: int = 0) -> None:
    """A CSV of `n_rows` rows whose lines differ in length, as real exports do."""
    rng = np.random.default_rng(seed)
    notes = ["x" * int(k) for k in rng.integers(0, 60, n_rows)]
    frame = pd.DataFrame({"account_id": np.arange(n_rows), "note": notes})
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo dataset (`rvq demo`: 2,000 accounts and 120 prospects, about 301,000
    interactions)."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    assert main(["demo", "--out", str(folder), "--quiet"]) == 0
    return folder


def test_rows_are_counted_from_a_sample_not_a_read(tmp_path):
    big = tmp_path / "big.csv"
    write_lines(big, 200_000)  # some 7 MB: the start and the middle are sampled
    assert big.stat().st_size > 3 * footprint.SAMPLE_BYTES
    assert footprint.csv_rows(big) == pytest.approx(200_000, rel=0.02)
    small = tmp_path / "small.csv"
    write_lines(small, 1_000)
    assert footprint.csv_rows(small) == 1_000  # within one sample: counted exactly
    zipped = tmp_path / "big.csv.gz"
    zipped.write_bytes(gzip.compress(big.read_bytes()))
    assert footprint.csv_rows(zipped) == pytest.approx(200_000, rel=0.05)
    parquet = tmp_path / "interactions.parquet"
    pd.read_csv(small).to_parquet(parquet)
    assert footprint.interaction_rows(parquet) == 1_000  # from the metadata


def test_the_budget_variable_overrides_the_available_memory(monkeypatch):
    monkeypatch.setenv(footprint.BUDGET_VARIABLE, "512MB")
    assert footprint.available_memory() == 512_000_000
    monkeypatch.setenv(footprint.BUDGET_VARIABLE, "2.5 GB")
    assert footprint.available_memory() == 2_500_000_000
    monkeypatch.setenv(footprint.BUDGET_VARIABLE, "8G")
    assert footprint.available_memory() == 8_000_000_000
    monkeypatch.setenv(footprint.BUDGET_VARIABLE, "1000")
    assert footprint.available_memory() == 1000
    monkeypatch.setenv(footprint.BUDGET_VARIABLE, "lots")
    with pytest.raises(ValueError, match="RVQ_MEMORY_BUDGET='lots'"):
        footprint.available_memory()
    monkeypatch.delenv(footprint.BUDGET_VARIABLE)
    assert footprint.available_memory() > 1_000_000


def test_auto_weighs_the_expected_peak_not_the_file_size(demo):
    config = load_config(demo)
    size = (demo / "interactions.csv").stat().st_size
    choice = footprint.path_choice(config)  # this machine's real memory: the demo fits
    assert choice.streamed is None and choice.fits
    assert "read whole (stream: auto" in choice.line
    assert choice.rows == pytest.approx(len(pd.read_csv(demo / "interactions.csv")), rel=0.01)
    # four times the file's size was enough for the old rule; not for the events in memory
    cramped = footprint.path_choice(config, available=4 * size)
    assert cramped.streamed == demo / "interactions.csv" and not cramped.fits
    assert cramped.expected > 2 * size
    assert "streamed (stream: auto; set `stream: never` to force reading whole)" in cramped.line
    never = footprint.path_choice(config.model_copy(update={"stream": "never"}), available=1)
    assert never.streamed is None and "expected not to fit" in never.line
    always = config.model_copy(update={"stream": "always"})
    assert stream.streamed_interactions(always) == demo / "interactions.csv"


def test_a_parquet_book_expected_not_to_fit_is_streamed(tmp_path, demo, monkeypatch, capsys):
    folder = tmp_path / "parquet"
    folder.mkdir()
    for table in ("accounts", "outcomes", "voc"):
        (folder / f"{table}.csv").write_bytes((demo / f"{table}.csv").read_bytes())
    pd.read_csv(demo / "interactions.csv", dtype=str).to_parquet(folder / "interactions.parquet")
    config = load_config(folder)
    roomy = footprint.path_choice(config)
    assert roomy.streamed is None and "read whole" in roomy.line
    tight = footprint.path_choice(config, available=1_000_000)
    assert tight.streamed == folder / "interactions.parquet"
    assert "\n" not in tight.line
    assert "streamed (stream: auto; set `stream: never` to force reading whole)" in tight.line
    monkeypatch.setenv(footprint.BUDGET_VARIABLE, "1MB")
    pilot = open_pilot(folder, cache_dir=tmp_path / "cache")
    assert pilot.streamed and "streamed (stream: auto" in pilot.path_line
    assert "warning" not in capsys.readouterr().err


def test_a_tiny_budget_streams_the_demo_and_the_run_log_says_why(
    demo, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv(footprint.BUDGET_VARIABLE, "10MB")
    notebooks = write_stand_ins(tmp_path / "nb")
    run = pipeline.run_pilot(
        demo, tmp_path / "r", True, notebooks=notebooks, steps=ONLY_06, cache_dir=tmp_path / "c"
    )
    line = "free (RVQ_MEMORY_BUDGET): streamed (stream: auto; set `stream: never` to force reading whole)"
    assert line in capsys.readouterr().err
    log = (run / pipeline.RUN_LOG).read_text()
    assert "interactions: ~301," in log and line in log
    assert "step 06_rv_backtest:" in log and "kernel peak" in log
    record = json.loads((report.findings_dir(run) / "run.json").read_text())["findings"]
    assert any(line in note for note in record["notes"])
    assert record["kernel_peak_gb"]["06_rv_backtest"] > 0


def test_a_killed_kernel_is_one_line_with_its_peak_and_the_setting_to_change(stand_in):  # noqa: F811
    out = stand_in / "reports"
    notebooks = write_stand_ins(stand_in / "nb")
    body = (
        "import os, signal, time\n"
        "ballast = bytearray(400_000_000)\n"  # some resident memory to be seen
        "ballast[::4096] = b'x' * len(ballast[::4096])\n"
        "time.sleep(1)\n"
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    nbformat.write(stand_in_notebook("02_data_map", body), notebooks / "02_data_map.ipynb")
    with pytest.raises(pipeline.PilotError) as caught:
        pipeline.run_pilot("src", out, progress=False, notebooks=notebooks)
    message = str(caught.value)
    assert "\n" not in message
    peak = re.match(
        r"step 02_data_map failed: its kernel died \(peak ([\d.]+) GB resident", message
    )
    assert peak and float(peak[1]) >= 0.4, message
    assert "GB left free), most likely out of memory" in message
    assert "set `stream: always` in the config" in message
    [failed] = run_folders(out)
    assert "its kernel died" in (failed / pipeline.RUN_LOG).read_text()
