"""The client's own activity mapping file (issue 12, item 13): `mapping:` in the config,
`rvq mapping init`, unmapped codes listed with the line to add, and configured segments
that must be columns of accounts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import AS_OF, assert_counts_balance, make_valid_tables, write_tables

from rvq.cli import main
from rvq.config import ConfigError, load_config
from rvq.inputs.activity_rules import PRESETS_DIR, activity_type_rules
from rvq.inputs.dataset import load_dataset
from rvq.scoring.stream import streamed_validation
from rvq.steps.datamap import unmapped_codes

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "crm"
HEADER = "activity_type,field,match,pattern,interaction_code,note\n"
#: the fixture's codes as a client writes them (the catalog's in conftest.CATALOG_ROWS)
CLIENT_CODES = {"DEMO": "Demo Mtg", "WEB_VISIT": "web-visit", "REFERRAL": "Referral (won)"}


def _plain_pilot(tmp_path: Path, mapping: str | None, unknown: dict[int, str] = ()) -> tuple:
    """The conftest dataset with some catalog codes written as the client's own codes (and
    rows `unknown` given codes no one maps), a config naming `mapping` as mapping.csv;
    returns (config path, the original tables)."""
    tables = make_valid_tables()
    original = tables["interactions"].copy()
    codes = tables["interactions"]["interaction_code"].replace(CLIENT_CODES)
    for row, code in dict(unknown).items():
        codes.iloc[row] = code
    tables["interactions"]["interaction_code"] = codes
    write_tables(tmp_path / "data", tables)
    lines = ["client: plain", "data: data", f"as_of: {AS_OF}"]
    if mapping is not None:
        (tmp_path / "mapping.csv").write_text(mapping)
        lines.append("mapping: mapping.csv")
    config = tmp_path / "pilot.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config, original


PLAIN_RULES = HEADER + "Demo Mtg,,,,DEMO,\nWEB VISIT,,,,WEB_VISIT,punctuation and case ignored\n"


def test_a_plain_dataset_maps_its_own_codes_through_the_mapping_file(tmp_path):
    rules = PLAIN_RULES + "Referral (won),,,,REFERRAL,\n"
    config, original = _plain_pilot(tmp_path, rules)
    ds = load_dataset(config, progress=False)
    assert_counts_balance(ds.validation)
    assert ds.ok and ds.validation.counts["interactions"]["set_aside"] == 0
    got = ds.interactions.sort_values("event_id")["interaction_code"].astype(str).tolist()
    assert got == original.sort_values("event_id")["interaction_code"].tolist()


def test_the_codes_of_a_renamed_column_are_mapped_after_the_rename(tmp_path):
    config, original = _plain_pilot(tmp_path, PLAIN_RULES + "Referral (won),,,,REFERRAL,\n")
    path = tmp_path / "data" / "interactions.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.rename(columns={"interaction_code": "Activity"}).to_csv(path, index=False)
    config.write_text(
        config.read_text() + "columns: {interactions: {Activity: interaction_code}}\n"
    )
    ds = load_dataset(config, progress=False)
    assert ds.ok and ds.validation.counts["interactions"]["set_aside"] == 0
    assert set(ds.interactions["interaction_code"].astype(str)) == set(original["interaction_code"])


def test_unmapped_codes_are_listed_most_frequent_first_with_the_line_to_add(tmp_path, capsys):
    unknown = {0: "CALL-IN", 1: "CALL-IN", 2: "CALL-IN", 3: "Site, Visit"}
    config, _ = _plain_pilot(tmp_path, PLAIN_RULES, unknown)
    ds = load_dataset(config, progress=False)
    assert_counts_balance(ds.validation)
    (problem,) = ds.validation.find("unknown_interaction_code")
    referrals = int((make_valid_tables()["interactions"]["interaction_code"] == "REFERRAL").sum())
    assert problem.rows == 4 + referrals  # "Referral (won)" has no line in this file
    advice, *lines = problem.fix
    assert str(tmp_path / "mapping.csv") in advice and "<CATALOG_CODE>" in advice
    assert [line.split(None, 2) for line in lines] == sorted(
        [
            [str(referrals), "rows", "Referral (won),,,,<CATALOG_CODE>,"],
            ["3", "rows", "CALL-IN,,,,<CATALOG_CODE>,"],
            ["1", "row", '"Site, Visit",,,,<CATALOG_CODE>,'],  # quoted: it holds a comma
        ],
        key=lambda parts: -int(parts[0]),
    )
    assert main(["validate", str(config)]) == 0
    shown = capsys.readouterr().out
    assert "CALL-IN,,,,<CATALOG_CODE>," in shown and str(tmp_path / "mapping.csv") in shown
    # the line, filled in, is what the loader takes: those rows are then used
    with (tmp_path / "mapping.csv").open("a") as fh:
        fh.write('CALL-IN,,,,ONBOARD,\n"Site, Visit",,,,WEB_VISIT,\n')
    again = load_dataset(config, progress=False)
    assert again.validation.find("unknown_interaction_code")[0].rows == referrals


def test_the_advice_without_a_mapping_file_says_how_to_start_one(tmp_path):
    config, _ = _plain_pilot(tmp_path, None, {0: "CALL-IN"})
    (problem,) = load_dataset(config, progress=False).validation.find("unknown_interaction_code")
    assert "rvq mapping init" in problem.fix[0] and "mapping: mapping.csv" in problem.fix[0]
    preset = load_dataset(FIXTURES / "salesforce" / "pilot.yaml", progress=False)
    (problem,) = preset.validation.find("unknown_interaction_code")
    assert "rvq mapping init --preset salesforce" in problem.fix[0]
    assert problem.fix[1].split(None, 2)[2] == "Email,,,,<CATALOG_CODE>,"
    listed = unmapped_codes(preset.validation)  # step b's table shows the same lines
    assert listed.loc[0, ["interaction_code", "line_to_add"]].tolist() == [
        "UNMAPPED:Email",
        "Email,,,,<CATALOG_CODE>,",
    ]


def test_a_streamed_file_lists_the_same_lines(tmp_path):
    unknown = {i: "CALL-IN" for i in range(0, 40, 3)} | {7: "Fax"}
    config, _ = _plain_pilot(tmp_path, PLAIN_RULES, unknown)
    whole = load_dataset(config, progress=False).validation.find("unknown_interaction_code")
    streamed = streamed_validation(config, work_dir=tmp_path / "work", block_size=1500)
    (problem,) = streamed.validation.find("unknown_interaction_code")
    assert problem.fix[1:] == whole[0].fix[1:] and len(problem.fix) == 1 + len(whole[0].tally)
    assert str(tmp_path / "mapping.csv") in problem.fix[0]


# --- a CRM preset with the client's own file -----------------------------------------


@pytest.fixture
def salesforce(tmp_path) -> Path:
    folder = tmp_path / "sf"
    shutil.copytree(FIXTURES / "salesforce", folder)
    return folder


def test_the_clients_file_replaces_the_presets_rules(salesforce, capsys):
    out = salesforce / "mapping.csv"
    assert main(["mapping", "init", "--preset", "salesforce", "--out", str(out)]) == 0
    assert "mapping: " in capsys.readouterr().out
    text = out.read_text()
    text = text.replace("Meeting,,,,SLS_INTRO_MEETING", "Meeting,,,,SLS_BUSINESS_REVIEW")
    out.write_text(text + "Site Visit,,,,SLS_ONSITE_WORKSHOP,field visits at this client\n")
    config = salesforce / "pilot.yaml"
    before = load_dataset(config, progress=False)
    config.write_text(config.read_text() + "mapping: mapping.csv\n")
    after = load_dataset(config, progress=False)
    assert_counts_balance(after.validation)
    raw = pd.read_csv(salesforce / "Task_Event.csv", dtype=str, keep_default_na=False)
    gained = (
        after.validation.counts["interactions"]["used"]
        - before.validation.counts["interactions"]["used"]
    )
    assert gained == (raw["Type"] == "Site Visit").sum() > 0
    codes = after.interactions["interaction_code"].astype(str).value_counts()
    assert "SLS_INTRO_MEETING" not in codes  # the client's line, not the shipped one
    unmapped = after.validation.find("unknown_interaction_code")[0]
    assert "UNMAPPED:Site Visit" not in unmapped.tally
    assert str(out) in unmapped.fix[0]


def test_the_cache_key_follows_the_mapping_file(salesforce):
    from rvq.cache import input_version

    out = salesforce / "mapping.csv"
    out.write_text((PRESETS_DIR / "salesforce.csv").read_text())
    config = salesforce / "pilot.yaml"
    config.write_text(config.read_text() + "mapping: mapping.csv\n")
    first = input_version(config, load_config(config))
    out.write_text(out.read_text() + "Site Visit,,,,SLS_ONSITE_WORKSHOP,\n")
    assert input_version(config, load_config(config)) != first


# --- rvq mapping init ------------------------------------------------------------------


def test_init_writes_a_file_the_loader_accepts_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "mapping.csv"
    assert main(["mapping", "init", "--preset", "salesforce", "--out", str(out)]) == 0
    shipped = activity_type_rules("salesforce")
    pd.testing.assert_frame_equal(activity_type_rules("client", out), shipped)
    out.write_text(out.read_text() + "Webinar,,,,MKT_WEBINAR_ATTEND,\n")
    capsys.readouterr()
    assert main(["mapping", "init", "--preset", "salesforce", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert "Webinar" in out.read_text()
    assert main(["mapping", "init", "--preset", "salesforce", "--out", str(out), "--force"]) == 0
    assert "Webinar" not in out.read_text()
    assert main(["mapping", "init", "--preset", "pipedrive", "--out", str(tmp_path / "x")]) == 2
    assert "salesforce" in capsys.readouterr().err


def test_init_from_a_dataset_writes_a_commented_line_per_unknown_code(tmp_path, capsys):
    config, _ = _plain_pilot(tmp_path, None, {0: "CALL-IN", 1: "CALL-IN", 2: "Fax"})
    out = tmp_path / "mapping.csv"
    assert main(["mapping", "init", str(config), "--out", str(out)]) == 0
    assert "mapping: mapping.csv" in capsys.readouterr().out
    lines = out.read_text().splitlines()
    assert lines[0] == HEADER.strip()
    commented = [line for line in lines if line.startswith("# ") and ",,,," in line]
    assert len(commented) == 2 + len(CLIENT_CODES)
    counts = [int(line.rsplit(",", 1)[1].split()[0]) for line in commented]
    assert counts == sorted(counts, reverse=True)  # most frequent first
    assert "# CALL-IN,,,,<CATALOG_CODE>,2 rows" in commented
    assert commented[-1] == "# Fax,,,,<CATALOG_CODE>,1 row"
    assert len(activity_type_rules("client", out)) == 0  # comments only: the loader accepts it
    out.write_text(out.read_text().replace("# CALL-IN,", "CALL-IN,"))
    with pytest.raises(ConfigError, match=r"mapping\.csv, line \d+: replace <CATALOG_CODE>"):
        activity_type_rules("client", out)
    out.write_text(out.read_text().replace("CALL-IN,,,,<CATALOG_CODE>", "CALL-IN,,,,ONBOARD"))
    config.write_text(config.read_text() + "mapping: mapping.csv\n")
    ds = load_dataset(config, progress=False)
    assert set(ds.validation.find("unknown_interaction_code")[0].tally) == {
        "Fax",
        *CLIENT_CODES.values(),
    }


# --- a malformed mapping file: one line naming the file and the line -----------------


@pytest.mark.parametrize(
    "text, line, says",
    [
        ("activity_type,field,pattern,interaction_code\n", 1, "lacks match"),
        (PLAIN_RULES + "Fax,,,,FAX_SENT,\n", 4, "'FAX_SENT' is not in the catalog"),
        (PLAIN_RULES + "Demo,,,,DEM0,\n", 4, "did you mean 'DEMO'"),
        (HEADER + "# a comment\n\nFax,,,,,\n", 4, "no interaction_code"),
        (HEADER + "Fax,Subject,startswith,x,DEMO,\n", 2, "equals or contains"),
        (HEADER + "Fax,,,,DEMO,a note, with a comma\n", 2, "put a value holding"),
    ],
)
def test_a_malformed_mapping_file_is_one_line_naming_file_and_line(
    tmp_path, capsys, text, line, says
):
    config, _ = _plain_pilot(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_dataset(config, progress=False)
    message = str(caught.value)
    assert "\n" not in message and says in message
    assert message.startswith(f"{tmp_path / 'mapping.csv'}, line {line}: ")
    assert main(["validate", str(config)]) == 2
    assert capsys.readouterr().err.strip().endswith(message)


def test_a_mapping_file_that_is_not_there_is_a_config_error(tmp_path):
    config = tmp_path / "pilot.yaml"
    config.write_text("data: .\nmapping: nowhere.csv\n")
    with pytest.raises(ConfigError, match=r"key 'mapping': no such file .*nowhere\.csv"):
        load_config(config)


@pytest.mark.parametrize(
    "encoding, delimiter", [("utf-8-sig", ";"), ("utf-16", "\t"), ("cp1252", ",")]
)
def test_a_mapping_file_saved_by_excel_is_read(tmp_path, encoding, delimiter):
    path = tmp_path / "excel.csv"
    row = ["Réunion démo", "", "", "", "DEMO", "réunion générale"]
    text = HEADER.replace(",", delimiter) + delimiter.join(row)
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    rules = activity_type_rules("client", path, codes={"DEMO"})
    assert rules[["activity_type", "interaction_code", "line"]].values.tolist() == [
        ["Réunion démo", "DEMO", 2]
    ]


# --- segments must be columns of accounts ---------------------------------------------


def _with_segments(tmp_path: Path, segments: str, drop: tuple[str, ...] = ()) -> Path:
    tables = make_valid_tables()
    tables["accounts"] = tables["accounts"].drop(columns=list(drop))
    write_tables(tmp_path / "data", tables)
    config = tmp_path / "pilot.yaml"
    config.write_text(f"data: data\nas_of: {AS_OF}\nsegments: {segments}\n")
    return config


def test_a_segment_that_is_not_a_column_of_accounts_is_an_error(tmp_path, capsys):
    config = _with_segments(tmp_path, "[industy, territory, rep_id]")
    ds = load_dataset(config, progress=False)
    assert not ds.ok
    found = {
        re.search(r"segment '(\w+)'", p.message).group(1): p
        for p in ds.validation.find("unknown_segment")
    }
    assert set(found) == {"industy", "rep_id"}
    assert "did you mean 'industry'" in found["industy"].message
    assert "a column of interactions" in found["rep_id"].message
    assert "its columns are account_id, name, industry, territory" in found["rep_id"].message
    assert all(p.severity == "fatal" and p.table == "accounts" for p in found.values())
    assert main(["validate", str(config)]) == 2
    assert "[unknown_segment]" in capsys.readouterr().out


def test_default_and_canonical_segments_validate_even_when_the_file_lacks_them(tmp_path):
    config = _with_segments(tmp_path, "[industry, team, community_role]", drop=("team",))
    ds = load_dataset(config, progress=False)
    assert ds.ok and not ds.validation.find("unknown_segment")
    sf = load_dataset(FIXTURES / "salesforce" / "pilot.yaml", progress=False)  # no team column
    assert not sf.validation.find("unknown_segment")
