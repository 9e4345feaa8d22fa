"""The demo's `rvq track` truths (`rvq.synth.tracking`): every list has rows on a small demo
world and finds what was planted where the world is large enough to tell."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rvq.cli import main
from rvq.synth import generate_world, shards, world_spec
from rvq.synth.tracking import plant_tracking
from rvq.track.campaigns import campaign_effects
from rvq.track.history import history_from_tables
from rvq.track.leads import priority_leads
from rvq.track.teams import team_performance
from rvq.track.units import unit_comparison
from rvq.track.upsell import upsell_readiness


@pytest.fixture(scope="module")
def planted():
    return plant_tracking(generate_world(world_spec("planted", accounts=400, seed=5)))


def test_the_demo_world_gains_every_tracking_table_and_truth(planted):
    truth, tables = planted.truth, planted.tables
    for key in ("rep_performance", "transitions", "campaigns", "units", "prospects", "plans"):
        assert key in truth, key
    assert {"plans", "campaigns"} <= set(tables)
    assert tables["accounts"]["business_unit"].notna().all()
    assert len(tables["accounts"]) == 400 + truth["prospects"]["count"] > 400
    assert truth["counts"]["interactions"] == len(tables["interactions"])
    assert tables["interactions"]["event_id"].is_unique
    assert truth["units"]["depth_difference"] > 0  # the tilted unit serves deeper accounts


def test_the_lists_recover_the_planted_prospects_and_campaigns(planted):
    history = history_from_tables(planted.tables)
    leads = priority_leads(history).table
    stalled = set(planted.truth["prospects"]["stalled_top_prospects"])
    flagged = set(leads.loc[leads["high_touch"], "account_id"])
    assert len(leads) > 0 and flagged and flagged <= stalled
    effects = campaign_effects(history).table.set_index(["campaign", "measure"])
    for name, planted_effect in planted.truth["campaigns"].items():  # 400 accounts: covered
        row = effects.loc[(name, "rv_flow")]
        assert row["ci_low"] <= planted_effect["effect"] <= row["ci_high"], name
    assert upsell_readiness(history).evidence  # past plans were scored
    assert len(unit_comparison(history).table) == 4
    teams = team_performance(history).table
    assert not teams.duplicated(["level", "name"]).any()  # each rep once, in its function


def test_a_second_shard_shares_the_first_shards_best_rep_and_transitions(planted):
    other = generate_world(world_spec("planted", accounts=400, seed=6))
    second = plant_tracking(other, like=planted.truth)
    first_reps, reps = planted.truth["rep_performance"], second.truth["rep_performance"]
    assert reps["best_rep"] == first_reps["best_rep"] and reps["lucky_rep"] is None
    pairs = {s: (v["best"], v["setback"]) for s, v in second.truth["transitions"]["stages"].items()}
    assert pairs == {
        s: (v["best"], v["setback"]) for s, v in planted.truth["transitions"]["stages"].items()
    }


@pytest.mark.parametrize("sharded", [False, True])
def test_no_track_writes_the_world_as_generated(tmp_path, monkeypatch, sharded):
    if sharded:
        monkeypatch.setattr(shards, "SHARD_THRESHOLD", 40)
        monkeypatch.setattr(shards, "SHARD_ACCOUNTS", 30)
    out = tmp_path / "plain"
    assert main(["demo", "--out", str(out), "--accounts", "60", "--no-track", "--quiet"]) == 0
    assert sorted(p.name for p in out.glob("*.csv")) == [
        "accounts.csv", "interactions.csv", "outcomes.csv", "voc.csv",
    ]  # fmt: skip
    accounts = pd.read_csv(out / "accounts.csv")
    assert list(accounts["account_id"]) == [f"A{i:05d}" for i in range(1, 61)]
    truth = json.loads((out / "truth.json").read_text())
    assert "prospects" not in truth and "tracking" not in truth
