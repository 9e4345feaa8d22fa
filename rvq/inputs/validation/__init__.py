"""Validation of the canonical input tables (ARCHITECTURE contract 1).

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

Outcome periods: ``YYYY-MM``, ``YYYY-Qn`` (also ``YYYYQn``) or an ISO date, converted to
the config frequency. Monthly (or dated) outcomes with ``freq="Q"`` become quarters;
several rows of one account and period are then combined: revenue, profit and wallet
summed, share of wallet recomputed as revenue / wallet where both are known, else
averaged (reported as ``repaired``). Quarterly outcomes with ``freq="M"`` are fatal (a
quarter cannot be split into months without inventing numbers).

Timestamps: ISO 8601 dates or date-times; naive values are taken as UTC; values with
offsets are converted to UTC and the offsets dropped (reported as ``repaired``).
"""

from __future__ import annotations

import difflib
import html
import re
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rvq.schema import (
    COMMUNITY_ROLES,
    FUNCTIONS,
    KINDS,
    STAGES,
    TABLE_SUFFIXES,
    TABLES,
    VALUE_ASPECTS,
)

if TYPE_CHECKING:
    from rvq.inputs.readers import RawTable

Severity = Literal["fatal", "set_aside", "repaired", "warning"]
SEVERITIES: tuple[str, ...] = ("fatal", "set_aside", "repaired", "warning")
MAX_EXAMPLES = 5
#: the order tables are checked in: later tables refer to the accounts and the catalog
TABLE_ORDER = ("accounts", "catalog", "interactions", "outcomes", "voc")
ID_COLUMNS = ("account_id", "contact_id", "interaction_code", "event_id", "rep_id", "team")


@dataclass
class Problem:
    """One finding about the inputs: where (table, file, column), which rule, how bad,
    how many rows, and up to five example rows (`line` is the row's line in the file)."""

    table: str
    file: str
    column: str | None
    rule: str
    severity: Severity
    message: str
    rows: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    #: the value counts a message lists (unknown codes), so the problems of blocks of
    #: one table can be merged into the whole table's (`merge_problems`); not reported
    tally: dict[str, int] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        """One line: file, column, rule, message (what a CLI prints for a fatal problem)."""
        where = f"{self.file}" + (f", column {self.column!r}" if self.column else "")
        return f"{where} [{self.rule}]: {self.message}"

    def to_text(self) -> str:
        where = f"{self.file}" + (f", column {self.column!r}" if self.column else "")
        lines = [f"  {where} [{self.rule}]: {self.message}"]
        for ex in self.examples:
            line = ex.get("line")
            values = ", ".join(f"{k}={v!r}" for k, v in ex.items() if k != "line" and v is not None)
            at = f"line {line}" if line is not None else "line ?"
            lines.append(f"      {at}: {values}")
        return "\n".join(lines)


@dataclass
class ValidationResult:
    """Everything validation found: problems, per-table row counts, the rows set aside.

    `counts[table]` is ``{"read", "used", "set_aside"}`` with read = used + set_aside;
    `set_aside[table]` holds those rows as read, with `line` and `reason` columns (for a
    streamed interactions file, counted per reason, account, code and source, `n_events`
    rows each: `rvq.scoring.stream`).
    """

    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    set_aside: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    #: per "table.column" of timestamps, the values parsed per zone ("naive", "+02:00", ...),
    #: so blocks of a table can be judged together (`merge_problems`)
    zones: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def fatal(self) -> bool:
        """True when at least one problem stops the pilot."""
        return any(p.severity == "fatal" for p in self.problems)

    def by_severity(self, severity: Severity) -> list[Problem]:
        return [p for p in self.problems if p.severity == severity]

    def find(self, rule: str, table: str | None = None) -> list[Problem]:
        """The problems of one rule (optionally in one table)."""
        return [p for p in self.problems if p.rule == rule and table in (None, p.table)]

    def counts_frame(self) -> pd.DataFrame:
        """Rows read / used / set aside per table."""
        rows = [{"table": t, "file": self.files.get(t, ""), **c} for t, c in self.counts.items()]
        return pd.DataFrame(rows, columns=["table", "file", "read", "used", "set_aside"])

    def summary_frame(self) -> pd.DataFrame:
        """One row per problem: severity, table, file, column, rule, rows, message."""
        cols = ["severity", "table", "file", "column", "rule", "rows", "message"]
        order = {s: i for i, s in enumerate(SEVERITIES)}
        rows = sorted(
            ({c: getattr(p, c) for c in cols} for p in self.problems),
            key=lambda r: order[r["severity"]],
        )
        return pd.DataFrame(rows, columns=cols)

    def to_text(self) -> str:
        """The readable report the CLI prints: counts per table, then problems by severity."""
        verdict = "FATAL: the pilot cannot run on these inputs" if self.fatal else "usable"
        out = [f"Input validation: {verdict}", ""]
        counts = self.counts_frame()
        if len(counts):
            width = max(len(t) for t in counts["table"])
            out.append(f"  {'table':<{width}}  {'read':>10}  {'used':>10}  {'set aside':>10}  file")
            for r in counts.itertuples():
                out.append(
                    f"  {r.table:<{width}}  {r.read:>10,}  {r.used:>10,}  {r.set_aside:>10,}  {r.file}"
                )
        for severity in SEVERITIES:
            found = self.by_severity(severity)
            if not found:
                continue
            out += ["", f"{severity.upper().replace('_', ' ')} ({len(found)})"]
            out += [p.to_text() for p in found]
        if not self.problems:
            out += ["", "No problems found."]
        return "\n".join(out)

    __str__ = to_text

    def _repr_html_(self) -> str:
        esc = html.escape
        verdict = (
            "<b style='color:#b00'>fatal problems: the pilot cannot run</b>"
            if self.fatal
            else "<b>usable</b>"
        )
        parts = [
            f"<div><p>Input validation: {verdict}</p>",
            self.counts_frame().to_html(index=False),
        ]
        for severity in SEVERITIES:
            found = self.by_severity(severity)
            if not found:
                continue
            parts.append(f"<h4>{esc(severity.replace('_', ' '))} ({len(found)})</h4><ul>")
            for p in found:
                col = f", column <code>{esc(p.column)}</code>" if p.column else ""
                parts.append(
                    f"<li><code>{esc(p.file)}</code>{col} [{esc(p.rule)}]: {esc(p.message)}"
                )
                if p.examples:
                    parts.append(pd.DataFrame(p.examples).to_html(index=False, na_rep=""))
                parts.append("</li>")
            parts.append("</ul>")
        parts.append("</div>")
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: fatal flag, counts, files and every problem with its examples."""
        return {
            "fatal": self.fatal,
            "counts": {t: dict(c) for t, c in self.counts.items()},
            "files": dict(self.files),
            "problems": [
                {k: v for k, v in asdict(p).items() if k != "tally"} for p in self.problems
            ],
        }


# --- parsing helpers (vectorized) ------------------------------------------------------


#: the dtype pandas gives text by default: "str" on pandas 3, object on pandas 2
TEXT_DTYPE = pd.Series(["x"]).dtype


def _is_textual(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


def as_text(s: pd.Series) -> pd.Series:
    """Values as stripped strings in pandas' default text dtype; blanks become missing.
    Numbers (e.g. integer ids from Parquet) become their text."""
    if s.dtype != TEXT_DTYPE:
        if not isinstance(TEXT_DTYPE, pd.StringDtype):
            s = s.where(s.isna(), s.astype(str)).astype(object)
        else:
            s = s.astype(TEXT_DTYPE)
    s = s.str.strip()
    return s.where(s != "")


def as_number(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(float values, mask of values given but not numbers — text, or ±inf)."""
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        values = s.astype("float64")
        bad = np.isinf(values.to_numpy(dtype="float64", na_value=np.nan))
    else:
        text = as_text(s)
        values = _arrow_cast(text, pa.float64())
        if values is None:  # some value is not a number: find which
            values = pd.to_numeric(text, errors="coerce").astype("float64")
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        bad = (text.notna().to_numpy() & np.isnan(arr)) | np.isinf(arr)
    values = values.where(~bad)
    return values.astype("float64"), np.asarray(bad, dtype=bool)


def _to_ns(s: pd.Series) -> pd.Series:
    return s.astype("datetime64[ns]")


def _arrow_cast(text: pd.Series, to: pa.DataType) -> pd.Series | None:
    """`text` cast by pyarrow (ISO 8601 timestamps, numbers) when every value parses,
    else None. The fast path: ~20x quicker than pandas on millions of clean values."""
    try:
        cast = pc.cast(_arrow_text(text), to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return pd.Series(cast.to_pandas().to_numpy(), index=text.index)


def as_timestamp(s: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    """(naive UTC datetime64[ns], time-zone summary) from ISO 8601 text or a datetime column.

    Naive values are taken as UTC. The summary counts values per offset seen ("naive",
    "+02:00", ...) when any value carried an offset, so mixed zones can be reported.
    """
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        zone = str(s.dtype.tz)
        return _to_ns(s.dt.tz_convert("UTC").dt.tz_localize(None)), {zone: int(s.notna().sum())}
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return _to_ns(s), {}
    text = as_text(s)  # numbers are not timestamps: as text they fail to parse, and say so
    fast = _arrow_cast(text, pa.timestamp("ns"))  # every value a zone-less ISO 8601 time
    if fast is not None:
        return _to_ns(fast), {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # the common case, one fast pass: no value carries a zone
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):
            parsed = None
    if parsed is not None and pd.api.types.is_datetime64_dtype(parsed.dtype):
        return _to_ns(parsed), {}
    # some values carry a zone: parse the zoned ones to UTC and the others as they are (one
    # pass over both would let pandas 2 apply the first zone to the naive values)
    zone = text.astype("str").str.extract(_ZONE)[0]
    aware = zone.notna().to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zoned = pd.to_datetime(text.where(aware), format="ISO8601", errors="coerce", utc=True)
        naive = pd.to_datetime(text.where(~aware), format="ISO8601", errors="coerce")
        if not pd.api.types.is_datetime64_dtype(naive.dtype):  # a zone the pattern missed
            naive = pd.to_datetime(text.where(~aware), format="mixed", errors="coerce", utc=True)
            naive = naive.dt.tz_localize(None)
    parsed = _to_ns(naive).where(~aware, _to_ns(zoned.dt.tz_localize(None)))
    seen = zone.where(aware, "naive").where(parsed.notna().to_numpy())
    summary = seen.value_counts().to_dict()
    return parsed, {str(k): int(v) for k, v in summary.items()}


_ZONE = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)$"
_FREQ_RANK = {"D": 0, "B": 0, "h": 0, "W": 1, "M": 2, "Q": 3, "Y": 4, "A": 4}
_MONTH = r"^(\d{4})-(\d{1,2})$"
_QUARTER = r"^(\d{4})\s*-?\s*[Qq]([1-4])$"


def bad_none(n: int) -> np.ndarray:
    return np.zeros(n, dtype=bool)


def as_period(s: pd.Series, freq: str) -> tuple[pd.Series, np.ndarray, dict[str, int]]:
    """(periods at `freq`, mask of values given but unparseable, count per format found).

    Formats: "month" (YYYY-MM), "quarter" (YYYY-Qn), "date" (ISO date or a datetime
    column). Quarters under freq "M" come back as NaT with format "quarter" counted, so
    the caller can refuse them.
    """
    n = len(s)
    kinds: dict[str, int] = {}
    if isinstance(s.dtype, pd.PeriodDtype):
        code = s.dtype.freq.name.lstrip("0123456789")[:1]
        if _FREQ_RANK.get(code, 0) > _FREQ_RANK[freq]:  # e.g. quarters under freq "M"
            kinds["quarter"] = int(s.notna().sum())
            return pd.Series(pd.NaT, index=s.index, dtype=pd.PeriodDtype(freq)), bad_none(n), kinds
        kinds["month" if code == "M" else "period"] = int(s.notna().sum())
        out = s if s.dtype == pd.PeriodDtype(freq) else s.dt.asfreq(freq, how="start")
        return pd.Series(out.array, index=s.index), bad_none(n), kinds
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        ts, _ = as_timestamp(s)
        kinds["date"] = int(ts.notna().sum())
        per = ts.dt.to_period(freq)
        return per, np.zeros(n, dtype=bool), kinds

    # parse each distinct label once: a period column repeats a few dozen labels
    codes, uniques = pd.factorize(as_text(s))
    label_ordinals, label_kinds = _period_labels(pd.Series(np.asarray(uniques, dtype=object)), freq)
    given = codes >= 0
    row_kind = np.where(given, label_kinds[codes], -1)
    ordinals = np.where(given & (row_kind > 0), label_ordinals[codes], _NAT)
    for k, name in enumerate(_PERIOD_KINDS):
        if k and (row_kind == k).any():
            kinds[name] = int((row_kind == k).sum())
    periods = pd.Series(pd.arrays.PeriodArray(ordinals, dtype=pd.PeriodDtype(freq)), index=s.index)
    return periods, row_kind == 0, kinds


_NAT = np.iinfo(np.int64).min
_PERIOD_KINDS = ("unparseable", "month", "quarter", "date")


def _period_labels(labels: pd.Series, freq: str) -> tuple[np.ndarray, np.ndarray]:
    """(period ordinal at `freq`, kind index into _PERIOD_KINDS) for each distinct label.

    Quarters under freq "M" keep kind "quarter" but a NaT ordinal."""
    n = len(labels)
    ordinals = np.full(n, _NAT, dtype=np.int64)
    kind = np.zeros(n, dtype=np.int64)
    if n == 0:
        return ordinals, kind
    month = labels.str.extract(_MONTH).astype("float64").to_numpy()
    quarter = labels.str.extract(_QUARTER).astype("float64").to_numpy()
    is_month = ~np.isnan(month[:, 0]) & (month[:, 1] >= 1) & (month[:, 1] <= 12)
    is_quarter = ~np.isnan(quarter[:, 0])
    rest = ~is_month & ~is_quarter & np.isnan(month[:, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dates = pd.to_datetime(labels.where(rest), format="ISO8601", errors="coerce", utc=True)
    dates = dates.dt.tz_localize(None)
    is_date = rest & dates.notna().to_numpy()

    y, m = month[is_month, 0].astype(np.int64), month[is_month, 1].astype(np.int64)
    months = (y - 1970) * 12 + (m - 1)
    ordinals[is_month] = months if freq == "M" else months // 3
    kind[is_month] = 1
    if freq == "Q":
        y, q = quarter[is_quarter, 0].astype(np.int64), quarter[is_quarter, 1].astype(np.int64)
        ordinals[is_quarter] = (y - 1970) * 4 + (q - 1)
    kind[is_quarter] = 2
    if is_date.any():
        ordinals[is_date] = dates[is_date].dt.to_period(freq).array.asi8
    kind[is_date] = 3
    return ordinals, kind


def _arrow_text(values) -> pa.Array | pa.ChunkedArray:
    if not isinstance(values, (pd.Series, pd.Index, np.ndarray)):
        values = np.asarray(list(values), dtype=object)
    return pa.array(values, type=pa.string(), from_pandas=True)


def isin(values: pd.Series, allowed) -> np.ndarray:
    """Membership of text values in `allowed` as a bool array; missing values are never in.

    pyarrow's hash lookup: pandas' `isin` on Arrow strings loops in Python over the
    allowed values, which takes seconds for the account ids of a large table.
    """
    right = pc.unique(_arrow_text(allowed))
    if isinstance(right, pa.ChunkedArray):
        right = right.combine_chunks()
    found = pc.is_in(_arrow_text(values), value_set=right.drop_null(), skip_nulls=True)
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _set_aside_unknown_accounts(check, account_ids, accounts) -> None:
    """Rows whose account is not in `accounts` leave with one reason, in every table."""
    if accounts is None:
        return
    check.set_aside(
        ~isin(account_ids, accounts),
        "account_id",
        "unknown_account",
        "whose account_id is not in accounts",
    )


def _norm_label(s: pd.Series) -> pd.Series:
    """Enumeration labels compared loosely: 'Inside Sales' == 'inside_sales'."""
    return as_text(s).str.lower().str.replace(r"[\s\-]+", "_", regex=True)


def _jsonable(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _count_rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


#: the "N rows" a message starts with (`_count_rows`)
_COUNT_PREFIX = re.compile(r"^[\d,]+ rows?\b")


# --- one table through its rules --------------------------------------------------------


class _TableCheck:
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
                {"line": int(line), **{c: _jsonable(v) for c, v in zip(cols, values, strict=True)}}
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
            self.problem(severity, column, rule, f"{_count_rows(k)} {what}: {verb}", hit)
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
                {"line": _jsonable(r.line), "text": str(r.text)[:200]}
                for r in bad.head(MAX_EXAMPLES).itertuples()
            ]
            self.problem(
                "set_aside",
                None,
                "malformed_row",
                f"{_count_rows(len(bad))} whose number of fields differs from the header's: set aside",
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


# --- the rules, table by table ----------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What a table's rules may refer to: the study settings and the usable ids so far."""

    freq: str
    as_of: date
    accounts: pd.Index | None = None  # None: no usable accounts table to check against
    codes: pd.Index | None = None  # None: no usable catalog


def _missing_values(check: _TableCheck, columns: dict[str, pd.Series]) -> None:
    for col, values in columns.items():
        check.set_aside(values.isna().to_numpy(), col, "missing_value", f"with no {col}")


def _check_accounts(check: _TableCheck, context: _Context) -> pd.DataFrame:
    f = check.frame
    ids = as_text(f["account_id"])
    _missing_values(check, {"account_id": ids})
    check.set_aside(
        _dup_values(ids, check.used),
        "account_id",
        "duplicate_account",
        "repeating an account_id already listed (the first is kept)",
    )
    out = {"account_id": ids}
    spec = TABLES["accounts"]
    for col in [c for c in f.columns if c != "account_id"]:
        if col == "company_revenue":
            values, bad = as_number(f[col])
            if (bad & check.used).any():
                check.problem(
                    "repaired",
                    col,
                    "non_numeric",
                    f"{_count_rows(int((bad & check.used).sum()))} whose company_revenue is not a number: set to NaN",
                    bad & check.used,
                )
            out[col] = values
        elif col == "community_role":
            role = _norm_label(f[col])
            odd = role.notna().to_numpy() & ~isin(role, COMMUNITY_ROLES) & check.used
            if odd.any():
                seen = Counter(role[odd]).most_common(5)
                check.problem(
                    "repaired",
                    col,
                    "unknown_community_role",
                    f"{_count_rows(int(odd.sum()))} with a community_role outside "
                    f"{'/'.join(COMMUNITY_ROLES)} ({_listing(seen)}): set to missing",
                    odd,
                )
            out[col] = role.where(~odd)
        else:
            out[col] = as_text(f[col])
    for col in spec.optional:
        if col not in out:
            out[col] = (
                pd.Series(np.nan, index=f.index, dtype="float64")
                if col == "company_revenue"
                else _blank_text(len(f), f.index)
            )
    return pd.DataFrame(out)


def _dup_values(values: pd.Series, used: np.ndarray) -> np.ndarray:
    if used.all():
        return values.duplicated(keep="first").to_numpy()
    out = np.zeros(len(values), dtype=bool)
    out[used] = values[used].duplicated(keep="first").to_numpy()
    return out


def _listing(pairs) -> str:
    return ", ".join(f"{k!r} ×{v}" for k, v in pairs)


def _check_catalog(check: _TableCheck, context: _Context) -> pd.DataFrame:
    f = check.frame
    codes = as_text(f["interaction_code"])
    check.set_aside(
        codes.isna().to_numpy(),
        "interaction_code",
        "missing_value",
        "with no interaction_code",
        "fatal",
    )
    check.set_aside(
        _dup_values(codes, check.used),
        "interaction_code",
        "duplicate_code",
        "repeating an interaction_code",
        "fatal",
    )
    out = {"interaction_code": codes, "name": as_text(f["name"]), "channel": as_text(f["channel"])}
    for col, allowed in (
        ("kind", KINDS),
        ("stage", STAGES),
        ("function", FUNCTIONS),
        ("value_aspect", VALUE_ASPECTS),
    ):
        label = _norm_label(f[col])
        bad = ~isin(label, allowed)
        check.set_aside(
            bad, col, "invalid_value", f"whose {col} is not one of {'/'.join(allowed)}", "fatal"
        )
        out[col] = label
    for col in ("rv", "cost"):
        values, bad = as_number(f[col])
        check.set_aside(
            bad | values.isna().to_numpy(),
            col,
            "non_numeric",
            f"whose {col} is not a number",
            "fatal",
        )
        out[col] = values
    check.set_aside(
        (out["cost"] < 0).to_numpy(), "cost", "negative_cost", "with a negative cost", "fatal"
    )
    if "rationale" in f.columns:
        out["rationale"] = as_text(f["rationale"])
    return pd.DataFrame(out)[[c for c in TABLES["catalog"].columns if c in out]]


def _check_interactions(check: _TableCheck, context: _Context) -> pd.DataFrame:
    f, codes, accounts, as_of = check.frame, context.codes, context.accounts, context.as_of
    ids = {c: as_text(f[c]) for c in ID_COLUMNS + ("source_system",) if c in f.columns}
    _missing_values(check, {c: ids[c] for c in ("account_id", "contact_id", "interaction_code")})
    _missing_values(check, {"timestamp": _given(f["timestamp"])})
    ts, zones = as_timestamp(f["timestamp"])
    check.zones["timestamp"] = zones or {"naive": int(ts.notna().sum())}
    unparsed = ts.isna().to_numpy()
    check.set_aside(
        unparsed,
        "timestamp",
        "unparseable_timestamp",
        "whose timestamp does not parse as an ISO 8601 date or date-time (YYYY-MM-DD[Thh:mm[:ss][±hh:mm]])",
    )
    if unparsed.all():
        check.problem(
            "fatal",
            "timestamp",
            "all_timestamps_unparseable",
            "no timestamp in the table parses as an ISO 8601 date or date-time",
            unparsed,
        )
    _report_zones(check, "timestamp", zones)
    future = (ts >= pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_numpy()
    check.set_aside(future, "timestamp", "future_timestamp", f"dated after the as-of date {as_of}")

    if codes is not None:
        unknown = ~isin(ids["interaction_code"], codes) & check.used
        if unknown.any():
            seen = Counter(ids["interaction_code"][unknown])
            check.set_aside(unknown, "interaction_code", "unknown_interaction_code", _unknown(seen))
            check.problems[-1].tally = dict(seen)

    if "cost" in f.columns:
        cost, bad = as_number(f["cost"])
        check.set_aside(bad, "cost", "non_numeric", "whose cost is not a number")
        check.set_aside((cost < 0).to_numpy(), "cost", "negative_cost", "with a negative cost")
    else:
        cost = pd.Series(np.nan, index=f.index, dtype="float64")

    _set_aside_unknown_accounts(check, ids["account_id"], accounts)

    # last: a duplicate repeats an earlier row that is used, so a row set aside above for
    # another reason hides no later copy (and blocks of a streamed file agree, rvq.scoring.stream)
    if "event_id" in ids:
        has_id = ids["event_id"].notna().to_numpy()
        dup = _dup_values(ids["event_id"], check.used & has_id) | check.duplicated(
            None, within=~has_id
        )
    else:
        dup = check.duplicated(None)
    event_ids = "event_id" in ids
    check.set_aside(
        dup, "event_id" if event_ids else None, "duplicate_event", duplicate_rows_message(event_ids)
    )

    out = {
        "account_id": ids["account_id"],
        "contact_id": ids["contact_id"],
        "timestamp": ts,
        "interaction_code": ids["interaction_code"],
    }
    blank = _blank_text(len(f), f.index)
    for col in ("rep_id", "team"):
        out[col] = ids.get(col, blank)
    out["cost"] = cost
    out["source_system"] = ids.get("source_system", blank)
    out["event_id"] = ids.get("event_id", blank)
    return pd.DataFrame(out)


def duplicate_rows_message(event_ids: bool) -> str:
    """What completes "N rows ..." for duplicate events (`event_ids`: the table has them)."""
    if event_ids:
        return (
            "repeating an earlier event_id (or, without an event_id, an identical row); "
            "the first is kept"
        )
    return "identical to an earlier row (no event_id column; the first is kept)"


def _given(s: pd.Series) -> pd.Series:
    """The column with blanks as missing (text is stripped; other dtypes as they are)."""
    return as_text(s) if _is_textual(s) else s


def _blank_text(n: int, index) -> pd.Series:
    return as_text(pd.Series([None] * n, index=index, dtype=object))


def _unknown(seen: Counter) -> str:
    """What completes "N rows ..." for rows whose codes (`seen`, with counts) are unknown."""
    return (
        "whose interaction_code is not in the catalog "
        f"(most frequent: {_listing(seen.most_common(5))})"
    )


def _zones_rule(zones: dict[str, int]) -> tuple[str, str, int] | None:
    """(rule, listing, rows) of the zones seen in a column, None when there is nothing to say."""
    if not zones:
        return None
    utc_names = {"UTC", "Z", "+00:00", "+0000", "+00", "UTC+00:00"}
    if len(zones) == 1 and next(iter(zones)) in utc_names:
        return None
    listing = ", ".join(f"{z} ×{n:,}" for z, n in sorted(zones.items(), key=lambda kv: -kv[1]))
    rule = "mixed_time_zones" if len(zones) > 1 else "time_zone_converted"
    return rule, listing, sum(n for z, n in zones.items() if z != "naive")


def _zones_message(column: str, listing: str) -> str:
    return (
        f"{column} values carry time zones ({listing}); all converted to UTC and stored "
        "without a zone (values without a zone are taken as UTC)"
    )


def _report_zones(check: _TableCheck, column: str, zones: dict[str, int]) -> None:
    found = _zones_rule(zones)
    if found is None:
        return
    rule, listing, rows = found
    check.problem("repaired", column, rule, _zones_message(column, listing), rows=rows)


#: rules judged on a whole table, which `merge_problems` re-judges from the blocks' totals
ZONE_RULES = ("mixed_time_zones", "time_zone_converted")


def merge_problems(
    problems: list[list[Problem]],
    rows: list[int],
    zones: list[dict[str, dict[str, int]]],
) -> list[Problem]:
    """The problems of one table validated in blocks, as validating it whole reports them.

    Per block: its `problems`, its `rows` and its `ValidationResult.zones`. Row counts are
    summed and examples kept up to `MAX_EXAMPLES` per rule; the unknown codes' message is
    rebuilt from the summed tallies; the zone rules and `all_timestamps_unparseable` (fatal
    only when no block has a parseable timestamp) are judged on the totals, not per block.
    """
    merged: dict[tuple, Problem] = {}
    unparseable, files = [], {}
    for block in problems:
        for p in block:
            files.setdefault(p.table, p.file)
            if p.rule in ZONE_RULES:
                continue
            if p.rule == "no_usable_rows":  # judged on the whole file by the caller
                continue
            if p.rule == "all_timestamps_unparseable":
                unparseable.append(p)
                continue
            key = (p.table, p.rule, p.column, p.severity)
            if key not in merged:
                merged[key] = replace(p, examples=list(p.examples), tally=dict(p.tally))
                continue
            m = merged[key]
            m.rows += p.rows
            m.examples += p.examples
            for value, n in p.tally.items():
                m.tally[value] = m.tally.get(value, 0) + n
    out = []
    for m in merged.values():
        # the first rows of the file, as a whole read shows them
        m.examples = sorted(m.examples, key=lambda e: e.get("line") or 0)[:MAX_EXAMPLES]
        if m.rule == "unknown_interaction_code" and m.tally:
            m.message = f"{_count_rows(m.rows)} {_unknown(Counter(m.tally))}: set aside"
        elif m.rows and _COUNT_PREFIX.match(m.message):
            m.message = _COUNT_PREFIX.sub(_count_rows(m.rows), m.message, count=1)
        out.append(m)
    if unparseable and len(unparseable) == sum(1 for n in rows if n):
        out.append(replace(unparseable[0], rows=sum(p.rows for p in unparseable)))
    seen: dict[str, Counter] = {}
    for block_zones in zones:
        for where, counts in block_zones.items():
            seen.setdefault(where, Counter()).update(counts)
    for where, tally in seen.items():
        table, column = where.split(".", 1)
        found = _zones_rule(dict(tally)) if set(tally) - {"naive"} else None
        if found is not None:
            rule, listing, n = found
            message = _zones_message(column, listing)
            out.append(Problem(table, files.get(table, ""), column, rule, "repaired", message, n))
    return out


def _check_outcomes(check: _TableCheck, context: _Context) -> pd.DataFrame:
    f, accounts, freq, as_of = check.frame, context.accounts, context.freq, context.as_of
    ids = as_text(f["account_id"])
    _missing_values(check, {"account_id": ids})
    _missing_values(check, {"period": _given(f["period"])})
    periods, bad, kinds = as_period(f["period"], freq)
    found = {k: v for k, v in kinds.items() if v}
    if len(found) > 1:
        check.set_aside(
            np.ones(check.n, dtype=bool),
            "period",
            "mixed_period_formats",
            f"in a period column that mixes formats ({_listing(found.items())}); use one of "
            "YYYY-MM, YYYY-Qn or a date throughout",
            "fatal",
        )
    if "quarter" in found and freq == "M":
        check.set_aside(
            np.ones(check.n, dtype=bool),
            "period",
            "period_coarser_than_freq",
            "with quarterly periods while the config's freq is 'M' (set freq: Q)",
            "fatal",
        )
    check.set_aside(
        bad, "period", "unparseable_period", "whose period is not YYYY-MM, YYYY-Qn or a date"
    )
    future = (periods.dt.start_time > pd.Timestamp(as_of)).to_numpy() & periods.notna().to_numpy()
    check.set_aside(
        future, "period", "future_period", f"for a period starting after the as-of date {as_of}"
    )

    money = {}
    for col in ("revenue", "profit"):
        money[col], bad = as_number(f[col])
        check.set_aside(bad, col, "non_numeric", f"whose {col} is not a number")
    _set_aside_unknown_accounts(check, ids, accounts)
    check.set_aside(
        check.duplicated(None),
        None,
        "duplicate_row",
        "identical to an earlier row (the first is kept)",
    )

    for col in ("wallet", "share_of_wallet"):
        if col in f.columns:
            money[col], bad = as_number(f[col])
            bad &= check.used
            if bad.any():
                check.problem(
                    "repaired",
                    col,
                    "non_numeric",
                    f"{_count_rows(int(bad.sum()))} whose {col} is not a number: set to NaN",
                    bad,
                )
        else:
            money[col] = pd.Series(np.nan, index=f.index, dtype="float64")
    wallet = money["wallet"]
    negative = (wallet < 0).to_numpy() & check.used
    if negative.any():
        check.problem(
            "repaired",
            "wallet",
            "negative_wallet",
            f"{_count_rows(int(negative.sum()))} with a negative wallet: set to NaN",
            negative,
        )
        money["wallet"] = wallet.where(~negative)
    money["share_of_wallet"] = _repair_share(check, money["share_of_wallet"])

    frame = pd.DataFrame({"account_id": ids, "period": periods, **money})
    below = (frame["wallet"] < frame["revenue"]).to_numpy() & check.used
    if below.any():
        check.problem(
            "warning",
            "wallet",
            "wallet_below_revenue",
            f"{_count_rows(int(below.sum()))} whose wallet (the customer's total spend) is below "
            "the revenue earned from it",
            below,
        )
    return frame


def _repair_share(check: _TableCheck, share: pd.Series) -> pd.Series:
    """Share of wallet as a fraction: percent columns divided by 100, the impossible set NaN.

    A column is read as percent when every value is within 0–100 and most non-zero values
    exceed 1 (a stray 1.2 in a column of fractions is an error, not a percent).
    """
    live = share[check.used].dropna()
    if live.empty:
        return share
    positive = live[live > 0]
    if live.between(0, 100).all() and len(positive) and (positive > 1).mean() > 0.5:
        check.problem(
            "repaired",
            "share_of_wallet",
            "share_of_wallet_percent",
            f"share_of_wallet is given in percent ({len(live):,} values within 0–100): divided by 100",
            rows=len(live),
            examples=check.examples(((share > 1).to_numpy() & check.used), "share_of_wallet"),
        )
        share = share / 100.0
    outside = ((share < 0) | (share > 1)).to_numpy() & check.used
    if outside.any():
        check.problem(
            "repaired",
            "share_of_wallet",
            "share_of_wallet_out_of_range",
            f"{_count_rows(int(outside.sum()))} with a share_of_wallet outside 0–1: set to NaN",
            outside,
        )
        share = share.where(~outside)
    return share


def _combine_periods(check: _TableCheck, frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    """One row per account and period: rows sharing both are combined (repaired)."""
    keys = ["account_id", "period"]
    dup = frame.duplicated(keys, keep=False).to_numpy()
    if not dup.any():
        return frame.reset_index(drop=True)
    grouped = frame[dup].groupby(keys, sort=False, observed=True)
    combined = grouped[["revenue", "profit", "wallet"]].sum(min_count=1)
    mean_share = grouped["share_of_wallet"].mean()
    ratio = combined["revenue"] / combined["wallet"].where(combined["wallet"] > 0)
    combined["share_of_wallet"] = ratio.where(ratio.between(0, 1)).fillna(mean_share)
    combined = combined.reset_index()
    first = frame[dup].groupby(keys, sort=False, observed=True).cumcount().to_numpy() == 0
    example_mask = np.zeros(check.n, dtype=bool)
    example_mask[np.flatnonzero(check.used)[dup]] = True
    check.problem(
        "repaired",
        "period",
        "combined_periods",
        f"{_count_rows(int(dup.sum()))} share an account and {'quarter' if freq == 'Q' else 'month'} "
        f"and were combined into {len(combined):,}: revenue, profit and wallet summed, share of "
        "wallet recomputed as revenue / wallet where both are known, else averaged",
        example_mask,
    )
    order = np.concatenate([np.flatnonzero(~dup), np.flatnonzero(dup)[first]])
    merged = pd.concat([frame[~dup], combined], ignore_index=True)
    merged["_order"] = order
    return merged.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def _check_voc(check: _TableCheck, context: _Context) -> pd.DataFrame:
    f, accounts, as_of = check.frame, context.accounts, context.as_of
    ids = as_text(f["account_id"])
    _missing_values(check, {"account_id": ids})
    _missing_values(check, {"date": _given(f["date"])})
    when, zones = as_timestamp(f["date"])
    check.set_aside(
        when.isna().to_numpy(),
        "date",
        "unparseable_timestamp",
        "whose date does not parse as an ISO 8601 date or date-time",
    )
    _report_zones(check, "date", zones)
    check.set_aside(
        (when >= pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_numpy(),
        "date",
        "future_timestamp",
        f"dated after the as-of date {as_of}",
    )
    scores = {}
    for col, low, high in (("nps", 0, 10), ("csat", 1, 5)):
        if col not in f.columns:
            scores[col] = pd.Series(np.nan, index=f.index, dtype="float64")
            continue
        scores[col], bad = as_number(f[col])
        check.set_aside(bad, col, "non_numeric", f"whose {col} is not a number")
        check.set_aside(
            ((scores[col] < low) | (scores[col] > high)).to_numpy(),
            col,
            f"{col}_out_of_range",
            f"with {col} outside {low}–{high}",
        )
    check.set_aside(
        (scores["nps"].isna() & scores["csat"].isna()).to_numpy(),
        None,
        "no_score",
        "with neither an nps nor a csat answer",
    )
    _set_aside_unknown_accounts(check, ids, accounts)
    contact = (
        as_text(f["contact_id"]) if "contact_id" in f.columns else _blank_text(len(f), f.index)
    )
    return pd.DataFrame({"account_id": ids, "contact_id": contact, "date": when, **scores})


# --- cross-table warnings -----------------------------------------------------------------


def _coverage_warnings(
    result: ValidationResult,
    accounts_check: _TableCheck,
    frames: dict[str, pd.DataFrame | None],
    freq: str,
) -> None:
    accounts = frames.get("accounts")
    if accounts is None:
        return
    check = accounts_check
    positions = np.flatnonzero(check.used)
    for table, what in (("interactions", "interactions"), ("outcomes", "outcomes")):
        other = frames.get(table)
        if other is None:
            continue
        lacking = ~isin(accounts["account_id"], other["account_id"])
        if lacking.any():
            mask = np.zeros(check.n, dtype=bool)
            mask[positions[lacking]] = True
            check.problem(
                "warning",
                "account_id",
                f"account_without_{table}",
                f"{int(lacking.sum()):,} "
                + ("account has" if lacking.sum() == 1 else "accounts have")
                + f" no {what}",
                mask,
            )
    inter, outc = frames.get("interactions"), frames.get("outcomes")
    if inter is not None and outc is not None and len(inter) and len(outc):
        first = inter["timestamp"].min().to_period(freq)
        early = (outc["period"] < first).to_numpy()
        if early.any():
            result.problems.append(
                Problem(
                    "outcomes",
                    result.files.get("outcomes", "outcomes"),
                    "period",
                    "outcomes_before_first_interaction",
                    "warning",
                    f"{_count_rows(int(early.sum()))} of outcomes are for periods before the first "
                    f"interaction ({first}): no RV history can lead them",
                    int(early.sum()),
                    [
                        {"account_id": _jsonable(a), "period": str(p)}
                        for a, p in outc.loc[early, ["account_id", "period"]]
                        .head(MAX_EXAMPLES)
                        .itertuples(index=False)
                    ],
                )
            )


# --- the entry point ------------------------------------------------------------------------


def validate_tables(
    raw: dict[str, RawTable],
    catalog: pd.DataFrame | None = None,
    *,
    freq: str = "Q",
    as_of: date | None = None,
    where: str = "the dataset",
    unreadable: dict[str, str] | None = None,
    missing: dict[str, str] | None = None,
) -> tuple[dict[str, pd.DataFrame | None], ValidationResult]:
    """Validate raw tables into canonical frames of usable rows, and say what was found.

    `catalog` is used when `raw` has no "catalog" table (the shipped pro forma model);
    `as_of` (default today) separates past from future; `where` names the dataset in
    messages about missing tables; `unreadable` maps a table to why its file could not be
    read; `missing` maps a table to the configured file that does not exist. Returns
    (frames, result): frames has every table, None when absent or unusable.
    """
    from rvq.inputs.readers import RawTable

    as_of = as_of or date.today()
    result = ValidationResult()
    problems = result.problems
    raw = dict(raw)
    if "catalog" not in raw and catalog is not None:
        raw["catalog"] = RawTable(catalog.reset_index(drop=True), "<shipped catalog>")
    unreadable, missing = unreadable or {}, missing or {}
    for table, why in unreadable.items():
        problems.append(
            Problem(table, why.split(": ", 1)[0], None, "unreadable_file", "fatal", why)
        )
        result.counts[table] = {"read": 0, "used": 0, "set_aside": 0}
    for table, path in missing.items():
        message = f"the config names {path} for the {table} table, and there is no such file"
        problems.append(Problem(table, path, None, "missing_file", "fatal", message))
        result.counts[table] = {"read": 0, "used": 0, "set_aside": 0}
    for table in TABLE_ORDER:
        spec = TABLES[table]
        if table in raw or table in unreadable or table in missing:
            continue
        if spec.must_exist or table == "catalog":
            looked = "/".join(f"{table}{s}" for s in TABLE_SUFFIXES)
            problems.append(
                Problem(
                    table,
                    f"{where}/{table}.*",
                    None,
                    "missing_file",
                    "fatal",
                    f"no {table} table in {where} (looked for {looked})"
                    + ("; and no shipped catalog is available" if table == "catalog" else ""),
                )
            )
            result.counts[table] = {"read": 0, "used": 0, "set_aside": 0}

    frames: dict[str, pd.DataFrame | None] = dict.fromkeys(TABLE_ORDER)
    checks: dict[str, _TableCheck] = {}
    for table in TABLE_ORDER:
        if table not in raw:
            continue
        check = checks[table] = _TableCheck(table, raw[table], problems)
        if raw[table].decoded_from:
            check.problem(
                "warning",
                None,
                "non_utf8_text",
                f"the file is not UTF-8: its text was decoded as {raw[table].decoded_from}",
            )
        for note in raw[table].notes:
            check.problem("warning", None, "reader_note", note)
        check.malformed()
        if not check.require_columns():
            check.finish(result)
            continue
        context = _Context(
            freq=freq,
            as_of=as_of,
            accounts=_usable_ids(frames.get("accounts"), "account_id"),
            codes=_usable_ids(frames.get("catalog"), "interaction_code"),
        )
        try:
            frame = TABLE_RULES[table](check, context)
        except Exception as exc:  # a value no rule foresaw: say so, never crash the run
            check.problem(
                "fatal", None, "validation_error", f"could not check: {type(exc).__name__}: {exc}"
            )
        used = check.finish(result)
        if check.fatal:
            continue
        frame = frame.reset_index(drop=True) if used.all() else frame[used].reset_index(drop=True)
        if table == "outcomes":
            frame = _combine_periods(check, frame, freq)
        frames[table] = frame
    check = checks.get("interactions")  # nothing to score: say so, rather than fail later
    counts = result.counts.get("interactions", {})
    if check is not None and not check.fatal and counts.get("read") and not counts["used"]:
        problems.append(no_usable_rows("interactions", check.file, counts["read"]))
        frames["interactions"] = None
    if "accounts" in checks:
        _coverage_warnings(result, checks["accounts"], frames, freq)
    return frames, result


def no_usable_rows(table: str, file: str, read: int) -> Problem:
    """The fatal problem of an interactions table whose every row was set aside."""
    return Problem(
        table, file, None, "no_usable_rows", "fatal",
        f"none of the {_count_rows(read)} read is usable: each was set aside for a reason listed",
    )  # fmt: skip


#: per table, the function that runs its rules and returns its canonical frame
TABLE_RULES: dict[str, Callable[[_TableCheck, _Context], pd.DataFrame]] = {
    "accounts": _check_accounts,
    "catalog": _check_catalog,
    "interactions": _check_interactions,
    "outcomes": _check_outcomes,
    "voc": _check_voc,
}


def _usable_ids(frame: pd.DataFrame | None, column: str) -> pd.Index | None:
    return None if frame is None else pd.Index(frame[column].dropna().unique())
