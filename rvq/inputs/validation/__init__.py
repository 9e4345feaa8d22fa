"""Validation of the canonical input tables (contract 1, `docs/contracts.md`).

Bad input never passes silently. Every rule reports a `Problem` naming the table, file,
column and rule, with up to five example rows and their line numbers in the file, at one
of four severities:

- ``fatal`` — the pilot cannot run: a missing file or column, an empty table, a broken
  catalog, no parseable timestamp at all, mixed period formats;
- ``set_aside`` — those rows leave the data, each with a reason, and are counted;
- ``repaired`` — a value was fixed (time zones to UTC, a percent share to a fraction,
  an impossible share to NaN, per-period rows combined) and the problem says how;
- ``warning`` — worth knowing, nothing changed (text decoded from a non-UTF-8 encoding,
  accounts without interactions or outcomes, wallet below revenue).

Rows read = rows used + rows set aside, for every table, always. Rules run in a fixed
order and each sees only the rows still in, so a row is set aside once, for the first
reason found. A table with a fatal problem is unusable: its remaining rows are set aside
with reason ``table_unusable`` and its frame is None.

Modules: `result` (Problem, ValidationResult), `parse` (text, numbers, timestamps and
periods), `check` (one table through its rules), `rules` (the rules, table by table) and
`validate` (`validate_tables`, and `merge_problems` for a table validated in blocks).
"""

from rvq.inputs.validation.parse import as_period, as_timestamp
from rvq.inputs.validation.result import MAX_EXAMPLES, Problem, ValidationResult, no_usable_rows
from rvq.inputs.validation.rules import duplicate_rows_message
from rvq.inputs.validation.validate import (
    OUTLYING_SHARE,
    TABLE_ORDER,
    far_from_bulk,
    merge_problems,
    outlying_dates_message,
    validate_tables,
)

__all__ = [
    "MAX_EXAMPLES",
    "OUTLYING_SHARE",
    "TABLE_ORDER",
    "Problem",
    "ValidationResult",
    "as_period",
    "as_timestamp",
    "duplicate_rows_message",
    "far_from_bulk",
    "merge_problems",
    "no_usable_rows",
    "outlying_dates_message",
    "validate_tables",
]
