"""Relationship Value per contact and per account and period: the panel.

The scored interactions (:mod:`rvq.scoring.events`), summed per account (or contact) and
period by an engine (:mod:`rvq.scoring.engines`), become the panel that every later step
works from.

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

The engines registered in :data:`rvq.scoring.engines.ENGINES` compute the same panel
(``engine=``): ``"memory"`` (vectorized numpy over integer-coded ids), ``"duckdb"`` and
``"spark"`` (which read Parquet or CSV files directly), and any engine registered there.
The engines only aggregate interactions (:class:`rvq.scoring.flows.Flows`); everything
from the sums on (depth, velocity, age, outcomes, VoC) is this module's code, shared by all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from rvq.scoring.columns import (
    ACCOUNT_PANEL_COLUMNS,
    CONTACT_PANEL_COLUMNS,
    OUTCOME_COLUMNS,
    SPLIT_COLUMNS,
    VELOCITY_WINDOW,
    Source,
)
from rvq.scoring.engines import ENGINES
from rvq.scoring.events import as_period, check_freq, period_ordinals, periods_to_ordinals
from rvq.scoring.flows import Flows, entity_rows, rv_depth

# --- from flows to the panel --------------------------------------------------------------


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
    row = entity_rows(flows.entities, voc, keys)
    column = period_ordinals(voc["date"], flows.freq) - flows.first
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
    row = entity_rows(flows.entities, outcomes, ["account_id"])
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
    depth = rv_depth(sums["rv_flow"], half_life)
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
        first, last = (as_period(p, freq)[0].ordinal for p in periods)
        if last < first:
            raise ValueError(f"periods: last {periods[1]} is before first {periods[0]}")
        return min([first, *lows]), first, last
    if not lows:
        raise ValueError("no interactions and no outcomes: the study window is empty")
    return min(lows), min(lows), max(highs)


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
    check_freq(freq)
    last = None
    if periods is not None:
        last = as_period(periods[1], freq)[0].ordinal
    flows = ENGINES.get(engine).flows(
        interactions,
        catalog,
        freq=freq,
        level=level,
        half_life=half_life,
        last=last,
        **dict(engine_options or {}),
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
    such as ``"2024-Q1"``). ``engine`` is the name of a registered engine
    (:data:`rvq.scoring.engines.ENGINES`: ``"memory"``, ``"duckdb"``, ``"spark"``, ...);
    ``engine_options`` go to its ``flows`` (DuckDB: ``memory_limit``, ``temp_directory``...).
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
