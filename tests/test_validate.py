"""Validation: each defect of the input contract is caught, named, and counted.

Every defect test breaks one thing in the valid fixture and checks the severity, that the
problem names the file and column, that rows read = used + set aside in every table, and
that exactly the broken rows (by their line in the file) are the ones set aside.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, assert_counts_balance, load, make_valid_tables, small_catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rvq.inputs.dataset import load_dataset
from rvq.inputs.readers import RawTable
from rvq.inputs.validation import ValidationResult, as_period, as_timestamp, validate_tables


def only(result: ValidationResult, rule: str, table: str):
    found = result.find(rule, table)
    assert len(found) == 1, [p.rule for p in result.problems]
    return found[0]


def lines_set_aside(result, table, reason=None) -> list[int]:
    aside = result.set_aside[table]
    if reason is not None:
        aside = aside[aside["reason"] == reason]
    return sorted(int(x) for x in aside["line"])


def line(row: int) -> int:
    """The CSV line of frame row `row` (the header is line 1)."""
    return row + 2


def names_file_and_column(problem, file_stem: str, column: str | None) -> None:
    assert file_stem in problem.file
    assert problem.column == column
    text = problem.to_text()
    assert file_stem in text and (column is None or repr(column) in text)


# --- the valid fixture ------------------------------------------------------------------


def test_the_valid_fixture_passes_with_every_row_used(dataset_dir):
    ds = load_dataset(dataset_dir, as_of=AS_OF, progress=False)
    result = ds.validation
    assert result.problems == []
    assert not result.fatal
    expected = {"accounts": 5, "catalog": 8, "interactions": 60, "outcomes": 20, "voc": 8}
    for table, n in expected.items():
        assert result.counts[table] == {"read": n, "used": n, "set_aside": 0}
        assert len(getattr(ds, table)) == n


# --- fatal --------------------------------------------------------------------------------


def test_missing_required_file_is_fatal(tmp_path, valid_tables):
    del valid_tables["accounts"]
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "missing_file", "accounts")
    assert problem.severity == "fatal" and ds.validation.fatal
    assert "accounts" in problem.file and "accounts.csv" in problem.message
    assert ds.accounts is None


def test_missing_required_column_is_fatal(tmp_path, valid_tables):
    valid_tables["interactions"] = valid_tables["interactions"].drop(columns="contact_id")
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "missing_column", "interactions")
    assert problem.severity == "fatal"
    names_file_and_column(problem, "interactions.csv", "contact_id")
    assert "looks like" not in problem.message  # canonical columns are not offered as a match
    assert ds.interactions is None
    counts = ds.validation.counts["interactions"]
    assert counts == {"read": 60, "used": 0, "set_aside": 60}
    assert set(ds.validation.set_aside["interactions"]["reason"]) == {"table_unusable"}


def test_empty_required_table_is_fatal_and_empty_optional_table_a_warning(tmp_path, valid_tables):
    valid_tables["interactions"] = valid_tables["interactions"].iloc[:0]
    valid_tables["voc"] = valid_tables["voc"].iloc[:0]
    ds = load(tmp_path, valid_tables)
    empty = only(ds.validation, "empty_table", "interactions")
    assert empty.severity == "fatal" and "interactions.csv" in empty.file
    assert only(ds.validation, "empty_table", "voc").severity == "warning"
    assert ds.validation.counts["interactions"] == {"read": 0, "used": 0, "set_aside": 0}
    assert ds.voc is None


def test_a_broken_catalog_is_fatal(tmp_path, valid_tables):
    valid_tables["catalog"].loc[2, "stage"] = "renewal"
    valid_tables["catalog"].loc[5, "interaction_code"] = "DEMO"  # duplicate code
    ds = load(tmp_path, valid_tables)
    invalid = only(ds.validation, "invalid_value", "catalog")
    names_file_and_column(invalid, "catalog.csv", "stage")
    assert invalid.severity == "fatal" and invalid.examples[0]["line"] == line(2)
    dup = only(ds.validation, "duplicate_code", "catalog")
    assert dup.severity == "fatal" and dup.examples[0]["line"] == line(5)
    assert ds.catalog is None and ds.validation.fatal


def test_all_timestamps_unparseable_is_fatal(tmp_path, valid_tables):
    valid_tables["interactions"]["timestamp"] = "last tuesday"
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "all_timestamps_unparseable", "interactions")
    names_file_and_column(problem, "interactions.csv", "timestamp")
    assert problem.severity == "fatal" and ds.interactions is None


def test_mixed_period_formats_are_fatal(tmp_path, valid_tables):
    valid_tables["outcomes"].loc[0, "period"] = "2024-01"
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "mixed_period_formats", "outcomes")
    names_file_and_column(problem, "outcomes.csv", "period")
    assert problem.severity == "fatal" and "month" in problem.message
    assert ds.outcomes is None


# --- set aside ----------------------------------------------------------------------------


def test_unparseable_timestamp_is_set_aside(tmp_path, valid_tables):
    valid_tables["interactions"]["timestamp"] = valid_tables["interactions"]["timestamp"].astype(
        str
    )
    valid_tables["interactions"].loc[[4, 17], "timestamp"] = ["2024-13-45", "yesterday"]
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "unparseable_timestamp", "interactions")
    assert problem.severity == "set_aside" and problem.rows == 2
    names_file_and_column(problem, "interactions.csv", "timestamp")
    assert [ex["timestamp"] for ex in problem.examples] == ["2024-13-45", "yesterday"]
    assert lines_set_aside(ds.validation, "interactions") == [line(4), line(17)]
    assert len(ds.interactions) == 58


def test_future_timestamp_is_set_aside(tmp_path, valid_tables):
    valid_tables["interactions"].loc[9, "timestamp"] = pd.Timestamp("2025-01-02 00:00:00")
    valid_tables["interactions"].loc[10, "timestamp"] = pd.Timestamp("2025-01-01 23:59:00")
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "future_timestamp", "interactions")
    assert problem.severity == "set_aside" and "2025-01-01" in problem.message
    names_file_and_column(problem, "interactions.csv", "timestamp")
    assert lines_set_aside(ds.validation, "interactions") == [line(9)]  # as-of day itself counts


def test_mixed_time_zones_are_converted_to_utc(tmp_path, valid_tables):
    ts = valid_tables["interactions"]["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S").tolist()
    ts[0] = "2024-01-02T09:30:00+02:00"
    ts[1] = "2024-01-05T23:00:00-05:00"
    ts[2] = "2024-01-06T08:00:00Z"
    valid_tables["interactions"]["timestamp"] = ts
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "mixed_time_zones", "interactions")
    assert problem.severity == "repaired" and problem.rows == 3
    names_file_and_column(problem, "interactions.csv", "timestamp")
    got = ds.interactions["timestamp"]
    assert got.dtype == "datetime64[ns]"
    assert got[0] == pd.Timestamp("2024-01-02 07:30:00")
    assert got[1] == pd.Timestamp("2024-01-06 04:00:00")
    assert got[2] == pd.Timestamp("2024-01-06 08:00:00")
    assert got[3] == pd.Timestamp(ts[3])  # naive values are taken as UTC
    assert ds.validation.counts["interactions"]["set_aside"] == 0


def test_duplicate_event_ids_are_set_aside_keeping_the_first(tmp_path, valid_tables):
    inter = valid_tables["interactions"]
    inter.loc[30, "event_id"] = inter.loc[3, "event_id"]
    inter.loc[31, "event_id"] = inter.loc[3, "event_id"]
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "duplicate_event", "interactions")
    assert problem.severity == "set_aside" and problem.rows == 2
    names_file_and_column(problem, "interactions.csv", "event_id")
    assert lines_set_aside(ds.validation, "interactions") == [line(30), line(31)]
    assert (ds.interactions["event_id"] == inter.loc[3, "event_id"]).sum() == 1


def test_identical_rows_without_event_id_are_duplicates(tmp_path, valid_tables):
    inter = valid_tables["interactions"].drop(columns="event_id")
    valid_tables["interactions"] = pd.concat([inter, inter.iloc[[7]]], ignore_index=True)
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "duplicate_event", "interactions")
    assert problem.rows == 1 and problem.column is None
    assert lines_set_aside(ds.validation, "interactions") == [line(60)]


def test_unknown_interaction_codes_are_set_aside_and_listed(tmp_path, valid_tables):
    valid_tables["interactions"].loc[[5, 6, 40], "interaction_code"] = ["GOLF", "GOLF", "LUNCH"]
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "unknown_interaction_code", "interactions")
    assert problem.severity == "set_aside" and problem.rows == 3
    names_file_and_column(problem, "interactions.csv", "interaction_code")
    assert "'GOLF' ×2" in problem.message and "'LUNCH' ×1" in problem.message
    assert lines_set_aside(ds.validation, "interactions") == [line(5), line(6), line(40)]


def test_negative_cost_is_set_aside(tmp_path, valid_tables):
    valid_tables["interactions"].loc[12, "cost"] = -40.0
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "negative_cost", "interactions")
    assert problem.severity == "set_aside"
    names_file_and_column(problem, "interactions.csv", "cost")
    assert problem.examples[0]["cost"] == "-40.0"
    assert lines_set_aside(ds.validation, "interactions") == [line(12)]


def test_non_numeric_cost_is_set_aside(tmp_path, valid_tables):
    inter = valid_tables["interactions"]
    inter["cost"] = inter["cost"].astype(object)
    inter.loc[[20, 21], "cost"] = ["12,50 EUR", "free"]
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "non_numeric", "interactions")
    assert problem.severity == "set_aside" and problem.rows == 2
    names_file_and_column(problem, "interactions.csv", "cost")
    assert lines_set_aside(ds.validation, "interactions") == [line(20), line(21)]


def test_wrong_types_in_outcomes_are_set_aside(tmp_path, valid_tables):
    out = valid_tables["outcomes"]
    out["revenue"] = out["revenue"].astype(object)
    out.loc[3, "revenue"] = "twelve thousand"
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "non_numeric", "outcomes")
    names_file_and_column(problem, "outcomes.csv", "revenue")
    assert problem.severity == "set_aside"
    assert lines_set_aside(ds.validation, "outcomes") == [line(3)]
    assert ds.outcomes["revenue"].dtype == "float64" and len(ds.outcomes) == 19


def test_unparseable_period_is_set_aside(tmp_path, valid_tables):
    valid_tables["outcomes"].loc[[2, 11], "period"] = ["2024-Q5", "Q3 of 2024"]
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "unparseable_period", "outcomes")
    assert problem.severity == "set_aside" and problem.rows == 2
    names_file_and_column(problem, "outcomes.csv", "period")
    assert lines_set_aside(ds.validation, "outcomes") == [line(2), line(11)]


def test_accounts_missing_from_accounts_are_set_aside_everywhere(tmp_path, valid_tables):
    valid_tables["interactions"].loc[[0, 1], "account_id"] = "A99"
    valid_tables["outcomes"].loc[7, "account_id"] = "A98"
    valid_tables["voc"].loc[4, "account_id"] = "A97"
    ds = load(tmp_path, valid_tables)
    for table, lines in (("interactions", [2, 3]), ("outcomes", [9]), ("voc", [6])):
        problem = only(ds.validation, "unknown_account", table)
        assert problem.severity == "set_aside"
        names_file_and_column(problem, f"{table}.csv", "account_id")
        assert lines_set_aside(ds.validation, table) == lines


def test_share_of_wallet_outside_0_1_is_set_to_nan(tmp_path, valid_tables):
    valid_tables["outcomes"].loc[[4, 8], "share_of_wallet"] = [1.7, -0.2]
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "share_of_wallet_out_of_range", "outcomes")
    assert problem.severity == "repaired" and problem.rows == 2
    names_file_and_column(problem, "outcomes.csv", "share_of_wallet")
    assert [ex["line"] for ex in problem.examples] == [line(4), line(8)]
    share = ds.outcomes["share_of_wallet"]
    assert share.isna().tolist() == [i in (4, 8) for i in range(20)]
    assert ds.validation.counts["outcomes"] == {"read": 20, "used": 20, "set_aside": 0}


def test_share_of_wallet_in_percent_is_divided_by_100(tmp_path, valid_tables):
    valid_tables["outcomes"]["share_of_wallet"] = np.linspace(5, 60, 20)
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "share_of_wallet_percent", "outcomes")
    assert problem.severity == "repaired"
    np.testing.assert_allclose(ds.outcomes["share_of_wallet"], np.linspace(0.05, 0.60, 20))


def test_nps_and_csat_out_of_range_are_set_aside(tmp_path, valid_tables):
    valid_tables["voc"].loc[2, "nps"] = 11.0
    valid_tables["voc"].loc[6, "csat"] = 0.0
    ds = load(tmp_path, valid_tables)
    nps = only(ds.validation, "nps_out_of_range", "voc")
    assert nps.severity == "set_aside"
    names_file_and_column(nps, "voc.csv", "nps")
    names_file_and_column(only(ds.validation, "csat_out_of_range", "voc"), "voc.csv", "csat")
    assert lines_set_aside(ds.validation, "voc") == [line(2), line(6)]


def test_non_utf8_text_is_decoded_with_a_warning(tmp_path, valid_tables):
    from conftest import write_tables

    valid_tables["accounts"].loc[0, "name"] = "Société Générale"
    valid_tables["accounts"].loc[1, "territory"] = "Île-de-France"
    folder = write_tables(tmp_path / "pilot", valid_tables)
    csv_text = (folder / "accounts.csv").read_text(encoding="utf-8")
    (folder / "accounts.csv").write_bytes(csv_text.encode("cp1252"))
    ds = load_dataset(folder, as_of=AS_OF, progress=False)
    problem = only(ds.validation, "non_utf8_text", "accounts")
    assert problem.severity == "warning"
    assert "accounts.csv" in problem.file and "cp1252" in problem.message
    assert ds.accounts["name"][0] == "Société Générale"
    assert ds.accounts["territory"][1] == "Île-de-France"
    assert not ds.validation.fatal


def test_malformed_csv_rows_are_set_aside_with_their_line(tmp_path, valid_tables):
    from conftest import write_tables

    folder = write_tables(tmp_path / "pilot", valid_tables)
    lines = (folder / "accounts.csv").read_text().splitlines()
    lines.insert(3, "A9,Broken,retail")  # becomes line 4
    (folder / "accounts.csv").write_text("\n".join(lines) + "\n")
    ds = load_dataset(folder, as_of=AS_OF, progress=False)
    assert_counts_balance(ds.validation)
    problem = only(ds.validation, "malformed_row", "accounts")
    assert problem.severity == "set_aside" and problem.examples[0]["line"] == 4
    assert ds.validation.counts["accounts"] == {"read": 6, "used": 5, "set_aside": 1}


def test_a_row_with_several_defects_is_set_aside_once(tmp_path, valid_tables):
    inter = valid_tables["interactions"]
    inter.loc[8, ["interaction_code", "cost", "account_id"]] = ["GOLF", -5.0, "A99"]
    ds = load(tmp_path, valid_tables)
    assert ds.validation.counts["interactions"] == {"read": 60, "used": 59, "set_aside": 1}
    assert lines_set_aside(ds.validation, "interactions") == [line(8)]


# --- repaired and warnings ----------------------------------------------------------------


def test_monthly_outcomes_become_quarters_combined(tmp_path, valid_tables):
    months = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A1", "A2"],
            "period": ["2024-01", "2024-02", "2024-03", "2024-02"],
            "revenue": [100.0, 200.0, 300.0, 50.0],
            "profit": [10.0, -20.0, 30.0, 5.0],
            "wallet": [400.0, 400.0, 400.0, np.nan],
            "share_of_wallet": [np.nan, np.nan, np.nan, 0.3],
        }
    )
    valid_tables["outcomes"] = months
    ds = load(tmp_path, valid_tables)
    problem = only(ds.validation, "combined_periods", "outcomes")
    assert problem.severity == "repaired" and problem.rows == 3
    out = ds.outcomes
    assert out["period"].tolist() == [pd.Period("2024Q1", "Q")] * 2
    a1 = out[out["account_id"] == "A1"].iloc[0]
    assert (a1["revenue"], a1["profit"], a1["wallet"]) == (600.0, 20.0, 1200.0)
    assert a1["share_of_wallet"] == pytest.approx(0.5)  # revenue / wallet
    a2 = out[out["account_id"] == "A2"].iloc[0]
    assert (a2["revenue"], a2["share_of_wallet"]) == (50.0, 0.3)  # alone: untouched
    assert ds.validation.counts["outcomes"] == {"read": 4, "used": 4, "set_aside": 0}


def test_quarterly_outcomes_under_monthly_freq_are_fatal(tmp_path, valid_tables):
    from conftest import write_tables

    from rvq.config import PilotConfig

    folder = write_tables(tmp_path / "pilot", valid_tables)
    ds = load_dataset(PilotConfig(data=folder, freq="M", as_of=AS_OF), progress=False)
    problem = only(ds.validation, "period_coarser_than_freq", "outcomes")
    assert problem.severity == "fatal" and "freq: Q" in problem.message


def test_coverage_warnings(tmp_path, valid_tables):
    extra = pd.DataFrame({"account_id": ["A6", "A7"], "name": ["Fjord", "Gale"]})
    valid_tables["accounts"] = pd.concat([valid_tables["accounts"], extra], ignore_index=True)
    valid_tables["outcomes"].loc[0, "period"] = "2023-Q4"
    valid_tables["outcomes"].loc[1, "wallet"] = 1.0
    ds = load(tmp_path, valid_tables)
    no_events = only(ds.validation, "account_without_interactions", "accounts")
    assert no_events.severity == "warning" and no_events.rows == 2
    assert [ex["account_id"] for ex in no_events.examples] == ["A6", "A7"]
    assert only(ds.validation, "account_without_outcomes", "accounts").rows == 2
    early = only(ds.validation, "outcomes_before_first_interaction", "outcomes")
    assert early.rows == 1 and early.severity == "warning"
    below = only(ds.validation, "wallet_below_revenue", "outcomes")
    assert below.examples[0]["line"] == line(1)
    assert not ds.validation.fatal


# --- the result object ----------------------------------------------------------------------


def test_result_prints_counts_and_problems_by_severity(tmp_path, valid_tables):
    valid_tables["interactions"].loc[12, "cost"] = -40.0
    valid_tables["outcomes"].loc[4, "share_of_wallet"] = 1.7
    del valid_tables["voc"]
    result = load(tmp_path, valid_tables).validation
    text = result.to_text()
    assert text.splitlines()[0] == "Input validation: usable"
    assert "interactions" in text and "59" in text
    assert text.index("SET ASIDE") < text.index("REPAIRED")
    assert f"line {line(12)}" in text
    html = result._repr_html_()
    assert "<table" in html and "negative_cost" in html
    as_json = json.loads(json.dumps(result.to_dict()))
    assert as_json["counts"]["interactions"] == {"read": 60, "used": 59, "set_aside": 1}
    assert {p["rule"] for p in as_json["problems"]} == {
        "negative_cost",
        "share_of_wallet_out_of_range",
    }
    frame = result.summary_frame()
    assert frame["severity"].tolist() == ["set_aside", "repaired"]


def test_validate_tables_takes_raw_tables_and_a_catalog_directly():
    tables = make_valid_tables()
    raw = {
        name: RawTable(frame.astype(str).replace("nan", None), f"{name}.mem")
        for name, frame in tables.items()
        if name != "catalog"
    }
    frames, result = validate_tables(raw, small_catalog(), freq="Q", as_of=AS_OF)
    assert not result.problems
    assert result.files["catalog"] == "<shipped catalog>"
    assert len(frames["interactions"]) == 60


def test_client_text_is_escaped_in_html(tmp_path, valid_tables):
    valid_tables["interactions"].loc[0, "interaction_code"] = "<script>x</script>"
    html = load(tmp_path, valid_tables).validation._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


# --- parsers on their own -------------------------------------------------------------------


def test_period_parser_formats_and_frequencies():
    text = pd.Series(["2024-01", "2024-12", "2024-Q3", "2024Q4", "2024-05-31", "2024-13", None])
    periods, bad, kinds = as_period(text, "Q")
    assert periods[:5].astype(str).tolist() == ["2024Q1", "2024Q4", "2024Q3", "2024Q4", "2024Q2"]
    assert bad.tolist() == [False] * 5 + [True, False]
    assert kinds == {"month": 2, "quarter": 2, "date": 1}
    monthly, _, _ = as_period(pd.Series(["2024-02", "2024-11-03"]), "M")
    assert monthly.astype(str).tolist() == ["2024-02", "2024-11"]


def test_timestamp_parser_reports_the_zones_it_saw():
    ts, zones = as_timestamp(pd.Series(["2024-03-01T12:00:00+01:00", "2024-03-01T12:00:00"]))
    assert ts.tolist() == [pd.Timestamp("2024-03-01 11:00"), pd.Timestamp("2024-03-01 12:00")]
    assert zones == {"+01:00": 1, "naive": 1}
    same, zones = as_timestamp(pd.Series(["2024-03-01", "2024-03-02 10:15"]))
    assert zones == {} and same.dtype == "datetime64[ns]"


def test_as_of_defaults_to_today(dataset_dir):
    ds = load_dataset(dataset_dir, progress=False)
    assert ds.config.as_of == date.today()


def test_a_zero_byte_file_is_an_empty_table(tmp_path, valid_tables):
    from conftest import write_tables

    folder = write_tables(tmp_path / "pilot", valid_tables)
    (folder / "outcomes.csv").write_bytes(b"")
    ds = load_dataset(folder, as_of=AS_OF, progress=False)
    problem = only(ds.validation, "empty_table", "outcomes")
    assert problem.severity == "fatal" and "outcomes.csv" in problem.file


def test_a_configured_file_that_does_not_exist_is_fatal(dataset_dir, tmp_path):
    from rvq.config import PilotConfig

    gone = tmp_path / "exports" / "voc_2024.csv"
    config = PilotConfig(data=dataset_dir, tables={"voc": gone}, as_of=AS_OF)
    ds = load_dataset(config, progress=False)
    problem = only(ds.validation, "missing_file", "voc")
    assert problem.severity == "fatal" and problem.file == str(gone)
    assert str(problem).startswith(str(gone)) and "[missing_file]" in str(problem)


# --- property: whatever is broken, rows are counted and the broken ones leave --------------

#: corruption of one interaction row -> whether validation must set that row aside
CORRUPTIONS = {
    "bad_timestamp": ("timestamp", "not a date", True),
    "future": ("timestamp", "2031-01-01", True),
    "unknown_code": ("interaction_code", "NOPE", True),
    "negative_cost": ("cost", "-1", True),
    "text_cost": ("cost", "abc", True),
    "unknown_account": ("account_id", "A404", True),
    "blank_contact": ("contact_id", None, True),
    "duplicate_event": ("event_id", "E0001", True),  # row 0's id; row 0 is never corrupted
    "time_zone": ("timestamp", "2024-06-01T10:00:00+02:00", False),
    "padded_id": ("account_id", "  A1 ", False),
}


def _as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the CSV reader would give it: text, blanks missing."""
    text = frame.astype(str)
    return text.where(frame.notna(), None)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.integers(1, 59), st.sampled_from(sorted(CORRUPTIONS)), max_size=20))
def test_any_mix_of_defects_keeps_the_count_and_sets_aside_exactly_the_broken_rows(damage):
    tables = make_valid_tables()
    raw = {name: RawTable(_as_read(f), f"{name}.csv") for name, f in tables.items()}
    inter = raw["interactions"].frame
    for row, kind in damage.items():
        column, value, _ = CORRUPTIONS[kind]
        inter.loc[row, column] = value
    frames, result = validate_tables(raw, freq="Q", as_of=AS_OF)
    assert_counts_balance(result)
    broken = sorted(line(row) for row, kind in damage.items() if CORRUPTIONS[kind][2])
    aside = result.set_aside.get("interactions")
    assert ([] if aside is None else sorted(aside["line"].tolist())) == broken
    assert len(frames["interactions"]) == 60 - len(broken)
    assert not result.fatal
