"""The entry points: `validate_tables` runs every table through its rules in a fixed order
and adds the warnings that compare tables; `merge_problems` joins the problems of one table
validated in blocks (a streamed file) into what validating it whole reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rvq.config import TableFormat
from rvq.inputs.validation.check import Context, TableCheck
from rvq.inputs.validation.parse import isin
from rvq.inputs.validation.result import (
    COUNT_PREFIX,
    MAX_EXAMPLES,
    Problem,
    ValidationResult,
    count_rows,
    json_value,
    no_usable_rows,
)
from rvq.inputs.validation.rules import (
    TABLE_RULES,
    combine_periods,
    unknown_codes_message,
    unknown_segments,
    zones_message,
    zones_rule,
)
from rvq.inputs.validation.track_rules import TRACK_TABLE_RULES
from rvq.schema import TABLE_SUFFIXES, TABLES

if TYPE_CHECKING:
    from rvq.inputs.readers import RawTable

#: the order tables are checked in: later tables refer to the accounts and the catalog
TABLE_ORDER = ("accounts", "catalog", "interactions", "outcomes", "voc", "plans", "campaigns")
#: per table, the function that runs its rules
RULES = {**TABLE_RULES, **TRACK_TABLE_RULES}


def validate_tables(
    raw: dict[str, RawTable],
    catalog: pd.DataFrame | None = None,
    *,
    freq: str = "Q",
    as_of: date | None = None,
    where: str = "the dataset",
    unreadable: dict[str, str] | None = None,
    missing: dict[str, str] | None = None,
    segments: Sequence[str] = (),
    formats: Mapping[str, TableFormat] | None = None,
) -> tuple[dict[str, pd.DataFrame | None], ValidationResult]:
    """Validate raw tables into canonical frames of usable rows, and say what was found.

    `catalog` is used when `raw` has no "catalog" table (the shipped pro forma model);
    `as_of` (default today) separates past from future; `where` names the dataset in
    messages about missing tables; `unreadable` maps a table to why its file could not be
    read; `missing` maps a table to the configured file that does not exist; `segments`
    are the config's, each of which must be a column of accounts (`unknown_segments`);
    `formats` maps a table to how its file writes numbers and dates (config `formats:`).
    Unknown interaction codes come with the lines to add to the mapping file. Returns
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
    checks: dict[str, TableCheck] = {}
    for table in TABLE_ORDER:
        if table not in raw:
            continue
        check = checks[table] = TableCheck(table, raw[table], problems)
        if raw[table].decoded_from:
            check.problem(
                "warning",
                None,
                "non_utf8_text",
                f"the file is not UTF-8: its text was decoded as {raw[table].decoded_from}",
            )
        for note in raw[table].notes:
            check.problem("warning", None, "reader_note", str(note))
        check.malformed()
        if not check.require_columns():
            check.finish(result)
            continue
        context = Context(
            freq=freq,
            as_of=as_of,
            accounts=_usable_ids(frames.get("accounts"), "account_id"),
            codes=_usable_ids(frames.get("catalog"), "interaction_code"),
            fmt=(formats or {}).get(table) or TableFormat(),
        )
        try:
            frame = RULES[table](check, context)
        except Exception as exc:  # a value no rule foresaw: say so, never crash the run
            check.problem(
                "fatal", None, "validation_error", f"could not check: {type(exc).__name__}: {exc}"
            )
        used = check.finish(result)
        if check.fatal:
            continue
        frame = frame.reset_index(drop=True) if used.all() else frame[used].reset_index(drop=True)
        if table == "outcomes":
            frame = combine_periods(check, frame, freq)
        frames[table] = frame
    for table in TABLE_ORDER:  # a required table with no usable row: say why, not fail later
        check, counts = checks.get(table), result.counts.get(table, {})
        if not TABLES[table].must_exist or check is None or check.fatal:
            continue
        if counts.get("read") and not counts["used"]:
            problems.append(no_usable_rows(table, check.file, counts["read"], problems))
            frames[table] = None
    if "accounts" in checks and not checks["accounts"].fatal:
        seen = raw["interactions"].frame.columns if "interactions" in raw else ()
        problems += unknown_segments(segments, checks["accounts"], seen)
    if "interactions" in raw:
        _mapping_fix(result, raw["interactions"], raw.get("catalog"))
    for table, column in (("interactions", "timestamp"), ("voc", "date")):
        if frames.get(table) is not None:
            _outlying_dates_warning(checks[table], frames[table][column])
    if "accounts" in checks:
        _coverage_warnings(result, checks["accounts"], frames, freq)
    return frames, result


def _mapping_fix(
    result: ValidationResult, interactions: RawTable, catalog: RawTable | None
) -> None:
    """Give the unknown codes' problem its fix: what to do, and per code (most frequent
    first) its rows and the line to add to the mapping file (`rvq.inputs.presets`)."""
    from rvq.inputs.activity_rules import unmapped_advice, unmapped_lines

    for problem in result.find("unknown_interaction_code", "interactions"):
        if not problem.tally:
            continue
        if catalog is None or catalog.path.startswith("<"):  # shipped, or given as a frame
            name = (
                "the catalog (the dataset's catalog table if it has one, else the shipped "
                "rvq/data/catalog.csv)"
            )
        else:
            name = f"the catalog {catalog.path}"
        advice = unmapped_advice(interactions.mapping_file, name)
        problem.fix = [advice, *unmapped_lines(Counter(problem.tally))]


#: a date is far from the bulk when it lies further from the 5th–95th percentile range than
#: that range is long (at least a year), and such dates are few (at most 5% of the rows)
OUTLYING_SHARE = 0.05


def far_from_bulk(low: pd.Timestamp, high: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The span outside which a date is far from a bulk running from `low` to `high` (the
    5th and 95th percentiles): as far again as the bulk is long, at least a year."""
    reach = max(high - low, pd.Timedelta(days=365))
    return low - reach, high + reach


def outlying_dates_message(rows: int, low, high, first, last) -> str:
    """The warning `outlying_date`: `rows` dates far from the bulk (`low` to `high`) stretch
    the study from `first` to `last`."""
    return (
        f"{count_rows(rows)} dated far from the bulk of the table ({low.date()} to "
        f"{high.date()} for 90% of rows): check them, they stretch the span of the study "
        f"({first.date()} to {last.date()})"
    )


def _outlying_dates_warning(check: TableCheck, when: pd.Series) -> None:
    """Warn when a few used dates sit far from the bulk: they stretch the panel's span."""
    values = when.dropna()
    if len(values) < 2:
        return
    low, high = values.quantile(OUTLYING_SHARE), values.quantile(1 - OUTLYING_SHARE)
    start, end = far_from_bulk(low, high)
    far = ((when < start) | (when > end)).to_numpy()
    if not far.any() or far.sum() > OUTLYING_SHARE * len(values):
        return
    mask = np.zeros(check.n, dtype=bool)
    mask[np.flatnonzero(check.used)[far]] = True
    message = outlying_dates_message(int(far.sum()), low, high, values.min(), values.max())
    check.problem("warning", when.name, "outlying_date", message, mask)


def _usable_ids(frame: pd.DataFrame | None, column: str) -> pd.Index | None:
    return None if frame is None else pd.Index(frame[column].dropna().unique())


def _coverage_warnings(
    result: ValidationResult,
    accounts_check: TableCheck,
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
                    f"{count_rows(int(early.sum()))} of outcomes are for periods before the first "
                    f"interaction ({first}): no RV history can lead them",
                    int(early.sum()),
                    [
                        {"account_id": json_value(a), "period": str(p)}
                        for a, p in outc.loc[early, ["account_id", "period"]]
                        .head(MAX_EXAMPLES)
                        .itertuples(index=False)
                    ],
                )
            )


#: rules judged on a whole table, which `merge_problems` re-judges from the blocks' totals
ZONE_RULES = ("mixed_time_zones", "time_zone_converted")
#: rules the caller of `merge_problems` judges on the whole table, dropped from the blocks'
WHOLE_TABLE_RULES = ("no_usable_rows", "outlying_date")


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
            if p.rule in WHOLE_TABLE_RULES:  # judged on the whole file by the caller
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
            m.message = f"{count_rows(m.rows)} {unknown_codes_message(Counter(m.tally))}: set aside"
            if m.fix:
                from rvq.inputs.activity_rules import unmapped_lines

                m.fix = [m.fix[0], *unmapped_lines(Counter(m.tally))]
        elif m.rows and COUNT_PREFIX.match(m.message):
            m.message = COUNT_PREFIX.sub(count_rows(m.rows), m.message, count=1)
        out.append(m)
    if unparseable and len(unparseable) == sum(1 for n in rows if n):
        out.append(replace(unparseable[0], rows=sum(p.rows for p in unparseable)))
    seen: dict[str, Counter] = {}
    for block_zones in zones:
        for where, counts in block_zones.items():
            seen.setdefault(where, Counter()).update(counts)
    for where, tally in seen.items():
        table, column = where.split(".", 1)
        found = zones_rule(dict(tally)) if set(tally) - {"naive"} else None
        if found is not None:
            rule, listing, n = found
            message = zones_message(column, listing)
            out.append(Problem(table, files.get(table, ""), column, rule, "repaired", message, n))
    return out
