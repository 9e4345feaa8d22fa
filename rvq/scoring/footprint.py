"""How much memory the in-memory path would need, and whether `stream: auto` streams.

The in-memory path reads the interactions whole, scores them and hands every step kernel
the event-level frames; its largest process grows with the interactions' rows, not with
the file's bytes (a CSV's text is a small part of what the frames and the steps' work
need). So the decision counts rows cheaply -- a Parquet file's metadata, or a CSV's size
over the mean length of its lines in a sample (`SAMPLE_BYTES` from the start and from
the middle) -- and multiplies them by `PEAK_BYTES_PER_ROW`, measured. `stream: auto`
streams a CSV when that expected peak exceeds `MEMORY_SHARE` of the available memory
(`available_memory`: the system's, or `RVQ_MEMORY_BUDGET` when set); a Parquet file
alike (`rvq.scoring.stream` reads either in blocks). `path_choice` returns the decision
and one line saying which path and why, for the run's log.
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass
from pathlib import Path

from rvq.config import PilotConfig
from rvq.inputs.dataset import locate_tables
from rvq.inputs.readers import csv_text_size, read_csv, read_parquet, reader_for

#: resident bytes of a step kernel whatever the book (Python, pandas, matplotlib, rvq)
KERNEL_BASE_BYTES = 400_000_000
#: resident bytes per interaction row at the peak of the in-memory path's largest process
#: (step 04's kernel, holding the scored events and its work copies). Measured with
#: `rvq pilot` and `rvq.pipeline.KernelWatch` on `rvq demo` books (docs/design.md, "The
#: streamed path"): 2,000 accounts (273k rows) peaked at 0.59 GB, 20,000 accounts (2.76M
#: rows) at 2.8 GB, 890 bytes a row between them; issue 15's 100,000 accounts (13.6M
#: rows) were OOM-killed at 16.2 GB, over 1,160 a row and still growing: so 1,500.
#: Since the kernels hold event cells above `rvq.scoring.cells.CELLS_ABOVE_ROWS` rows, the
#: largest process at 20,000 accounts is the parent while it reads and scores (1.8 GB,
#: about 500 bytes a row; step 04's kernel 1.0 GB): kept at 1,500 until a book that large
#: read whole is measured (the parent's ratio at 100,000 accounts is unknown).
PEAK_BYTES_PER_ROW = 1_500
#: the in-memory path is chosen while its expected peak stays below this share of the
#: available memory (the rest: the parent process, the page cache, other work)
MEMORY_SHARE = 0.5
#: bytes of a CSV read, at its start and again at its middle, to measure its line length
SAMPLE_BYTES = 1 << 20
#: an override of the available memory, in bytes or with a unit (`512MB`, `8GB`): for
#: tests and for operators who share a machine and want rvq to plan for less
BUDGET_VARIABLE = "RVQ_MEMORY_BUDGET"
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def available_memory() -> int:
    """Bytes of memory the pilot may plan for: `RVQ_MEMORY_BUDGET` when set, else what
    the system reports as available (psutil)."""
    budget = os.environ.get(BUDGET_VARIABLE, "").strip()
    if budget:
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?B?)", budget.upper())
        if not match:
            raise ValueError(f"{BUDGET_VARIABLE}={budget!r}: give bytes, or e.g. 512MB or 8GB")
        return int(float(match[1]) * _UNITS[match[2].removesuffix("B")])
    import psutil

    return psutil.virtual_memory().available


def csv_rows(path: str | os.PathLike) -> int:
    """The data rows of a CSV, estimated without reading it: its text size (`csv_text_size`)
    over the mean bytes per line of a sample (the first `SAMPLE_BYTES`, and as many from
    the middle of a plain file), less the header. Exact for a file no larger than the sample."""
    path = Path(path)
    size = csv_text_size(path)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
        if len(sample) < SAMPLE_BYTES:  # the whole file
            lines = sample.count(b"\n") + (not sample.endswith(b"\n") and bool(sample))
            return max(lines - 1, 0)
        chunks = [sample]
        if opener is open and size > 3 * SAMPLE_BYTES:
            fh.seek(size // 2)
            middle = fh.read(SAMPLE_BYTES)
            chunks.append(middle[middle.find(b"\n") + 1 :])
    n_bytes = sum(len(c) for c in chunks)
    n_lines = max(sum(c.count(b"\n") for c in chunks), 1)
    return max(round(size * n_lines / n_bytes) - 1, 0)


def interaction_rows(path: Path) -> int | None:
    """The rows of an interactions file: a Parquet file's from its metadata, a CSV's
    estimated (`csv_rows`); None for other formats."""
    reader = reader_for(path)
    if reader is read_parquet:
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    return csv_rows(path) if reader is read_csv else None


def expected_peak(rows: int) -> int:
    """Bytes the largest process of the in-memory path is expected to hold for `rows`."""
    return KERNEL_BASE_BYTES + rows * PEAK_BYTES_PER_ROW


def _rows_word(rows: int) -> str:
    return f"{rows / 1e6:.1f}M" if rows >= 1_000_000 else f"{rows:,}"


def gigabytes(n_bytes: float) -> str:
    """Bytes as gigabytes for a reader: `16 GB`, `3.6 GB`, `0.25 GB`."""
    gb = n_bytes / 1e9
    return f"{gb:.0f} GB" if gb >= 10 else f"{gb:.1f} GB" if gb >= 1 else f"{gb:.2f} GB"


@dataclass(frozen=True)
class PathChoice:
    """How a pilot reads its interactions: `streamed` is the file to stream (None: read
    whole); `line` says which path and why in one line; `fits` whether the in-memory
    path's expected peak (`expected` bytes for `rows` rows) is within `MEMORY_SHARE` of
    `available`."""

    streamed: Path | None
    line: str
    rows: int
    expected: int
    available: int
    fits: bool


def path_choice(config: PilotConfig, available: int | None = None) -> PathChoice | None:
    """The path the config's `stream` setting takes for its interactions file, and why.

    `never` reads whole; `always` streams any CSV or Parquet file; `auto` (the default)
    streams one when the in-memory path's expected peak (`expected_peak`) exceeds
    `MEMORY_SHARE` of `available` bytes (default: `available_memory()`). None when
    there is no interactions file to size (a database table, a missing file, a format
    with no reader: the whole read reports those).
    """
    path = locate_tables(config).get("interactions")
    if not isinstance(path, Path) or not path.is_file():
        return None
    try:
        rows = interaction_rows(path)
    except ValueError:  # no reader for this file: the whole read reports it
        return None
    if rows is None:
        return None
    budget = (
        f" ({BUDGET_VARIABLE})" if available is None and os.environ.get(BUDGET_VARIABLE) else ""
    )
    available = available_memory() if available is None else available
    expected = expected_peak(rows)
    fits = expected <= MEMORY_SHARE * available
    csv = reader_for(path) is read_csv
    mode = config.stream
    stream = mode == "always" or (mode == "auto" and not fits)
    sizes = (
        f"interactions: {'' if not csv else '~'}{_rows_word(rows)} rows, expected "
        f"~{gigabytes(expected)} per step in memory, {gigabytes(available)} free{budget}"
    )
    if stream:
        why = "" if mode == "always" else "; set `stream: never` to force reading whole"
        line = f"{sizes}: streamed (stream: {mode}{why})"
    elif fits:
        line = f"{sizes}: read whole (stream: {mode}; set `stream: always` to stream)"
    else:  # stream: never on a book too large for it
        line = f"{sizes}: read whole (stream: never); expected not to fit: set `stream: auto`"
    return PathChoice(path if stream else None, line, rows, expected, available, fits)
