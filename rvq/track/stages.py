"""Where each relationship stands: its lifecycle stage and its depth against the norm of
its stage and age -- what next best actions, priority leads and stage balance share.

An account's **stage** in a period is the most advanced lifecycle stage (acquisition <
closing < retention, the catalog's) among its interactions so far: a prospect that had a
closing interaction is in closing until its first retention interaction, and a customer
never falls back to acquisition because marketing emailed it. Its **depth** (``rv_cum``)
is placed among the accounts of the same stage and relationship age with
:mod:`rvq.stats.norms`: ``norm_median`` and ``norm_percentile`` (NaN where fewer than
``min_peers`` accounts share its stage and age), and ``depth_rank`` (the same mid-rank
percentile, always defined: what the depth bands use).

The panel is a complete account x period grid (as :mod:`rvq.scoring.panels` makes it), so
an event's panel row is found by arithmetic (:func:`event_rows`), not by a join.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from rvq.schema import STAGES
from rvq.stats.norms import MIN_ACCOUNTS, norm_bands, position_against_norm
from rvq.track.history import TrackHistory

_CACHE: dict[int, dict[str, Any]] = {}

#: depth bands within a stage and age: below a third of the peers, the middle, the top third
DEPTH_BANDS = ("low", "middle", "high")


def _ordinals(periods: pd.Series) -> np.ndarray:
    return np.asarray(periods.array.asi8, dtype=np.int64)


def _cached(history: TrackHistory, key: str, make: Callable[[], Any]) -> Any:
    """``make()`` once per history object (the lists of one run share it); forgotten
    when the history is."""
    entry = _CACHE.get(id(history))
    if entry is None:
        entry = _CACHE[id(history)] = {}
        weakref.finalize(history, _CACHE.pop, id(history), None)
    if key not in entry:
        entry[key] = make()
    return entry[key]


def event_rows(history: TrackHistory) -> np.ndarray:
    """Each event's row in ``history.panel`` sorted by account and period (its account's
    position among the panel's sorted accounts times the number of periods, plus its
    period's position); -1 for an event outside the panel. Computed once per history."""
    return _cached(history, "rows", lambda: _event_rows(history))


def _event_rows(history: TrackHistory) -> np.ndarray:
    panel = history.panel
    accounts = pd.Index(np.sort(panel["account_id"].unique()))
    ordinals = _ordinals(panel["period"])
    first, n_periods = int(ordinals.min()), int(ordinals.max() - ordinals.min() + 1)
    if len(panel) != len(accounts) * n_periods:
        raise ValueError("the panel is not a complete account x period grid")
    code, uniques = pd.factorize(history.events["account_id"])  # hashing: fast on text
    a = accounts.get_indexer(uniques)[code] if len(code) else np.zeros(0, dtype=np.int64)
    t = _ordinals(history.events["period"]) - first
    inside = (a >= 0) & (t >= 0) & (t < n_periods)
    return np.where(inside, a * n_periods + t, -1)


def stage_panel(history: TrackHistory, *, min_peers: int = MIN_ACCOUNTS) -> pd.DataFrame:
    """The account x period panel, sorted by account and period, with ``stage``,
    ``depth_rank``, ``depth_band``, ``norm_median`` and ``norm_percentile`` (module
    doc); ``stage`` is missing before an account's first interaction (no norm, no band).
    Computed once per history and ``min_peers``; each call gets its own (shallow) copy."""
    made = _cached(history, f"panel-{min_peers}", lambda: _stage_panel(history, min_peers))
    return made.copy(deep=False)


def _stage_panel(history: TrackHistory, min_peers: int) -> pd.DataFrame:
    panel = history.panel.sort_values(["account_id", "period"], kind="stable", ignore_index=True)
    n_periods = panel["period"].nunique()
    rows = event_rows(history)
    code, uniques = pd.factorize(history.events["stage"])
    stage = pd.Index(STAGES).get_indexer(pd.Index(uniques).astype(str))[code]
    reached = np.full(len(panel), -1, dtype=np.int64)
    for s in range(len(STAGES)):  # stages are ordered: the highest seen in a row wins
        seen = np.bincount(rows[(rows >= 0) & (stage == s)], minlength=len(panel)) > 0
        reached[seen] = s
    reached = np.maximum.accumulate(reached.reshape(-1, n_periods), axis=1).ravel()
    names = np.asarray([*STAGES, None], dtype=object)
    panel["stage"] = names[np.where(reached >= 0, reached, len(STAGES))]

    staged = panel.loc[panel["stage"].notna() & panel["age"].notna()]
    bands = norm_bands(staged, by="stage", min_accounts=min_peers)
    position = position_against_norm(staged, bands, by="stage")
    panel["norm_median"] = pd.Series(position["p50"].to_numpy(), index=staged.index)
    panel["norm_percentile"] = pd.Series(position["norm_percentile"].to_numpy(), staged.index)
    groups = staged.groupby(["stage", "age"], observed=True)["rv_cum"]
    rank = 100.0 * (groups.rank(method="average") - 0.5) / groups.transform("size")
    panel["depth_rank"] = rank
    band = np.asarray(DEPTH_BANDS, dtype=object)[np.digitize(rank.to_numpy(), [100 / 3, 200 / 3])]
    panel["depth_band"] = pd.Series(band, index=staged.index)
    return panel


def key_contacts(history: TrackHistory) -> pd.DataFrame:
    """Per account (index: its position among the panel's sorted accounts), the contact
    with the deepest RV so far (``key_contact_id``) and that depth
    (``key_contact_depth``). Computed once per history."""
    return _cached(history, "contacts", lambda: _key_contacts(history))


def _key_contacts(history: TrackHistory) -> pd.DataFrame:
    rows = event_rows(history)
    n_periods = history.panel["period"].nunique()
    ok = rows >= 0
    contact, contacts = pd.factorize(history.events["contact_id"][ok])
    account = rows[ok] // n_periods
    rv = pd.Series(history.events["rv"].to_numpy(float)[ok])
    depth = rv.groupby([account, contact]).sum().rename("depth").reset_index()
    depth.columns = ["a", "c", "depth"]
    top = depth.sort_values(["a", "depth"], ascending=[True, False]).drop_duplicates("a")
    return pd.DataFrame(
        {
            "key_contact_id": np.asarray(contacts)[top["c"].to_numpy()],
            "key_contact_depth": top["depth"].to_numpy(),
        },
        index=top["a"].to_numpy(),
    )
