"""Column parsing for validation, vectorized: text, numbers, timestamps and periods, with
masks of the values given but not parseable, so the rules can say which rows and why.

Timestamps: ISO 8601 dates or date-times; naive values are taken as UTC; values with
offsets are converted to UTC and the offsets dropped (the caller reports it as
``repaired``). Periods: ``YYYY-MM``, ``YYYY-Qn`` (also ``YYYYQn``) or an ISO date, at the
config frequency.
"""

from __future__ import annotations

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


def norm_label(s: pd.Series) -> pd.Series:
    """Enumeration labels compared loosely: 'Inside Sales' == 'inside_sales'."""
    return as_text(s).str.lower().str.replace(r"[\s\-]+", "_", regex=True)


def given(s: pd.Series) -> pd.Series:
    """The column with blanks as missing (text is stripped; other dtypes as they are)."""
    return as_text(s) if _is_textual(s) else s


def blank_text(n: int, index) -> pd.Series:
    """A text column of `n` missing values (for an optional column the table lacks)."""
    return as_text(pd.Series([None] * n, index=index, dtype=object))
