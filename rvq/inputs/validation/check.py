"""One table's rows passing through the validation rules (`TableCheck`), and what its rules
may refer to (`Context`)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rvq.config import TableFormat
from rvq.inputs.validation.result import (
    MAX_EXAMPLES,
    Problem,
    Severity,
    ValidationResult,
    count_rows,
    json_value,
)
from rvq.schema import TABLES

if TYPE_CHECKING:
    from rvq.inputs.readers import RawTable


class TableCheck:
    """One table's rows passing through the rules.

    `set_aside(mask, ...)` removes the rows of `mask` still in and records why;
    `problem(...)` records any other finding (fatal, repaired, warning). At the end `used`
    is the mask of rows kept, and read = used + set aside by construction.
    """

    def __init__(self, table: str, raw: RawTable, problems: list[Problem]):
        self.table, self.raw, self.problems = table, raw, problems
        self.frame = raw.frame
        self.file = raw.path
        self.n = len(self.frame)
        self.used = np.ones(self.n, dtype=bool)
        self.reason = np.full(self.n, None, dtype=object)
        self.lines = raw.line_numbers()
        self.fatal = False
        self.zones: dict[str, dict[str, int]] = {}
        #: per column, the config option its values call for (`rules._format_problem`)
        self.format_fixes: dict[str, str] = {}
        spec = TABLES[table]
        self.shown = [c for c in spec.columns if c in self.frame.columns]

    def examples(self, mask: np.ndarray, column: str | None) -> list[dict[str, Any]]:
        pos = np.flatnonzero(mask)[:MAX_EXAMPLES]
        cols = ([column] if column in self.frame.columns else []) + [
            c for c in self.shown if c != column
        ]
        rows = self.frame.iloc[pos][cols] if len(pos) else self.frame.iloc[:0][cols]
        out = []
        for line, values in zip(self.lines[pos], rows.itertuples(index=False), strict=True):
            out.append(
                {"line": int(line), **{c: json_value(v) for c, v in zip(cols, values, strict=True)}}
            )
        return out

    def problem(
        self,
        severity: Severity,
        column: str | None,
        rule: str,
        message: str,
        mask: np.ndarray | None = None,
        rows: int | None = None,
        examples: list[dict[str, Any]] | None = None,
    ) -> Problem:
        if examples is None:
            examples = self.examples(mask, column) if mask is not None else []
        if rows is None:
            rows = int(mask.sum()) if mask is not None else 0
        found = Problem(self.table, self.file, column, rule, severity, message, rows, examples)
        self.problems.append(found)
        if severity == "fatal":
            self.fatal = True
        return found

    def set_aside(
        self, mask, column: str | None, rule: str, what: str, severity: Severity = "set_aside"
    ) -> int:
        """Set aside the rows of `mask` still in; `what` completes "N rows ..."."""
        hit = np.asarray(mask, dtype=bool) & self.used
        k = int(hit.sum())
        if k:
            self.reason[hit] = rule
            self.used &= ~hit
            verb = "set aside" if severity == "set_aside" else "the table cannot be used"
            self.problem(severity, column, rule, f"{count_rows(k)} {what}: {verb}", hit)
        return k

    def duplicated(self, subset: list[str] | None, within: np.ndarray | None = None) -> np.ndarray:
        """Rows (still in, and in `within`) repeating an earlier such row on `subset`."""
        keep = self.used if within is None else self.used & within
        out = np.zeros(self.n, dtype=bool)
        if keep.any():
            part = self.frame.loc[keep, subset] if subset else self.frame.loc[keep]
            out[keep] = part.duplicated(keep="first").to_numpy()
        return out

    def require_columns(self, hint_config: str = "columns") -> bool:
        """Fatal problems for duplicated or missing required columns; True when all is well."""
        cols = list(self.frame.columns)
        dups = sorted({c for c in cols if cols.count(c) > 1})
        for col in dups:
            self.problem("fatal", col, "duplicate_column", f"the column {col!r} appears twice")
        if self.n == 0:
            self.problem(
                "fatal" if TABLES[self.table].must_exist or self.table == "catalog" else "warning",
                None,
                "empty_table",
                "the table has no rows",
            )
            return False
        missing = [c for c in TABLES[self.table].required if c not in cols]
        for col in missing:
            spare = [str(c) for c in cols if c not in TABLES[self.table].columns]
            close = difflib.get_close_matches(col, spare, n=1, cutoff=0.6)
            hint = (
                f"; {close[0]!r} looks like it: map it in the config under "
                f"{hint_config}: {{{self.table}: {{{close[0]!r}: {col}}}}}"
                if close
                else ""
            )
            shown = ", ".join(map(str, cols[:12])) + (", …" if len(cols) > 12 else "")
            self.problem(
                "fatal",
                col,
                "missing_column",
                f"required column {col!r} is missing (columns found: {shown}){hint}",
            )
        return not missing and not dups

    def malformed(self) -> None:
        bad = self.raw.malformed
        if bad is not None and len(bad):
            ex = [
                {"line": json_value(r.line), "text": str(r.text)[:200]}
                for r in bad.head(MAX_EXAMPLES).itertuples()
            ]
            self.problem(
                "set_aside",
                None,
                "malformed_row",
                f"{count_rows(len(bad))} whose number of fields differs from the header's: set aside",
                rows=len(bad),
                examples=ex,
            )

    def finish(self, result: ValidationResult) -> np.ndarray:
        """Record counts and set-aside rows; returns the mask of rows used."""
        if self.fatal and self.used.any():
            self.reason[self.used] = "table_unusable"
            self.used[:] = False
        aside = ~self.used
        frames = []
        if aside.any():
            rows = self.frame.loc[aside]
            clash = {c: f"{c} (in file)" for c in ("line", "reason") if c in rows.columns}
            rows = rows.rename(columns=clash)
            rows.insert(0, "line", self.lines[aside])
            rows["reason"] = self.reason[aside]
            frames.append(rows)
        bad = self.raw.malformed
        n_bad = 0 if bad is None else len(bad)
        if n_bad:
            frames.append(bad.assign(reason="malformed_row"))
        if frames:
            result.set_aside[self.table] = pd.concat(frames, ignore_index=True)
        used = int(self.used.sum())
        set_aside = int(aside.sum()) + n_bad
        read = self.n + n_bad
        assert read == used + set_aside
        result.counts[self.table] = {"read": read, "used": used, "set_aside": set_aside}
        result.files[self.table] = self.file
        result.zones.update({f"{self.table}.{c}": z for c, z in self.zones.items()})
        return self.used


@dataclass(frozen=True)
class Context:
    """What a table's rules may refer to: the study settings and the usable ids so far."""

    freq: str
    as_of: date
    accounts: pd.Index | None = None  # None: no usable accounts table to check against
    codes: pd.Index | None = None  # None: no usable catalog
    fmt: TableFormat = field(
        default_factory=TableFormat
    )  # how the table's file writes numbers and dates
