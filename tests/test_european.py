"""European exports (`;`, decimal commas, day-first dates): read right once the table's
`formats:` options are set, and without them named, never guessed (issue 12, item 11).

The end-to-end part writes a European export of a small demo and checks that it gives the
original's verdicts and panel, read whole and streamed; the rest checks the parsing, the
detection messages and the CRM presets' slash dates one case at a time.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from rvq import pilot as pilots
from rvq.cli import main
from rvq.config import ConfigError, config_from_mapping
from rvq.inputs.dataset import load_dataset
from rvq.inputs.presets import export_timestamps
from rvq.inputs.validation.parse import as_number, iso_dates
from rvq.scoring import stream

ROOT = Path(__file__).resolve().parents[1]
SALESFORCE = ROOT / "data" / "fixtures" / "crm" / "salesforce"
#: the options that read `european_copy`'s files
FORMATS = {
    "interactions": {"decimal": ",", "dates": "%d/%m/%Y %H:%M"},
    "outcomes": {"decimal": ","},
    "voc": {"dates": "day_first"},
}
#: per table, the date columns `european_copy` writes day first, and how
DAY_FIRST = {"interactions": {"timestamp": "%d/%m/%Y %H:%M"}, "voc": {"date": "%d/%m/%Y"}}


def european_number(text: str) -> str:
    """'68512.01' as a European spreadsheet writes it: '68.512,01' (thousands grouped)."""
    sign, whole, _, fraction = re.fullmatch(r"(-?)(\d+)(\.?)(\d*)", text).groups()
    grouped = f"{int(whole):,}".replace(",", ".")
    return sign + grouped + ("," + fraction if fraction else "")


def european_copy(src: Path, dst: Path) -> Path:
    """The demo folder `src` exported as a European spreadsheet would: `;` separators,
    decimal commas (and '.' thousands) in every float column, day-first dates."""
    dst.mkdir(parents=True)
    for path in sorted(src.glob("*.csv")):
        text = pd.read_csv(path, dtype=str, keep_default_na=False)
        typed = pd.read_csv(path)
        for column in text.columns:
            if pd.api.types.is_float_dtype(typed[column]) and column != "nps":
                given = text[column] != ""
                text.loc[given, column] = text.loc[given, column].map(european_number)
        for column, fmt in DAY_FIRST.get(path.stem, {}).items():
            text[column] = pd.to_datetime(text[column]).dt.strftime(fmt)
        text.to_csv(dst / path.name, sep=";", index=False)
    return dst


def config(folder: Path, data: Path, **extra) -> Path:
    path = folder / f"pilot-{len(list(folder.glob('pilot-*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump({"client": "demo", "data": str(data), **extra}))
    return path


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("european")
    demo = root / "demo"
    args = ["demo", "--out", str(demo), "--accounts", "300", "--periods", "10", "--seed", "3"]
    assert main([*args, "--quiet"]) == 0
    return demo, european_copy(demo, root / "euro")


def test_the_european_copy_is_european(exports):
    _, euro = exports
    outcomes = (euro / "outcomes.csv").read_text().splitlines()
    assert outcomes[0] == "account_id;period;revenue;profit;wallet;share_of_wallet"
    assert re.search(r";\d{1,3}\.\d{3},\d+;", outcomes[1])  # 68.512,01
    stamp = (euro / "interactions.csv").read_text().splitlines()[1].split(";")[2]
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", stamp)


def verdicts(source: Path, target: Path) -> dict:
    assert main(["backtest", str(source), "--json", str(target)]) == 0
    summary = json.loads(target.read_text())
    found = {name: res["verdict"] for name, res in summary["leading_indicator"].items()}
    return {"verdicts": found, "data": summary["data"]}


def test_with_the_options_set_the_export_gives_the_originals_verdicts_and_panel(
    exports, tmp_path, monkeypatch
):
    demo, euro = exports
    monkeypatch.setenv("RVQ_CACHE_DIR", str(tmp_path / "cache"))
    european = config(tmp_path, euro, formats=FORMATS)
    original = verdicts(demo, tmp_path / "original.json")
    assert verdicts(european, tmp_path / "european.json") == original
    assert set(original["verdicts"].values()) != {"insufficient_data"}

    whole = pilots.open_pilot(demo, cache_dir=tmp_path / "cache")
    read = pilots.open_pilot(european, cache_dir=tmp_path / "cache")
    assert read.table_counts() == whole.table_counts()
    pd.testing.assert_frame_equal(read.panel, whole.panel)
    streamed = pilots.open_pilot(
        config(tmp_path, euro, formats=FORMATS, stream="always"), cache_dir=tmp_path / "cache"
    )
    assert streamed.streamed and streamed.table_counts() == whole.table_counts()
    keys = ["account_id", "period"]
    expected = whole.panel.sort_values(keys, ignore_index=True)
    got = streamed.panel.sort_values(keys, ignore_index=True)[expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, atol=1e-9)


def test_without_the_options_validation_names_each_one_and_nothing_runs(
    exports, tmp_path, capsys, monkeypatch
):
    _, euro = exports
    monkeypatch.setenv("RVQ_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["validate", str(euro)]) == 2
    out = capsys.readouterr().out
    assert "FATAL" in out and "usable" not in out.splitlines()[0]
    for option in (
        "`formats: {interactions: {dates: day_first}}`",
        '`formats: {outcomes: {decimal: ","}}`',
        "`formats: {voc: {dates: day_first}}`",
    ):
        assert option in out
    # the values that did parse ('47.032' as 47.032) would be misread: outcomes is fatal
    assert re.search(r"outcomes.revenue .*cannot be used .*would be misread", out)
    assert main(["backtest", str(euro)]) == 2
    assert "formats: {" in capsys.readouterr().err


# --- parsing with the options ------------------------------------------------------------


def test_numbers_read_with_the_tables_marks_and_values_that_do_not_fit_are_not_numbers():
    values = pd.Series(["12,5", "1.234,56", "-3", "1.5", None, "1 234,5", ",5"])
    read, bad = as_number(values, ",", ".")
    assert read.tolist()[:3] == [12.5, 1234.56, -3.0] and read.iloc[6] == 0.5
    assert bad.tolist() == [False, False, False, True, False, True, False]  # 1.5: not a '.' file
    read, bad = as_number(pd.Series(["1 234,5", "1\u00a0234,5"]), ",", " ")
    assert read.tolist() == [1234.5, 1234.5] and not bad.any()
    read, _ = as_number(pd.Series(["1,234,567.8"]), ".", ",")
    assert read.tolist() == [1234567.8]


def test_dates_read_in_the_configured_order_or_format():
    values = pd.Series(["31/01/2022 13:45", "2/1/2022", "1/31/2022 1:45 PM", "2022-03-01", None])
    assert iso_dates(values, "day_first").tolist()[:4] == [
        "2022-01-31T13:45:00",
        "2022-01-02",
        "2022-31-01T13:45:00",  # not a date: reported unparseable
        "2022-03-01",
    ]
    assert iso_dates(values, "month_first").tolist()[1:3] == ["2022-02-01", "2022-01-31T13:45:00"]
    assert iso_dates(pd.Series(["31.01.22 13:45"]), "%d.%m.%y %H:%M").tolist() == [
        "2022-01-31T13:45:00"
    ]
    assert iso_dates(values, "iso") is values


def test_config_formats_are_checked():
    found = config_from_mapping({"formats": {"outcomes": {"decimal": ",", "dates": "day_first"}}})
    assert found.table_format("outcomes").grouping == "."
    assert found.table_format("voc").dates == "iso"
    for bad, said in (
        ({"outcome": {}}, "did you mean 'outcomes'"),
        ({"outcomes": {"decimal": ";"}}, "formats.outcomes.decimal"),
        ({"outcomes": {"dates": "dmy"}}, "strftime"),
        ({"outcomes": {"dates": "%Q"}}, "strftime"),
        ({"outcomes": {"decimal": ",", "thousands": ","}}, "both ','"),
        ({"outcomes": {"decimals": ","}}, "unknown key 'formats.outcomes.decimals'"),
    ):
        with pytest.raises(ConfigError, match=re.escape(said)):
            config_from_mapping({"formats": bad})


# --- detection: the option named, never a silent guess ------------------------------------


def load(tmp_path, valid_tables, write_dataset, **formats):
    data = write_dataset(tmp_path / "data", valid_tables)
    return load_dataset(config(tmp_path, data, as_of="2025-01-01", formats=formats), progress=False)


def day_first(stamps: pd.Series) -> pd.Series:
    return pd.to_datetime(stamps).dt.strftime("%d/%m/%Y").astype(object)


def test_day_first_dates_are_named_and_read_once_the_option_is_set(
    tmp_path, valid_tables, write_dataset
):
    inter = valid_tables["interactions"]
    original = pd.to_datetime(inter["timestamp"]).dt.normalize()
    inter["timestamp"] = day_first(inter["timestamp"])
    assert (original.dt.day > 12).any()  # some value proves the order
    ds = load(tmp_path / "a", valid_tables, write_dataset)
    assert ds.interactions is None
    (problem,) = ds.validation.find("format_option_needed", "interactions")
    assert "`formats: {interactions: {dates: day_first}}`" in problem.message
    assert "reads no other way" in problem.message
    ds = load(tmp_path / "b", valid_tables, write_dataset, interactions={"dates": "day_first"})
    assert not ds.validation.fatal
    assert ds.interactions["timestamp"].tolist() == original.tolist()


def test_ambiguous_dates_are_never_guessed(tmp_path, valid_tables, write_dataset):
    inter = valid_tables["interactions"]
    inter["timestamp"] = "02/01/2024"
    ds = load(tmp_path / "a", valid_tables, write_dataset)
    assert ds.interactions is None
    (problem,) = ds.validation.find("all_timestamps_unparseable", "interactions")
    (named,) = ds.validation.find("format_option_needed", "interactions")
    assert "no value shows which" in named.message and "'02/01/2024'" in named.message
    for order in ("day_first", "month_first"):
        assert f"`formats: {{interactions: {{dates: {order}}}}}`" in named.message
    ds = load(tmp_path / "b", valid_tables, write_dataset, interactions={"dates": "day_first"})
    assert set(ds.interactions["timestamp"]) == {pd.Timestamp("2024-01-02")}


def test_a_configured_order_the_values_contradict_is_fatal(tmp_path, valid_tables, write_dataset):
    inter = valid_tables["interactions"]
    inter["timestamp"] = pd.to_datetime(inter["timestamp"]).dt.strftime("%m/%d/%Y")
    ds = load(tmp_path, valid_tables, write_dataset, interactions={"dates": "day_first"})
    (problem,) = ds.validation.find("format_option_needed", "interactions")
    assert problem.severity == "fatal" and "would be misread" in problem.message
    assert "`formats: {interactions: {dates: month_first}}`" in problem.message


def test_decimal_commas_are_named_and_fatal_when_the_rest_would_be_misread(
    tmp_path, valid_tables, write_dataset
):
    outcomes = valid_tables["outcomes"]
    original = outcomes["revenue"].copy()
    for column in ("revenue", "profit", "wallet", "share_of_wallet"):
        outcomes[column] = outcomes[column].map(lambda v: f"{v:.2f}".replace(".", ","))
    outcomes.loc[0, "revenue"] = "1.250"  # 1250 in this export; 1.25 to a '.' reader
    ds = load(tmp_path / "a", valid_tables, write_dataset)
    named = ds.validation.find("format_option_needed", "outcomes")
    (problem,) = [p for p in named if p.column == "revenue"]
    assert problem.severity == "fatal" and ds.outcomes is None
    assert '`formats: {outcomes: {decimal: ","}}`' in problem.message
    assert "'1.250'" in problem.message
    ds = load(tmp_path / "b", valid_tables, write_dataset, outcomes={"decimal": ","})
    assert not ds.validation.fatal
    expected = original.round(2).tolist()
    expected[0] = 1250.0
    assert ds.outcomes["revenue"].tolist() == pytest.approx(expected)


def test_a_stray_decimal_comma_in_a_dot_column_is_a_warning(tmp_path, valid_tables, write_dataset):
    outcomes = valid_tables["outcomes"]
    outcomes["revenue"] = outcomes["revenue"].map(lambda v: f"{v:.2f}").astype(object)
    outcomes.loc[3, "revenue"] = "12,5"
    ds = load(tmp_path, valid_tables, write_dataset)
    (problem,) = ds.validation.find("format_option_needed", "outcomes")
    assert problem.severity == "warning" and problem.rows == 1
    assert not ds.validation.fatal and len(ds.outcomes) == len(outcomes) - 1


# --- CRM presets: slash dates in the table's order, the values' order, or a warning -------


def salesforce_copy(
    tmp_path: Path, swap: bool = True, keep=None, reorder=None, stream=None, **formats
) -> Path:
    """The Salesforce fixture with its slash dates written day first (`swap`), its rows
    filtered by `keep` and reordered by `reorder`."""
    folder = tmp_path / "salesforce"
    shutil.copytree(SALESFORCE, folder)
    path = folder / "Task_Event.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    slash = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
    if swap:
        frame = frame.apply(lambda col: col.str.replace(slash, r"\2/\1/\3", regex=True))
    if keep is not None:
        frame = frame[keep(frame)]
    if reorder is not None:
        frame = reorder(frame)
    frame.to_csv(path, index=False)
    settings = yaml.safe_load((folder / "pilot.yaml").read_text())
    if formats:
        settings["formats"] = formats
    if stream:
        settings["stream"] = stream
    (folder / "pilot.yaml").write_text(yaml.safe_dump(settings))
    return folder / "pilot.yaml"


def timestamps(dataset) -> pd.Series:
    return dataset.interactions.set_index("event_id")["timestamp"].astype("datetime64[ns]")


def notes(dataset) -> list[str]:
    return [p.message for p in dataset.validation.find("reader_note", "interactions")]


def test_a_european_salesforce_export_is_read_day_first_as_its_dates_prove(tmp_path):
    us = load_dataset(SALESFORCE / "pilot.yaml", progress=False)
    assert any("read month/day/year, as values such as" in n for n in notes(us))
    european = load_dataset(salesforce_copy(tmp_path), progress=False)
    (note,) = [n for n in notes(european) if "slashes" in n]
    assert "read day/month/year, as values such as" in note
    pd.testing.assert_series_equal(timestamps(european), timestamps(us))


def test_unproven_slash_dates_are_read_month_first_with_a_warning_or_as_configured(tmp_path):
    us = timestamps(load_dataset(SALESFORCE / "pilot.yaml", progress=False))

    def unproven(frame):  # only dates whose day is at most 12: either order reads them
        day = frame["ActivityDate"].str.extract(r"^(\d{1,2})/")[0].astype(float)
        return day.isna() | (day <= 12)

    assumed = load_dataset(salesforce_copy(tmp_path / "a", keep=unproven), progress=False)
    (note,) = [n for n in notes(assumed) if "slashes" in n]
    assert "no value shows the order" in note
    assert "`formats: {interactions: {dates: day_first}}`" in note
    swapped = timestamps(assumed) != us.reindex(timestamps(assumed).index)
    assert swapped.any()  # read month first, as the warning says
    told = load_dataset(
        salesforce_copy(tmp_path / "b", keep=unproven, interactions={"dates": "day_first"}),
        progress=False,
    )
    assert not [n for n in notes(told) if "slashes" in n]
    read = timestamps(told)
    pd.testing.assert_series_equal(read, us.reindex(read.index))


def test_preset_dates_follow_the_tables_setting():
    values = pd.Series(["02/01/2022", "02/01/2022 14:05", "15.03.2023", "2023-03-15"])
    said: list[str] = []
    assert export_timestamps(values, dates="day_first", notes=said).tolist() == [
        "2022-01-02",
        "2022-01-02T14:05:00",
        "2023-03-15",
        "2023-03-15",
    ]
    assert said == []
    assert export_timestamps(values, dates="month_first").tolist()[0] == "2022-02-01"
    assert export_timestamps(pd.Series(["02-01-22"]), dates="%d-%m-%y").tolist() == ["2022-01-02"]


def test_a_streamed_european_export_reads_every_block_in_the_order_its_dates_prove(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(stream, "BLOCK_SIZE", 1 << 13)  # several blocks

    def proving_last(frame):  # the day-first dates that prove the order come last
        day = frame["ActivityDate"].str.extract(r"^(\d{1,2})/")[0].astype(float)
        return (
            frame.assign(_late=day > 12).sort_values("_late", kind="stable").drop(columns="_late")
        )

    source = salesforce_copy(tmp_path / "a", reorder=proving_last, stream="always")
    whole = load_dataset(source, progress=False)
    (note,) = [n for n in notes(whole) if "slashes" in n]
    assert "read day/month/year" in note
    streamed = stream.streamed_validation(source, work_dir=tmp_path / "work")
    (problem,) = [
        p for p in streamed.validation.by_severity("fatal") if p.rule == "format_option_needed"
    ]
    assert "`formats: {interactions: {dates: day_first}}`" in problem.message

    source = salesforce_copy(tmp_path / "b", stream="always")  # the first block proves it
    streamed = stream.streamed_validation(source, work_dir=tmp_path / "work-b")
    assert not streamed.validation.fatal
    assert streamed.validation.counts == load_dataset(source, progress=False).validation.counts
