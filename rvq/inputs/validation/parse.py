"""Column parsing for validation, vectorized: text, numbers, timestamps and periods, with
masks of the values given but not parseable, so the rules can say which rows and why.

Numbers: '.' decimals, or a table's own marks (`decimal`, `thousands`: 1.234,56).
Timestamps: ISO 8601 dates or date-times, or a table's own date order (`dates`:
day_first, month_first or a strftime format) rewritten to ISO first; naive values are
taken as UTC; values with offsets are converted to UTC and the offsets dropped (the caller
reports it as ``repaired``). Periods: ``YYYY-MM``, ``YYYY-Qn`` (also ``YYYYQn``) or a date,
at the config frequency. `number_format_hint` and `date_order_hint` say which option a
column's unparsed values call for.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


#: the spaces a thousands mark of ' ' also stands for (no-break and narrow no-break space)
_SPACES = " \u00a0\u202f"


def _grouping_class(mark: str) -> str:
    return f"[{_SPACES}]" if mark == " " else re.escape(mark)


def _dot_decimals(text: pd.Series, decimal: str, thousands: str) -> pd.Series:
    """Numbers written with the `decimal` and `thousands` marks as '.'-decimal text. A
    value that does not fit them (`1.5` when the decimal mark is ',', `12.34.5`) becomes
    text no number parses from, so it is reported as not a number, never misread."""
    group = _grouping_class(thousands) if thousands else None
    whole = rf"(?:\d{{1,3}}(?:{group}\d{{3}})+|\d+)" if group else r"\d+"
    fits = text.str.fullmatch(
        rf"[-+]?(?:{whole}(?:{re.escape(decimal)}\d*)?|{re.escape(decimal)}\d+)"
    )
    fits = fits.fillna(False).astype(bool)
    out = text
    if group:
        out = out.str.replace(group, "", regex=True)
    if decimal != ".":
        out = out.str.replace(decimal, ".", regex=False)
    return out.where(fits | text.isna(), "not a number")


def as_number(
    s: pd.Series, decimal: str = ".", thousands: str = ""
) -> tuple[pd.Series, np.ndarray]:
    """(float values, mask of values given but not numbers — text, or ±inf).

    Text is read with the `decimal` mark and the `thousands` grouping mark ('' none)."""
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        values = s.astype("float64")
        bad = np.isinf(values.to_numpy(dtype="float64", na_value=np.nan))
    else:
        text = as_text(s)
        if (decimal, thousands) != (".", ""):
            text = _dot_decimals(text, decimal, thousands)
        values = _arrow_cast(text, pa.float64())
        if values is None:  # some value is not a number: find which
            values = pd.to_numeric(text, errors="coerce").astype("float64")
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        bad = (text.notna().to_numpy() & np.isnan(arr)) | np.isinf(arr)
    values = values.where(~bad)
    return values.astype("float64"), np.asarray(bad, dtype=bool)


#: the (decimal, thousands) marks `number_format_hint` tries, the likelier first on a tie
NUMBER_MARKS = ((",", "."), (".", ","), (",", " "), (".", " "), (",", "'"), (".", "'"), (".", ""))


def number_format_hint(values: pd.Series) -> tuple[tuple[str, str], np.ndarray] | None:
    """The (decimal, thousands) marks under which most of `values` (text that did not
    parse as numbers) read as numbers, and the mask of those; None when no marks read any.
    `12,5` and `1.234,56` call for (",", "."), `1,234,567.8` for (".", ",")."""
    text = as_text(values)
    best, most = None, 0
    for decimal, thousands in NUMBER_MARKS:
        fits = _dot_decimals(text, decimal, thousands)
        parsed = pd.to_numeric(fits, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        ok = np.isfinite(parsed)
        if ok.sum() > most:
            best, most = ((decimal, thousands), ok), int(ok.sum())
    return best


#: a date written with its day and month as numbers before a four-digit year (31/01/2022,
#: 1.2.2022, 01-31-2022 1:45 PM): `a` and `b` are day and month in an order the values
#: or the config must tell
LOCAL_DATE = (
    r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?\s*(?P<p>[AaPp][Mm])?)?$"
)


def _local_dates(text: pd.Series) -> pd.DataFrame:
    """`LOCAL_DATE`'s parts of each value (NaN where a value is not such a date)."""
    return text.str.extract(LOCAL_DATE)


def iso_dates(s: pd.Series, dates: str = "iso") -> pd.Series:
    """A column's dates rewritten as ISO 8601 text by the table's `dates` setting:
    day_first / month_first read `LOCAL_DATE` values in that order (a 12-hour time with
    AM/PM too); a strftime format reads the values it fits. Other values, and any column
    under "iso" or not text, are returned as they are (ISO values then parse, the rest
    are reported unparseable)."""
    if dates == "iso" or not _is_textual(s):
        return s
    text = as_text(s)
    out = text.astype(object)
    if dates in ("day_first", "month_first"):
        parts = _local_dates(text)
        found = parts["y"].notna().to_numpy()
        if not found.any():
            return out
        p = parts[found]
        day, month = (p["a"], p["b"]) if dates == "day_first" else (p["b"], p["a"])
        iso = p["y"] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
        hour = pd.to_numeric(p["H"], errors="coerce")
        pm = p["p"].str.lower().eq("pm").fillna(False).astype(bool)
        twelve = p["p"].notna()
        hour = hour.where(~twelve, hour % 12 + 12 * pm)
        timed = hour.notna()
        clock = (
            hour.fillna(0).astype(int).astype(str).str.zfill(2)
            + ":" + p["M"].fillna("00") + ":" + p["S"].fillna("00")
        )  # fmt: skip
        out[found] = iso.where(~timed, iso + "T" + clock).to_numpy()
        return out
    utc = "%z" in dates or "%Z" in dates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text, format=dates, errors="coerce", utc=utc)
    if utc:
        parsed = parsed.dt.tz_localize(None)
    ok = parsed.notna().to_numpy()
    out[ok] = parsed[ok].dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy()
    return out


def date_order_hint(values: pd.Series) -> tuple[str | None, np.ndarray, list[str]]:
    """What the day/month dates among `values` (text that did not parse) show of their
    order: ("day_first" or "month_first" when some value proves one order and none the
    other, "both" when values prove each, None when none proves either), the mask of the
    day/month dates, and up to two example values (a proving one first)."""
    text = as_text(values)
    parts = _local_dates(text)
    a = pd.to_numeric(parts["a"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    b = pd.to_numeric(parts["b"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    # a date in at least one order (31/31/2022 is none: not a day/month date at all)
    found = (a >= 1) & (b >= 1) & (((a <= 31) & (b <= 12)) | ((a <= 12) & (b <= 31)))
    day_first = found & (a > 12) & (b <= 12)
    month_first = found & (b > 12) & (a <= 12)
    order = None
    if day_first.any() and month_first.any():
        order = "both"
    elif day_first.any() or month_first.any():
        order = "day_first" if day_first.any() else "month_first"
    shown = [m for m in (day_first, month_first, found) if m.any()]
    examples = list(dict.fromkeys(str(text.iloc[np.flatnonzero(m)[0]]) for m in shown))[:2]
    return order, found, examples


def nanosecond_times(s: pd.Series) -> pd.Series:
    """Datetimes at nanosecond resolution; values it cannot hold (before 1677 or after
    2262, e.g. a placeholder 2999-12-31) become missing instead of failing the column:
    `leading_year` lets the rules say why they are missing."""
    if s.dtype != "datetime64[ns]":
        s = s.where((s >= pd.Timestamp.min) & (s <= pd.Timestamp.max))
    return s.astype("datetime64[ns]")


def leading_year(s: pd.Series) -> np.ndarray:
    """The year a text value starts with (``YYYY-``), NaN when it starts with none: the
    year of a date too far out for a timestamp to hold."""
    if not _is_textual(s):
        return np.full(len(s), np.nan)
    year = as_text(s).str.extract(r"^(\d{4})-", expand=False)
    return pd.to_numeric(year, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


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
        return nanosecond_times(s.dt.tz_convert("UTC").dt.tz_localize(None)), {
            zone: int(s.notna().sum())
        }
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return nanosecond_times(s), {}
    text = as_text(s)  # numbers are not timestamps: as text they fail to parse, and say so
    fast = _arrow_cast(text, pa.timestamp("ns"))  # every value a zone-less ISO 8601 time
    if fast is not None:
        return nanosecond_times(fast), {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # the common case, one fast pass: no value carries a zone
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):
            parsed = None
    if parsed is not None and pd.api.types.is_datetime64_dtype(parsed.dtype):
        return nanosecond_times(parsed), {}
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
    parsed = nanosecond_times(naive).where(~aware, nanosecond_times(zoned.dt.tz_localize(None)))
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


def norm_label(s: pd.Series) -> pd.Series:
    """Enumeration labels compared loosely: 'Inside Sales' == 'inside_sales'."""
    return as_text(s).str.lower().str.replace(r"[\s\-]+", "_", regex=True)


def given(s: pd.Series) -> pd.Series:
    """The column with blanks as missing (text is stripped; other dtypes as they are)."""
    return as_text(s) if _is_textual(s) else s


def blank_text(n: int, index) -> pd.Series:
    """A text column of `n` missing values (for an optional column the table lacks)."""
    return as_text(pd.Series([None] * n, index=index, dtype=object))
