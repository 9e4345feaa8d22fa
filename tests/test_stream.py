"""A pilot whose interactions CSV is streamed (`rvq.scoring.stream`) equals the pilot read whole.

The streamed path validates the CSV in blocks, scores it on DuckDB and keeps event cells
instead of events; every figure a notebook shows must come out the same. Blocks here are
16 kB, so a world of a few thousand rows crosses many block boundaries.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import STREAM_TEST_BLOCKS as SMALL_BLOCKS
from conftest import config_file

from rvq import inputs, scoring, synth
from rvq import pilot as pilot_cache
from rvq.cli import main
from rvq.config import load_config
from rvq.scoring import cells, stream
from rvq.steps import datamap, gaps, history


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory) -> Path:
    """A synthetic dataset with a duplicate across blocks, a malformed line, a bad date and
    rows without a team (empty labels form their own cell)."""
    world = synth.generate_world(synth.WorldSpec(accounts=60, periods=8, seed=11))
    data = synth.write_world(world, tmp_path_factory.mktemp("stream") / "data")
    path = data / "interactions.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame.index[::13], "team"] = ""
    frame.loc[frame.index[40], "team"] = "partners"  # a rep in two teams
    again = frame.iloc[[3]].assign(event_id="E-again")  # a possible duplicate, blocks apart
    frame = pd.concat([frame, again], ignore_index=True)
    frame.to_csv(path, index=False)
    lines = path.read_text(encoding="utf-8").splitlines()
    with path.open("a", encoding="utf-8") as fh:
        fh.write(lines[5] + "\n")  # repeats a row of the first block
        fh.write("x,y\n")  # too few fields
        fh.write(lines[9].replace("20", "xx", 1) + "\n")  # unparseable timestamp
    return data


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with categorical columns (a streamed pilot's text) as their text."""
    return frame.apply(
        lambda c: (
            c.astype(c.cat.categories.dtype) if isinstance(c.dtype, pd.CategoricalDtype) else c
        )
    )


def test_streamed_cells_equal_the_cells_of_the_scored_events(world_dir, tmp_path):
    whole = inputs.load_dataset(world_dir, progress=False)
    events = scoring.score_events(whole.interactions, whole.catalog, freq=whole.config.freq)
    expected = cells.event_cells(events)

    got = stream.streamed_panel(world_dir, block_size=SMALL_BLOCKS, work_dir=tmp_path).cells

    assert list(got.columns) == list(expected.columns)
    assert got["n_events"].sum() == len(whole.interactions)
    assert (got["team"].isna() | got["team"].eq("")).any()
    assert got["account_id"].dtype == "category"  # tens of millions of cells: text as codes
    assert got["timestamp"].dtype == expected["timestamp"].dtype == "datetime64[ns]"
    assert got["n_events"].dtype == "int64"
    pd.testing.assert_frame_equal(
        cells.as_text(got), cells.as_text(expected), check_dtype=False, atol=1e-9
    )


def test_the_stream_setting_decides_which_file_is_streamed(world_dir, tmp_path):
    config = load_config(world_dir)
    size = (world_dir / "interactions.csv").stat().st_size
    assert config.stream == "auto"
    assert stream.streamed_interactions(config, available=10**12) is None
    assert stream.streamed_interactions(config, available=size) == world_dir / "interactions.csv"
    always = config.model_copy(update={"stream": "always"})
    never = config.model_copy(update={"stream": "never"})
    assert stream.streamed_interactions(always, available=10**12) is not None
    assert stream.streamed_interactions(never, available=1) is None

    parquet = tmp_path / "parquet"
    parquet.mkdir()
    pd.read_csv(world_dir / "interactions.csv", dtype=str).to_parquet(
        parquet / "interactions.parquet"
    )
    parquet_config = load_config(parquet).model_copy(update={"stream": "always"})
    assert stream.streamed_interactions(parquet_config) == parquet / "interactions.parquet"
    parquet_never = parquet_config.model_copy(update={"stream": "never"})
    assert stream.streamed_interactions(parquet_never, available=1) is None


def test_a_streamed_pilot_keeps_cells_not_events(pilots):
    whole, streamed = pilots
    assert not whole.streamed and whole.interaction_rows is not None
    assert streamed.streamed and streamed.interaction_rows is None
    assert whole.dataset.interactions is None is streamed.dataset.interactions  # one copy
    assert "n_events" in streamed.events and "n_events" not in whole.events
    assert len(streamed.events) < len(whole.events)


def test_a_streamed_pilot_counts_and_scores_as_the_whole_one(pilots):
    whole, streamed = pilots
    assert streamed.data_counts() == whole.data_counts()
    assert streamed.table_counts() == whole.table_counts()
    assert streamed.table_counts()["interactions"]["set_aside"] == 3
    keys = ["account_id", "period"]
    expected = whole.panel.sort_values(keys, ignore_index=True)
    got = streamed.panel.sort_values(keys, ignore_index=True)[expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, atol=1e-9)


def test_a_streamed_pilot_maps_data_and_gaps_as_the_whole_one(pilots):
    whole, streamed = pilots
    catalog = whole.dataset.catalog
    pd.testing.assert_frame_equal(
        datamap.catalog_coverage(streamed.events, catalog),
        datamap.catalog_coverage(whole.events, catalog),
        check_dtype=False,
    )
    for label in ("source_system", "team"):
        pd.testing.assert_frame_equal(
            datamap.source_coverage(streamed.events, by=label, freq=streamed.freq),
            datamap.source_coverage(whole.events, by=label, freq=whole.freq),
            check_dtype=False,
        )
    kinds = ("backward", "costly")  # stalls from cells price by a cell's mean cost
    from_cells = gaps.process_gaps(streamed.events, streamed.panel, catalog, kinds=kinds)
    from_events = gaps.process_gaps(whole.events, whole.panel, catalog, kinds=kinds)
    assert not from_events.summary.empty
    for part in ("summary", "interactions", "aspects"):
        pd.testing.assert_frame_equal(
            getattr(from_cells, part), getattr(from_events, part), check_dtype=False
        )


def test_a_streamed_pilot_finds_the_same_duplicates_and_conflicts(pilots):
    found = {}
    for name, pilot in zip(("whole", "streamed"), pilots, strict=True):
        d = pilot.dataset
        found[name] = history.duplicates_and_conflicts(
            pilot.interaction_rows, pilot.validation, d.outcomes, d.accounts, digest=pilot.digest
        )
    checks = set(found["streamed"]["check"])
    assert {"duplicate_set_aside", "possible_duplicate", "conflicting_team"} <= checks
    pd.testing.assert_frame_equal(found["streamed"], found["whole"], check_dtype=False)


def test_a_pseudonymized_streamed_pilot_caches_no_raw_identifier(world_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RVQ_PSEUDONYM_KEY", "stream-test-key")
    monkeypatch.setattr(stream, "BLOCK_SIZE", SMALL_BLOCKS)
    config = config_file(tmp_path, world_dir, "always", privacy={"pseudonymize": True})
    pilot = pilot_cache.open_pilot(config, cache_dir=tmp_path / "cache")
    assert pilot.streamed
    raw = pd.read_csv(world_dir / "accounts.csv", dtype=str)["account_id"]
    assert not set(pilot.panel["account_id"]) & set(raw)
    assert not set(pilot.events["account_id"]) & set(raw)
    assert not set(pilot.digest.repeats["account_id"]) & set(raw)
    assert pilot.events["account_id"].dtype == "category"  # pseudonyms kept as compact
    assert pilot.panel["account_id"].is_monotonic_increasing
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert pilot_cache.open_pilot(config, cache_dir=tmp_path / "cache").streamed  # read back
    assert str(pilot.panel["account_id"].iloc[0]).encode() in stored  # text stored as written
    leaked = [a for a in raw if a.encode() in stored]
    assert not leaked, leaked[:5]


def test_rvq_validate_streams_a_big_csv_and_reports_the_same_problems(world_dir, tmp_path, capsys):
    outputs = {}
    for mode in ("never", "always"):
        assert main(["validate", str(config_file(tmp_path, world_dir, mode))]) == 0
        outputs[mode] = capsys.readouterr().out
    assert "interactions       5," in outputs["always"] and "duplicate_event" in outputs["always"]
    rules = [set(re.findall(r"\[(\w+)\]:", text)) for text in outputs.values()]
    assert rules[0] == rules[1] == {"malformed_row", "unparseable_timestamp", "duplicate_event"}
    tables = [text.split("SET ASIDE")[0] for text in outputs.values()]
    assert tables[0] == tables[1]


# --------------------------------------------------------------------------- parity
def _variant(tmp_path: Path, name: str) -> Path:
    """A small world, changed as real exports are: the whole read is the reference."""
    world = synth.generate_world(synth.WorldSpec(accounts=30, periods=6, seed=4))
    data = synth.write_world(world, tmp_path / name)
    path = data / "interactions.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if name == "bad_block":  # one stretch of the file in another date format
        stretch = frame.index[1000:1400]
        frame.loc[stretch, "timestamp"] = pd.to_datetime(
            frame.loc[stretch, "timestamp"]
        ).dt.strftime("%d/%m/%Y")
    elif name == "no_event_id":  # a row repeated except for its team is no duplicate
        frame = frame.drop(columns="event_id")
        twin = frame.iloc[[2]].assign(team="partners")
        copy = frame.iloc[[5]]
        frame = pd.concat([frame, twin, copy], ignore_index=True)
    elif name == "many_unmapped":  # more set-aside rows than any example list holds
        frame.loc[frame.index[:1500], "interaction_code"] = "EARLY_UNMAPPED"
        frame.loc[frame.index[-48:], "interaction_code"] = "LATE_UNMAPPED"
        frame = pd.concat([frame, frame.iloc[[1600, 1700]]], ignore_index=True)  # duplicates
    elif name == "zones":  # offsets only in the second half of the file
        late = frame.index[len(frame) // 2 :: 3]
        frame.loc[late, "timestamp"] = (
            pd.to_datetime(frame.loc[late, "timestamp"]).dt.strftime("%Y-%m-%dT%H:%M:%S") + "+02:00"
        )
    elif name == "repeats_of_set_aside":  # a duplicate repeats a used row, whole or streamed
        fixed = frame.iloc[[10]].assign(interaction_code="UNMAPPED:Note")
        twice = frame.iloc[[20]].assign(interaction_code="UNMAPPED:Call")
        frame = pd.concat([fixed, twice, frame, twice], ignore_index=True)
    elif name in ("messy_text", "gzip"):  # ; and cp1252, quoted newlines, broken lines
        frame.loc[frame.index[::7], "team"] = "équipe ventes; région\nnord"
        path.unlink()
        text = frame.to_csv(index=False, sep=";").splitlines(keepends=True)
        text[900:900] = ["A00001;broken\n"]
        text[2100:2100] = ["A00002;also;broken\n"]
        raw = "".join(text).encode("cp1252")
        if name == "gzip":
            (data / "interactions.csv.gz").write_bytes(gzip.compress(raw))
        else:
            path.write_bytes(raw)
        return data
    frame.to_csv(path, index=False)
    return data


#: rules whose example rows are the first in the file, whole or streamed
_FIRST_EXAMPLES = (
    "malformed_row",
    "unparseable_timestamp",
    "unknown_interaction_code",
    "duplicate_event",
)


def _problems(validation) -> list[tuple]:
    return sorted(
        (
            p.table, p.rule, p.column or "", p.severity, p.rows, p.message,
            tuple(e.get("line") for e in p.examples) if p.rule in _FIRST_EXAMPLES else (),
        )
        for p in validation.problems
    )  # fmt: skip


@pytest.mark.parametrize(
    "name",
    [
        "bad_block",
        "no_event_id",
        "many_unmapped",
        "zones",
        "messy_text",
        "gzip",
        "repeats_of_set_aside",
    ],
)
def test_a_streamed_read_reports_what_a_whole_read_reports(tmp_path, monkeypatch, name):
    monkeypatch.setattr(stream, "BLOCK_SIZE", SMALL_BLOCKS)
    data = _variant(tmp_path, name)
    whole, streamed = (
        pilot_cache.open_pilot(config_file(tmp_path, data, mode), cache_dir=tmp_path / "cache")
        for mode in ("never", "always")
    )
    assert streamed.streamed
    assert streamed.table_counts() == whole.table_counts()
    assert _problems(streamed.validation) == _problems(whole.validation)
    json.dumps(streamed.validation.to_dict())  # examples are JSON-safe
    pd.testing.assert_frame_equal(
        datamap.unmapped_codes(streamed.validation, whole.dataset.catalog),
        datamap.unmapped_codes(whole.validation, whole.dataset.catalog),
        check_dtype=False,
    )
    found = [
        history.duplicates_and_conflicts(
            p.interaction_rows, p.validation, p.dataset.outcomes, p.dataset.accounts,
            digest=p.digest,
        )
        for p in (whole, streamed)
    ]  # fmt: skip
    pd.testing.assert_frame_equal(found[1], found[0], check_dtype=False)
    keys = ["account_id", "period"]
    expected = whole.panel.sort_values(keys, ignore_index=True)
    got = streamed.panel.sort_values(keys, ignore_index=True)[expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, atol=1e-9)


def test_a_file_whose_every_row_is_set_aside_is_one_clear_fatal_problem(tmp_path, capsys):
    data = _variant(tmp_path, "plain")
    path = data / "interactions.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.assign(interaction_code="NOT_IN_THE_MODEL").to_csv(path, index=False)
    for mode in ("never", "always"):
        config = config_file(tmp_path, data, mode)
        assert main(["backtest", str(config)]) == 2
        error = capsys.readouterr().err
        assert "none of the" in error and error.count("rvq validate") == 1, error
        validation = stream.streamed_validation(config, work_dir=tmp_path / mode).validation
        assert [p.rule for p in validation.problems if p.severity == "fatal"] == ["no_usable_rows"]


CRM = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "crm"


@pytest.mark.parametrize("preset", ["salesforce", "hubspot", "dynamics365"])
def test_a_streamed_crm_export_runs_every_step_as_the_whole_read(tmp_path, monkeypatch, preset):
    """A CRM export (preset, unmapped activity types, messy dates) in 1 kB blocks."""
    monkeypatch.setattr(stream, "BLOCK_SIZE", 1 << 10)
    folder = tmp_path / preset
    shutil.copytree(CRM / preset, folder)
    spec = yaml.safe_load((folder / "pilot.yaml").read_text())
    pilots = []
    for mode in ("never", "always"):
        config = folder / f"pilot-{mode}.yaml"
        config.write_text(yaml.safe_dump({**spec, "stream": mode}))
        pilots.append(pilot_cache.open_pilot(config, cache_dir=tmp_path / "cache"))
    whole, streamed = pilots
    assert streamed.streamed and streamed.table_counts() == whole.table_counts()
    assert _problems(streamed.validation) == _problems(whole.validation)
    catalog = whole.dataset.catalog
    pd.testing.assert_frame_equal(
        datamap.unmapped_codes(streamed.validation, catalog),
        datamap.unmapped_codes(whole.validation, catalog),
        check_dtype=False,
    )
    found = [gaps.process_gaps(p.events, p.panel, catalog, n=6) for p in pilots]
    assert not found[0].candidates.empty
    for part in ("summary", "interactions", "aspects", "candidates"):
        pd.testing.assert_frame_equal(
            getattr(found[1], part), getattr(found[0], part), check_dtype=False
        )


def _refusal(config: Path, cache_dir: Path) -> str:
    with pytest.raises(pilot_cache.PilotInputError) as info:
        pilot_cache.open_pilot(config, cache_dir=cache_dir)
    return str(info.value).replace(config.name, "pilot.yaml")


@pytest.mark.parametrize("broken", ["missing_voc_file", "header_only", "months_of_quarters"])
def test_a_streamed_pilot_refuses_bad_input_in_the_words_of_a_whole_read(
    tmp_path, monkeypatch, broken
):
    monkeypatch.setattr(stream, "BLOCK_SIZE", SMALL_BLOCKS)
    data = _variant(tmp_path, "plain")
    extra = {}
    if broken == "missing_voc_file":
        extra["tables"] = {"voc": str(tmp_path / "nowhere" / "voc.csv")}
    elif broken == "header_only":
        path = data / "interactions.csv"
        path.write_text(path.read_text().splitlines()[0] + "\n")
    else:
        extra["freq"] = "M"
    reasons = [
        _refusal(config_file(tmp_path, data, mode, **extra), tmp_path / "cache")
        for mode in ("never", "always")
    ]
    assert reasons[0] == reasons[1]


def test_outcomes_all_set_aside_are_one_clear_fatal_problem(tmp_path, capsys, monkeypatch):
    """Issue 12 item 10: a required table with no usable row stops the pilot with its likely
    cause, read whole or streamed, instead of a pilot running on empty outcomes."""
    monkeypatch.setattr(stream, "BLOCK_SIZE", SMALL_BLOCKS)
    data = _variant(tmp_path, "plain")
    outcomes = pd.read_csv(data / "outcomes.csv", dtype=str)
    outcomes.assign(account_id="NOBODY").to_csv(data / "outcomes.csv", index=False)
    for mode in ("never", "always"):
        config = config_file(tmp_path, data, mode)
        assert main(["backtest", str(config)]) == 2
        error = capsys.readouterr().err
        assert "none of the" in error and "unknown_account" in error, error


def test_duckdb_draws_no_progress_bar_on_stdout(tmp_path):
    """DuckDB draws one on stdout for queries over 2 s, even into a pipe: it would end up in
    `rvq validate`'s report and in scripts reading JSON from stdout."""
    from rvq.scoring import engines

    con = stream.duckdb_in("1GB", tmp_path)
    try:
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    finally:
        con.close()
    ibis_con = engines.duckdb_connection(temp_directory=tmp_path)
    setting = ibis_con.raw_sql("SELECT current_setting('enable_progress_bar')").fetchone()
    assert setting == (False,)
