"""CRM export presets (rvq.inputs.presets): Salesforce, HubSpot and Dynamics 365 fixtures end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from rvq import inputs
from rvq.cli import main
from rvq.inputs.activity_rules import PRESETS_DIR, activity_type_rules, interaction_codes
from rvq.inputs.catalog import shipped_catalog
from rvq.inputs.dataset import load_dataset
from rvq.inputs.presets import (
    PRESETS,
    export_timestamps,
    register_crm_preset,
    salesforce_id18,
)
from rvq.steps.datamap import unmapped_codes

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "crm"
EXPORT = {
    "salesforce": "Task_Event.csv",
    "hubspot": "engagements.csv",
    "dynamics365": "activitypointer.csv",
}
#: rows the fixture writer made unreadable on purpose (a date no format reads)
UNPARSEABLE = {"salesforce": 1, "hubspot": 1, "dynamics365": 0}
#: their positions, with the Salesforce row that has no account (set aside before codes)
PLANTED = {"salesforce": [3, 5], "hubspot": [4], "dynamics365": []}


def raw_export(crm: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / crm / EXPORT[crm], dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def loaded():
    return {crm: load_dataset(FIXTURES / crm / "pilot.yaml", progress=False) for crm in EXPORT}


# --- pieces, on small hand-made frames --------------------------------------------------


def test_salesforce_15_character_ids_get_the_case_safe_suffix():
    ids = pd.Series(
        ["001000000000000", "A0000000000000A", "AAAAAaaaaa0000a", "001A0000006Vm9rIAC", None, "x"]
    )
    # blocks of five: no capital -> A; capital at position 0 -> B (1); at 4 -> Q (16);
    # all five -> 5 (31)
    assert salesforce_id18(ids).tolist() == [
        "001000000000000AAA",
        "A0000000000000ABAQ",
        "AAAAAaaaaa0000a5AA",
        "001A0000006Vm9rIAC",
        None,
        "x",
    ]


def test_export_dates_in_mixed_formats_become_iso_and_unreadable_ones_stay():
    values = pd.Series(
        [
            "2023-03-15",
            "3/15/2023",
            "3/15/2023 2:05 PM",
            "15.03.2023 14:05",
            "1678888800000",
            "2023-03-15T14:00:00.000+0000",
            "2023-03-15T14:00:00+02:00",
            "31/31/2023",
            "",
        ]
    )
    assert export_timestamps(values).tolist() == [
        "2023-03-15",
        "2023-03-15",
        "2023-03-15T14:05:00",
        "2023-03-15T14:05:00",
        "2023-03-15T14:00:00",
        "2023-03-15T14:00:00",
        "2023-03-15T12:00:00",
        "31/31/2023",
        None,
    ]


def test_the_first_matching_rule_wins_and_unmatched_types_keep_their_name(tmp_path):
    table = tmp_path / "rules.csv"
    table.write_text(
        "activity_type,field,match,pattern,interaction_code,note\n"
        ",Subject,contains,demo,SLS_PRODUCT_DEMO,\n"
        "Phone Call,Direction,equals,in bound,IS_INBOUND_INQUIRY_ANSWERED,\n"
        "phonecall,,,,IS_OUTBOUND_CALL_CONNECTED,\n"
        ",Missing,contains,x,MKT_EMAIL_OPEN,a column the export lacks matches nothing\n"
    )
    rules = activity_type_rules("any", table)
    types = pd.Series(["phonecall", "PhoneCall", "phone_call", "Email", None, "Call - Other"])
    fields = pd.DataFrame(
        {
            "Subject": ["Big DEMO", None, "", "product demo", None, ""],
            "Direction": ["Inbound", "IN-BOUND", None, None, None, None],
        }
    )
    assert interaction_codes(types, fields, rules).tolist() == [
        "SLS_PRODUCT_DEMO",  # the subject rule comes first, whatever the type
        "IS_INBOUND_INQUIRY_ANSWERED",  # equals ignores case, spaces and punctuation
        "IS_OUTBOUND_CALL_CONNECTED",  # blank subject: the type rule
        "SLS_PRODUCT_DEMO",
        "UNMAPPED:(blank)",
        "UNMAPPED:Call - Other",
    ]


def test_a_malformed_rule_names_its_line(tmp_path):
    table = tmp_path / "rules.csv"
    table.write_text(
        "activity_type,field,match,pattern,interaction_code\n"
        "Call,,,,IS_OUTBOUND_CALL_CONNECTED\n"
        "Call,Subject,startswith,x,SLS_PRODUCT_DEMO\n"
    )
    with pytest.raises(ValueError, match="line 3"):
        activity_type_rules("any", table)


@pytest.mark.parametrize("crm", sorted(PRESETS))
def test_every_shipped_rule_names_a_catalog_code(crm):
    codes = set(shipped_catalog()["interaction_code"])
    rules = activity_type_rules(crm)
    assert len(rules) > 0
    assert set(rules["interaction_code"]) <= codes


# --- the fixtures through load_dataset (YAML config with preset:) -----------------------


@pytest.mark.parametrize("crm", sorted(EXPORT))
def test_every_row_read_is_used_or_set_aside(crm, loaded):
    ds = loaded[crm]
    counts = ds.validation.counts["interactions"]
    assert ds.ok
    assert counts["read"] == len(raw_export(crm))
    assert counts["read"] == counts["used"] + counts["set_aside"]
    assert len(ds.interactions) == counts["used"]
    assert len(ds.validation.set_aside["interactions"]) == counts["set_aside"]


@pytest.mark.parametrize("crm", sorted(EXPORT))
def test_ids_written_two_ways_are_one_account(crm, loaded):
    ds = loaded[crm]
    accounts = set(ds.accounts["account_id"])
    assert len(accounts) == 36
    assert set(ds.interactions["account_id"]) == accounts
    assert set(ds.outcomes["account_id"]) == accounts
    assert ds.validation.counts["outcomes"]["set_aside"] == 0
    assert not ds.validation.find("unknown_account")


def test_salesforce_contacts_written_with_15_and_18_characters_unify(loaded):
    raw = raw_export("salesforce")
    who = raw["WhoId"]
    assert (who.str.len() == 15).any() and (who.str.len() == 18).any()
    records = who.str[:15].nunique()
    assert who.nunique() > records  # both spellings occur in the file
    assert loaded["salesforce"].interactions["contact_id"].str.len().eq(18).all()
    seen = set(loaded["salesforce"].interactions["contact_id"])
    set_aside = loaded["salesforce"].validation.set_aside["interactions"]
    assert len(seen | set(set_aside["contact_id"])) == records


@pytest.mark.parametrize("crm", sorted(EXPORT))
def test_mixed_date_formats_parse(crm, loaded):
    raw = raw_export(crm).to_numpy().ravel().astype(str)
    dates = pd.Series(raw)
    assert dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}.*").any()  # ISO
    assert (
        dates.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}.*").any()
        or dates.str.fullmatch(r"\d{13}").any()
    )  # US slash dates or epoch milliseconds
    problems = loaded[crm].validation.find("unparseable_timestamp")
    assert sum(p.rows for p in problems) == UNPARSEABLE[crm]


#: per fixture: the subject column, rows of one activity type a rule maps, and its code
BLANK_SUBJECT_CASES = {
    "salesforce": (
        "Subject",
        lambda r: r["Type"].eq("Call") & r["CallType"].eq("Outbound"),
        "IS_OUTBOUND_CALL_CONNECTED",
    ),
    "dynamics365": (
        "subject",
        lambda r: r["activitytypecode"].eq("phonecall"),
        "IS_OUTBOUND_CALL_CONNECTED",
    ),
    "hubspot": (
        "metadata.subject",
        lambda r: r["engagement.type"].eq("MEETING") & r["metadata.meetingOutcome"].eq("COMPLETED"),
        "SLS_INTRO_MEETING",
    ),
}
EVENT_IDS = {
    "salesforce": lambda r: salesforce_id18(r["Id"]),
    "dynamics365": lambda r: r["activityid"],
    "hubspot": lambda r: r["engagement.id"],
}


@pytest.mark.parametrize("crm", sorted(EXPORT))
def test_blank_subjects_fall_back_to_the_activity_type(crm, loaded):
    raw = raw_export(crm)
    subject, of_type, code = BLANK_SUBJECT_CASES[crm]
    blank = raw[subject].str.strip().eq("")
    assert blank.sum() > 0
    picked = EVENT_IDS[crm](raw)[blank & of_type(raw)]
    used = loaded[crm].interactions.set_index("event_id")["interaction_code"]
    got = used.reindex(picked.tolist()).dropna()
    assert len(got) > 0
    assert (got == code).all()


#: unmapped types and how to count them in the raw export, independently of the preset
UNMAPPED = {
    "salesforce": {
        "UNMAPPED:Call - No Answer": lambda r: r["Type"].eq("Call - No Answer"),
        "UNMAPPED:Site Visit": lambda r: r["Type"].eq("Site Visit"),
        "UNMAPPED:ListEmail": lambda r: r["Type"].eq("") & r["TaskSubtype"].eq("ListEmail"),
    },
    "hubspot": {
        "UNMAPPED:NOTE": lambda r: (
            r["engagement.type"].eq("NOTE") & ~r["metadata.subject"].str.contains("omplaint")
        ),
        "UNMAPPED:CALL": lambda r: (
            r["engagement.type"].eq("CALL")
            & r["metadata.disposition"].ne("f240bbac-87c9-4f6e-bf70-924b57d47db7")
        ),
    },
    "dynamics365": {
        "UNMAPPED:letter": lambda r: r["activitytypecode"].eq("letter"),
        "UNMAPPED:email": lambda r: r["activitytypecode"].eq("email"),
    },
}


@pytest.mark.parametrize("crm", sorted(EXPORT))
def test_unmapped_activity_types_are_listed_with_counts(crm, loaded):
    ds = loaded[crm]
    raw = raw_export(crm)
    listed = unmapped_codes(ds.validation).set_index("interaction_code")["n_events"]
    kept = ~raw.index.isin(PLANTED[crm])  # set aside for another reason first
    for code, rows in UNMAPPED[crm].items():
        assert listed[code] == (rows(raw) & kept).sum(), code
    (problem,) = ds.validation.find("unknown_interaction_code")
    assert listed.sum() == problem.rows
    assert listed.index.str.startswith("UNMAPPED:").all()


def test_client_text_is_not_carried_into_set_aside_rows(loaded):
    for crm, column in [("salesforce", "Subject"), ("hubspot", "metadata.subject")]:
        assert column not in loaded[crm].validation.set_aside["interactions"].columns


def test_a_clients_edited_table_changes_the_mapping(tmp_path, loaded):
    table = tmp_path / "acme.csv"
    shipped = (PRESETS_DIR / "salesforce.csv").read_text()
    header, rest = shipped.split("\n", 1)
    table.write_text(f"{header}\nEmail,,,,IS_QUOTE_SENT,every email is a quote at Acme\n{rest}")
    register_crm_preset("acme-salesforce", "salesforce", table)
    folder = tmp_path / "acme"
    shutil.copytree(FIXTURES / "salesforce", folder)
    config = folder / "pilot.yaml"
    config.write_text(config.read_text().replace("preset: salesforce", "preset: acme-salesforce"))
    try:
        ds = load_dataset(config, progress=False)
    finally:
        inputs.MAPPINGS.pop("acme-salesforce")
    before = unmapped_codes(loaded["salesforce"].validation).set_index("interaction_code")
    after = unmapped_codes(ds.validation).set_index("interaction_code")
    assert "UNMAPPED:Email" in before.index and "UNMAPPED:Email" not in after.index
    gained = (ds.interactions["interaction_code"] == "IS_QUOTE_SENT").sum() - (
        loaded["salesforce"].interactions["interaction_code"] == "IS_QUOTE_SENT"
    ).sum()
    assert gained == before.loc["UNMAPPED:Email", "n_events"]


# --- the back-test on each fixture (rvq backtest CONFIG --json) --------------------------


@pytest.mark.parametrize("crm", sorted(EXPORT))
def test_the_backtest_runs_on_each_fixture(crm, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RVQ_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "summary.json"
    assert main(["backtest", str(FIXTURES / crm / "pilot.yaml"), "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    data = summary["data"]
    assert data["events_read"] == len(raw_export(crm))
    assert data["events_read"] == data["events_used"] + data["events_set_aside"]
    assert data["accounts"] == 36
    verdicts = {v["verdict"] for v in summary["leading_indicator"].values()}
    assert verdicts <= {"leading", "not_leading", "insufficient_data"}
