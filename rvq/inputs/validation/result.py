"""What validation found: `Problem`s (table, file, column, rule, severity, examples) and the
`ValidationResult` that gathers them with the row counts and the rows set aside, and how a
result reads (text for the CLI, HTML for notebooks, JSON-safe dict)."""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

Severity = Literal["fatal", "set_aside", "repaired", "warning"]
SEVERITIES: tuple[str, ...] = ("fatal", "set_aside", "repaired", "warning")
MAX_EXAMPLES = 5


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
    #: how to fix it, shown below the message: what to do, then lines to write (for unknown
    #: codes: the lines to add to the mapping file, `rvq.inputs.activity_rules.unmapped_lines`)
    fix: list[str] = field(default_factory=list)

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
        if self.fix:
            lines.append(f"      {self.fix[0]}:")
            lines += [f"      {line}" for line in self.fix[1:]]
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
                if p.fix:
                    parts.append(
                        f"<p>{esc(p.fix[0])}:</p><pre>{esc(chr(10).join(p.fix[1:]))}</pre>"
                    )
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


def no_usable_rows(table: str, file: str, read: int, problems: list[Problem] = ()) -> Problem:
    """The fatal problem of a required table whose every row was set aside, naming the
    likely cause from the table's set-aside `problems` (the most frequent reason)."""
    message = (
        f"none of the {count_rows(read)} read is usable: each was set aside for a reason listed"
    )
    aside = [p for p in problems if p.table == table and p.severity == "set_aside"]
    if aside:
        top = max(aside, key=lambda p: p.rows)
        message += f"; most as {top.rule} ({count_rows(top.rows)}): {likely_cause(top)}"
    return Problem(table, file, None, "no_usable_rows", "fatal", message)


#: a number written with a decimal comma: 1234,56 or 1.234,56
DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d[\d.\s']*,\d+\s*$")
#: a date written day/month or month/day: 02/01/2022, 2.1.2022
SLASHED_DATE = re.compile(r"^\s*\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")

#: per set-aside rule, the likely cause when it took every row of a table
_CAUSES = {
    "unknown_account": "account ids that match none in accounts (another id system, or "
    "accounts unusable?)",
    "unknown_interaction_code": "interaction codes not in the catalog (a mapping missing?)",
    "future_timestamp": "every date after the as-of date (is as_of right?)",
    "future_period": "every period after the as-of date (is as_of right?)",
    "timestamp_out_of_range": "every date more than 30 years before the as-of date (is as_of right?)",
    "period_out_of_range": "every period more than 30 years before the as-of date (is as_of right?)",
    "missing_value": "a required column is blank throughout (the wrong column mapped?)",
    "duplicate_account": "every account_id repeats the first (the wrong column mapped?)",
}


def likely_cause(problem: Problem) -> str:
    """What probably made `problem` set aside a whole table, judged from its examples."""
    values = [
        str(ex.get(problem.column)) for ex in problem.examples if ex.get(problem.column) is not None
    ]
    shown = ", ".join(repr(v) for v in values[:3])
    if problem.rule == "non_numeric" and values and all(DECIMAL_COMMA.match(v) for v in values):
        return (
            f"decimal commas? the numbers are written like {shown}; set "
            f'`formats: {{{problem.table}: {{decimal: ","}}}}` in the config'
        )
    if problem.rule in ("unparseable_timestamp", "unparseable_period"):
        if values and all(SLASHED_DATE.match(v) for v in values):
            return (
                f"dates written day/month or month/day? they look like {shown}; set "
                f"`formats: {{{problem.table}: {{dates: day_first}}}}` (or month_first) in "
                "the config"
            )
        return f"dates in another format? they look like {shown}"
    return _CAUSES.get(problem.rule, f"see the {problem.rule} problem above")


def count_rows(n: int) -> str:
    """ "1 row", "1,234 rows": how a message counts rows."""
    return f"{n:,} row" + ("" if n == 1 else "s")


#: the "N rows" a message starts with (`count_rows`)
COUNT_PREFIX = re.compile(r"^[\d,]+ rows?\b")


def json_value(value: Any) -> Any:
    """A cell of an example row as JSON-safe data: missing as None, numpy scalars unwrapped,
    anything else not a plain scalar as its text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
