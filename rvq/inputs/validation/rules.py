"""The validation rules, table by table: each takes a `TableCheck` and returns the table's
canonical frame (rows set aside are dropped later, by the caller).

Outcome periods are converted to the config frequency. Monthly (or dated) outcomes with
``freq="Q"`` become quarters; several rows of one account and period are then combined:
revenue, profit and wallet summed, share of wallet recomputed as revenue / wallet where
both are known, else averaged (reported as ``repaired``). Quarterly outcomes with
``freq="M"`` are fatal (a quarter cannot be split into months without inventing numbers).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import date

import numpy as np
import pandas as pd

from rvq.config import TableFormat
from rvq.inputs.validation.check import Context, TableCheck
from rvq.inputs.validation.parse import (
    as_number,
    as_period,
    as_text,
    as_timestamp,
    blank_text,
    date_order_hint,
    given,
    isin,
    iso_dates,
    leading_year,
    norm_label,
    number_format_hint,
)
from rvq.inputs.validation.result import Problem, count_rows
from rvq.schema import (
    COMMUNITY_ROLES,
    FUNCTIONS,
    KINDS,
    STAGES,
    TABLES,
    TRACK_ACCOUNT_COLUMNS,
    VALUE_ASPECTS,
)

#: dates more than this many years before the as-of date are out of range (set aside): a
#: placeholder like 1900-01-01 would otherwise stretch the panel over a century
YEARS_BEFORE_AS_OF = 30

#: the identifier columns of interactions, compared as stripped text
ID_COLUMNS = ("account_id", "contact_id", "interaction_code", "event_id", "rep_id", "team")


def _missing_values(check: TableCheck, columns: dict[str, pd.Series]) -> None:
    for col, values in columns.items():
        check.set_aside(values.isna().to_numpy(), col, "missing_value", f"with no {col}")


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


def earliest_date(as_of: date) -> pd.Timestamp:
    """The first day a date may fall on: `YEARS_BEFORE_AS_OF` years before the as-of date."""
    return pd.Timestamp(as_of) - pd.DateOffset(years=YEARS_BEFORE_AS_OF)


def _format_option(table: str, setting: str) -> str:
    """The config line that sets `setting` ("decimal: ','") for `table`."""
    return f"`formats: {{{table}: {{{setting}}}}}`"


def _format_problem(
    check: TableCheck, column: str, mask: np.ndarray, message: str, misread: np.ndarray
) -> None:
    """Say that the rows of `mask` are written in another format than the config reads
    (`format_option_needed`). A warning while nothing is misread: those rows are set aside
    or repaired by the rule reading the column. Fatal when values that did parse read
    differently in that format (`misread`: `47.032` is 47.032 to a '.' reader, 47032 in
    a column of decimal commas): the table would be used with wrong values."""
    if not misread.any():
        check.problem("warning", column, "format_option_needed", message, mask)
        return
    example = str(check.frame[column].iloc[int(np.flatnonzero(misread)[0])]).strip()
    message += (
        f": the table cannot be used until then, since {count_rows(int(misread.sum()))} that "
        f"did parse would be misread (e.g. {example!r})"
    )
    check.problem("fatal", column, "format_option_needed", message, mask | misread)


#: how each (decimal, thousands) pair of marks is named in a message
_MARKS = {",": "decimal commas", ".": "'.' decimals"}
_GROUPS = {".": "'.'", ",": "','", " ": "space", "'": "apostrophe"}


def _number_format_hint(
    check: TableCheck, column: str, values: pd.Series, bad: np.ndarray, fmt: TableFormat
) -> None:
    """When `column`'s values that are not numbers read as numbers with other decimal and
    thousands marks, say which config option reads them; fatal when the `values` that did
    parse read otherwise with those marks (`_format_problem`)."""
    live = bad & check.used
    if not live.any():
        return
    found = number_format_hint(check.frame[column][live])
    if found is None:
        return
    (decimal, thousands), fits = found
    mask = np.zeros(check.n, dtype=bool)
    mask[np.flatnonzero(live)[fits]] = True
    # misread: values read now that read otherwise with those marks, unless some value
    # read now does not read with them at all (then the column is mixed, not misread)
    read = values.notna().to_numpy() & check.used
    other = as_number(check.frame[column][read], decimal, thousands)[0].to_numpy()
    misread = np.zeros(check.n, dtype=bool)
    if not np.isnan(other).any():
        misread[read] = ~np.isclose(other, values[read].to_numpy())
    settings = [f'decimal: "{decimal}"'] if decimal != "." or fmt.decimal != "." else []
    if thousands != TableFormat(decimal=decimal).grouping:
        settings.append(f'thousands: "{thousands}"')
    what = _MARKS[decimal] if decimal != "." or not thousands else "digits grouped"
    if thousands:
        what += f" with {_GROUPS[thousands]} thousands separators"
    example = str(check.frame[column].iloc[int(np.flatnonzero(mask)[0])]).strip()
    fix = f"set {_format_option(check.table, ', '.join(settings))} in the config"
    message = (
        f"{count_rows(int(mask.sum()))} have {what} in {check.table}.{column} (e.g. "
        f"{example!r}); {fix}"
    )
    check.format_fixes[column] = fix
    _format_problem(check, column, mask, message, misread)


def _number(check: TableCheck, context: Context, column: str) -> tuple[pd.Series, np.ndarray]:
    """(values, mask of values given but not numbers) of `column`, read with the table's
    decimal and thousands marks; says so when other marks would read those values."""
    fmt = context.fmt
    values, bad = as_number(check.frame[column], fmt.decimal, fmt.grouping)
    _number_format_hint(check, column, values, bad, fmt)
    return values, bad


def _date_order_hint(
    check: TableCheck, column: str, unparsed: np.ndarray, parsed: np.ndarray, dates: str
) -> None:
    """When `column`'s values that did not parse are dates written day/month or
    month/day, say which `dates` option reads them: the order a value proves (a day above
    12), or that none proves it and the client must say (rvq never guesses). Fatal when
    the `parsed` values include such dates read in the configured order (`dates`) while
    the others show another: those were read the wrong way round (`_format_problem`)."""
    live = unparsed & check.used
    if not live.any():
        return
    order, found, examples = date_order_hint(check.frame[column][live])
    if not found.any():
        return
    mask = np.zeros(check.n, dtype=bool)
    mask[np.flatnonzero(live)[found]] = True
    # misread: day/month dates read in the configured order while the others show another,
    # unless a value read proves the configured order (then the column is mixed)
    misread = np.zeros(check.n, dtype=bool)
    if dates in ("day_first", "month_first") and order != dates:
        read = parsed & check.used
        read_order, local, _ = date_order_hint(check.frame[column][read])
        if read_order not in (dates, "both"):
            misread[read] = local
    rows, where = count_rows(int(mask.sum())), f"{check.table}.{column}"
    day, month = (_format_option(check.table, f"dates: {o}") for o in ("day_first", "month_first"))
    if order in ("day_first", "month_first"):
        how = "day/month/year" if order == "day_first" else "month/day/year"
        fix = f"set {day if order == 'day_first' else month} in the config"
        message = (
            f"{rows} have dates written {how} in {where} (e.g. {examples[0]!r} reads no other "
            f"way); {fix}"
        )
    elif order == "both":
        fix = f"fix the export, or set the order most rows use, {day} or {month}"
        message = (
            f"{rows} have dates written day/month/year and others month/day/year in {where} "
            f"(e.g. {examples[0]!r} and {examples[1]!r}): no one order reads them all; {fix}"
        )
    else:
        fix = f"set {day} or {month} in the config"
        message = (
            f"{rows} have dates written day/month or month/day in {where}, and no value shows "
            f"which (e.g. {examples[0]!r}, no number above 12 before the year): rvq does not "
            f"guess; {fix}"
        )
    check.format_fixes[column] = fix
    _format_problem(check, column, mask, message, misread)


def _date_formats(dates: str) -> str:
    """How a message names the date formats read under the table's `dates` setting."""
    named = {"day_first": "day/month/year", "month_first": "month/day/year"}
    iso = "an ISO 8601 date or date-time"
    return iso if dates == "iso" else f"{iso}, or {named.get(dates, repr(dates))}"


def _set_aside_dates(
    check: TableCheck,
    column: str,
    raw: pd.Series,
    when: pd.Series,
    as_of: date,
    what: str,
    dates: str = "iso",
) -> np.ndarray:
    """Set aside the dates after `as_of` (`future_timestamp`), before `earliest_date`
    (`timestamp_out_of_range`), then those that do not parse, after saying which `dates`
    option they call for (`_date_order_hint`); returns the unparsed mask. `raw` is the
    column as ISO text where the table's `dates` setting could rewrite it (`iso_dates`).

    A date too far out for a timestamp to hold (2999-12-31) is judged by its year, so it
    leaves as future or out of range, not as unparseable."""
    unparsed = when.isna().to_numpy()
    year = np.full(len(raw), np.nan)  # read only where needed: a regex over every row is slow
    if unparsed.any():
        year[unparsed] = leading_year(raw[unparsed])
    earliest = earliest_date(as_of)
    future = (when >= pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_numpy() | (
        unparsed & (year > as_of.year)
    )
    check.set_aside(future, column, "future_timestamp", f"dated after the as-of date {as_of}")
    early = (when < earliest).to_numpy() | (unparsed & (year < earliest.year))
    check.set_aside(
        early,
        column,
        "timestamp_out_of_range",
        f"dated before {earliest.date()}, more than {YEARS_BEFORE_AS_OF} years before the "
        f"as-of date (a placeholder date?)",
    )
    unparsed = unparsed & ~future & ~early
    _date_order_hint(check, column, unparsed, when.notna().to_numpy(), dates)
    check.set_aside(unparsed, column, "unparseable_timestamp", what)
    return unparsed


def optional_dates(check: TableCheck, context: Context, column: str) -> pd.Series:
    """A date column that may lie in the future (a contract's end, a planned renewal), as
    timestamps: a date that does not parse becomes missing, with a `repaired` problem."""
    written = iso_dates(check.frame[column], context.fmt.dates)
    when, zones = as_timestamp(written)
    bad = (given(written).notna() & when.isna()).to_numpy() & check.used
    if bad.any():
        check.problem(
            "repaired",
            column,
            "unparseable_date",
            f"{count_rows(int(bad.sum()))} whose {column} does not parse as "
            f"{_date_formats(context.fmt.dates)}: set to missing",
            bad,
        )
    _report_zones(check, column, zones)
    return when


def _dup_values(values: pd.Series, used: np.ndarray) -> np.ndarray:
    if used.all():
        return values.duplicated(keep="first").to_numpy()
    out = np.zeros(len(values), dtype=bool)
    out[used] = values[used].duplicated(keep="first").to_numpy()
    return out


def _listing(pairs) -> str:
    return ", ".join(f"{k!r} ×{v}" for k, v in pairs)


def zones_rule(zones: dict[str, int]) -> tuple[str, str, int] | None:
    """(rule, listing, rows) of the zones seen in a column, None when there is nothing to say."""
    if not zones:
        return None
    utc_names = {"UTC", "Z", "+00:00", "+0000", "+00", "UTC+00:00"}
    if len(zones) == 1 and next(iter(zones)) in utc_names:
        return None
    listing = ", ".join(f"{z} ×{n:,}" for z, n in sorted(zones.items(), key=lambda kv: -kv[1]))
    rule = "mixed_time_zones" if len(zones) > 1 else "time_zone_converted"
    return rule, listing, sum(n for z, n in zones.items() if z != "naive")


def zones_message(column: str, listing: str) -> str:
    """The message of a zone rule for `column`, given the zones' `listing` (`zones_rule`)."""
    return (
        f"{column} values carry time zones ({listing}); all converted to UTC and stored "
        "without a zone (values without a zone are taken as UTC)"
    )


def _report_zones(check: TableCheck, column: str, zones: dict[str, int]) -> None:
    found = zones_rule(zones)
    if found is None:
        return
    rule, listing, rows = found
    check.problem("repaired", column, rule, zones_message(column, listing), rows=rows)


def duplicate_rows_message(event_ids: bool) -> str:
    """What completes "N rows ..." for duplicate events (`event_ids`: the table has them)."""
    if event_ids:
        return (
            "repeating an earlier event_id (or, without an event_id, an identical row); "
            "the first is kept"
        )
    return "identical to an earlier row (no event_id column; the first is kept)"


def unknown_codes_message(seen: Counter) -> str:
    """What completes "N rows ..." for rows whose codes (`seen`, with counts) are unknown."""
    return (
        "whose interaction_code is not in the catalog "
        f"(most frequent: {_listing(seen.most_common(5))})"
    )


def unknown_segments(
    segments: Sequence[str], check: TableCheck, interactions: Collection[str] = ()
) -> list[Problem]:
    """A fatal problem per configured segment that is neither a column of the accounts
    file (as mapped) nor a canonical accounts column (those the file lacks are blank, so
    their question is `insufficient_data`): a mistyped segment would silently vanish."""
    columns = [str(c) for c in check.frame.columns]
    allowed = set(columns) | set(TABLES["accounts"].columns)
    found = []
    for name in dict.fromkeys(segments):
        if name in allowed:
            continue
        close = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        if name in interactions:
            hint += " (it is a column of interactions: segments are account attributes)"
        found.append(
            Problem(
                "accounts",
                check.file,
                None,
                "unknown_segment",
                "fatal",
                f"the config's segment {name!r} is not a column of accounts{hint}; its "
                f"columns are {', '.join(columns)}",
            )
        )
    return found


def _check_accounts(check: TableCheck, context: Context) -> pd.DataFrame:
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
            values, bad = _number(check, context, col)
            if (bad & check.used).any():
                check.problem(
                    "repaired",
                    col,
                    "non_numeric",
                    f"{count_rows(int((bad & check.used).sum()))} whose company_revenue is not a number: set to NaN",
                    bad & check.used,
                )
            out[col] = values
        elif col == "community_role":
            role = norm_label(f[col])
            odd = role.notna().to_numpy() & ~isin(role, COMMUNITY_ROLES) & check.used
            if odd.any():
                seen = Counter(role[odd]).most_common(5)
                check.problem(
                    "repaired",
                    col,
                    "unknown_community_role",
                    f"{count_rows(int(odd.sum()))} with a community_role outside "
                    f"{'/'.join(COMMUNITY_ROLES)} ({_listing(seen)}): set to missing",
                    odd,
                )
            out[col] = role.where(~odd)
        elif col == "contract_end":
            out[col] = optional_dates(check, context, col)
        else:
            out[col] = as_text(f[col])
    for col in spec.optional:
        if col not in out and col not in TRACK_ACCOUNT_COLUMNS:
            out[col] = (
                pd.Series(np.nan, index=f.index, dtype="float64")
                if col == "company_revenue"
                else blank_text(len(f), f.index)
            )
    return pd.DataFrame(out)


def _check_catalog(check: TableCheck, context: Context) -> pd.DataFrame:
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
        label = norm_label(f[col])
        bad = ~isin(label, allowed)
        check.set_aside(
            bad, col, "invalid_value", f"whose {col} is not one of {'/'.join(allowed)}", "fatal"
        )
        out[col] = label
    for col in ("rv", "cost"):
        values, bad = _number(check, context, col)
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


def _check_interactions(check: TableCheck, context: Context) -> pd.DataFrame:
    f, codes, accounts, as_of = check.frame, context.codes, context.accounts, context.as_of
    ids = {c: as_text(f[c]) for c in ID_COLUMNS + ("source_system",) if c in f.columns}
    _missing_values(check, {c: ids[c] for c in ("account_id", "contact_id", "interaction_code")})
    _missing_values(check, {"timestamp": given(f["timestamp"])})
    written = iso_dates(f["timestamp"], context.fmt.dates)
    ts, zones = as_timestamp(written)
    check.zones["timestamp"] = zones or {"naive": int(ts.notna().sum())}
    formats = _date_formats(context.fmt.dates)
    unparsed = _set_aside_dates(
        check,
        "timestamp",
        written,
        ts,
        as_of,
        f"whose timestamp does not parse as {formats}"
        + (" (YYYY-MM-DD[Thh:mm[:ss][±hh:mm]])" if context.fmt.dates == "iso" else ""),
        context.fmt.dates,
    )
    if unparsed.all():
        fix = check.format_fixes.get("timestamp")
        check.problem(
            "fatal",
            "timestamp",
            "all_timestamps_unparseable",
            f"no timestamp in the table parses as {formats}" + (f"; {fix}" if fix else ""),
            unparsed,
        )
    _report_zones(check, "timestamp", zones)

    if codes is not None:
        unknown = ~isin(ids["interaction_code"], codes) & check.used
        if unknown.any():
            seen = Counter(ids["interaction_code"][unknown])
            check.set_aside(
                unknown, "interaction_code", "unknown_interaction_code", unknown_codes_message(seen)
            )
            check.problems[-1].tally = dict(seen)

    if "cost" in f.columns:
        cost, bad = _number(check, context, "cost")
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
    blank = blank_text(len(f), f.index)
    for col in ("rep_id", "team"):
        out[col] = ids.get(col, blank)
    out["cost"] = cost
    out["source_system"] = ids.get("source_system", blank)
    out["event_id"] = ids.get("event_id", blank)
    return pd.DataFrame(out)


def _check_outcomes(check: TableCheck, context: Context) -> pd.DataFrame:
    f, accounts, freq, as_of = check.frame, context.accounts, context.freq, context.as_of
    ids = as_text(f["account_id"])
    _missing_values(check, {"account_id": ids})
    _missing_values(check, {"period": given(f["period"])})
    periods, bad, kinds = as_period(iso_dates(f["period"], context.fmt.dates), freq)
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
    _date_order_hint(check, "period", bad, periods.notna().to_numpy(), context.fmt.dates)
    check.set_aside(
        bad,
        "period",
        "unparseable_period",
        "whose period is not YYYY-MM, YYYY-Qn or a date"
        + ("" if context.fmt.dates == "iso" else f" ({_date_formats(context.fmt.dates)})"),
    )
    future = (periods.dt.start_time > pd.Timestamp(as_of)).to_numpy() & periods.notna().to_numpy()
    check.set_aside(
        future, "period", "future_period", f"for a period starting after the as-of date {as_of}"
    )
    earliest = earliest_date(as_of)
    check.set_aside(
        (periods.dt.end_time < earliest).to_numpy() & periods.notna().to_numpy(),
        "period",
        "period_out_of_range",
        f"for a period ending before {earliest.date()}, more than {YEARS_BEFORE_AS_OF} years "
        "before the as-of date (a placeholder date?)",
    )

    money = {}
    for col in ("revenue", "profit"):
        money[col], bad = _number(check, context, col)
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
            money[col], bad = _number(check, context, col)
            bad &= check.used
            if bad.any():
                check.problem(
                    "repaired",
                    col,
                    "non_numeric",
                    f"{count_rows(int(bad.sum()))} whose {col} is not a number: set to NaN",
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
            f"{count_rows(int(negative.sum()))} with a negative wallet: set to NaN",
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
            f"{count_rows(int(below.sum()))} whose wallet (the customer's total spend) is below "
            "the revenue earned from it",
            below,
        )
    return frame


def _repair_share(check: TableCheck, share: pd.Series) -> pd.Series:
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
            f"{count_rows(int(outside.sum()))} with a share_of_wallet outside 0–1: set to NaN",
            outside,
        )
        share = share.where(~outside)
    return share


def combine_periods(check: TableCheck, frame: pd.DataFrame, freq: str) -> pd.DataFrame:
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
        f"{count_rows(int(dup.sum()))} share an account and {'quarter' if freq == 'Q' else 'month'} "
        f"and were combined into {len(combined):,}: revenue, profit and wallet summed, share of "
        "wallet recomputed as revenue / wallet where both are known, else averaged",
        example_mask,
    )
    order = np.concatenate([np.flatnonzero(~dup), np.flatnonzero(dup)[first]])
    merged = pd.concat([frame[~dup], combined], ignore_index=True)
    merged["_order"] = order
    return merged.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def _check_voc(check: TableCheck, context: Context) -> pd.DataFrame:
    f, accounts, as_of = check.frame, context.accounts, context.as_of
    ids = as_text(f["account_id"])
    _missing_values(check, {"account_id": ids})
    _missing_values(check, {"date": given(f["date"])})
    written = iso_dates(f["date"], context.fmt.dates)
    when, zones = as_timestamp(written)
    _set_aside_dates(
        check,
        "date",
        written,
        when,
        as_of,
        f"whose date does not parse as {_date_formats(context.fmt.dates)}",
        context.fmt.dates,
    )
    _report_zones(check, "date", zones)
    scores = {}
    for col, low, high in (("nps", 0, 10), ("csat", 1, 5)):
        if col not in f.columns:
            scores[col] = pd.Series(np.nan, index=f.index, dtype="float64")
            continue
        scores[col], bad = _number(check, context, col)
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
    contact = as_text(f["contact_id"]) if "contact_id" in f.columns else blank_text(len(f), f.index)
    return pd.DataFrame({"account_id": ids, "contact_id": contact, "date": when, **scores})


#: per table, the function that runs its rules and returns its canonical frame
TABLE_RULES: dict[str, Callable[[TableCheck, Context], pd.DataFrame]] = {
    "accounts": _check_accounts,
    "catalog": _check_catalog,
    "interactions": _check_interactions,
    "outcomes": _check_outcomes,
    "voc": _check_voc,
}
