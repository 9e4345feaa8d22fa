"""A few bad rows never sink a table (issue 12, items 7, 8, 10): out-of-range and
outlying dates leave or are flagged with a reason, a huge field sets its row aside, and a
required table whose every row is set aside is fatal with its likely cause.

Fixtures are tiny CSVs built here from the valid dataset; every test checks that rows read
= rows used + rows set aside."""

from __future__ import annotations

import pandas as pd
from conftest import load

from rvq.inputs.validation import ValidationResult


def reasons(result: ValidationResult, table: str) -> dict[int, str]:
    aside = result.set_aside.get(table)
    return (
        {} if aside is None else dict(zip(aside["line"].astype(int), aside["reason"], strict=True))
    )


def as_text_dates(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    frame[column] = frame[column].dt.strftime("%Y-%m-%dT%H:%M:%S").astype(object)
    return frame


# --- item 7: dates out of range or far from the bulk ------------------------------------------


def test_placeholder_far_future_dates_are_set_aside_not_fatal(tmp_path, valid_tables):
    inter = as_text_dates(valid_tables["interactions"], "timestamp")
    inter.loc[[3, 8, 12, 20, 31], "timestamp"] = "2999-12-31"
    ds = load(tmp_path, valid_tables)
    assert not ds.validation.fatal, ds.validation.to_text()
    assert reasons(ds.validation, "interactions") == dict.fromkeys(
        [5, 10, 14, 22, 33], "future_timestamp"
    )
    assert ds.validation.counts["interactions"] == {"read": 60, "used": 55, "set_aside": 5}
    assert len(ds.interactions) == 55


def test_dates_beyond_what_a_timestamp_holds_with_a_zone_are_set_aside(tmp_path, valid_tables):
    inter = as_text_dates(valid_tables["interactions"], "timestamp")
    inter.loc[0, "timestamp"] = "2024-01-02T09:30:00+02:00"
    inter.loc[5, "timestamp"] = "2999-12-31T00:00:00+02:00"
    inter.loc[6, "timestamp"] = "1500-06-01"
    ds = load(tmp_path, valid_tables)
    assert not ds.validation.fatal, ds.validation.to_text()
    assert reasons(ds.validation, "interactions") == {
        7: "future_timestamp",
        8: "timestamp_out_of_range",
    }


def test_a_placeholder_1900_date_is_set_aside_with_the_bound_named(tmp_path, valid_tables):
    inter = as_text_dates(valid_tables["interactions"], "timestamp")
    inter.loc[2, "timestamp"] = "1900-01-01"
    ds = load(tmp_path, valid_tables)
    assert reasons(ds.validation, "interactions") == {4: "timestamp_out_of_range"}
    (problem,) = ds.validation.find("timestamp_out_of_range", "interactions")
    assert problem.severity == "set_aside" and "1995-01-01" in problem.message
    assert ds.interactions["timestamp"].min() >= pd.Timestamp("2020-01-01")


def test_voc_dates_and_outcome_periods_out_of_range_are_set_aside(tmp_path, valid_tables):
    voc = as_text_dates(valid_tables["voc"], "date")
    voc.loc[0, "date"] = "2999-12-31"
    voc.loc[1, "date"] = "1900-01-01"
    outcomes = valid_tables["outcomes"]
    outcomes["period"] = outcomes["period"].astype(str).astype(object)
    outcomes.loc[0, "period"] = "1900-Q1"
    ds = load(tmp_path, valid_tables)
    assert not ds.validation.fatal, ds.validation.to_text()
    assert reasons(ds.validation, "voc") == {2: "future_timestamp", 3: "timestamp_out_of_range"}
    assert reasons(ds.validation, "outcomes") == {2: "period_out_of_range"}


def test_a_few_dates_far_from_the_bulk_are_flagged(tmp_path, valid_tables):
    inter = as_text_dates(valid_tables["interactions"], "timestamp")
    inter.loc[7, "timestamp"] = "2001-03-04"  # in range, but decades before the rest
    ds = load(tmp_path, valid_tables)
    (problem,) = ds.validation.find("outlying_date", "interactions")
    assert problem.severity == "warning" and problem.rows == 1
    assert [ex["line"] for ex in problem.examples] == [9]
    assert "2001-03-04" in problem.message


def test_a_table_spread_evenly_has_no_outlying_dates(tmp_path, valid_tables):
    ds = load(tmp_path, valid_tables)
    assert not ds.validation.find("outlying_date")


# --- item 10: a required table with no usable row is fatal, with the likely cause ------------


def decimal_commas(values: pd.Series) -> pd.Series:
    return values.map(lambda v: f"{v:.2f}".replace(".", ",")).astype(object)


def test_outcomes_all_set_aside_for_decimal_commas_are_fatal_and_say_why(tmp_path, valid_tables):
    outcomes = valid_tables["outcomes"]
    for col in ("revenue", "profit"):
        outcomes[col] = decimal_commas(outcomes[col])
    ds = load(tmp_path, valid_tables)
    assert ds.validation.fatal and ds.outcomes is None
    (problem,) = ds.validation.find("no_usable_rows", "outcomes")
    assert "outcomes.csv" in problem.file and "decimal commas?" in problem.message
    assert "non_numeric (20 rows)" in problem.message
    assert "FATAL" in ds.validation.to_text()
    assert ds.validation.counts["outcomes"] == {"read": 20, "used": 0, "set_aside": 20}


def test_accounts_all_set_aside_are_fatal(tmp_path, valid_tables):
    valid_tables["accounts"]["account_id"] = " "
    ds = load(tmp_path, valid_tables)
    (problem,) = ds.validation.find("no_usable_rows", "accounts")
    assert problem.severity == "fatal" and "missing_value (5 rows)" in problem.message
    assert "blank throughout" in problem.message


def test_interactions_with_slashed_dates_name_the_date_format(tmp_path, valid_tables):
    inter = valid_tables["interactions"]
    inter["timestamp"] = inter["timestamp"].dt.strftime("%d/%m/%Y").astype(object)
    ds = load(tmp_path, valid_tables)
    assert ds.validation.fatal and ds.interactions is None
    (problem,) = ds.validation.find("all_timestamps_unparseable", "interactions")
    inter.loc[0, "timestamp"] = "2024-01-02"  # one parses: no longer "all unparseable"
    inter.loc[0, "account_id"] = "nobody"
    ds = load(tmp_path / "again", valid_tables)
    (problem,) = ds.validation.find("no_usable_rows", "interactions")
    assert "unparseable_timestamp (59 rows)" in problem.message
    assert "day/month or month/day?" in problem.message and "'09/01/2024'" in problem.message


def test_a_table_with_some_usable_rows_is_not_fatal(tmp_path, valid_tables):
    outcomes = valid_tables["outcomes"]
    outcomes["revenue"] = outcomes["revenue"].astype(object)
    outcomes.loc[3, "revenue"] = "12,5"
    ds = load(tmp_path, valid_tables)
    assert not ds.validation.fatal and not ds.validation.find("no_usable_rows")


# --- item 8: a field longer than pyarrow's block never makes the file unreadable -------------


def test_a_multi_megabyte_field_is_read_not_fatal(tmp_path, valid_tables):
    long_note = "a pasted e-mail thread\n" * 150_000  # 3.3 MB, over several lines
    valid_tables["accounts"]["name"] = valid_tables["accounts"]["name"].astype(object)
    valid_tables["accounts"].loc[2, "name"] = long_note
    valid_tables["accounts"].loc[3, "name"] = long_note[:1_600_000]
    ds = load(tmp_path, valid_tables)
    assert not ds.validation.fatal, ds.validation.to_text()[:2000]
    assert ds.validation.counts["accounts"] == {"read": 5, "used": 5, "set_aside": 0}
    assert ds.accounts.loc[2, "name"] == long_note.strip()
    assert ds.validation.counts["interactions"]["used"] == 60


def test_records_longer_than_a_block_are_read_with_their_lines(tmp_path):
    from rvq.inputs.readers import read_csv

    path = tmp_path / "wide.csv"
    path.write_text("a,b\n" + "".join(f"{i},{'y' * 1_500_000}\n" for i in range(3)) + "9,z,extra\n")
    raw = read_csv(path)
    assert raw.frame["a"].tolist() == ["0", "1", "2"]
    assert raw.malformed["line"].tolist() == [5]
    assert raw.rows_read == 4
