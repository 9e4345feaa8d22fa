"""A CSV read in blocks (rvq.inputs.readers.csv_blocks) is the CSV read whole (rvq.inputs.readers.read_csv)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rvq.inputs.readers import _sample_for_detection, csv_blocks, csv_text_size, read_csv

HEADER = ["account_id", "contact_id", "timestamp", "interaction_code", "cost", "note"]
NAMES = ["Société Générale", "Müller GmbH", "São Paulo Indústria", "Café Olé", "Øresund €"]


def rows(n: int = 240, names: bool = False) -> list[list[str]]:
    """Interaction-like rows; some cells empty or a null marker, some accented."""
    out = []
    for i in range(n):
        note = NAMES[i % len(NAMES)] if names else f"note {i}"
        if i % 17 == 0:
            note = ""
        if i % 23 == 0:
            note = "NA"
        cost = "" if i % 11 == 0 else f"{i * 1.5:.2f}"
        out.append(
            [f"A{i % 13:03d}", f"C{i}", f"2024-01-{i % 28 + 1:02d}", f"E{i % 7}", cost, note]
        )
    return out


def text(records: list[list[str]], sep: str = ",") -> str:
    return "\n".join(sep.join(r) for r in [HEADER, *records]) + "\n"


def quoted() -> str:
    """Values with embedded newlines, delimiters, quotes and a quoted empty string."""
    lines = [",".join(HEADER)]
    for i, r in enumerate(rows()):
        if i % 9 == 4:
            r[5] = f'"first line {i}\nsecond, with a comma\n""quoted"""'
        elif i % 9 == 7:
            r[5] = '""'
        lines.append(",".join(r))
    return "\n".join(lines) + "\n"


def malformed() -> str:
    """Too few fields in the middle and near the end, too many once, and a quoted newline
    before them (line numbers must not drift)."""
    lines = [",".join(HEADER)]
    for i, r in enumerate(rows()):
        if i == 30:
            r[5] = '"two\nlines"'
        lines.append(",".join(r))
        if i == 120:
            lines.append("A999,C999,2024-01-01")  # too few fields
        if i == 180:
            lines.append(",".join([*r, "extra"]))  # too many fields
        if i == 236:
            lines.append("A998")  # too few, near the end
    return "\n".join(lines) + "\n"


def write(path: Path, content: str, encoding: str = "utf-8") -> Path:
    data = content.encode(encoding)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


FILES = {
    "plain.csv": lambda p: write(p, text(rows())),
    "semicolon.csv": lambda p: write(p, text(rows(), ";")),
    "tab.csv": lambda p: write(p, text(rows(), "\t")),
    "cp1252.csv": lambda p: write(p, text(rows(names=True), ";"), "cp1252"),
    "quoted.csv": lambda p: write(p, quoted()),
    "crlf.csv": lambda p: write(p, quoted().replace("\n", "\r\n")),
    "plain.csv.gz": lambda p: write(p, text(rows())),
    "cp1252.csv.gz": lambda p: write(p, text(rows(names=True)), "cp1252"),
    "malformed.csv": lambda p: write(p, malformed()),
    "malformed.csv.gz": lambda p: write(p, malformed()),
    "header_only.csv": lambda p: write(p, ",".join(HEADER) + "\n"),
    "only_malformed.csv": lambda p: write(p, ",".join(HEADER) + "\nA1,C1\nA2\n"),
    "empty.csv": lambda p: write(p, ""),
    "bom.csv": lambda p: write(p, text(rows(names=True)), "utf-8-sig"),
    # pyarrow keeps " cost" as the name: typed as text all the same, not inferred from the
    # first block (a later block's "n/a" would then fail the conversion)
    "padded_header.csv": lambda p: write(
        p,
        text(
            [
                *[[f"A{i}", "C", "2024-01-01", "E1", str(i), "x"] for i in range(200)],
                ["A9", "C", "2024-01-01", "E1", "n/a", "x"],
            ]
        ).replace(",", ", ", 5),
    ),  # fmt: skip
}


def concatenated(blocks) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame | None]:
    frame = pd.concat([b.frame for b in blocks], ignore_index=True)
    lines = np.concatenate([b.line_numbers() for b in blocks])
    bad = [b.malformed for b in blocks if b.malformed is not None]
    return frame, lines, pd.concat(bad, ignore_index=True) if bad else None


@pytest.mark.parametrize("block_size", [1024, 1 << 24])
@pytest.mark.parametrize("name", list(FILES))
def test_blocks_concatenated_are_the_whole_read(tmp_path, name, block_size):
    path = FILES[name](tmp_path / name)
    whole = read_csv(path)
    blocks = list(csv_blocks(path, block_size))
    if whole.frame.columns.empty:  # an empty header: nothing to read
        assert blocks == []
        return
    frame, lines, bad = concatenated(blocks)
    pd.testing.assert_frame_equal(frame, whole.frame)
    np.testing.assert_array_equal(lines, whole.line_numbers())
    if whole.malformed is None:
        assert bad is None
    else:
        pd.testing.assert_frame_equal(bad, whole.malformed)
    for b in blocks:
        assert (b.path, b.encoding, b.decoded_from) == (
            whole.path,
            whole.encoding,
            whole.decoded_from,
        )
        assert b.lines is not None and len(b.lines) == len(b.frame)
    if block_size == 1024 and len(whole.frame) > 100:
        assert len(blocks) > 3  # the small size does split the file


def test_block_lines_and_malformed_rows_follow_the_file(tmp_path):
    blocks = list(csv_blocks(FILES["malformed.csv"](tmp_path / "m.csv"), 1024))
    lines = np.concatenate([b.lines for b in blocks])
    frame = pd.concat([b.frame for b in blocks], ignore_index=True)
    # one record per line: C121 follows the malformed line 123, C181 the one at 184
    assert lines[frame["contact_id"].tolist().index("C121")] == 124
    assert lines[frame["contact_id"].tolist().index("C181")] == 185
    previous = 1
    for b in blocks:  # each block's malformed rows lie between its rows and the last block's
        if b.malformed is not None:
            assert previous < b.malformed["line"].min()
            if b is not blocks[-1]:
                assert b.malformed["line"].max() < b.lines[-1]
        previous = b.lines[-1]
    assert [t for b in blocks if b.malformed is not None for t in b.malformed["line"]] == [
        123,
        184,
        241,
    ]


def test_padded_header_names_are_text(tmp_path):
    raw = read_csv(FILES["padded_header.csv"](tmp_path / "p.csv"))
    assert list(raw.frame.columns) == HEADER
    assert raw.frame["cost"].iloc[-1] == "n/a" and raw.frame["cost"].iloc[0] == "0"
    assert raw.frame["timestamp"].iloc[0] == "2024-01-01"  # not inferred as a date


def test_accented_line_across_the_detection_read_boundary_is_utf8(tmp_path):
    """The encoding sample reads 4 MiB at a time; a 2-byte character cut by that read must
    not make a UTF-8 file look like another encoding."""
    head = ",".join(HEADER) + "\n"
    stem = "A2,C2,2024-01-02,E2,2.0,Soci"
    room = (1 << 22) - 1 - len(head) - len(stem)  # "é" then starts at the last byte read
    filler = "A1,C1,2024-01-01,E1,1.0,plain\n"
    body = filler * (room // len(filler) - 1)
    pad = "A3,C3,2024-01-03,E3,3.0,"
    body += pad + "x" * (room - len(body) - len(pad) - 1) + "\n"
    path = write(tmp_path / "big.csv", head + body + stem + "été\n")
    assert path.read_bytes()[(1 << 22) - 1 : (1 << 22) + 1] == "é".encode()
    _sample_for_detection(path).decode("utf-8")
    blocks = list(csv_blocks(path, 1 << 20))
    assert {b.encoding for b in blocks} == {"utf-8"}
    assert blocks[-1].frame["note"].iloc[-1] == "Société"
    pd.testing.assert_frame_equal(
        pd.concat([b.frame for b in blocks], ignore_index=True), read_csv(path).frame
    )


def test_a_line_the_up_front_encoding_misses(tmp_path):
    """Over 1 MiB of UTF-8 non-ASCII lines decide UTF-8; a cp1252 line after them fails
    that. Before any block is given out the next encoding is tried, as the whole read
    does; after, the error says why."""
    good = "".join(f"{i},Société {i}\n" for i in range(80_000))
    path = tmp_path / "late.csv"
    path.write_bytes(("a,b\n" + good).encode() + "x,Caf\xe9\n".encode("cp1252"))
    whole = read_csv(path)
    assert whole.encoding == "latin_1"
    blocks = list(csv_blocks(path, 1 << 26))
    assert {b.encoding for b in blocks} == {"latin_1"}
    pd.testing.assert_frame_equal(
        pd.concat([b.frame for b in blocks], ignore_index=True), whole.frame
    )
    with pytest.raises(ValueError) as failed:
        list(csv_blocks(path, 1 << 16))
    assert "blocks were already given out" in " ".join(failed.value.__notes__)


def test_text_size_of_plain_and_gzipped_files(tmp_path):
    content = text(rows())
    plain = write(tmp_path / "a.csv", content)
    gz = write(tmp_path / "a.csv.gz", content)
    assert csv_text_size(plain) == plain.stat().st_size == len(content.encode())
    assert csv_text_size(gz) == len(content.encode()) > gz.stat().st_size
    wrapped = tmp_path / "w.csv.gz"  # a trailer smaller than the file: over 4 GiB, wrapped
    wrapped.write_bytes(gz.read_bytes()[:-4] + (7).to_bytes(4, "little"))
    assert csv_text_size(wrapped) >= 4 * wrapped.stat().st_size
    empty = write(tmp_path / "e.csv", "")
    assert csv_text_size(empty) == 0
