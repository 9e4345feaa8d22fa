"""The per-entity, per-period sums of scored interactions (:class:`Flows`) that every engine
returns and the panels are finished from: computed in memory with bincounts over
integer-coded ids (:func:`memory_flows`, the ``"memory"`` engine), or made dense from an
engine's sparse rows (:func:`flows_from_sparse`, DuckDB and Spark). The definitions are
in :mod:`rvq.scoring.panels`; relationship depth (:func:`rv_depth`) is here because breadth
needs each contact's depth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.signal

from rvq.scoring.columns import BREADTH_TOLERANCE, FLOW_SUMS, SPLIT_COLUMNS, SPLITS
from rvq.scoring.events import event_rv_cost, period_ordinals, sorted_codes


@dataclass
class Flows:
    """Per entity and period, the sums of the scored interactions, as dense arrays.

    ``entities`` holds the id columns of the ``E`` entities (sorted); every array in
    ``sums`` is ``E x P`` over the consecutive periods ``first .. first + P - 1`` (pandas
    ordinals at ``freq``). ``breadth`` and ``n_contacts_active`` exist for accounts only.
    This is what every engine produces (:mod:`rvq.scoring.engines`); the panel is
    finished from it (:mod:`rvq.scoring.panels`).
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
    account, accounts = sorted_codes(interactions["account_id"], "interactions.account_id")
    contact, contacts = sorted_codes(interactions["contact_id"], "interactions.contact_id")
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
        pair, keys = sorted_codes(pd.Series(key), "contact pairs")
        keys = keys.to_numpy()
        pair_account, pair_contact = keys // n_contacts, keys % n_contacts
    return account, accounts, pair, pair_account, pair_contact, contacts


def _bincount2d(key: np.ndarray, n_rows: int, n_periods: int, weights=None) -> np.ndarray:
    out = np.bincount(key, weights=weights, minlength=n_rows * n_periods)
    return out.reshape(n_rows, n_periods)


def _split_sums(key, n_rows, n_periods, codes, n_values, rv) -> np.ndarray:
    """RV per (value, row, period): one bincount, values outside the enumeration dropped.

    Each value's sums are one contiguous block (no copy when the panel is assembled)."""
    size = n_rows * n_periods
    bucket = np.where(codes < 0, n_values, codes).astype(np.int64)
    full = np.bincount(bucket * size + key, weights=rv, minlength=size * (n_values + 1))
    return full.reshape(n_values + 1, n_rows, n_periods)[:n_values]


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
    ordinals = period_ordinals(interactions["timestamp"], freq)
    rv, cost, split_codes, _ = event_rv_cost(interactions, catalog)
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
    # positive and negative RV in one pass (each a contiguous block); the flow is their sum
    size = n_rows * n_periods
    signed = np.bincount((rv < 0) * size + key, weights=rv, minlength=size * 2)
    sums["rv_pos"], sums["rv_neg"] = signed.reshape(2, n_rows, n_periods)
    sums["rv_flow"] = sums["rv_pos"] + sums["rv_neg"]
    sums["cost"] = _bincount2d(key, n_rows, n_periods, cost)
    for column, prefix, values in SPLITS:
        split = _split_sums(key, n_rows, n_periods, split_codes[column], len(values), rv)
        for i, value in enumerate(values):
            sums[prefix + value] = split[i]
    if level == "account":
        n_pairs = len(pair_account)
        pair_key = pair * n_periods + period
        contact_flow = _bincount2d(pair_key, n_pairs, n_periods, rv)
        active = np.zeros(n_pairs * n_periods, dtype=bool)
        active[pair_key] = True
        depth = rv_depth(contact_flow, half_life)
        if half_life is None:
            # a plain sum changes only with interactions (adding 0.0 is exact): its sign now
            # is its sign after the latest one
            positive = depth > BREADTH_TOLERANCE
        else:
            positive = _positive_since_last_interaction(depth, active.reshape(n_pairs, n_periods))
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
        _, accounts = sorted_codes(sparse["account_id"], "account_id")
        entities = pd.DataFrame({"account_id": accounts})
    else:
        entities = sparse[keys].drop_duplicates().sort_values(keys, ignore_index=True)
    if last is not None:  # later interactions leave the sums, their entities stay
        sparse = sparse.loc[sparse["period_ordinal"] <= last]
    row = entity_rows(entities, sparse, keys)
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


def rv_depth(flow: np.ndarray, half_life: float | None) -> np.ndarray:
    """Relationship depth along periods (axis 1): cumulative, or fading with a half-life."""
    if half_life is None:
        return np.cumsum(flow, axis=1)
    if half_life <= 0:
        raise ValueError(f"half_life must be positive, got {half_life}")
    keep = 0.5 ** (1.0 / half_life)
    if flow.shape[1] == 0:
        return flow.astype(np.float64)
    return scipy.signal.lfilter([1.0], [1.0, -keep], flow, axis=1)


def entity_rows(entities: pd.DataFrame, frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Row of each ``frame`` record's entity in ``entities`` (-1 when not there)."""
    if len(keys) == 1:
        return pd.Index(entities[keys[0]]).get_indexer(frame[keys[0]])
    return pd.MultiIndex.from_frame(entities[keys]).get_indexer(
        pd.MultiIndex.from_frame(frame[keys])
    )
