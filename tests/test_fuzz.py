"""Bad input at scale: random corruptions of a valid dataset never crash `load_dataset`.

Hypothesis draws one to three corruptions of the fixture dataset's CSV files (a wrong
type in a cell, a non-UTF-8 byte, a bad date, duplicated rows, a truncated file, a huge
value, an empty file, a deleted column) and checks that loading always ends with a
`Dataset` -- usable, or `validation.fatal` with problems naming their file -- or one of
the documented exceptions (ConfigError, FileNotFoundError), that no rule crashed
(validation's catch-all `validation_error`), and that rows read = used + set aside in
every table. `--hypothesis-show-statistics` prints the number of cases run.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import AS_OF, make_valid_tables, write_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rvq.config import ConfigError
from rvq.inputs.dataset import Dataset, load_dataset

TABLE_NAMES = ("accounts", "interactions", "outcomes", "voc", "catalog")
KINDS = (
    "wrong_type",
    "bad_encoding",
    "bad_date",
    "duplicate_rows",
    "truncate",
    "huge_value",
    "empty_file",
    "delete_column",
)
HUGE = ("1e308", "-1e309", "9" * 400, "nan", "inf", "1" * 40 + ".5")
BAD_DATES = ("2024-13-45", "31/02/2024", "yesterday", "0000-00-00", "2024-02-30T25:61", "")
WRONG = ("abc", "TRUE", "[1, 2]", "None", "12,5", "\"'", "<script>x</script>")

corruption = st.tuples(
    st.sampled_from(TABLE_NAMES),
    st.sampled_from(KINDS),
    st.integers(0, 10_000),  # which line / column / byte
    st.integers(0, 10_000),  # which value
)


@pytest.fixture(scope="module")
def valid_folder(tmp_path_factory) -> Path:
    return write_tables(tmp_path_factory.mktemp("valid"), make_valid_tables())


def _split(text: str) -> tuple[list[str], list[list[str]]]:
    lines = text.splitlines()
    return lines, [line.split(",") for line in lines]


def corrupt(path: Path, kind: str, where: int, which: int) -> None:
    """Apply one corruption to a CSV file in place (a crude comma split is enough: the
    fixture's values hold no commas)."""
    data = path.read_bytes()
    if kind == "empty_file":
        path.write_bytes(b"")
        return
    if kind == "truncate":
        path.write_bytes(data[: where % (len(data) + 1)])
        return
    if kind == "bad_encoding":
        pos = where % (len(data) + 1)
        path.write_bytes(data[:pos] + bytes([0x80 + which % 0x80]) + data[pos:])
        return
    text = data.decode("utf-8", errors="replace")
    lines, rows = _split(text)
    if len(rows) < 2:
        return
    header = rows[0]
    if kind == "duplicate_rows":
        i = 1 + where % (len(rows) - 1)
        lines[i:i] = [lines[i]] * (1 + which % 3)
    elif kind == "delete_column":
        j = where % len(header)
        lines = [",".join(r[:j] + r[j + 1 :]) for r in rows]
    else:
        i = 1 + where % (len(rows) - 1)
        row = rows[i]
        if kind == "bad_date":
            dates = [j for j, c in enumerate(header) if c in ("timestamp", "date", "period")]
            j = dates[which % len(dates)] if dates else which % len(header)
            value = BAD_DATES[which % len(BAD_DATES)]
        elif kind == "huge_value":
            j, value = which % len(header), HUGE[where % len(HUGE)]
        else:  # wrong_type
            j, value = which % len(header), WRONG[where % len(WRONG)]
        if j < len(row):
            row[j] = value
        lines[i] = ",".join(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(corruptions=st.lists(corruption, min_size=1, max_size=3))
def test_any_corruption_ends_in_a_result_or_a_clear_error(valid_folder, corruptions):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pilot"
        shutil.copytree(valid_folder, folder)
        for table, kind, where, which in corruptions:
            corrupt(folder / f"{table}.csv", kind, where, which)
        try:
            ds = load_dataset(folder, as_of=AS_OF, progress=False)
        except (ConfigError, FileNotFoundError) as exc:  # the documented exceptions
            assert str(exc).strip()
            return
    assert isinstance(ds, Dataset)
    result = ds.validation
    crashed = [p.message for p in result.problems if p.rule == "validation_error"]
    assert not crashed, f"a rule crashed on {corruptions}: {crashed}"
    for p in result.problems:
        assert p.file and p.message, p
        if p.rule in ("missing_column", "duplicate_column", "unparseable_timestamp"):
            assert p.column, p
    for table, counts in result.counts.items():
        assert counts["read"] == counts["used"] + counts["set_aside"], (table, counts)
    if result.fatal:
        assert any(p.severity == "fatal" for p in result.problems)
        return
    for table in ("interactions", "accounts"):
        frame = getattr(ds, table)
        assert frame is not None and len(frame) == result.counts[table]["used"], table


def test_a_streamed_csv_gives_the_in_memory_panel_and_counts(tmp_path):
    """`rvq.scoring.stream` in blocks of 16 kB (many blocks): a duplicate across blocks, a
    malformed line and a bad date are set aside as when the file is read whole, and the
    DuckDB-scored panel equals the in-memory one."""
    from rvq import scoring, synth
    from rvq.scoring import stream

    world = synth.generate_world(synth.WorldSpec(accounts=40, periods=6, seed=2))
    data = synth.write_world(world, tmp_path / "d")
    path = data / "interactions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    with path.open("a", encoding="utf-8") as fh:
        fh.write(lines[5] + "\n")  # repeats a row of the first block
        fh.write("x,y\n")  # too few fields
        fh.write(lines[7].replace("20", "xx", 1) + "\n")  # unparseable timestamp
    whole = load_dataset(data, progress=False)
    streamed = stream.streamed_panel(data, block_size=1 << 14, work_dir=tmp_path / "w")
    assert streamed.validation.counts["interactions"] == whole.validation.counts["interactions"]
    assert streamed.validation.counts["interactions"]["set_aside"] == 3
    rules = {p.rule: p.rows for p in streamed.validation.problems if p.table == "interactions"}
    assert rules == {"duplicate_event": 1, "malformed_row": 1, "unparseable_timestamp": 1}
    keys = ["account_id", "period"]
    expected = scoring.panel_from_dataset(whole).sort_values(keys, ignore_index=True)
    got = streamed.panel.sort_values(keys, ignore_index=True)[expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, atol=1e-9)
