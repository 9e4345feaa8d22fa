"""Writing a world to a folder: its tables (CSV or Parquet) and truth.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rvq.synth.spec import World


def arrow_table(name: str, frame: pd.DataFrame) -> pa.Table:
    """A world's table as written: Arrow, survey answers with a date, not a time."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if name == "voc":
        table = table.set_column(
            table.schema.get_field_index("date"), "date", pc.cast(table["date"], pa.date32())
        )
    return table


def write_world(world: World, out_dir: str | os.PathLike, fmt: str = "csv") -> Path:
    """Write the world's tables (``<table>.csv`` or ``.parquet``) and ``truth.json``.

    Each file is written under a temporary name and moved into place, and a table's file
    in the other format is removed, so a folder never mixes two generations.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in world.tables.items():
        table = arrow_table(name, frame)
        target = out / f"{name}.{fmt}"
        tmp = out / f".{name}.{fmt}.tmp"
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, tmp)
        else:
            import pyarrow.csv as pcsv

            pcsv.write_csv(table, tmp)
        os.replace(tmp, target)
        for suffix in (".parquet", ".csv", ".csv.gz"):
            stale = out / f"{name}{suffix}"
            if stale != target and stale.exists():
                stale.unlink()
    tmp = out / ".truth.json.tmp"
    tmp.write_text(json.dumps(world.truth, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "truth.json")
    return out
