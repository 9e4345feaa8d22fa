"""Reading one input location into a `RawTable`: the reader registry.

`READERS` maps a file suffix (".csv", ".csv.gz", ".parquet") or URL scheme
("postgresql://", registered by `rvq.inputs.sql`) to a reader; `register_reader` adds one,
so a new source is one entry, never a new branch. CSV files are read as text with their
encoding and delimiter detected, malformed rows set aside with their line numbers
(`read_csv`), or in blocks exactly as a whole read would read them (`csv_blocks`); Parquet files whole
(`read_parquet`) or in blocks of rows (`parquet_blocks`).
Export mappings are in `rvq.inputs.mappings`; the dataset they make in `rvq.inputs.dataset`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

#: encodings (as Python normalizes them) that need no warning
UTF8_NAMES = {"utf_8", "utf-8", "utf8", "ascii", "utf_8_sig"}
#: CSV delimiters recognized from the header line, in order of preference on a tie
DELIMITERS = (",", ";", "\t", "|")


@dataclass
class RawTable:
    """A table as read, before validation.

    `frame` holds the file's columns (renamed by the mapping); CSV columns are all text so
    validation sees what the client wrote. `lines` gives each frame row's line number in
    the file (CSV: header is line 1, one line per record assumed; Parquet: row number
    from 1). `malformed` holds records the reader could not split into the header's
    columns (`line`, `text`); they count as read and are set aside by validation.
    """

    frame: pd.DataFrame
    path: str
    encoding: str | None = None
    lines: np.ndarray | None = None
    malformed: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    #: the activity mapping file the table's interaction codes went through, if any
    mapping_file: str | None = None

    def line_numbers(self) -> np.ndarray:
        """Line (or row) number in the file of every row of `frame`."""
        if self.lines is not None:
            return self.lines
        return np.arange(len(self.frame)) + 2

    @property
    def rows_read(self) -> int:
        return len(self.frame) + (0 if self.malformed is None else len(self.malformed))

    @property
    def decoded_from(self) -> str | None:
        """The encoding the file was decoded from when it was not UTF-8, else None."""
        if self.encoding is None:
            return None
        name = self.encoding.lower().replace("-", "_")
        return None if name in UTF8_NAMES else self.encoding


Reader = Callable[[Path], RawTable]
READERS: dict[str, Reader] = {}


def register_reader(key: str, reader: Reader) -> Reader:
    """Register `reader` for locations ending in suffix `key` (".csv") or with scheme `key`
    ("postgresql://"). The longest matching suffix wins (".csv.gz" before ".gz")."""
    READERS[key.lower()] = reader
    return reader


def reader_for(location: str | Path) -> Reader:
    """The registered reader for `location`; ValueError naming the known keys if none fits."""
    text = str(location)
    if "://" in text:
        scheme = text.split("://", 1)[0].lower() + "://"
        if scheme in READERS:
            return READERS[scheme]
    name = Path(text).name.lower()
    for key in sorted(READERS, key=len, reverse=True):
        if not key.endswith("://") and name.endswith(key):
            return READERS[key]
    raise ValueError(
        f"{text}: no reader for this kind of file (known: {', '.join(sorted(READERS))})"
    )


# --- CSV ------------------------------------------------------------------------------

_NULLS = ["", "NA", "N/A", "#N/A", "NULL", "null", "NaN", "nan", "None"]


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


#: byte-order marks of the encodings whose lines are not byte lines (UTF-32 first: its
#: little-endian mark begins with UTF-16's)
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_encoding(path: Path) -> str | None:
    """`utf-16` or `utf-32` when the file starts with that byte-order mark (Excel's
    "Unicode text" export is UTF-16 with one), else None. The codec reads the mark and
    the byte order from it."""
    with _open_bytes(path) as fh:
        start = fh.read(4)
    return next((name for bom, name in _WIDE_BOMS if start.startswith(bom)), None)


class NotTextError(ValueError):
    """A file read as CSV holds binary data: one line that names the file and what it
    looks like, and never echoes its bytes (they would garble the terminal)."""


#: the first bytes of files people export by mistake instead of a CSV, and what to do
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one): save it as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook: save it as CSV UTF-8"),
    (b"PAR1", "a Parquet file: name it .parquet"),
    (b"\x1f\x8b", "gzip-compressed: name it .csv.gz"),
    (b"%PDF", "a PDF document: export the table as CSV"),
    (b"\x89PNG", "a PNG image: export the table as CSV"),
    (b"SQLite format 3\x00", "an SQLite database: export the table as CSV"),
)
#: bytes that never occur in text (all control characters but tab, line ends, form feed)
_BINARY_BYTES = bytes(set(range(32)) - {9, 10, 12, 13} | {127})


def refuse_binary(path: Path, sniff: int = 8192) -> None:
    """`NotTextError` when the start of `path` (after gunzipping a .gz) is not text: a
    known binary format, a NUL byte, or more than 10% control characters."""
    try:
        with _open_bytes(path) as fh:
            start = fh.read(sniff)
    except gzip.BadGzipFile:
        raise NotTextError(f"{path}: not a gzip file, though named .gz") from None
    what = next((why for magic, why in _MAGIC if start.startswith(magic)), None)
    if what is None and start:
        control = len(start) - len(start.translate(None, _BINARY_BYTES))
        if b"\0" in start or control > len(start) / 10:
            what = "binary data: export the table as CSV"
    if what is not None:
        raise NotTextError(f"{path}: not a CSV text file, it looks like {what}")


def _header_fields(path: Path, encoding: str) -> tuple[list[str], str]:
    """The header's fields as written (not stripped) and the delimiter, from the first line."""
    with _open_bytes(path) as fh:
        if encoding in ("utf-16", "utf-32"):  # a line end is not one byte: decode first
            first = codecs.getreader(encoding)(fh).readline(1 << 20)
        else:
            first = fh.readline(1 << 20).decode(encoding)
    text = first.lstrip("\ufeff").rstrip("\r\n")
    delimiter = max(DELIMITERS, key=text.count) if text else ","
    return next(csv.reader([text], delimiter=delimiter), []), delimiter


def _sample_for_detection(path: Path, budget: int = 1 << 20) -> bytes:
    """Up to `budget` bytes of the file's lines that hold non-ASCII bytes (what decides
    the encoding), so a 1 GB file with one accented name is judged on that name. Lines
    are kept whole across the 4 MiB reads (a character cut in two would look non-UTF-8)."""
    kept, size = [], 0

    def keep_lines(chunk: bytes) -> bool:
        nonlocal size
        taken_to = -1
        for pos in np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) >= 0x80):
            if pos <= taken_to:
                continue
            start = chunk.rfind(b"\n", 0, pos) + 1
            end = chunk.find(b"\n", pos)
            end = len(chunk) if end < 0 else end
            kept.append(chunk[start:end])
            size += end - start
            taken_to = end
            if size >= budget:
                return True
        return False

    tail = b""
    with _open_bytes(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            chunk = tail + chunk
            cut = chunk.rfind(b"\n") + 1
            if cut == 0 and len(chunk) < 1 << 24:  # no line end yet: read on (up to 16 MiB)
                tail = chunk
                continue
            cut = cut or len(chunk)
            chunk, tail = chunk[:cut], chunk[cut:]
            if keep_lines(chunk):
                return b"\n".join(kept)
    keep_lines(tail)
    return b"\n".join(kept)


#: on a tie, the encodings preferred: Windows-1252 is what Excel writes in Western Europe
#: and the Americas; latin-1 is its ISO twin
PREFERRED_ENCODINGS = ("cp1252", "latin_1", "iso8859_15")


def detect_encoding(path: Path, sample: bytes | None = None) -> str:
    """The text encoding of a non-UTF-8 file, by charset-normalizer on its non-ASCII lines
    (`sample`: those lines when already read by `_sample_for_detection`).

    Short samples fit several single-byte encodings equally well (charset-normalizer then
    picks one alphabetically); among those tied with the best, cp1252 / latin-1 are
    preferred. Latin-1 when nothing fits, since it decodes any byte.
    """
    from charset_normalizer import from_bytes

    matches = list(from_bytes(_sample_for_detection(path) if sample is None else sample))
    if not matches:
        return "latin_1"
    best = matches[0]
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    for preferred in PREFERRED_ENCODINGS:
        if any(preferred in m.could_be_from_charset for m in tied):
            return preferred
    return best.encoding


def _csv_options(
    path: Path,
    encoding: str,
    invalid_row_handler: Callable,
    *,
    use_threads: bool,
    block_size: int | None = None,
) -> dict | None:
    """The pyarrow options of every CSV read, whole or in blocks (None: empty header).

    Every column is text: the header's names both as written and stripped are typed as
    strings, since pyarrow keeps "a, b"'s second name as " b" and would infer its type."""
    fields, delimiter = _header_fields(path, encoding)
    names = [n.strip() for n in fields]
    if not names:
        return None
    sized = {} if block_size is None else {"block_size": int(block_size)}
    return {
        "read_options": pacsv.ReadOptions(encoding=encoding, use_threads=use_threads, **sized),
        "parse_options": pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=invalid_row_handler
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types=dict.fromkeys([*names, *fields], pa.string()),
            strings_can_be_null=True,
            null_values=_NULLS,
            quoted_strings_can_be_null=True,
        ),
    }


def _frame(table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    frame = table.to_pandas()
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


#: the largest block a whole read tries: a record (e.g. one huge quoted field) longer than
#: pyarrow's default block cannot be split, so the read is retried with blocks 16x larger
MAX_BLOCK_SIZE = (1 << 31) - 1


def _read_csv_as(path: Path, encoding: str) -> RawTable:
    malformed: list[tuple[int | None, str]] = []

    def keep_aside(row) -> str:
        malformed.append((row.number, row.text))
        return "skip"

    block_size = None  # pyarrow's default (1 MiB) until a record is longer than a block

    def read(threads: bool) -> pa.Table:
        nonlocal block_size
        while True:
            malformed.clear()
            try:
                return pacsv.read_csv(path, **options(threads))
            except pa.ArrowInvalid as exc:
                if "straddl" not in str(exc) or (block_size or 0) >= MAX_BLOCK_SIZE:
                    raise
                block_size = min((block_size or 1 << 20) * 16, MAX_BLOCK_SIZE)

    def options(threads: bool) -> dict | None:
        return _csv_options(path, encoding, keep_aside, use_threads=threads, block_size=block_size)

    if options(True) is None:
        return RawTable(pd.DataFrame(), str(path), encoding)
    table = read(threads=True)
    if malformed and any(number is None for number, _ in malformed):
        table = read(threads=False)  # single-threaded reading knows the line numbers
    raw = RawTable(_frame(table), str(path), encoding)
    if malformed:
        bad = pd.DataFrame(malformed, columns=["line", "text"])
        raw.malformed = bad
        known = bad["line"].dropna().astype(int).to_numpy()
        all_lines = np.arange(2, len(raw.frame) + len(bad) + 2)
        raw.lines = np.setdiff1d(all_lines, known)[: len(raw.frame)]
    return raw


def _is_decoding_error(exc: Exception) -> bool:
    """True for the errors `read_csv` answers by trying another encoding."""
    if isinstance(exc, UnicodeDecodeError):
        return True
    return isinstance(exc, pa.ArrowInvalid) and "UTF8" in str(exc).upper().replace("-", "")


def _is_utf8(path: Path, chunk: int = 1 << 20) -> bool:
    """Whether the whole file decodes as UTF-8. Asked only when a UTF-8 read failed with a
    parse error: pyarrow cannot hand a malformed line holding a non-UTF-8 byte to the
    set-aside handler (its decoding fails first), so the error names the line, not the
    encoding."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with _open_bytes(path) as fh:
        try:
            while block := fh.read(chunk):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


@contextlib.contextmanager
def _quiet_undecodable_lines() -> Iterator[None]:
    """While reading as UTF-8: pyarrow reports a malformed line it cannot decode through
    `sys.unraisablehook` (a traceback on the user's terminal) and then fails the read,
    which `read_csv` answers by trying another encoding. Those reports are dropped; any
    other goes to the usual hook."""
    usual = sys.unraisablehook

    def hook(unraisable) -> None:
        if not isinstance(unraisable.exc_value, UnicodeDecodeError):
            usual(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = usual


def read_csv(path: Path) -> RawTable:
    """A CSV (optionally gzipped) with every column as text. A file with a UTF-16 (or
    UTF-32) byte-order mark is decoded as such; another non-UTF-8 file is detected
    and decoded; `RawTable.decoded_from` names the encoding (validation warns about it).
    Delimiter: ',', ';', tab or '|', whichever the header line uses most."""
    path = Path(path)
    wide = bom_encoding(path)
    if wide is not None:
        return _read_csv_as(path, wide)
    refuse_binary(path)
    try:
        with _quiet_undecodable_lines():
            return _read_csv_as(path, "utf-8")
    except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
        if not (_is_decoding_error(exc) or not _is_utf8(path)):
            raise
    try:
        return _read_csv_as(path, detect_encoding(path))
    except (UnicodeDecodeError, pa.ArrowInvalid):  # a byte the detection sample did not show
        return _read_csv_as(path, "latin_1")


def _block_encodings(path: Path) -> Iterator[str]:
    """The encodings `csv_blocks` tries, in `read_csv`'s order, decided up front: UTF-8
    unless the file's non-ASCII lines do not decode as UTF-8, then the detected one; then
    the next ones of `read_csv`'s order (detected, latin-1) should reading fail at once.
    A file with a UTF-16 or UTF-32 byte-order mark is read in that encoding only."""
    wide = bom_encoding(path)
    if wide is not None:
        yield wide
        return
    refuse_binary(path)
    sample = _sample_for_detection(path)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        detected = detect_encoding(path, sample)
    else:
        yield "utf-8"
        detected = detect_encoding(path, sample)
    yield detected
    if detected != "latin_1":
        yield "latin_1"


def _next_lines(start: int, n: int, skipped: np.ndarray) -> np.ndarray:
    """The `n` smallest line numbers from `start` that are not `skipped` (malformed)."""
    skipped = np.unique(skipped[skipped >= start])
    candidates = np.arange(start, start + n + len(skipped), dtype=np.int64)
    if len(skipped):  # (np.setdiff1d would hash the whole block: seconds per 10⁶ rows)
        candidates = candidates[~np.isin(candidates, skipped)]
    return candidates[:n]


def _malformed_frame(rows: list[tuple[int | None, str]]) -> pd.DataFrame | None:
    return pd.DataFrame(rows, columns=["line", "text"]) if rows else None


def _csv_blocks_as(path: Path, encoding: str, block_size: int) -> Iterator[RawTable]:
    malformed: list[tuple[int | None, str]] = []

    def keep_aside(row) -> str:
        malformed.append((row.number, row.text))
        return "skip"

    # one thread: the invalid row handler then knows every malformed row's line number
    options = _csv_options(path, encoding, keep_aside, use_threads=False, block_size=block_size)
    if options is None:
        return
    with pacsv.open_csv(path, **options) as reader:
        yield from _numbered_blocks(reader, malformed, path, encoding)


def _numbered_blocks(
    reader: pacsv.CSVStreamingReader,
    malformed: list[tuple[int | None, str]],
    path: Path,
    encoding: str,
) -> Iterator[RawTable]:
    """The reader's batches as RawTables, one batch behind it, each numbered as the whole
    read numbers its rows: from line 2, skipping the malformed rows' lines. `malformed` is
    the list the reader's invalid row handler appends to; rows handed out leave it."""
    next_line = 2  # the next row's first possible line
    held: tuple[pa.RecordBatch, np.ndarray] | None = None  # one block behind the reader

    def block(batch: pa.RecordBatch | pa.Table, lines: np.ndarray, last: bool) -> RawTable:
        # a block's malformed rows: those before its last row (all that remain, for the last)
        upto = len(malformed)
        if not last:
            upto = 0
            while upto < len(malformed) and (
                malformed[upto][0] is None or malformed[upto][0] < lines[-1]
            ):
                upto += 1
        rows = malformed[:upto]
        del malformed[:upto]
        return RawTable(_frame(batch), str(path), encoding, lines, _malformed_frame(rows))

    for batch in reader:
        if not batch.num_rows:
            continue
        # the reader has parsed this batch (and may be ahead): its malformed rows are known
        skipped = [n for n, _ in malformed if n is not None and n >= next_line]
        lines = _next_lines(next_line, batch.num_rows, np.array(skipped, dtype=np.int64))
        next_line = int(lines[-1]) + 1
        if held is not None:
            yield block(*held, last=False)
        held = (batch, lines)
    if held is not None:
        yield block(*held, last=True)
    else:  # a header and no row: one empty block (with the malformed rows, if any)
        yield block(reader.schema.empty_table(), np.empty(0, np.int64), last=True)


def csv_blocks(path: str | Path, block_size: int) -> Iterator[RawTable]:
    """A CSV too large for memory, as `RawTable` blocks of about `block_size` bytes of text.

    Read exactly as `read_csv` reads it whole (encoding, delimiter from the header, gzip,
    quoted newlines, every column as text, malformed rows set aside): the blocks' frames,
    `lines` and `malformed` rows, concatenated, are `read_csv`'s. Each block's `lines`
    number its rows as the whole read does; its `malformed` holds the malformed rows before
    its last row and after the previous block's (the last block: all that remain). A header
    with no row gives one empty block; an empty header (empty file) gives none. The
    encoding is decided up front, as `read_csv` would; if it fails at once the next of
    `read_csv`'s encodings is tried, but a failure after a block was given out raises.
    A record longer than `block_size` fails (pyarrow cannot split a record).
    """
    path = Path(path)
    for encoding in _block_encodings(path):
        started = False
        try:
            for raw in _csv_blocks_as(path, encoding, block_size):
                started = True
                yield raw
            return
        except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
            if started and _is_decoding_error(exc):
                exc.add_note(
                    f"{path}: read as {encoding} (the encoding its non-ASCII lines sampled "
                    "up front have), but a later line is not; blocks were already given out"
                )
            if started or not _is_decoding_error(exc) or encoding == "latin_1":
                raise


def csv_text_size(path: str | Path) -> int:
    """Bytes of text in a CSV, to decide whether it fits in memory before reading it: the
    file's size, or for a gzipped file its uncompressed size from the gzip trailer (ISIZE,
    the size mod 2**32 of the last member). An ISIZE below the compressed size has wrapped
    (over 4 GiB) or is a small last member: then the larger of the smallest size consistent
    with it and 4x the compressed size."""
    path = Path(path)
    size = path.stat().st_size
    if not path.name.lower().endswith(".gz") or size < 18:  # 18: gzip header + trailer
        return size
    with open(path, "rb") as fh:
        fh.seek(-4, 2)
        isize = int.from_bytes(fh.read(4), "little")
    if isize >= size:
        return isize
    wrapped = isize + -(-(size - isize) // (1 << 32)) * (1 << 32)
    return max(wrapped, 4 * size)


def read_parquet(path: Path) -> RawTable:
    """A Parquet file with its own column types; rows are numbered from 1."""
    frame = pd.read_parquet(path, engine="pyarrow")
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawTable(frame.reset_index(drop=True), str(path), None, np.arange(1, len(frame) + 1))


def parquet_blocks(path: str | Path, block_rows: int) -> Iterator[RawTable]:
    """A Parquet file too large for memory, as `RawTable` blocks of at most `block_rows`
    rows, each read as `read_parquet` reads the whole file (its own column types, rows
    numbered from 1 across the blocks): the blocks' frames, concatenated, are its frame.
    A file with no rows gives one empty block."""
    import pyarrow.parquet as pq

    path = Path(path)
    file = pq.ParquetFile(path)
    first = 1
    empty = True
    for batch in file.iter_batches(batch_size=block_rows, use_pandas_metadata=True):
        frame = pa.Table.from_batches([batch]).to_pandas().reset_index(drop=True)
        frame.columns = [str(c).strip() for c in frame.columns]
        yield RawTable(frame, str(path), None, np.arange(first, first + len(frame)))
        first += len(frame)
        empty = False
    if empty:
        frame = file.schema_arrow.empty_table().to_pandas()
        frame.columns = [str(c).strip() for c in frame.columns]
        yield RawTable(frame, str(path), None, np.arange(1, 1))


for _suffix in (".csv", ".csv.gz"):
    register_reader(_suffix, read_csv)
register_reader(".parquet", read_parquet)
register_reader(".pq", read_parquet)
