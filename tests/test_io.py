"""Readers, mappings and dataset loading (rvq.inputs.readers)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, small_catalog

from rvq import inputs
from rvq.config import ConfigError, PilotConfig
from rvq.inputs.dataset import load_dataset, locate_tables, read_table
from rvq.inputs.mappings import TableMapping, register_mapping
from rvq.inputs.readers import RawTable, reader_for, register_reader

FRAMES = ("interactions", "catalog", "accounts", "outcomes", "voc")


def load(folder, **kw):
    return load_dataset(folder, as_of=AS_OF, progress=False, **kw)


# --- readers ----------------------------------------------------------------------------


def test_csv_columns_are_read_as_text_exactly_as_written(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,company_revenue,zip\n007,1e3,01234\nA2,,99\n")
    raw = read_table(path)
    assert raw.frame["account_id"].tolist() == ["007", "A2"]
    assert raw.frame["zip"].tolist() == ["01234", "99"]
    assert raw.frame["company_revenue"].iloc[0] == "1e3"
    assert pd.isna(raw.frame["company_revenue"].iloc[1])
    assert raw.line_numbers().tolist() == [2, 3]
    assert raw.decoded_from is None


def test_gzipped_and_semicolon_csv_read_the_same(tmp_path):
    text = "account_id;name\nA1;Acme\nA2;Borealis\n"
    with gzip.open(tmp_path / "accounts.csv.gz", "wt") as fh:
        fh.write(text)
    (tmp_path / "plain.csv").write_text(text)
    gz = read_table(tmp_path / "accounts.csv.gz").frame
    plain = read_table(tmp_path / "plain.csv").frame
    assert list(gz.columns) == ["account_id", "name"]
    pd.testing.assert_frame_equal(gz, plain)


def test_latin1_file_is_decoded_and_noted(tmp_path):
    text = (
        "account_id,name,territory\n"
        "A1,Société Générale,Île-de-France\nA2,Müller GmbH,Bayern\n"
        "A3,São Paulo Indústria,São Paulo\nA4,Café Olé,Provence-Alpes-Côte d'Azur\n"
    )
    path = tmp_path / "accounts.csv"
    path.write_bytes(text.encode("latin-1"))
    raw = read_table(path)
    assert raw.frame["name"].tolist() == [
        "Société Générale",
        "Müller GmbH",
        "São Paulo Indústria",
        "Café Olé",
    ]
    assert raw.decoded_from == "cp1252"


def test_utf8_with_bom_needs_no_warning(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes("account_id,name\nA1,Société\n".encode("utf-8-sig"))
    raw = read_table(path)
    assert list(raw.frame.columns) == ["account_id", "name"]
    assert raw.decoded_from is None and raw.frame["name"].iloc[0] == "Société"


def test_rows_with_the_wrong_number_of_fields_are_kept_aside_with_their_line(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,name\nA1,Acme\nA2,Bo,extra\nA3,Cobalt\n")
    raw = read_table(path)
    assert raw.frame["account_id"].tolist() == ["A1", "A3"]
    assert raw.malformed["line"].tolist() == [3]
    assert raw.line_numbers().tolist() == [2, 4]
    assert raw.rows_read == 3


def test_a_malformed_line_holding_a_non_utf8_byte_is_kept_aside_not_fatal(tmp_path):
    """pyarrow cannot hand such a line to the set-aside handler (decoding it fails first)
    and reports a parse error: the file is read in its detected encoding instead, and only
    that line is set aside."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"account_id,name\nA1,Acme\nA2,M\xfcller,extra\nA3,Cobalt\n")
    raw = read_table(path)
    assert raw.frame["account_id"].tolist() == ["A1", "A3"]
    assert raw.malformed["line"].tolist() == [3]
    assert raw.malformed["text"].iloc[0] == "A2,Müller,extra"
    assert raw.decoded_from is not None


def test_reader_registry_picks_longest_suffix_and_accepts_new_entries(tmp_path):
    assert reader_for("x/interactions.csv.gz") is inputs.read_csv
    assert reader_for("x/interactions.PARQUET") is inputs.read_parquet
    with pytest.raises(ValueError, match="no reader"):
        reader_for("x/interactions.xlsx")

    def read_fixed(path: Path) -> RawTable:
        return RawTable(pd.DataFrame({"account_id": ["Z9"]}), str(path))

    register_reader("memo://", read_fixed)
    try:
        assert read_table("memo://accounts").frame["account_id"].tolist() == ["Z9"]
    finally:
        inputs.READERS.pop("memo://")


# --- mappings ---------------------------------------------------------------------------


def test_column_mapping_turns_a_client_export_into_the_canonical_table(
    tmp_path, valid_tables, write_dataset
):
    export = valid_tables["interactions"].rename(
        columns={
            "account_id": "AccountId",
            "contact_id": "WhoId",
            "timestamp": "ActivityDate",
            "interaction_code": "Type",
        }
    )
    folder = write_dataset(tmp_path / "crm", {**valid_tables, "interactions": export})
    mapping = {"AccountId": "account_id", "WhoId": "contact_id", "ActivityDate": "timestamp"}
    mapping["Type"] = "interaction_code"
    config = PilotConfig(data=folder, columns={"interactions": mapping}, as_of=AS_OF)
    mapped = load_dataset(config, progress=False)
    reference = load(write_dataset(tmp_path / "canonical", valid_tables))
    assert not mapped.validation.problems
    pd.testing.assert_frame_equal(mapped.interactions, reference.interactions)


def test_without_the_mapping_the_missing_column_error_suggests_it(
    tmp_path, valid_tables, write_dataset
):
    export = valid_tables["interactions"].rename(columns={"timestamp": "Timestamp"})
    ds = load(write_dataset(tmp_path, {**valid_tables, "interactions": export}))
    (problem,) = ds.validation.find("missing_column", "interactions")
    assert problem.column == "timestamp"
    assert "'Timestamp' looks like it" in problem.message


def test_a_mapping_naming_an_absent_column_is_reported(tmp_path, valid_tables, write_dataset):
    folder = write_dataset(tmp_path, valid_tables)
    config = PilotConfig(data=folder, columns={"voc": {"Survey Date": "date"}}, as_of=AS_OF)
    ds = load_dataset(config, progress=False)
    (note,) = ds.validation.find("reader_note", "voc")
    assert "'Survey Date'" in note.message and note.severity == "warning"


def test_a_registered_preset_renames_and_transforms(tmp_path, valid_tables, write_dataset):
    export = valid_tables["interactions"].rename(columns={"interaction_code": "Subject"})
    export["Subject"] = export["Subject"].str.lower()
    folder = write_dataset(tmp_path, {**valid_tables, "interactions": export})

    def codes_from_subject(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(interaction_code=frame["activity"].str.upper())

    register_mapping(
        "test-crm",
        {"interactions": TableMapping({"Subject": "activity"}, codes_from_subject)},
    )
    try:
        config = PilotConfig(data=folder, preset="test-crm", as_of=AS_OF)
        ds = load_dataset(config, progress=False)
    finally:
        inputs.MAPPINGS.pop("test-crm")
    assert not ds.validation.fatal
    reference = load(write_dataset(tmp_path / "ref", valid_tables))
    assert ds.interactions["interaction_code"].tolist() == (
        reference.interactions["interaction_code"].tolist()
    )


def test_an_unknown_preset_is_a_config_error(dataset_dir):
    with pytest.raises(ConfigError, match="preset 'nope'"):
        load_dataset(PilotConfig(data=dataset_dir, preset="nope"), progress=False)


# --- locating and loading ---------------------------------------------------------------


def test_locate_prefers_parquet_and_lets_tables_override(tmp_path, valid_tables, write_dataset):
    write_dataset(tmp_path, valid_tables)
    write_dataset(tmp_path, {"outcomes": valid_tables["outcomes"]}, "parquet")
    elsewhere = tmp_path / "other" / "acc.csv"
    elsewhere.parent.mkdir()
    valid_tables["accounts"].to_csv(elsewhere, index=False)
    found = locate_tables(PilotConfig(data=tmp_path, tables={"accounts": elsewhere}))
    assert found["outcomes"] == tmp_path / "outcomes.parquet"
    assert found["interactions"] == tmp_path / "interactions.csv"
    assert found["accounts"] == elsewhere


def test_parquet_and_csv_give_the_same_dataset(tmp_path, valid_tables, write_dataset):
    from_csv = load(write_dataset(tmp_path / "csv", valid_tables))
    from_parquet = load(write_dataset(tmp_path / "parquet", valid_tables, "parquet"))
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(from_csv, name), getattr(from_parquet, name))
    assert from_csv.validation.counts == from_parquet.validation.counts


def test_dataset_frames_have_the_canonical_dtypes(dataset_dir):
    ds = load(dataset_dir)
    assert ds.interactions["timestamp"].dtype == "datetime64[ns]"
    assert ds.interactions["cost"].dtype == "float64"
    for column in ("account_id", "contact_id", "interaction_code"):  # dictionary-encoded text
        categories = ds.interactions[column].cat.categories
        assert pd.api.types.is_string_dtype(categories.dtype) and categories.is_monotonic_increasing
    assert isinstance(ds.outcomes["period"].dtype, pd.PeriodDtype)
    assert ds.outcomes["period"].dtype == pd.PeriodDtype("Q")
    assert ds.voc["date"].dtype == "datetime64[ns]"
    assert ds.config.as_of == AS_OF
    # a cost left blank stays NaN (the catalog cost applies); an explicit one is kept
    assert np.isnan(ds.interactions["cost"]).sum() == (ds.interactions["cost"] != 55).sum()


def test_catalog_argument_overrides_the_datasets_catalog(tmp_path, valid_tables, write_dataset):
    catalog = small_catalog()
    catalog.loc[0, "rv"] = 99.0
    folder = write_dataset(tmp_path, valid_tables)
    ds = load(folder, catalog=catalog)
    assert ds.catalog.loc[ds.catalog["interaction_code"] == "WEB_VISIT", "rv"].item() == 99.0
    assert ds.validation.files["catalog"] == "<catalog argument>"


def test_without_a_catalog_table_the_shipped_catalog_is_used(tmp_path, valid_tables, write_dataset):
    from rvq.inputs.catalog import shipped_catalog

    shipped = shipped_catalog()
    codes = shipped["interaction_code"].tolist()
    tables = {k: v for k, v in valid_tables.items() if k != "catalog"}
    tables["interactions"]["interaction_code"] = [codes[i % 10] for i in range(60)]
    ds = load(write_dataset(tmp_path, tables))
    assert not ds.validation.fatal
    assert len(ds.catalog) == len(shipped)
    assert ds.validation.files["catalog"] == "<shipped catalog>"


def test_a_missing_source_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="no dataset folder"):
        load_dataset(PilotConfig(data=tmp_path / "gone"), progress=False)


def test_a_config_without_data_is_a_config_error():
    with pytest.raises(ConfigError, match="neither a data folder"):
        load_dataset(PilotConfig(), progress=False)


def test_an_unreadable_file_is_fatal_not_a_crash(tmp_path, valid_tables, write_dataset):
    folder = write_dataset(tmp_path, {k: v for k, v in valid_tables.items() if k != "outcomes"})
    (folder / "outcomes.parquet").write_bytes(b"PAR1 this is not parquet")
    ds = load(folder)
    assert ds.validation.fatal and ds.outcomes is None
    (problem,) = ds.validation.find("unreadable_file")
    assert problem.table == "outcomes" and "outcomes.parquet" in problem.file


def test_a_yaml_config_loads_its_dataset(tmp_path, valid_tables, write_dataset):
    write_dataset(tmp_path / "data", valid_tables)
    (tmp_path / "pilot.yaml").write_text("client: acme\ndata: data\nas_of: 2025-01-01\nfreq: M\n")
    ds = load_dataset(tmp_path / "pilot.yaml", progress=False)
    assert ds.config.client == "acme"
    assert ds.validation.fatal  # quarterly outcomes cannot become months
    assert ds.validation.find("period_coarser_than_freq")
