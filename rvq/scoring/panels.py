"""Relationship Value per interaction, per contact and per account and period: the panel.

Every interaction is scored with the RV and the variable cost of its type in the catalog
(the pro forma model); a cost on the interaction row itself overrides the catalog cost.
Summed per account (or contact) and period, the scores become the panel that every later
step works from.

Definitions (one row per entity -- account, or contact -- and period ``t``):

``rv_flow``
    Sum of the RV of the entity's interactions in period ``t`` (zero when none).
``rv_pos`` / ``rv_neg``
    The same sum over positive / negative interactions only (``rv_flow = rv_pos + rv_neg``).
``rv_cum`` -- the relationship depth
    Pure cumulative by default: ``depth_t = depth_{t-1} + flow_t``. With a half-life of
    ``h`` periods (for clients who believe relationships fade without contact):
    ``depth_t = depth_{t-1} * 0.5 ** (1 / h) + flow_t``, so depth left alone halves every
    ``h`` periods. Depth starts at zero before the entity's first interaction.
``rv_velocity``
    Average change in depth per period over the last ``w`` periods (``velocity_window``,
    default 3): ``(depth_t - depth_{t-w}) / w``, with depth zero before the study window.
    Under pure cumulation this is the trailing ``w``-period mean of the flow; with a
    half-life it also shows the fading.
``cost`` / ``rv_per_cost``
    Sum of the variable cost of the period's interactions; ``rv_flow / cost``, NaN when the
    cost is 0 (no interaction, or only free ones).
``breadth`` (accounts only)
    Contacts of the account whose own depth (same definition as ``rv_cum``, per contact)
    was positive -- more than ``BREADTH_TOLERANCE`` RV, so rounding never counts -- after
    their latest interaction up to ``t``. Fading never changes the sign of a depth, so
    only interactions move a contact in or out of the breadth (a long-faded contact
    still counts until negative RV takes it out).
``n_contacts_active`` (accounts only)
    Contacts with at least one interaction in ``t``.
``age``
    Periods since the entity's first interaction (0 in that period); NaN before it.
``rv_stage_<s>`` / ``rv_function_<f>`` / ``rv_aspect_<a>``
    ``rv_flow`` split by the catalog's lifecycle stage, function and value aspect (the
    enumerations of :mod:`rvq.schema`; a catalog value outside them is in no split).
``nps`` / ``csat`` / ``n_surveys``
    Means of the period's Voice-of-Customer answers (NaN when none) and their count.
``revenue`` / ``profit`` / ``wallet`` / ``share_of_wallet`` (accounts only)
    The outcomes at the panel's frequency. Finer outcomes (months in a quarterly panel)
    are summed (revenue, profit, wallet; NaN only when every part is unknown) and
    ``share_of_wallet`` becomes ``revenue / wallet`` when the wallet is known, else the
    mean of the given shares. Coarser outcomes (quarters in a monthly panel) are placed
    in the panel period where they end -- when they are known -- and are NaN elsewhere.

Study window: from the first period with any interaction or outcome to the last (or the
``periods=(first, last)`` given); the grid is complete, entities x periods, and a period
without interactions has zero flow. Entities are the accounts in the interactions or the
outcomes (contacts: the account-contact pairs in the interactions). Interactions before
an explicit first period still count towards depth, breadth and age; those after the
last period are left out. Rows are sorted by entity id, then period.

Three engines compute the same panel (``engine=``): ``"memory"`` (vectorized numpy over
integer-coded ids), ``"duckdb"`` and ``"spark"`` (:mod:`rvq.scoring.engines`, which read Parquet or
CSV files directly). The engines only aggregate interactions; everything from the sums
on (depth, velocity, age, outcomes, VoC) is this module's code, shared by all three.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.signal

from rvq.scoring.columns import (
    ACCOUNT_PANEL_COLUMNS,
    BREADTH_TOLERANCE,
    CONTACT_PANEL_COLUMNS,
    ENGINES,
    FLOW_SUMS,
    FREQS,
    OUTCOME_COLUMNS,
    SPLIT_COLUMNS,
    SPLITS,
    VELOCITY_WINDOW,
    Source,
)

# --- ids, periods and catalog lookups -----------------------------------------------------


def _check_freq(freq: str) -> str:
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {FREQS}, got {freq!r}")
    return freq


def _sorted_codes(values: pd.Series, what: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes 0..k-1 for the ids in ``values``, numbered in sorted id order.

    Integer ids in a compact range are coded by a presence table (no hashing); categorical
    ids reuse their codes; anything else goes through ``pandas.factorize``.
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


def _period_ordinals(timestamps: pd.Series, freq: str) -> np.ndarray:
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
    parsed = [_as_period(value, freq) for value in uniques]
    ordinal = np.array([p.ordinal for p, _ in parsed], dtype=np.int64)
    coarser = np.array([c for _, c in parsed], dtype=bool)
    if (codes < 0).any():
        raise ValueError(f"periods missing in rows {np.flatnonzero(codes < 0)[:5].tolist()}")
    return ordinal[codes], coarser[codes]


def _as_period(value: Any, freq: str) -> tuple[pd.Period, bool]:
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


def _read_source(source: Source, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A frame as given, or read from Parquet / CSV file paths into one frame."""
    if isinstance(source, pd.DataFrame):
        return source
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


def _event_rv_cost(interactions: pd.DataFrame, catalog: pd.DataFrame):
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
    _check_freq(freq)
    events = _read_source(interactions).copy()
    rv, cost, _, where = _event_rv_cost(events, catalog)
    lookup = _catalog_lookup(catalog)
    events["rv"] = rv
    events["cost"] = cost
    for column in ("stage", "function", "value_aspect", "kind"):
        if column in lookup.columns:
            events[column] = lookup[column].to_numpy()[where]
    ordinals = _period_ordinals(events["timestamp"], freq)
    events["period"] = pd.PeriodIndex.from_ordinals(ordinals, freq=freq)
    return events


# --- flows: the per-entity, per-period sums -----------------------------------------------


@dataclass
class Flows:
    """Per entity and period, the sums of the scored interactions, as dense arrays.

    ``entities`` holds the id columns of the ``E`` entities (sorted); every array in
    ``sums`` is ``E x P`` over the consecutive periods ``first .. first + P - 1`` (pandas
    ordinals at ``freq``). ``breadth`` and ``n_contacts_active`` exist for accounts only.
    This is what every engine produces; :func:`_panel_from_flows` finishes the panel.
    """

    entities: pd.DataFrame
    first: int
    n_periods: int
    freq: str
    sums: dict[str, np.ndarray]

    def extend(self, entities: pd.DataFrame, first: int, n_periods: int) -> Flows:
        """The same flows on a larger grid (new entities / periods with zero flow).

        ``entities`` must contain the current ones; breadth carries forward in time.
        """
        keys = list(entities.columns)
        same = entities.reset_index(drop=True).equals(self.entities.reset_index(drop=True))
        if same and first == self.first and n_periods == self.n_periods:
            return self
        rows = pd.MultiIndex.from_frame(entities).get_indexer(
            pd.MultiIndex.from_frame(self.entities[keys])
        )
        if (rows < 0).any():
            raise ValueError("extend: new grid does not contain every entity")
        shift = self.first - first
        if shift < 0 or shift + self.n_periods > n_periods:
            raise ValueError("extend: new grid does not contain every period")
        sums = {}
        for name, values in self.sums.items():
            grown = np.zeros((len(entities), n_periods), dtype=values.dtype)
            grown[rows, shift : shift + self.n_periods] = values
            if name == "breadth" and shift + self.n_periods < n_periods:
                tail = values[:, -1:] if self.n_periods else 0
                grown[rows, shift + self.n_periods :] = tail
            sums[name] = grown
        return Flows(entities.reset_index(drop=True), first, n_periods, self.freq, sums)


def _entity_codes(interactions: pd.DataFrame, level: str):
    """Integer codes of the accounts and of the (account, contact) pairs, sorted by ids."""
    account, accounts = _sorted_codes(interactions["account_id"], "interactions.account_id")
    contact, contacts = _sorted_codes(interactions["contact_id"], "interactions.contact_id")
    n_contacts = len(contacts)
    owner = np.zeros(n_contacts, dtype=np.int64)
    owner[contact] = account
    if np.array_equal(owner[contact], account):  # each contact id belongs to one account
        pair, pair_account, pair_contact = contact, owner, np.arange(n_contacts)
        if level == "contact":  # number the pairs by (account, contact)
            order = np.lexsort((np.arange(n_contacts), owner))
            rank = np.empty_like(order)
            rank[order] = np.arange(n_contacts)
            pair, pair_account, pair_contact = rank[contact], owner[order], order
    else:  # the same contact id under several accounts: pairs are the entities
        key = account * n_contacts + contact
        pair, keys = _sorted_codes(pd.Series(key), "contact pairs")
        keys = keys.to_numpy()
        pair_account, pair_contact = keys // n_contacts, keys % n_contacts
    return account, accounts, pair, pair_account, pair_contact, contacts


def _bincount2d(key: np.ndarray, n_rows: int, n_periods: int, weights=None) -> np.ndarray:
    out = np.bincount(key, weights=weights, minlength=n_rows * n_periods)
    return out.reshape(n_rows, n_periods)


def _split_sums(key, n_rows, n_periods, codes, n_values, rv) -> np.ndarray:
    """RV per (row, period, value): one bincount, values outside the enumeration dropped."""
    bucket = np.where(codes < 0, n_values, codes).astype(np.int64)
    full = np.bincount(
        key * (n_values + 1) + bucket, weights=rv, minlength=n_rows * n_periods * (n_values + 1)
    )
    return full.reshape(n_rows, n_periods, n_values + 1)[:, :, :n_values]


def memory_flows(
    interactions: pd.DataFrame,
    catalog: pd.DataFrame,
    *,
    freq: str,
    level: str = "account",
    half_life: float | None = None,
    last: int | None = None,
) -> Flows:
    """The per-entity, per-period sums in memory: bincounts over integer-coded ids.

    ``last`` (a period ordinal) drops interactions after it. Accounts get ``breadth`` from
    each contact's own depth and ``n_contacts_active`` from a contact x period bitmap.
    """
    ordinals = _period_ordinals(interactions["timestamp"], freq)
    rv, cost, split_codes, _ = _event_rv_cost(interactions, catalog)
    account, accounts, pair, pair_account, pair_contact, contacts = _entity_codes(
        interactions, level
    )
    if last is not None and len(ordinals) and ordinals.max() > last:
        # later interactions leave the sums, their entities stay (with zero flow)
        keep = ordinals <= last
        ordinals, rv, cost, account, pair = (a[keep] for a in (ordinals, rv, cost, account, pair))
        split_codes = {name: codes[keep] for name, codes in split_codes.items()}
    first = int(ordinals.min()) if len(ordinals) else 0
    n_periods = int(ordinals.max()) - first + 1 if len(ordinals) else 0
    period = ordinals - first
    if level == "account":
        entities = pd.DataFrame({"account_id": accounts})
        entity = account
    else:
        entities = pd.DataFrame(
            {"account_id": accounts.take(pair_account), "contact_id": contacts.take(pair_contact)}
        )
        entity = pair
    n_rows = len(entities)
    key = entity * n_periods + period
    sums: dict[str, np.ndarray] = {}
    sums["n_interactions"] = _bincount2d(key, n_rows, n_periods)
    # positive and negative RV in one pass; the flow is their sum
    signed = np.bincount(key * 2 + (rv < 0), weights=rv, minlength=n_rows * n_periods * 2)
    signed = signed.reshape(n_rows, n_periods, 2)
    sums["rv_pos"], sums["rv_neg"] = signed[:, :, 0], signed[:, :, 1]
    sums["rv_flow"] = sums["rv_pos"] + sums["rv_neg"]
    sums["cost"] = _bincount2d(key, n_rows, n_periods, cost)
    for column, prefix, values in SPLITS:
        split = _split_sums(key, n_rows, n_periods, split_codes[column], len(values), rv)
        for i, value in enumerate(values):
            sums[prefix + value] = split[:, :, i]
    if level == "account":
        n_pairs = len(pair_account)
        pair_key = pair * n_periods + period
        contact_flow = _bincount2d(pair_key, n_pairs, n_periods, rv)
        active = np.zeros(n_pairs * n_periods, dtype=bool)
        active[pair_key] = True
        positive = _positive_since_last_interaction(
            _depth(contact_flow, half_life), active.reshape(n_pairs, n_periods)
        )
        owner_key = (pair_account[:, None] * n_periods + np.arange(n_periods)).ravel()
        sums["breadth"] = _bincount2d(owner_key, n_rows, n_periods, positive.ravel()).astype(
            np.int64
        )
        sums["n_contacts_active"] = _bincount2d(owner_key, n_rows, n_periods, active).astype(
            np.int64
        )
    return Flows(entities, first, n_periods, freq, sums)


def _positive_since_last_interaction(depth: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Per contact and period: was the depth positive after the latest interaction so far?"""
    columns = np.arange(depth.shape[1])
    latest = np.maximum.accumulate(np.where(active, columns, -1), axis=1)
    positive = (depth > BREADTH_TOLERANCE) & active
    carried = np.take_along_axis(positive, np.maximum(latest, 0), axis=1)
    return carried & (latest >= 0)


def flows_from_sparse(
    sparse: pd.DataFrame, *, freq: str, level: str = "account", last: int | None = None
) -> Flows:
    """Dense :class:`Flows` from an engine's sparse rows (one per entity and active period).

    ``sparse`` has the id columns, ``period_ordinal``, the sums of :data:`FLOW_SUMS` and
    :data:`SPLIT_COLUMNS`, and for accounts ``n_contacts_active`` and ``breadth_delta`` (the
    change in the number of positive contacts, which only happens in active periods).
    """
    keys = ["account_id"] if level == "account" else ["account_id", "contact_id"]
    if level == "account":
        _, accounts = _sorted_codes(sparse["account_id"], "account_id")
        entities = pd.DataFrame({"account_id": accounts})
    else:
        entities = sparse[keys].drop_duplicates().sort_values(keys, ignore_index=True)
    if last is not None:  # later interactions leave the sums, their entities stay
        sparse = sparse.loc[sparse["period_ordinal"] <= last]
    row = _entity_rows(entities, sparse, keys)
    ordinals = sparse["period_ordinal"].to_numpy(dtype=np.int64)
    first = int(ordinals.min()) if len(ordinals) else 0
    n_periods = int(ordinals.max()) - first + 1 if len(ordinals) else 0
    column = ordinals - first
    sums: dict[str, np.ndarray] = {}
    names = list(FLOW_SUMS) + list(SPLIT_COLUMNS)
    if level == "account":
        names += ["n_contacts_active", "breadth_delta"]
    for name in names:
        integer = name in ("n_interactions", "n_contacts_active", "breadth_delta")
        dense = np.zeros((len(entities), n_periods), dtype=np.int64 if integer else np.float64)
        dense[row, column] = sparse[name].to_numpy(dtype=dense.dtype, na_value=0)
        sums[name] = dense
    if level == "account":
        sums["breadth"] = np.cumsum(sums.pop("breadth_delta"), axis=1)
    return Flows(entities, first, n_periods, freq, sums)


# --- from flows to the panel --------------------------------------------------------------


def _depth(flow: np.ndarray, half_life: float | None) -> np.ndarray:
    """Relationship depth along periods (axis 1): cumulative, or fading with a half-life."""
    if half_life is None:
        return np.cumsum(flow, axis=1)
    if half_life <= 0:
        raise ValueError(f"half_life must be positive, got {half_life}")
    keep = 0.5 ** (1.0 / half_life)
    if flow.shape[1] == 0:
        return flow.astype(np.float64)
    return scipy.signal.lfilter([1.0], [1.0, -keep], flow, axis=1)


def _velocity(depth: np.ndarray, window: int) -> np.ndarray:
    if window < 1:
        raise ValueError(f"velocity_window must be >= 1, got {window}")
    before = np.zeros_like(depth)
    before[:, window:] = depth[:, :-window]
    return (depth - before) / window


def _age(n_interactions: np.ndarray) -> np.ndarray:
    """Periods since the first period with an interaction; NaN before it (and if none)."""
    active = n_interactions > 0
    first = np.where(active.any(axis=1), active.argmax(axis=1), n_interactions.shape[1])
    age = np.arange(n_interactions.shape[1])[None, :] - first[:, None]
    return np.where(age >= 0, age, np.nan)


def _entity_rows(entities: pd.DataFrame, frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Row of each ``frame`` record's entity in ``entities`` (-1 when not there)."""
    if len(keys) == 1:
        return pd.Index(entities[keys[0]]).get_indexer(frame[keys[0]])
    return pd.MultiIndex.from_frame(entities[keys]).get_indexer(
        pd.MultiIndex.from_frame(frame[keys])
    )


def _grouped_mean(key, values, size) -> np.ndarray:
    known = ~np.isnan(values)
    total = np.bincount(key[known], weights=values[known], minlength=size)
    count = np.bincount(key[known], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _grouped_sum(key, values, size) -> np.ndarray:
    """Sum per key; NaN where every value is unknown (pandas ``min_count=1``)."""
    known = ~np.isnan(values)
    total = np.bincount(key[known], weights=values[known], minlength=size)
    count = np.bincount(key[known], minlength=size)
    return np.where(count > 0, total, np.nan)


def _voc_arrays(voc, flows: Flows, keys: list[str]) -> dict[str, np.ndarray]:
    shape = (len(flows.entities), flows.n_periods)
    out = {
        "nps": np.full(shape, np.nan),
        "csat": np.full(shape, np.nan),
        "n_surveys": np.zeros(shape, dtype=np.int64),
    }
    if voc is None or len(voc) == 0 or not set(keys) <= set(voc.columns):
        return out
    voc = voc.loc[voc[keys].notna().all(axis=1)]
    row = _entity_rows(flows.entities, voc, keys)
    column = _period_ordinals(voc["date"], flows.freq) - flows.first
    inside = (row >= 0) & (column >= 0) & (column < flows.n_periods)
    key = row[inside] * flows.n_periods + column[inside]
    size = shape[0] * shape[1]
    for name in ("nps", "csat"):
        if name in voc.columns:
            values = pd.to_numeric(voc[name]).to_numpy(dtype=np.float64, na_value=np.nan)
            out[name] = _grouped_mean(key, values[inside], size).reshape(shape)
    out["n_surveys"] = np.bincount(key, minlength=size).reshape(shape)
    return out


def _outcome_arrays(outcomes, flows: Flows) -> dict[str, np.ndarray]:
    shape = (len(flows.entities), flows.n_periods)
    out = {name: np.full(shape, np.nan) for name in OUTCOME_COLUMNS}
    if outcomes is None or len(outcomes) == 0:
        return out
    row = _entity_rows(flows.entities, outcomes, ["account_id"])
    ordinals, _ = periods_to_ordinals(outcomes["period"], flows.freq)
    column = ordinals - flows.first
    inside = (row >= 0) & (column >= 0) & (column < flows.n_periods)
    key = row[inside] * flows.n_periods + column[inside]
    size = shape[0] * shape[1]

    def values(name):
        if name not in outcomes.columns:
            return np.full(int(inside.sum()), np.nan)
        series = pd.to_numeric(outcomes[name])
        return series.to_numpy(dtype=np.float64, na_value=np.nan)[inside]

    for name in ("revenue", "profit", "wallet"):
        out[name] = _grouped_sum(key, values(name), size).reshape(shape)
    given_share = _grouped_mean(key, values("share_of_wallet"), size).reshape(shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        from_wallet = out["revenue"] / out["wallet"]
    wallet_known = np.isfinite(from_wallet) & (out["wallet"] > 0)
    out["share_of_wallet"] = np.where(wallet_known, from_wallet, given_share)
    return out


def _panel_from_flows(
    flows: Flows,
    *,
    level: str,
    half_life: float | None,
    velocity_window: int,
    start: int,
    outcomes: pd.DataFrame | None = None,
    voc: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The finished panel: depth, velocity, age, costs, VoC and outcomes, from periods >= start."""
    sums = flows.sums
    depth = _depth(sums["rv_flow"], half_life)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        per_cost = np.where(sums["cost"] != 0, sums["rv_flow"] / sums["cost"], np.nan)
    keys = ["account_id"] if level == "account" else ["account_id", "contact_id"]
    columns: dict[str, np.ndarray] = {
        "age": _age(sums["n_interactions"]),
        "rv_flow": sums["rv_flow"],
        "rv_cum": depth,
        "rv_velocity": _velocity(depth, velocity_window),
        "rv_pos": sums["rv_pos"],
        "rv_neg": sums["rv_neg"],
        "n_interactions": sums["n_interactions"],
        "cost": sums["cost"],
        "rv_per_cost": per_cost,
    }
    if level == "account":
        columns["breadth"] = sums["breadth"]
        columns["n_contacts_active"] = sums["n_contacts_active"]
    columns.update({name: sums[name] for name in SPLIT_COLUMNS})
    columns.update(_voc_arrays(voc, flows, keys))
    if level == "account":
        columns.update(_outcome_arrays(outcomes, flows))

    skip = start - flows.first
    n_periods = flows.n_periods - skip
    n_entities = len(flows.entities)
    data: dict[str, Any] = {}
    for key in keys:
        ids = pd.Index(flows.entities[key])
        data[key] = ids.repeat(n_periods) if n_entities else ids[:0]
    ordinals = np.tile(np.arange(start, start + n_periods, dtype=np.int64), n_entities)
    data["period"] = pd.PeriodIndex.from_ordinals(ordinals, freq=flows.freq)
    data["period_index"] = np.tile(np.arange(n_periods, dtype=np.int64), n_entities)
    for name, values in columns.items():
        data[name] = np.ascontiguousarray(values[:, skip:]).ravel()
    data["n_interactions"] = data["n_interactions"].astype(np.int64)
    order = ACCOUNT_PANEL_COLUMNS if level == "account" else CONTACT_PANEL_COLUMNS
    return pd.DataFrame({name: data[name] for name in order}, copy=False)


# --- the public panels --------------------------------------------------------------------


def _window(
    flows_first: int | None,
    flows_last: int | None,
    outcome_ordinals: np.ndarray,
    periods: tuple[Any, Any] | None,
    freq: str,
) -> tuple[int, int, int]:
    """(first computed period, first panel period, last panel period) as ordinals."""
    lows = [flows_first] if flows_first is not None else []
    highs = [flows_last] if flows_last is not None else []
    if len(outcome_ordinals):
        lows.append(int(outcome_ordinals.min()))
        highs.append(int(outcome_ordinals.max()))
    if periods is not None:
        first, last = (_as_period(p, freq)[0].ordinal for p in periods)
        if last < first:
            raise ValueError(f"periods: last {periods[1]} is before first {periods[0]}")
        return min([first, *lows]), first, last
    if not lows:
        raise ValueError("no interactions and no outcomes: the study window is empty")
    return min(lows), min(lows), max(highs)


def _flows(
    interactions: Source,
    catalog: pd.DataFrame,
    *,
    freq: str,
    level: str,
    half_life: float | None,
    last: int | None,
    engine: str,
    engine_options: Mapping[str, Any] | None,
) -> Flows:
    if engine == "memory":
        frame = _read_source(interactions)
        return memory_flows(frame, catalog, freq=freq, level=level, half_life=half_life, last=last)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    from rvq.scoring import engines

    sparse = engines.sparse_flows(
        interactions,
        catalog,
        freq=freq,
        level=level,
        half_life=half_life,
        engine=engine,
        **dict(engine_options or {}),
    )
    return flows_from_sparse(sparse, freq=freq, level=level, last=last)


def _panel(
    interactions,
    catalog,
    outcomes,
    voc,
    *,
    level,
    freq,
    half_life,
    periods,
    engine,
    velocity_window,
    engine_options,
) -> pd.DataFrame:
    _check_freq(freq)
    last = None
    if periods is not None:
        last = _as_period(periods[1], freq)[0].ordinal
    flows = _flows(
        interactions,
        catalog,
        freq=freq,
        level=level,
        half_life=half_life,
        last=last,
        engine=engine,
        engine_options=engine_options,
    )
    outcome_ordinals = np.zeros(0, dtype=np.int64)
    entities = flows.entities
    if outcomes is not None and len(outcomes):
        outcome_ordinals, _ = periods_to_ordinals(outcomes["period"], freq)
        known = pd.Index(entities["account_id"])
        extra = pd.Index(outcomes["account_id"].unique()).difference(known)
        if len(extra):
            ids = known.append(extra).sort_values()
            entities = pd.DataFrame({"account_id": ids})
    has_flows = flows.n_periods > 0
    flows_first = flows.first if has_flows else None
    flows_last = flows.first + flows.n_periods - 1 if has_flows else None
    computed_first, start, end = _window(flows_first, flows_last, outcome_ordinals, periods, freq)
    flows = flows.extend(entities, computed_first, end - computed_first + 1)
    return _panel_from_flows(
        flows,
        level=level,
        half_life=half_life,
        velocity_window=velocity_window,
        start=start,
        outcomes=outcomes,
        voc=voc,
    )


def account_period_panel(
    interactions: Source,
    catalog: pd.DataFrame,
    outcomes: pd.DataFrame | None = None,
    voc: pd.DataFrame | None = None,
    *,
    freq: str = "Q",
    half_life: float | None = None,
    periods: tuple[Any, Any] | None = None,
    engine: str = "memory",
    velocity_window: int = VELOCITY_WINDOW,
    engine_options: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The account x period panel (columns :data:`ACCOUNT_PANEL_COLUMNS`; see the module doc).

    ``interactions`` is a frame, or (any engine) Parquet / CSV file paths; ``outcomes`` and
    ``voc`` are frames. ``periods=(first, last)`` fixes the study window (Periods or text
    such as ``"2024-Q1"``). ``engine`` is ``"memory"``, ``"duckdb"`` or ``"spark"``;
    ``engine_options`` go to :func:`rvq.scoring.engines.sparse_flows` (e.g. ``memory_limit``).
    """
    return _panel(
        interactions,
        catalog,
        outcomes,
        voc,
        level="account",
        freq=freq,
        half_life=half_life,
        periods=periods,
        engine=engine,
        velocity_window=velocity_window,
        engine_options=engine_options,
    )


def contact_period_panel(
    interactions: Source,
    catalog: pd.DataFrame,
    voc: pd.DataFrame | None = None,
    *,
    freq: str = "Q",
    half_life: float | None = None,
    periods: tuple[Any, Any] | None = None,
    engine: str = "memory",
    velocity_window: int = VELOCITY_WINDOW,
    engine_options: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The contact x period panel (columns :data:`CONTACT_PANEL_COLUMNS`).

    One row per (account, contact) pair in the interactions and period of the window (the
    first to the last period with an interaction, or ``periods``); the same definitions as
    the account panel, per contact. VoC answers count when they name the contact.
    """
    return _panel(
        interactions,
        catalog,
        None,
        voc,
        level="contact",
        freq=freq,
        half_life=half_life,
        periods=periods,
        engine=engine,
        velocity_window=velocity_window,
        engine_options=engine_options,
    )


def panel_from_dataset(dataset: Any, *, level: str = "account", **options: Any) -> pd.DataFrame:
    """The panel of a validated ``rvq.inputs.dataset.Dataset``: freq, half-life and engine from its config.

    The engines score the dataset's validated interactions (so every engine sees the same
    rows); to score files larger than memory call :func:`account_period_panel` with their
    paths and ``engine="duckdb"``. ``options`` override the config's settings.
    """
    config = dataset.config
    settings: dict[str, Any] = {
        "freq": getattr(config, "freq", "Q"),
        "half_life": getattr(config, "half_life", None),
        "engine": getattr(config, "engine", "memory"),
    }
    settings.update(options)
    if level == "account":
        return account_period_panel(
            dataset.interactions, dataset.catalog, dataset.outcomes, dataset.voc, **settings
        )
    if level == "contact":
        return contact_period_panel(dataset.interactions, dataset.catalog, dataset.voc, **settings)
    raise ValueError(f"level must be 'account' or 'contact', got {level!r}")
