"""The cache of scored pilots (issue 12 items 3 and 15): an entry is Parquet and JSON files
with a checksummed manifest, so nothing in it can run code when read; a damaged entry is
found, removed and built again; two processes building one entry both end with a whole
one; `rvq cache list|clear`; and a run stops, with one line, when its entry vanishes or an
input file changes under it."""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
import threading
from pathlib import Path

import pandas as pd
import pytest

from rvq import cache, pipeline
from rvq import pilot as pilots
from rvq.cli import main


def broken_tables(valid_tables) -> dict[str, pd.DataFrame]:
    """The valid dataset with rows validation sets aside (an unknown code, a blank
    account), so problems with example rows and set-aside frames are stored too."""
    events = valid_tables["interactions"].copy()
    events.loc[3, "interaction_code"] = "NO_SUCH_CODE"
    events.loc[7, "account_id"] = None
    return dict(valid_tables, interactions=events)


@pytest.fixture
def dataset(tmp_path, valid_tables, write_dataset) -> Path:
    return write_dataset(tmp_path / "acme", broken_tables(valid_tables))


def the_entry(store: Path) -> Path:
    [entry] = store.glob("*/pilot-*")
    return entry


def assert_same_pilot(a: pilots.Pilot, b: pilots.Pilot) -> None:
    """Every field of the pilot, its dataset, validation and digest equal, frames with their
    dtypes (categories, datetimes, periods) and index: a field added to one of them and
    not to `to_entry`/`from_entry` fails here."""

    def same(x, y, what):
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True, check_column_type=True, obj=what)
        elif isinstance(x, pd.Series):
            pd.testing.assert_series_equal(x, y, check_exact=True, obj=what)
        elif isinstance(x, dict) and any(isinstance(v, pd.DataFrame) for v in x.values()):
            assert list(x) == list(y), what
            for k in x:
                same(x[k], y[k], f"{what}[{k}]")
        elif dataclasses.is_dataclass(x) and not isinstance(x, pilots.Pilot | type):
            for f in dataclasses.fields(x):
                same(getattr(x, f.name), getattr(y, f.name), f"{what}.{f.name}")
        else:
            assert x == y, what

    for f in dataclasses.fields(pilots.Pilot):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "path_line":  # the free memory it quotes moves between two scorings
            x, y = (re.sub(r"[\d.]+ GB free", "? GB free", line) for line in (x, y))
        if f.name == "stored_counts":  # a scored pilot counts, one read back has them stored
            x, y = a.data_counts(), b.data_counts()
        same(x, y, f.name)


# --------------------------------------------------------------------------- the format


def test_an_entry_is_parquet_and_json_listed_with_checksums(dataset, tmp_path):
    import hashlib

    store = tmp_path / "cache"
    pilot = pilots.open_pilot(dataset, cache_dir=store)
    entry = the_entry(store)
    manifest = json.loads((entry / "manifest.json").read_text())
    names = {p.name for p in entry.iterdir()}
    assert names == {"manifest.json", *manifest["files"]}
    assert all(n.endswith((".parquet", ".json")) for n in names)
    assert {"events.parquet", "panel.parquet", "set_aside.interactions.parquet"} <= names
    for name, record in manifest["files"].items():
        data = (entry / name).read_bytes()
        assert record == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    assert manifest["format"] == cache.CACHE_FORMAT and manifest["key"] == pilot.key
    assert manifest["source"] == str(dataset.resolve()) and manifest["client"] == "acme"
    assert [Path(p).name for p, *_ in manifest["inputs"]] == sorted(
        p.name for p in dataset.iterdir()
    )
    assert not list(store.rglob("*.pkl"))
    # stored as written (uncompressed): a search of the cache for a client's name finds it
    assert b"Borealis" in (entry / "dataset.accounts.parquet").read_bytes()
    for module in (cache, pilots):
        code = Path(module.__file__).read_text()
        assert "import pickle" not in code and "pickle.load" not in code


def test_a_pilot_reads_back_equal_to_the_one_scored(dataset, tmp_path):
    store = tmp_path / "cache"
    scored = pilots.open_pilot(dataset, cache_dir=store)
    assert scored.validation.set_aside["interactions"].shape[0] == 2
    assert any(p.examples for p in scored.validation.problems)
    read = pilots.open_pilot(dataset, cache_dir=store)
    assert read is not scored and read.events is not scored.events
    assert isinstance(read.events["account_id"].dtype, pd.CategoricalDtype)
    assert_same_pilot(scored, read)


def test_a_streamed_pseudonymized_pilot_reads_back_equal(tmp_path, monkeypatch):
    import yaml

    from rvq import synth

    monkeypatch.setenv("RVQ_PSEUDONYM_KEY", "cache-store-key")
    world = synth.generate_world(synth.WorldSpec(accounts=30, periods=5, seed=3))
    data = synth.write_world(world, tmp_path / "data")
    config = tmp_path / "pilot.yaml"
    settings = {"data": str(data), "stream": "always", "privacy": {"pseudonymize": True}}
    config.write_text(yaml.safe_dump(settings))
    scored = pilots.open_pilot(config, cache_dir=tmp_path / "cache")
    assert scored.streamed and scored.digest is not None and scored.digest.pairs
    assert_same_pilot(scored, pilots.open_pilot(config, cache_dir=tmp_path / "cache"))


def test_frames_pyarrow_cannot_store_as_they_are_are_stored_as_text(tmp_path):
    mixed = pd.DataFrame({"a": [1, "x", None], "b": [1.5, 2.5, 3.5]}, dtype=object)
    mixed.columns = ["a", "a"]  # rows as read from a client's file
    cache.write_parquet(mixed, tmp_path / "mixed.parquet")
    back = pd.read_parquet(tmp_path / "mixed.parquet")
    assert list(back.columns) == ["a", "a.1"]
    assert back["a"].tolist()[:2] == ["1", "x"] and pd.isna(back["a"].iloc[2])


# --------------------------------------------------------------------------- damage


def flip_a_block(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    ["flipped block", "truncated manifest", "missing file", "old format"],
)
def test_a_damaged_entry_is_removed_with_one_line_and_built_again(
    damage, dataset, tmp_path, capsys
):
    store = tmp_path / "cache"
    scored = pilots.open_pilot(dataset, cache_dir=store)
    entry = the_entry(store)
    manifest = entry / "manifest.json"
    if damage == "flipped block":
        flip_a_block(entry / "events.parquet")
    elif damage == "truncated manifest":
        manifest.write_bytes(manifest.read_bytes()[:100])
    elif damage == "missing file":
        (entry / "panel.parquet").unlink()
    else:
        older = json.loads(manifest.read_text()) | {"format": cache.CACHE_FORMAT - 1}
        manifest.write_text(json.dumps(older))
    capsys.readouterr()
    again = pilots.open_pilot(dataset, cache_dir=store)
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"warning: cache entry {entry} was damaged (")
    assert line.endswith("removed; building it again from the inputs")
    assert_same_pilot(scored, again)
    cache.read_entry(entry)  # whole again
    pilots.open_pilot(dataset, cache_dir=store)
    assert capsys.readouterr().err == ""  # and read from the cache, without a word


class Plant:
    """A pickle that would create `marker` when unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_planted_pickle_is_never_unpickled(dataset, tmp_path):
    import hashlib

    control = tmp_path / "control"
    pickle.loads(pickle.dumps(Plant(control)))
    assert control.exists()  # the payload works: unpickling it creates its file

    store = tmp_path / "cache"
    pilots.open_pilot(dataset, cache_dir=store)
    entry = the_entry(store)
    marker = tmp_path / "planted-pickle-ran"
    payload = pickle.dumps(Plant(marker))
    for path in (entry.with_suffix(".pkl"), entry.parent / "pilot.pkl", entry / "pilot.pkl"):
        path.write_bytes(payload)
    pilots.open_pilot(dataset, cache_dir=store)
    (entry / "panel.parquet").write_bytes(payload)  # a pickle where a table should be, and
    manifest = json.loads((entry / "manifest.json").read_text())  # a manifest made to match
    record = {"sha256": hashlib.sha256(payload).hexdigest(), "bytes": len(payload)}
    manifest["files"]["panel.parquet"] = record
    (entry / "manifest.json").write_text(json.dumps(manifest))
    pilot = pilots.open_pilot(dataset, cache_dir=store)  # not Parquet: built again
    assert len(pilot.panel) and not marker.exists()


def test_rvq_pilot_after_a_flipped_block_rebuilds_and_runs(dataset, tmp_path):
    """Today's failure: step 01 ran on the damaged entry and died (DeadKernelError)."""
    store = tmp_path / "cache"
    pilots.open_pilot(dataset, cache_dir=store)
    flip_a_block(the_entry(store) / "events.parquet")
    steps = (pipeline.STEPS[0], pipeline.STEPS[5])  # step 06: what summary.json needs
    run = pipeline.run_pilot(dataset, tmp_path / "reports", False, cache_dir=store, steps=steps)
    assert (run / "01_process_model.html").is_file() and (run / "summary.json").is_file()


def test_two_processes_building_one_entry_both_end_with_a_whole_one(tmp_path):
    barrier = threading.Barrier(2)
    frame = pd.DataFrame({"account_id": pd.Categorical(["b", "a"]), "rv": [1.0, 2.0]})
    results, errors = [], []

    def build():
        barrier.wait(timeout=30)  # both have missed and build at once
        return {"panel": frame, "info": {"n": 2}}

    def worker():
        try:
            results.append(cache.cached("k", tmp_path, build, code="c0ffee"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and [hit for _, hit in results] == [False, False]
    parts, _ = cache.read_entry(cache.entry_folder(tmp_path, "k", "c0ffee"))
    pd.testing.assert_frame_equal(parts["panel"], frame)
    assert [p.name for p in (tmp_path / "k").iterdir()] == ["pilot-c0ffee"]  # no temp left


# --------------------------------------------------------------------------- rvq cache


def test_rvq_cache_lists_and_clears(dataset, tmp_path, monkeypatch, capsys):
    store = tmp_path / "cache"
    monkeypatch.setenv("RVQ_CACHE_DIR", str(store))
    assert main(["cache", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"cache: {store}", "no scored pilots"]
    pilot = pilots.open_pilot(dataset)
    (store / "not-a-key").mkdir()  # not the cache's: never listed or removed
    assert main(["cache", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    size = cache.size_text(cache.folder_size(store / pilot.key))
    assert out[0] == f"cache: {store}" and out[-1] == f"1 scored pilot, {size}"
    assert out[2].startswith(pilot.key) and out[2].endswith(f"acme  {dataset.resolve()}")
    assert size in out[2] and cache.code_version() in out[2]

    assert main(["cache", "clear", "--older-than", "1"]) == 0  # written just now
    assert capsys.readouterr().out.strip() == f"nothing to remove from {store}"
    assert main(["cache", "clear", "0123456789abcdef0123"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("rvq cache: no scored pilot '0123456789abcdef0123'") and err.count("\n") == 1
    )
    assert main(["cache", "clear", pilot.key]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"removed {pilot.key} (acme, {dataset.resolve()}): {size}",
        f"removed 1 scored pilot, {size}, from {store}",
    ]
    assert [p.name for p in store.iterdir()] == ["not-a-key"]


# --------------------------------------------------------------------------- a run


@pytest.mark.parametrize("meanwhile", ["input changed", "entry removed"])
def test_a_run_stops_when_its_data_change_under_it(meanwhile, dataset, tmp_path, monkeypatch):
    """Issue 12 item 15: after step 02 an input file is re-exported (or the run's cache
    entry deleted); step 03 must not read other data: the run fails with one line."""
    store = tmp_path / "cache"
    real_step = pipeline.execute_step

    def then_change(step, run_dir, parameters, **kw):
        executed = real_step(step, run_dir, parameters, **kw)
        if step.name == "02_data_map":
            if meanwhile == "input changed":
                with (dataset / "interactions.csv").open("a") as fh:
                    fh.write("\n")
            else:
                cache.remove_entry(the_entry(store))
        return executed

    monkeypatch.setattr(pipeline, "execute_step", then_change)
    with pytest.raises(pipeline.PilotError) as caught:
        pipeline.run_pilot(
            dataset, tmp_path / "reports", progress=False, cache_dir=store,
            steps=pipeline.STEPS[1:3],
        )  # fmt: skip
    message = str(caught.value)
    reason = (
        f"the input file {dataset.resolve() / 'interactions.csv'} changed since this run started"
        if meanwhile == "input changed"
        else "the scored pilot this run opened is no longer in the cache"
    )
    assert "step 03_lifecycle_report failed" in message and reason in message
    assert "never mixes two versions of the data; rerun `rvq pilot`" in message
    assert "\n" not in message
    [failed] = (tmp_path / "reports").glob("*/*.failed")
    assert reason in (failed / "error.html").read_text()


def test_a_lazy_part_reads_the_bytes_checked_even_when_the_entry_is_removed_meanwhile(
    dataset, tmp_path
):
    """A step kernel loads `events` on first use, minutes after opening the entry; a refresh
    or `rvq cache clear` in between must not turn that into a bare FileNotFoundError."""
    store = tmp_path / "cache"
    scored = pilots.open_pilot(dataset, cache_dir=store)
    entry = the_entry(store)
    parts, _ = cache.read_entry(entry, lazy={"events"})
    assert callable(parts["events"])
    cache.remove_entry(entry)
    assert not entry.exists()
    pd.testing.assert_frame_equal(parts["events"](), scored.events)


# --------------------------------------------------------------------------- checked once


def test_a_run_hashes_its_entry_once_and_refuses_a_part_changed_since(
    dataset, tmp_path, monkeypatch
):
    """The files as the run checked them (`checked_files`) spare a step kernel the hashing
    of an unchanged entry; a file touched since is hashed again, and one whose bytes
    changed is refused, even when the manifest was changed to match it."""
    import json
    import os

    store = tmp_path / "cache"
    pilots.open_pilot(dataset, cache_dir=store)
    entry = the_entry(store)
    checked = cache.checked_files(entry)
    assert set(checked) == set(json.loads((entry / cache.MANIFEST).read_bytes())["files"])
    hashed = []
    real = cache._handle_record
    monkeypatch.setattr(cache, "_handle_record", lambda fh: hashed.append(fh.name) or real(fh))

    cache.read_entry(entry, lazy=pilots.LAZY_PARTS, checked=checked)
    assert hashed == []  # nothing changed: nothing hashed again
    panel = entry / "panel.parquet"
    os.utime(panel)  # the same bytes, a new stamp: hashed, and read
    parts, _ = cache.read_entry(entry, lazy=pilots.LAZY_PARTS, checked=checked)
    assert hashed == [str(panel)] and len(parts["panel"]()) > 0

    other = pd.DataFrame({"account_id": ["X"], "period": ["2024Q1"]})
    swapped = tmp_path / "swapped.parquet"
    cache.write_parquet(other, swapped)
    os.replace(swapped, panel)  # another file put in its place, and listed as written
    manifest = json.loads((entry / cache.MANIFEST).read_bytes())
    manifest["files"]["panel.parquet"] = cache._file_record(panel)
    (entry / cache.MANIFEST).write_bytes(cache.json_bytes(manifest))
    with pytest.raises(cache.CacheEntryError, match="panel.parquet is not the file this run"):
        cache.read_entry(entry, lazy=pilots.LAZY_PARTS, checked=checked)
    cache.read_entry(entry)  # without the run's record: a consistent entry, as before


def test_a_run_records_the_checked_files_its_kernels_read(dataset, tmp_path, monkeypatch):
    from rvq import pipeline

    monkeypatch.setenv("RVQ_CACHE_DIR", str(tmp_path / "cache"))
    hashed = []
    real = cache._handle_record
    with pytest.raises(pipeline.PilotError, match="summary.json"):  # step f did not run
        pipeline.run_pilot(dataset, tmp_path / "reports", progress=False, steps=pipeline.STEPS[:1])
    [run] = (tmp_path / "reports").glob("*/*.failed")  # its record stays
    record = pilots.run_checked_files(run)
    assert record and all(set(v) == {"sha256", "stamp"} for v in record.values())
    monkeypatch.setattr(cache, "_handle_record", lambda fh: hashed.append(fh.name) or real(fh))
    pilots.open_pilot(dataset, run_dir=run, cache_dir=tmp_path / "cache")  # as a step kernel
    assert hashed == []


def test_a_kernels_pilot_reads_its_large_parts_on_use_and_the_panels_columns_alone(
    dataset, tmp_path
):
    """A step kernel's pilot (`LAZY_PARTS`) is the pilot scored, part for part, once read;
    `panel_columns` reads only the columns asked for, in the panel's order."""
    store = tmp_path / "cache"
    scored = pilots.open_pilot(dataset, cache_dir=store)
    parts, _ = cache.read_entry(the_entry(store), lazy=pilots.LAZY_PARTS)
    assert all(callable(parts[name]) for name in ("events", "panel", "dataset.outcomes"))
    kernel = pilots.from_entry(parts)
    wanted = ["profit", "account_id", "no_such_column", "period"]
    columns = kernel.panel_columns(wanted)
    assert callable(kernel._panel)  # the panel itself was not read
    assert list(columns) == ["account_id", "period", "profit"]
    assert kernel.panel_names == list(scored.panel.columns)
    pd.testing.assert_frame_equal(columns, scored.panel[list(columns)])
    assert kernel.data_counts() == scored.data_counts()
    assert callable(kernel._events) and callable(kernel.dataset._outcomes)  # neither read
    kernel.cache_dir, kernel.run_dir = scored.cache_dir, scored.run_dir  # set by open_pilot
    assert_same_pilot(scored, kernel)
