"""Bad input at scale: random corruptions of a valid dataset never crash `load_dataset`.

Hypothesis draws one to three corruptions of the fixture dataset's CSV files and checks that loading always ends with a
`Dataset` -- usable, or `validation.fatal` with problems naming their file -- or one of
the documented exceptions (ConfigError, FileNotFoundError), that no rule crashed
(validation's catch-all `validation_error`), and that rows read = used + set aside in
every table. `--hypothesis-show-statistics` prints the number of cases run.

The corruptions are the classes of bad input clients have sent (issue 12):

- cells: a wrong type, a huge number, a bad date, a date far out of range (`2999-12-31`,
  `1900-01-01`, the edges of pandas' nanosecond range), a 2 MB field (larger than the
  CSV reader's block), TeX-like text (`$\\alert{x}$`, `C$`), markup and formula attacks
  (`<img onerror>`, `[x](javascript:)`, `=HYPERLINK(...)`), non-ASCII names, control
  characters;
- files: a non-UTF-8 byte, duplicated rows, a truncated or empty file, a deleted column,
  the whole file as UTF-16 (Excel's "Unicode text"), a binary header (a PNG's magic),
  a European export (`;` separators, decimal commas), day-first dates in a date column,
  every row of a table unusable.
"""

from __future__ import annotations

import re
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
    "far_date",
    "giant_field",
    "tex_text",
    "hostile_text",
    "non_ascii",
    "utf16_file",
    "binary_header",
    "european_export",
    "day_first_dates",
    "all_rows_bad",
)
HUGE = ("1e308", "-1e309", "9" * 400, "nan", "inf", "1" * 40 + ".5")
BAD_DATES = ("2024-13-45", "31/02/2024", "yesterday", "0000-00-00", "2024-02-30T25:61", "")
WRONG = ("abc", "TRUE", "[1, 2]", "None", "12,5", "\"'", "<script>x</script>")
FAR_DATES = (
    "2999-12-31",
    "1900-01-01",
    "1677-09-21",
    "2262-04-12",
    "9999-12-31T23:59:59",
    "0001-01-01",
)
TEX = ("$\\alert{x}$", "C$", "$$", "\\frac{1}{0}", "$x^_$", "100$ & 5%")
HOSTILE = (
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+1+1",
    "</script><script>alert(1)</script>",
    "**bold** _x_ `code` | a | b |",
)
NON_ASCII = ("Zoë Ünïcødé", "株式会社テスト", "🙂 smile", "\u202eevil", "tab\there", "Ω≈ç√")
GIANT = "x" * (2 << 20)
DATE_COLUMNS = ("timestamp", "date", "period")

#: corruptions confined to cells or lines: the file must stay readable (the bad rows are
#: set aside), never become an `unreadable_file`
CELL_KINDS = frozenset(
    {"wrong_type", "bad_encoding", "bad_date", "duplicate_rows", "huge_value", "far_date"}
    | {"giant_field", "tex_text", "hostile_text", "non_ascii", "day_first_dates"}
)

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


def _quoted(value: str) -> str:
    """A CSV field holding `value` as written (quoted when it holds a comma or a quote)."""
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return "." in value


def corrupt(path: Path, kind: str, where: int, which: int) -> None:
    """Apply one corruption to a CSV file in place (a crude comma split is enough: the
    fixture's values hold no commas)."""
    data = path.read_bytes()
    if kind == "utf16_file":
        path.write_bytes(data.decode("utf-8", errors="replace").encode("utf-16"))
        return
    if kind == "binary_header":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + data)
        return
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
    dates = [j for j, c in enumerate(header) if c in DATE_COLUMNS]
    if kind == "european_export":  # `;` between fields, decimal commas in numbers
        lines = [";".join(v.replace(".", ",") if _is_number(v) else v for v in r) for r in rows]
    elif kind == "day_first_dates" and dates:
        j = dates[which % len(dates)]
        for r in rows[1:]:
            if j < len(r) and len(r[j]) >= 10 and r[j][4] == "-":
                r[j] = f"{r[j][8:10]}/{r[j][5:7]}/{r[j][:4]}{r[j][10:].replace('T', ' ')}"
        lines = [",".join(r) for r in rows]
    elif kind == "all_rows_bad":
        j = dates[which % len(dates)] if dates else which % len(header)
        lines = [lines[0]] + [
            ",".join(r[:j] + ["not a value"] + r[j + 1 :]) for r in rows[1:] if len(r) > j
        ]
    elif kind == "duplicate_rows":
        i = 1 + where % (len(rows) - 1)
        lines[i:i] = [lines[i]] * (1 + which % 3)
    elif kind == "delete_column":
        j = where % len(header)
        lines = [",".join(r[:j] + r[j + 1 :]) for r in rows]
    else:
        i = 1 + where % (len(rows) - 1)
        row = rows[i]
        if kind in ("bad_date", "far_date"):
            j = dates[which % len(dates)] if dates else which % len(header)
            value = (BAD_DATES if kind == "bad_date" else FAR_DATES)[where % 6]
        elif kind == "giant_field":
            j, value = which % len(header), GIANT
        elif kind in ("tex_text", "hostile_text", "non_ascii"):
            pool = {"tex_text": TEX, "hostile_text": HOSTILE, "non_ascii": NON_ASCII}[kind]
            j, value = which % len(header), _quoted(pool[where % len(pool)])
        elif kind == "huge_value":
            j, value = which % len(header), HUGE[where % len(HUGE)]
        else:  # wrong_type
            j, value = which % len(header), WRONG[where % len(WRONG)]
        if j < len(row):
            row[j] = value
        lines[i] = ",".join(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@settings(
    max_examples=300,
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
    if all(kind in CELL_KINDS for _, kind, _, _ in corruptions):
        unreadable = [p.message for p in result.problems if p.rule == "unreadable_file"]
        assert not unreadable, f"{corruptions} made a whole file unreadable: {unreadable}"
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
    malformed line, a bad date and a date beyond pandas' range are set aside as when the file is read whole, and the
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
        fh.write(re.sub(r"\d{4}-\d\d-\d\d", "2999-12-31", lines[9], count=1) + "\n")  # far
    whole = load_dataset(data, progress=False)
    streamed = stream.streamed_panel(data, block_size=1 << 14, work_dir=tmp_path / "w")
    assert streamed.validation.counts["interactions"] == whole.validation.counts["interactions"]
    assert streamed.validation.counts["interactions"]["set_aside"] == 4
    rules = {p.rule: p.rows for p in streamed.validation.problems if p.table == "interactions"}
    assert rules == {
        "duplicate_event": 1,
        "malformed_row": 1,
        "unparseable_timestamp": 1,
        "future_timestamp": 1,
    }
    keys = ["account_id", "period"]
    expected = scoring.panel_from_dataset(whole).sort_values(keys, ignore_index=True)
    got = streamed.panel.sort_values(keys, ignore_index=True)[expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, atol=1e-9)
