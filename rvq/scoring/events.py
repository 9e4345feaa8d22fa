"""Scoring of single interactions: each interaction's RV, effective cost, catalog attributes
and period (:func:`score_events`), and the pieces every sum over interactions starts from --
integer codes for ids (:func:`sorted_codes`), period ordinals (:func:`period_ordinals`,
:func:`periods_to_ordinals`) and catalog lookups (:func:`event_rv_cost`).

RV and cost come from the interaction's type in the catalog (the pro forma model); a cost on
the interaction row itself overrides the catalog cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rvq.scoring.columns import FREQS, SPLITS, Source, WarehouseTable

# --- ids, periods and catalog lookups -----------------------------------------------------


def check_freq(freq: str) -> str:
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {FREQS}, got {freq!r}")
    return freq


def sorted_codes(values: pd.Series, what: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes 0..k-1 for the ids in ``values``, numbered in sorted id order.

    Integer ids in a compact range are coded by a presence table (no hashing); categorical
    ids -- a Dataset's text ids (``rvq.inputs.dataset.dictionary_encoded``) -- reuse their
    codes; anything else (text not encoded) is hashed by ``pandas.factorize``.
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), pd.Index(values.unique())
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        raw = values.cat.codes.to_numpy().astype(np.int64)
        uniques = values.cat.categories
    elif dtype.kind in "iu":
        ints = values.to_numpy()
        lo, hi = int(ints.min()), int(ints.max())
        if hi - lo <= 4 * len(ints) + 1_000_000:
            shifted = ints - lo
            present = np.bincount(shifted, minlength=hi - lo + 1) > 0
            remap = np.cumsum(present) - 1
            return remap[shifted], pd.Index(np.flatnonzero(present) + lo, dtype=dtype)
        raw, uniques = pd.factorize(values, sort=False)
    else:
        raw, uniques = pd.factorize(values, sort=False)
        uniques = pd.Index(uniques)
    if (raw < 0).any():
        rows = np.flatnonzero(raw < 0)[:5].tolist()
        raise ValueError(f"{what}: missing ids in rows {rows}")
    used = np.bincount(raw, minlength=len(uniques)) > 0
    kept = np.flatnonzero(used)
    uniques = pd.Index(uniques[kept])
    order = uniques.argsort()
    remap = np.full(len(used), -1, dtype=np.int64)
    remap[kept[order]] = np.arange(len(kept))
    return remap[raw], uniques[order]


def period_ordinals(timestamps: pd.Series, freq: str) -> np.ndarray:
    """Each timestamp's pandas Period ordinal at ``freq`` (months or quarters since 1970)."""
    if not pd.api.types.is_datetime64_any_dtype(timestamps.dtype):
        timestamps = pd.to_datetime(timestamps)
    if getattr(timestamps.dt, "tz", None) is not None:
        timestamps = timestamps.dt.tz_convert("UTC").dt.tz_localize(None)
    values = timestamps.to_numpy()
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    if np.isnat(values).any():
        raise ValueError(f"timestamps missing in rows {np.flatnonzero(np.isnat(values))[:5]}")
    unit, count = np.datetime_data(values.dtype)
    per_day = np.timedelta64(1, "D") // np.timedelta64(count, unit)
    days = values.view(np.int64) // per_day
    first = int(days.min())
    # months of the (few) distinct days, then a lookup: far cheaper than a calendar per row
    span = np.arange(first, int(days.max()) + 1).astype("datetime64[D]")
    months = span.astype("datetime64[M]").astype(np.int64)
    table = months if freq == "M" else months // 3
    return table[days - first]


def periods_to_ordinals(periods: pd.Series | Sequence, freq: str) -> tuple[np.ndarray, np.ndarray]:
    """Ordinals at ``freq`` of outcome periods given as Periods, dates or text.

    Returns the ordinals and, per value, whether it was coarser than ``freq`` (a quarter in
    a monthly panel): a coarser period maps to the panel period where it ends.
    """
    values = pd.Series(periods)
    codes, uniques = pd.factorize(values, sort=False)
    parsed = [as_period(value, freq) for value in uniques]
    ordinal = np.array([p.ordinal for p, _ in parsed], dtype=np.int64)
    coarser = np.array([c for _, c in parsed], dtype=bool)
    if (codes < 0).any():
        raise ValueError(f"periods missing in rows {np.flatnonzero(codes < 0)[:5].tolist()}")
    return ordinal[codes], coarser[codes]


def as_period(value: Any, freq: str) -> tuple[pd.Period, bool]:
    if isinstance(value, pd.Period):
        period = value
    elif isinstance(value, str):
        period = pd.Period(value.strip())
    else:
        period = pd.Timestamp(value).to_period("D")
    start, end = period.asfreq(freq, how="start"), period.asfreq(freq, how="end")
    return end, start != end


@dataclass
class _CatalogArrays:
    """The catalog as arrays aligned to a set of interaction codes."""

    rv: np.ndarray
    cost: np.ndarray
    split_codes: dict[str, np.ndarray]  # catalog column -> position in its enumeration, -1
    row: np.ndarray  # the catalog row of each code


def _catalog_lookup(catalog: pd.DataFrame) -> pd.DataFrame:
    codes = catalog["interaction_code"]
    if codes.duplicated().any():
        dup = codes[codes.duplicated()].unique()[:5].tolist()
        raise ValueError(f"catalog: duplicated interaction codes {dup}")
    return catalog.set_index(pd.Index(codes.astype(str), name="interaction_code"))


def _catalog_arrays(catalog: pd.DataFrame, codes: pd.Series) -> tuple[np.ndarray, _CatalogArrays]:
    """Per interaction: the position of its code in the catalog, plus the catalog as arrays."""
    lookup = _catalog_lookup(catalog)
    if isinstance(codes.dtype, pd.CategoricalDtype):
        raw, uniques = codes.cat.codes.to_numpy(), codes.cat.categories
    else:
        raw, uniques = pd.factorize(codes, sort=False)
    where = lookup.index.get_indexer(pd.Index(uniques).astype(str))
    unknown = (raw < 0) | (where[raw] < 0)
    if unknown.any():
        examples = pd.Series(codes.to_numpy()[unknown]).astype(str).unique()[:5].tolist()
        raise ValueError(
            f"interactions: {int(unknown.sum())} rows with interaction codes not in the "
            f"catalog, e.g. {examples}"
        )
    splits = {}
    for column, _, allowed in SPLITS:
        if column in lookup.columns:
            found = pd.Index(allowed).get_indexer(lookup[column].astype(str))
        else:
            found = np.full(len(lookup), -1)
        splits[column] = found[where].astype(np.int8)
    arrays = _CatalogArrays(
        rv=lookup["rv"].to_numpy(dtype=np.float64)[where],
        cost=lookup["cost"].to_numpy(dtype=np.float64)[where],
        split_codes=splits,
        row=where,
    )
    return raw, arrays


# --- scored events ------------------------------------------------------------------------


def read_source(source: Source) -> pd.DataFrame:
    """A frame as given, or read from Parquet / CSV file paths into one frame."""
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, WarehouseTable):
        raise ValueError(
            f"the warehouse table {source} is scored where it lives: use engine 'spark' "
            "or 'duckdb' (the memory engine reads frames and files)"
        )
    paths = [source] if isinstance(source, str | Path) else list(source)
    frames = []
    for path in map(Path, paths):
        if path.suffix == ".parquet" or path.is_dir():
            frames.append(pd.read_parquet(path))
        else:
            frames.append(pd.read_csv(path, dtype={"account_id": str, "contact_id": str}))
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if "timestamp" in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame.timestamp):
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601")
    return frame


def event_rv_cost(interactions: pd.DataFrame, catalog: pd.DataFrame):
    """RV and effective cost per interaction (row cost overrides the catalog's)."""
    raw, cat = _catalog_arrays(catalog, interactions["interaction_code"])
    rv = cat.rv[raw]
    cost = cat.cost[raw]
    if "cost" in interactions.columns:
        row_cost = pd.to_numeric(interactions["cost"]).to_numpy(dtype=np.float64, na_value=np.nan)
        cost = np.where(np.isnan(row_cost), cost, row_cost)
    splits = {column: codes[raw] for column, codes in cat.split_codes.items()}
    return rv, cost, splits, cat.row[raw]


def score_events(
    interactions: pd.DataFrame | Source, catalog: pd.DataFrame, *, freq: str = "Q"
) -> pd.DataFrame:
    """Each interaction with its RV, effective cost, catalog attributes and period.

    Adds ``rv``, ``cost`` (the row's own cost where given, else the catalog's), ``stage``,
    ``function``, ``value_aspect``, ``kind`` and ``period`` (a pandas Period at ``freq``).
    An interaction code missing from the catalog is an error naming examples.
    """
    check_freq(freq)
    events = read_source(interactions).copy()
    rv, cost, _, where = event_rv_cost(events, catalog)
    lookup = _catalog_lookup(catalog)
    events["rv"] = rv
    events["cost"] = cost
    for column in ("stage", "function", "value_aspect", "kind"):
        if column in lookup.columns:
            events[column] = lookup[column].to_numpy()[where]
    ordinals = period_ordinals(events["timestamp"], freq)
    events["period"] = pd.PeriodIndex.from_ordinals(ordinals, freq=freq)
    return events
