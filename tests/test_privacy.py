"""Privacy: no raw identifier in any output with pseudonyms on; small cells suppressed;
client text escaped in HTML."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from conftest import AS_OF

from rvq import privacy, report, synth
from rvq.config import PilotConfig, PrivacyConfig
from rvq.inputs.dataset import load_dataset
from rvq.pilot import Pilot, PilotInputError, open_pilot
from rvq.stats import segments

KEY = "test-pseudonym-key-7c1e0b55a9d04f3e"


# --------------------------------------------------------------------------- pseudonyms


def test_pseudonyms_are_keyed_stable_prefixed_and_keep_missing():
    ids = pd.Series(["A1", " A1 ", "A2", None], dtype=object)
    first = privacy.pseudonyms(ids, KEY.encode(), "acct_")
    again = privacy.pseudonyms(ids, KEY.encode(), "acct_")
    other = privacy.pseudonyms(ids, b"another key", "acct_")
    assert first.tolist() == again.tolist()
    assert first[0] == first[1] != first[2]  # compared as stripped text
    assert pd.isna(first[3])
    assert re.fullmatch(r"acct_[0-9a-f]{16}", first[0])
    assert first[0] != other[0]
    # HMAC-SHA256, not a plain hash: a guessed id hashed without the key does not match
    import hashlib

    assert hashlib.sha256(b"A1").hexdigest()[:16] not in first[0]


def test_protect_dataset_reaches_frames_examples_and_set_aside_rows(
    valid_tables, write_dataset, tmp_path
):
    tables = valid_tables
    bad = tables["interactions"].iloc[[3]].assign(timestamp="not a date")
    tables["interactions"] = pd.concat([tables["interactions"], bad], ignore_index=True)
    folder = write_dataset(tmp_path / "d", tables)
    with (folder / "interactions.csv").open("a") as fh:
        fh.write("A2,A2-C1,oops\n")  # a malformed line: its raw text must be withheld
    ds = load_dataset(folder, as_of=AS_OF, progress=False)
    ds.config = ds.config.model_copy(update={"privacy": PrivacyConfig(pseudonymize=True)})
    safe = privacy.protect_dataset(ds, key=KEY.encode())

    ix = tables["interactions"]
    raw_ids = set(tables["accounts"]["account_id"]) | set(ix["contact_id"])
    raw_ids |= set(ix["rep_id"]) | set(ix["event_id"]) | set(tables["voc"]["contact_id"])
    names = set(tables["accounts"]["name"])
    text = repr(safe.validation.to_dict()) + "".join(
        f.to_csv() for f in (safe.interactions, safe.accounts, safe.outcomes, safe.voc)
    )
    text += "".join(f.to_csv() for f in safe.validation.set_aside.values())
    found = [i for i in raw_ids | names if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w])", text)]
    assert not found
    assert safe.accounts["name"].tolist() == safe.accounts["account_id"].tolist()
    assert privacy.WITHHELD in safe.validation.set_aside["interactions"]["text"].tolist()
    # the same account gets the same pseudonym in every table
    assert set(safe.outcomes["account_id"]) <= set(safe.accounts["account_id"])
    # and the raw dataset was not changed in place
    assert ds.accounts["account_id"].iloc[0] == "A1"


def _client_export(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The fixture's tables as a client exports them: an `email` and a `region` column in
    accounts, an `account_name` in interactions, and a row of each set aside."""
    accounts, interactions = tables["accounts"], tables["interactions"]
    accounts["email"] = accounts["account_id"].str.lower() + "@client.example"
    accounts["region"] = ["EMEA", "EMEA", "APAC", "APAC", "AMER"]
    interactions["account_name"] = interactions["account_id"].map(
        dict(zip(accounts["account_id"], accounts["name"], strict=True))
    )
    bad = interactions.iloc[[3]].assign(timestamp="not a date")
    tables["interactions"] = pd.concat([interactions, bad], ignore_index=True)
    tables["accounts"] = pd.concat([accounts, accounts.iloc[[0]]], ignore_index=True)
    return tables


def test_kept_columns_are_the_canonical_ones_the_segments_and_what_validation_adds():
    kept = privacy.kept_columns("accounts", ["region"])
    assert {"account_id", "name", "team", "territory", "industry", "region"} <= kept
    assert {"line", "reason", "text"} <= kept
    assert "email" not in kept and "region" not in privacy.kept_columns("accounts")
    assert {"rep_id", "event_id", "team"} <= privacy.kept_columns("interactions")
    assert "account_name" not in privacy.kept_columns("interactions")
    assert privacy.kept_columns("not_a_table") == {
        "line",
        "reason",
        "n_events",
        "last_timestamp",
        "text",
    }


def test_client_columns_are_dropped_and_every_identifier_hashed(
    valid_tables, write_dataset, tmp_path
):
    """The rule: ids hashed (account, contact, rep, event), names replaced, columns
    beyond the schema dropped unless a configured segment; segment values kept as they
    are; in the frames, the set-aside rows and the problems' examples alike."""
    tables = _client_export(valid_tables)
    ds = load_dataset(write_dataset(tmp_path / "d", tables), as_of=AS_OF, progress=False)
    assert "email" in ds.accounts and "account_name" in ds.validation.set_aside["interactions"]
    segments_ = [*ds.config.segments, "region"]
    ds.config = ds.config.model_copy(
        update={"privacy": PrivacyConfig(pseudonymize=True), "segments": segments_}
    )
    safe = privacy.protect_dataset(ds, key=KEY.encode())

    frames = {
        "accounts": safe.accounts,
        "interactions": safe.interactions,
        "voc": safe.voc,
        "accounts set aside": safe.validation.set_aside["accounts"],
        "interactions set aside": safe.validation.set_aside["interactions"],
    }
    for where, frame in frames.items():
        assert not {"email", "account_name"} & set(frame.columns), where
        for column, prefix in privacy.PREFIXES.items():
            if column in frame:
                assert frame[column].dropna().str.fullmatch(rf"{prefix}[0-9a-f]{{16}}").all()
    for where in ("accounts", "accounts set aside"):
        assert (frames[where]["name"] == frames[where]["account_id"]).all()
    # segments are group labels, not identifiers: kept as they are
    assert safe.accounts["region"].tolist() == ds.accounts["region"].tolist()
    for column in ("team", "territory", "industry"):
        assert safe.accounts[column].tolist() == ds.accounts[column].tolist()
    assert safe.interactions["team"].tolist() == ds.interactions["team"].tolist()
    examples = [e for p in safe.validation.problems for e in p.examples]
    assert examples and all("email" not in e and "account_name" not in e for e in examples)
    assert any(str(e.get("rep_id", "")).startswith("rep_") for e in examples)
    # without pseudonyms, nothing changes
    assert privacy.protect_validation(ds.validation, PilotConfig(data=".")) is ds.validation


def test_a_streamed_pilots_row_digest_is_pseudonymized():
    from rvq.inputs.digest import RowDigest

    digest = RowDigest(
        repeats=pd.DataFrame({"account_id": ["A1"], "n_rows": [2]}),
        pairs={
            ("rep_id", "team"): pd.DataFrame(
                {"rep_id": ["R1", "R1"], "team": ["T1", "T2"], "n_rows": [3, 1]}
            )
        },
    )
    safe = privacy.protect_digest(digest, KEY.encode())
    pairs = safe.pairs[("rep_id", "team")]
    assert pairs["rep_id"].str.startswith("rep_").all() and pairs["team"].tolist() == ["T1", "T2"]
    assert safe.repeats["account_id"].iloc[0].startswith("acct_")
    assert digest.pairs[("rep_id", "team")]["rep_id"].iloc[0] == "R1"  # not changed in place


def _pseudonymized_config(folder: Path) -> Path:
    config = folder.parent / "pilot.yaml"
    config.write_text(
        yaml.safe_dump(
            {"data": str(folder), "as_of": str(AS_OF), "privacy": {"pseudonymize": True}}
        )
    )
    return config


def test_validate_prints_pseudonyms_only(
    valid_tables, write_dataset, tmp_path, monkeypatch, capsys
):
    from rvq.cli import main

    tables = _client_export(valid_tables)
    config = _pseudonymized_config(write_dataset(tmp_path / "d", tables))
    monkeypatch.setenv("RVQ_PSEUDONYM_KEY", KEY)
    assert main(["validate", str(config)]) == 0
    out = capsys.readouterr().out
    assert "set aside" in out.lower() and re.search(r"account_id='acct_[0-9a-f]{16}'", out)
    raw = set(tables["accounts"]["account_id"]) | set(tables["accounts"]["name"])
    raw |= set(tables["interactions"]["contact_id"]) | set(tables["interactions"]["rep_id"])
    raw |= set(tables["interactions"]["event_id"]) | set(tables["accounts"]["email"])
    assert not [v for v in raw if re.search(rf"'{re.escape(v)}'", out)]


def test_validate_without_the_key_says_so_in_one_line(dataset_dir, tmp_path, monkeypatch, capsys):
    from rvq.cli import main

    monkeypatch.delenv("RVQ_PSEUDONYM_KEY", raising=False)
    assert main(["validate", str(_pseudonymized_config(dataset_dir))]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "RVQ_PSEUDONYM_KEY" in captured.err and captured.err.count("\n") == 1


def test_pseudonymizing_without_a_key_stops_with_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("RVQ_PSEUDONYM_KEY", raising=False)
    data = synth.write_world(
        synth.generate_world(synth.WorldSpec(accounts=20, periods=4)), tmp_path / "d"
    )
    config = tmp_path / "pilot.yaml"
    config.write_text(yaml.safe_dump({"data": str(data), "privacy": {"pseudonymize": True}}))
    with pytest.raises(PilotInputError, match=r"RVQ_PSEUDONYM_KEY") as info:
        open_pilot(config, cache_dir=tmp_path / "cache")
    assert "\n" not in str(info.value)


def test_the_key_can_come_from_a_secrets_file(tmp_path, monkeypatch):
    monkeypatch.delenv("RVQ_PSEUDONYM_KEY", raising=False)
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"# rvq secrets\nRVQ_PSEUDONYM_KEY='{KEY}'\n")
    config = SimpleNamespace(privacy=PrivacyConfig(pseudonymize=True), secrets=secrets)
    assert privacy.pseudonym_key(config) == KEY.encode()
    monkeypatch.setenv("RVQ_PSEUDONYM_KEY", "from the environment")  # the environment first
    assert privacy.pseudonym_key(config) == b"from the environment"


# --------------------------------------------------------------------------- suppression


def test_rows_built_from_fewer_than_k_accounts_are_suppressed():
    frame = pd.DataFrame(
        {
            "interaction_code": ["DEMO", "WEB", "REFERRAL", "NEVER"],
            "n_events": [4, 30, 100, 0],
            "n_accounts": [1, 4, 12, 0],
            "first_seen": pd.to_datetime(["2024-01-01"] * 4),
        }
    )
    out = privacy.suppress_small_cells(frame, 5)
    hidden = "suppressed (< 5 accounts)"
    assert out.loc[0, "n_events"] == out.loc[1, "n_accounts"] == out.loc[1, "first_seen"] == hidden
    assert out.loc[2, "n_events"] == 100 and out.loc[2, "n_accounts"] == 12
    assert out.loc[3, "n_events"] == 0  # nothing about any account in a zero-account row
    assert out["interaction_code"].tolist() == frame["interaction_code"].tolist()
    assert privacy.suppress_small_cells(frame, 0) is frame
    assert frame.loc[0, "n_events"] == 4  # the caller's frame is not changed


def test_per_account_rows_are_cells_of_one_account():
    frame = pd.DataFrame({"account_id": ["acct_1", "acct_2"], "revenue": [1.0, 2.0]})
    assert (privacy.suppress_small_cells(frame, 2)["revenue"] == "suppressed (< 2 accounts)").all()
    counted = pd.DataFrame({"team": ["T1", "T2"], "revenue": [1.0, 2.0]})
    assert (
        privacy.suppress_small_cells(counted, 2, accounts=pd.Series([1, 9])).loc[1, "revenue"]
        == 2.0
    )


def test_cells_of_a_wide_table_are_suppressed_by_their_own_count():
    values = pd.DataFrame({0: [10.0, 20.0], 1: [11.0, float("nan")]}, index=["tech", "retail"])
    counts = pd.DataFrame({0: [3, 6], 1: [5, float("nan")]}, index=["tech", "retail"])
    out = privacy.suppress_small_cells_by_cell(values, counts, 5)
    assert out.loc["tech", 0] == "suppressed (< 5 accounts)"  # 3 accounts
    assert out.loc["retail", 0] == 20.0 and out.loc["tech", 1] == 11.0  # 6 and 5 accounts
    assert pd.isna(out.loc["retail", 1])  # no figure, nothing to hide
    assert values.loc["tech", 0] == 10.0  # the caller's frame is not changed
    assert privacy.suppress_small_cells_by_cell(values, counts, 1) is values
    hidden = privacy.suppress_small_cells_by_cell(values, counts, 7).iloc[:, 0]
    assert (hidden == "suppressed (< 7 accounts)").all()  # 3 and 6 accounts
    assert privacy.suppress_small_cells_by_cell(values, counts) is values  # no floor: k=0
    with pytest.raises(ValueError, match="same rows and columns"):
        privacy.suppress_small_cells_by_cell(values, counts.iloc[:1], 5)


def test_report_tables_suppress_below_the_floor_given_and_escape_text():
    frame = pd.DataFrame(
        {"name": ["<script>alert(1)</script> Corp", "Plain"], "accounts": [2, 40], "rv": [1.5, 2.5]}
    )
    page = report.table(frame, min_accounts=5).to_html()
    assert "suppressed (&lt; 5 accounts)" in page and "1.500" not in page and "2.500" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Corp" in page
    assert "1.500" in report.table(frame).to_html()


def _pilot_with(min_cell_accounts: int) -> Pilot:
    config = PilotConfig(data=".", privacy=PrivacyConfig(min_cell_accounts=min_cell_accounts))
    dataset = SimpleNamespace(config=config, validation=None)
    return Pilot(source=Path("."), key="k", dataset=dataset, events=None, panel=None)


def test_each_pilot_suppresses_with_its_own_setting_whichever_was_opened_last():
    """No module state: two pilots in one process (two notebooks' worth) keep their own
    floor, in either order."""
    frame = pd.DataFrame({"segment": ["a", "b"], "accounts": [3, 40], "rv": [1.5, 2.5]})
    strict, open_ = _pilot_with(5), _pilot_with(0)
    for last in (open_, strict):  # whichever pilot was used last
        last.table(frame)
        assert "1.500" not in strict.table(frame).to_html()
        assert "1.500" in open_.table(frame).to_html()
    assert not hasattr(privacy, "activate") and not hasattr(privacy, "_active")


def _small_panel(accounts: int = 150) -> tuple[pd.DataFrame, pd.DataFrame]:
    from rvq import scoring
    from rvq.inputs.catalog import shipped_catalog

    world = synth.generate_world(synth.WorldSpec(accounts=accounts, periods=8, seed=3))
    t = world.tables
    panel = scoring.account_period_panel(t["interactions"], shipped_catalog(), t["outcomes"])
    return panel, t["accounts"]


def test_segment_groups_smaller_than_k_are_suppressed_not_compared():
    panel, accounts = _small_panel()
    normal = segments.segment_comparisons(panel, accounts, n_boot=20, seed=1)
    assert any(r.get("verdict") != "insufficient_data" for r in normal.values() if "verdict" in r)
    # more accounts than the world has
    strict = segments.segment_comparisons(panel, accounts, n_boot=20, seed=1, min_accounts=1000)
    for name, result in strict.items():
        if "roles" in result:
            for role in result["roles"].values():
                assert role["verdict"] == "insufficient_data"
                assert role["n"] == "suppressed (< 1000 accounts)"
        else:
            assert result["verdict"] == "insufficient_data", name
            assert "n_a" not in result.get("groups", {}), name
    words = report.segment_sentence(
        segments.DivergenceResult.from_dict("profit_extremes", strict["profit_extremes"])
    )
    assert "suppressed" in words


# --------------------------------------------------------------------------- the whole run


def _raw_identifiers(data: Path) -> set[str]:
    accounts = pd.read_csv(data / "accounts.csv", dtype=str)
    interactions = pd.read_csv(data / "interactions.csv", dtype=str, usecols=["contact_id"])
    return set(accounts["account_id"]) | set(accounts["name"]) | set(interactions["contact_id"])


@pytest.mark.parametrize("stream", ["never", "always"])
def test_a_pseudonymized_pilot_run_shows_no_raw_identifier_anywhere(tmp_path, monkeypatch, stream):
    """Read whole, and streamed (`rvq.scoring.stream`: every notebook from event cells, no
    interaction rows in memory): the same guarantee."""
    from rvq.pipeline import run_pilot

    monkeypatch.setenv("RVQ_PSEUDONYM_KEY", KEY)
    world = synth.generate_world(synth.WorldSpec(accounts=150, periods=8, seed=5))
    data = synth.write_world(world, tmp_path / "data")
    with (data / "interactions.csv").open("a") as fh:  # set-aside rows reach the report too
        row = pd.read_csv(data / "interactions.csv", nrows=1, dtype=str).iloc[0]
        fh.write(",".join(["" if pd.isna(v) else str(v) for v in row]) + "\n")  # duplicate
        fh.write(f"{row['account_id']},{row['contact_id']},broken line\n")  # malformed
    config = tmp_path / "pilot.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "client": "partner",
                "data": "data",
                "privacy": {"pseudonymize": True, "min_cell_accounts": 5},
                "stream": stream,
            }
        )
    )
    run = run_pilot(config, tmp_path / "reports", progress=False, cache_dir=tmp_path / "cache")

    ids = sorted(_raw_identifiers(data), key=len, reverse=True)
    pattern = re.compile(
        r"(?<![A-Za-z0-9+/])(?:" + "|".join(map(re.escape, ids)) + r")(?![A-Za-z0-9])"
    )
    files = [p for p in run.rglob("*") if p.is_file()]
    kinds = {p.suffix for p in files}
    assert {".ipynb", ".html", ".json", ".log"} <= kinds, kinds
    leaks = {}
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        hits = pattern.findall(text)
        if hits:
            leaks[path.name] = sorted(set(hits))[:5]
        assert KEY not in text, path.name
    assert not leaks
    # the positive control: identifiers do reach the outputs, as pseudonyms
    key = KEY.encode()
    some = pd.read_csv(data / "accounts.csv", dtype=str)["account_id"]
    expected = set(privacy.pseudonyms(some, key, "acct_"))
    shown = set(
        re.findall(r"acct_[0-9a-f]{16}", "".join(p.read_text(errors="replace") for p in files))
    )
    assert shown and shown <= expected
    assert any("suppressed (&lt; 5 accounts)" in p.read_text() for p in run.glob("*.html"))
