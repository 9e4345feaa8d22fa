"""Reading a pilot's input tables (contract 1, `docs/contracts.md`): readers by file suffix
or URL scheme (`readers`, `sql`), export mappings and CRM presets (`mappings`, `presets`),
validation (`validation`) and the `Dataset` they make (`dataset`)."""

from __future__ import annotations

from rvq.inputs.dataset import (
    Dataset,
    ReadTables,
    load_dataset,
    locate_tables,
    read_table,
    read_tables,
)
from rvq.inputs.mappings import (
    MAPPINGS,
    TableMapping,
    Transform,
    register_mapping,
    table_mapping,
)
from rvq.inputs.readers import (
    DELIMITERS,
    PREFERRED_ENCODINGS,
    READERS,
    UTF8_NAMES,
    RawTable,
    Reader,
    csv_blocks,
    csv_text_size,
    detect_encoding,
    parquet_blocks,
    read_csv,
    read_parquet,
    reader_for,
    register_reader,
)
