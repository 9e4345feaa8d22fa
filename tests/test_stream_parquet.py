"""A pilot whose interactions are a Parquet file streamed in blocks (`rvq.scoring.stream`)
equals the pilot read whole, and `rvq demo` writes a book too large to hold in shards
(`rvq.synth.shards`).

Blocks here are 128 rows (`SMALL_BLOCKS` bytes over `TEXT_BYTES_PER_ROW`), so a world of a
few thousand rows crosses many block boundaries.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import STREAM_TEST_BLOCKS as SMALL_BLOCKS

from rvq import inputs, synth
from rvq import pilot as pilot_cache
from rvq.cli import main
from rvq.config import load_config
from rvq.inputs.readers import parquet_blocks, read_parquet
from rvq.scoring import cells, stream
from rvq.steps import datamap, gaps, history
from rvq.synth import shards


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory) -> Path:
    """A synthetic dataset as Parquet, with an event repeated blocks apart (a duplicate
    a whole read sets aside) and rows without a team."""
    world = synth.generate_world(synth.WorldSpec(accounts=60, periods=8, seed=11))
    data = synth.write_world(world, tmp_path_factory.mktemp("parquet") / "data", fmt="parquet")
    path = data / "interactions.parquet"
    frame = pd.read_parquet(path)
    frame.loc[frame.index[::13], "team"] = None
    frame = pd.concat([frame, frame.iloc[[5]]], ignore_index=True)  # same event_id, far apart
    frame.to_parquet(path, index=False)
    return data


def test_parquet_blocks_are_the_whole_read_in_pieces(world_dir, tmp_path):
    path = world_dir / "interactions.parquet"
    whole = read_parquet(path)
    blocks = list(parquet_blocks(path, 500))
    assert len(blocks) == -(-len(whole.frame) // 500) > 5
    pd.testing.assert_frame_equal(
        pd.concat([b.frame for b in blocks], ignore_index=True), whole.frame
    )
    assert (np.concatenate([b.lines for b in blocks]) == whole.lines).all()
    empty = tmp_path / "empty.parquet"
    whole.frame.iloc[:0].to_parquet(empty)
    [block] = parquet_blocks(empty, 500)
    assert list(block.frame.columns) == list(whole.frame.columns) and len(block.frame) == 0


def test_a_streamed_parquet_pilot_counts_and_scores_as_the_whole_one(pilots, world_dir):
    whole, streamed = pilots
    assert not whole.streamed and streamed.streamed
    assert streamed.dataset.interactions is None
    assert streamed.data_counts() == whole.data_counts()
    assert streamed.table_counts() == whole.table_counts()
    assert streamed.table_counts()["interactions"]["set_aside"] == 1  # the repeated event
    keys = ["account_id", "period"]
    expected = whole.panel.sort_values(keys, ignore_index=True)
    got = streamed.panel.sort_values(keys, ignore_index=True)[expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, atol=1e-9)
    events = whole.interaction_rows  # the scored rows of the book read whole
    pd.testing.assert_frame_equal(
        cells.as_text(streamed.events),
        cells.as_text(cells.event_cells(events)),
        check_dtype=False,
        atol=1e-9,
    )


def test_a_streamed_parquet_pilot_runs_steps_b_d_e_as_the_whole_one(pilots):
    whole, streamed = pilots
    catalog = whole.dataset.catalog
    for label in ("source_system", "team"):
        pd.testing.assert_frame_equal(
            datamap.source_coverage(streamed.events, by=label, freq=streamed.freq),
            datamap.source_coverage(whole.events, by=label, freq=whole.freq),
            check_dtype=False,
        )
    kinds = ("backward", "costly")
    from_cells = gaps.process_gaps(streamed.events, streamed.panel, catalog, kinds=kinds)
    from_events = gaps.process_gaps(whole.events, whole.panel, catalog, kinds=kinds)
    pd.testing.assert_frame_equal(from_cells.summary, from_events.summary, check_dtype=False)
    found = [
        history.duplicates_and_conflicts(
            p.dataset.interactions, p.validation, p.dataset.outcomes, p.dataset.accounts,
            digest=p.digest,
        )
        for p in pilots
    ]  # fmt: skip
    assert "duplicate_set_aside" in set(found[1]["check"])
    pd.testing.assert_frame_equal(found[1], found[0], check_dtype=False)


def test_auto_streams_a_parquet_book_expected_not_to_fit(world_dir):
    config = load_config(world_dir)
    assert stream.streamed_interactions(config, available=10**12) is None
    assert stream.streamed_interactions(config, available=1) == world_dir / "interactions.parquet"


def test_a_book_above_the_threshold_is_written_in_shards(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "SHARD_THRESHOLD", 100)
    monkeypatch.setattr(shards, "SHARD_ACCOUNTS", 60)
    out = tmp_path / "book"
    assert main(["demo", "--accounts", "150", "--format", "parquet", "--out", str(out)]) == 0
    assert shards.shard_sizes(150) == [50, 50, 50]
    accounts = pd.read_parquet(out / "accounts.parquet")
    events = pd.read_parquet(out / "interactions.parquet")
    truth = json.loads((out / "truth.json").read_text())
    books = 150 + 3 * round(0.06 * 50)  # and each shard's prospects (rvq.synth.prospects)
    assert list(accounts["account_id"]) == [f"A{i:05d}" for i in range(1, books + 1)]
    assert accounts["name"].is_unique and events["event_id"].is_unique
    assert set(events["account_id"]) <= set(accounts["account_id"])
    assert (events["contact_id"].str[:6] == events["account_id"]).all()
    assert pq.ParquetFile(out / "interactions.parquet").metadata.num_row_groups == 3
    assert truth["spec"]["accounts"] == 150 and len(truth["shards"]) == 3
    assert len({s["seed"] for s in truth["shards"]}) == 3  # distinct draws of one spec
    assert truth["counts"]["interactions"] == len(events)
    assert set(truth["hostage"]["contract_end"]) <= set(accounts["account_id"])
    streamed = stream.streamed_panel(out, work_dir=tmp_path / "work")
    assert not streamed.validation.fatal
    assert streamed.validation.counts["interactions"]["set_aside"] == 0
    assert streamed.panel["account_id"].nunique() == books
    assert truth["counts"]["prospects"] == books - 150
    assert set(truth["prospects"]["stalled_top_prospects"]) <= set(accounts["account_id"])
    whole = inputs.load_dataset(out, progress=False)
    assert len(whole.interactions) == len(events)


def test_a_sharded_book_that_fails_midway_publishes_no_table(tmp_path, monkeypatch):
    """A failure (or Ctrl-C) at the second shard leaves no truncated table under a real name."""
    monkeypatch.setattr(shards, "SHARD_THRESHOLD", 100)
    monkeypatch.setattr(shards, "SHARD_ACCOUNTS", 60)
    made = []
    real = shards.generate_world

    def fails_second(spec):
        if made:
            raise KeyboardInterrupt
        made.append(spec)
        return real(spec)

    monkeypatch.setattr(shards, "generate_world", fails_second)
    out = tmp_path / "book"
    with pytest.raises(KeyboardInterrupt):
        shards.write_sharded_world(shards.WorldSpec(accounts=150), out, "parquet", progress=False)
    assert made and sorted(p.name for p in out.iterdir()) == []


def test_account_sample_is_fixed_and_holds_the_accounts_to_keep():
    accounts = [f"A{i:05d}" for i in range(1, 1001)]
    sample = stream.account_sample(accounts, 100, keep=["A00999", "A00500"])
    assert len(sample) == 100 and {"A00999", "A00500"} <= set(sample)
    assert sample == sorted(sample)
    assert stream.account_sample(accounts[::-1], 100, keep=["A00500", "A00999"]) == sample
    assert stream.account_sample(accounts, 1000) is None  # all of them: no sample


def test_a_book_of_many_accounts_keeps_the_cells_of_a_sample(
    world_dir, pilots, tmp_path, monkeypatch
):
    monkeypatch.setattr(stream, "CELL_ACCOUNTS", 40)
    monkeypatch.setattr(stream, "BLOCK_SIZE", SMALL_BLOCKS)
    config = tmp_path / "pilot.yaml"
    config.write_text(
        yaml.safe_dump({"data": str(world_dir), "stream": "always", "priority_customers": 5})
    )
    sampled = pilot_cache.open_pilot(config, cache_dir=tmp_path / "cache")
    whole = pilots[0]
    assert sampled.cell_sample == (40, 60)
    assert "steps b, d and e read the events of 40 of 60 accounts" in sampled.path_line
    kept = set(sampled.events["account_id"].astype(str))
    assert len(kept) == 40
    priority = history.priority_customers(sampled.dataset.outcomes, n=5)["account_id"]
    assert set(priority) <= kept
    assert set(sampled.event_panel["account_id"]) == kept and len(sampled.panel) == len(whole.panel)
    events = whole.interaction_rows  # the scored rows of the book read whole
    expected = cells.event_cells(events[events["account_id"].isin(kept)])
    pd.testing.assert_frame_equal(
        cells.as_text(sampled.events), cells.as_text(expected), check_dtype=False, atol=1e-9
    )
    again = pilot_cache.open_pilot(config, cache_dir=tmp_path / "cache")  # from the cache
    assert again.cell_sample == (40, 60) and set(again.events["account_id"].astype(str)) == kept


@pytest.mark.parametrize("pseudonymize", [False, True])
def test_the_event_panel_of_a_sample_is_the_panel_of_exactly_the_sampled_accounts(
    world_dir, tmp_path, monkeypatch, pseudonymize
):
    """A sampled account without interactions has no cells, yet its panel rows are
    the sample's (pseudonymized as the panel's ids are)."""
    monkeypatch.setenv("RVQ_PSEUDONYM_KEY", "sample-key")
    monkeypatch.setattr(stream, "CELL_ACCOUNTS", 40)
    monkeypatch.setattr(stream, "BLOCK_SIZE", SMALL_BLOCKS)
    data = tmp_path / "data"
    data.mkdir()
    for path in world_dir.iterdir():
        (data / path.name).write_bytes(path.read_bytes())
    rows = pd.read_parquet(data / "interactions.parquet")
    quiet = "A00007"  # keeps its outcomes (its panel rows) but loses every interaction
    rows.loc[rows["account_id"] != quiet].to_parquet(data / "interactions.parquet", index=False)
    real = stream.account_sample
    monkeypatch.setattr(
        stream, "account_sample", lambda ids, n, keep=(): real(ids, n, [*keep, quiet])
    )
    config = tmp_path / "pilot.yaml"
    settings = {"data": str(data), "stream": "always", "priority_customers": 5}
    settings["privacy"] = {"pseudonymize": pseudonymize}
    config.write_text(yaml.safe_dump(settings))
    for _ in range(2):  # scored, then from the cache
        sampled = pilot_cache.open_pilot(config, cache_dir=tmp_path / "cache")
        assert sampled.cell_sample[0] == 40 and len(sampled.cell_accounts) == 40
        held = set(sampled.events["account_id"].astype(str))
        assert len(held) == 39 and held < set(sampled.cell_accounts)
        (missing,) = set(sampled.cell_accounts) - held
        assert (missing == quiet) != pseudonymize
        assert set(sampled.cell_accounts) <= set(sampled.panel["account_id"])
        assert set(sampled.event_panel["account_id"]) == set(sampled.cell_accounts)
