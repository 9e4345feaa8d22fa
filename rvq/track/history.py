"""The book's history as the tracking lists read it: :class:`TrackHistory`.

One object, built once per `rvq track` run (from a scored pilot, or from the tracking
store) or in a test from a synthetic world's tables (:func:`history_from_tables`), so that
every list -- next best actions, priority leads, stage balance, up-sell readiness, team
performance, campaign effects, business units -- reads the same frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rvq.inputs.catalog import shipped_catalog
from rvq.scoring import account_period_panel, score_events

#: the optional tables of the tracking contract, with their required columns
PLANS_COLUMNS = ("account_id", "date", "kind")
CAMPAIGNS_COLUMNS = ("account_id", "campaign", "arm", "start_date")


@dataclass(frozen=True)
class TrackHistory:
    """Everything the lists need, up to and including the period ``as_of``.

    - ``events``: one row per scored interaction (`rvq.scoring.score_events`): ``account_id``,
      ``contact_id``, ``timestamp``, ``interaction_code``, ``rep_id``, ``team``, ``cost``,
      ``rv``, ``stage``, ``function``, ``value_aspect``, ``kind``, ``period``.
    - ``panel``: the account x period panel (`rvq.scoring.account_period_panel`:
      ``rv_flow``, ``rv_cum``, ``cost``, ``n_interactions``, ``age``, outcomes...).
    - ``accounts``: the accounts table (``account_id``, segments, optional ``partner`` or
      ``business_unit``, optional ``contract_end``).
    - ``plans``: optional (``account_id``, ``date``, ``kind``: renewal / upsell; past plans
      may carry ``won``: whether it succeeded).
    - ``campaigns``: optional (``account_id``, optional ``contact_id``, ``campaign``,
      ``arm``, ``start_date``).
    """

    events: pd.DataFrame
    panel: pd.DataFrame
    accounts: pd.DataFrame
    freq: str
    as_of: pd.Period
    plans: pd.DataFrame | None = None
    campaigns: pd.DataFrame | None = None

    @property
    def periods(self) -> pd.PeriodIndex:
        """The tracked periods, oldest first, up to ``as_of``."""
        first = self.events["period"].min() if len(self.events) else self.as_of
        return pd.period_range(first, self.as_of, freq=self.as_of.freq)


def history_from_tables(
    tables: dict[str, pd.DataFrame],
    *,
    catalog: pd.DataFrame | None = None,
    freq: str = "Q",
    as_of: Any = None,
) -> TrackHistory:
    """A :class:`TrackHistory` from canonical tables (e.g. ``rvq.synth`` ``World.tables``).

    ``catalog`` defaults to the shipped pro forma model (what ``rvq.synth`` scores with);
    ``as_of`` (a Period or its text) cuts the history at that period; default: the last
    period with an interaction.
    """
    interactions = tables["interactions"]
    catalog = shipped_catalog() if catalog is None else catalog
    events = score_events(interactions, catalog, freq=freq)
    last = events["period"].max() if as_of is None else pd.Period(as_of, freq=freq)
    events = events[events["period"] <= last].reset_index(drop=True)
    panel = account_period_panel(
        events[interactions.columns.intersection(events.columns)],
        catalog,
        tables.get("outcomes"),
        tables.get("voc"),
        freq=freq,
    )
    panel = panel[panel["period"] <= last]
    return TrackHistory(
        events=events,
        panel=panel.reset_index(drop=True),
        accounts=tables["accounts"],
        freq=freq,
        as_of=last,
        plans=tables.get("plans"),
        campaigns=tables.get("campaigns"),
    )


def history_from_pilot(pilot: Any, as_of: Any = None) -> TrackHistory:
    """A :class:`TrackHistory` from an opened pilot (`rvq.pilot.open_pilot`): its validated,
    scored and (with pseudonyms on) pseudonymised events, panel and accounts, and the
    optional plans and campaigns of its dataset, cut at ``as_of`` (a Period or its text;
    default: :func:`last_complete_period`). A pilot that keeps its events summed
    (`rvq.pilot.Pilot.interaction_rows` is None) gives a history without events (no rows):
    `rvq track` reads them again from the source (`rvq.track.source`)."""
    freq = pilot.freq
    periods = pilot.panel["period"]
    last = (
        last_complete_period(periods, pilot.config.resolved_as_of(), freq)
        if as_of is None
        else pd.Period(as_of, freq=freq)
    )
    rows = pilot.interaction_rows
    if rows is None:
        events = pd.DataFrame({"period": pd.PeriodIndex([], freq=freq)})
    else:
        events = rows[rows["period"] <= last].reset_index(drop=True)
    panel = pilot.panel[periods <= last].reset_index(drop=True)
    dataset = pilot.dataset
    return TrackHistory(
        events=events,
        panel=panel,
        accounts=dataset.accounts,
        freq=freq,
        as_of=last,
        plans=getattr(dataset, "plans", None),
        campaigns=getattr(dataset, "campaigns", None),
    )


def last_complete_period(periods: pd.Series, today: Any, freq: str) -> pd.Period:
    """The last of ``periods`` that had ended by ``today`` (a date): a quarter still under
    way is not tracked, so its half-filled figures never freeze in the store. When none
    has ended, the last one."""
    distinct = pd.PeriodIndex(pd.unique(periods))
    ended = distinct[distinct.end_time.normalize() <= pd.Timestamp(today)]
    return (ended if len(ended) else distinct).max()


@dataclass(frozen=True)
class TrackList:
    """One tracking list: its table (one row per item, last column ``reason``: the evidence
    in one plain sentence), the figures behind it for track.json, and a plain headline."""

    name: str
    title: str
    table: pd.DataFrame
    evidence: dict[str, Any]
    headline: str

    @classmethod
    def empty(
        cls,
        name: str,
        title: str,
        headline: str,
        columns: Sequence[str],
        evidence: dict[str, Any] | None = None,
    ) -> TrackList:
        """A list that cannot be built (no interactions, no campaigns table...): no rows
        under the list's ``columns`` (text), and a headline that says why in plain words."""
        table = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return cls(name, title, table, dict(evidence or {}), headline)
