"""Prioritised leads: acquisition-stage accounts ranked by RV against their stage norm,
with the stalled top prospects flagged for a high-touch campaign (`priority_leads`).

* **Leads**: the accounts in the acquisition stage at ``as_of`` (:mod:`rvq.track.stages`:
  no closing or retention interaction yet), each with its key contact (the contact with
  the deepest RV).
* **Against the norm**: ``depth_percentile``, the account's mid-rank percentile among the
  acquisition-stage accounts of the same relationship age (50: typical), and
  ``norm_median``, their median depth (:mod:`rvq.stats.norms`; missing where fewer than
  20 accounts share the age). Leads are ranked by that percentile, then by depth.
* **Stalled top prospect**: in the top ``top_share`` of its peers (percentile at least
  ``100 * (1 - top_share)``) and without forward movement -- RV flow at most zero -- in
  each of the last ``stalled_periods`` periods: deep enough to matter, and going nowhere
  on its own. These are flagged ``high_touch``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rvq.track.history import TrackHistory, TrackList
from rvq.track.stages import key_contacts, stage_panel
from rvq.track.text import fmt

NAME = "priority_leads"
TITLE = "Acquisition-stage accounts ranked by RV against their stage norm"
#: a top prospect is in this top share of its stage-and-age peers
TOP_SHARE = 0.25
#: periods without forward movement that make a top prospect stalled
STALLED_PERIODS = 2

COLUMNS = [
    "rank",
    "account_id",
    "key_contact_id",
    "key_contact_depth",
    "age",
    "depth",
    "norm_median",
    "depth_percentile",
    "periods_without_forward_movement",
    "high_touch",
    "reason",
]


def _periods_without_forward(panel: pd.DataFrame) -> np.ndarray:
    """Per panel row: consecutive periods up to and including it with RV flow <= 0."""
    n_periods = panel["period"].nunique()
    still = (panel["rv_flow"].to_numpy(float) <= 0).reshape(-1, n_periods)
    run = np.zeros(still.shape, dtype=np.int64)
    for t in range(n_periods):
        before = run[:, t - 1] if t else 0
        run[:, t] = np.where(still[:, t], before + 1, 0)
    return run.ravel()


def _reasons(rows: pd.DataFrame, stalled_periods: int) -> pd.Series:
    median = fmt(rows["norm_median"], ", median %.1f")
    where = (
        "Depth "
        + fmt(rows["depth"], "%.1f")
        + " puts it at percentile "
        + fmt(rows["depth_percentile"], "%.0f")
        + " among acquisition-stage accounts at age "
        + fmt(rows["age"], "%.0f")
        + median
        + "; "
    )
    quiet = rows["periods_without_forward_movement"]
    moving = pd.Series(
        np.where(
            quiet == 0,
            "it moved forward in the last period.",
            "no forward movement for " + fmt(quiet, "%d") + " period(s).",
        ),
        index=rows.index,
    )
    flag = np.where(
        rows["high_touch"],
        f" A top prospect stalled for {stalled_periods}+ periods: give it a high-touch campaign.",
        "",
    )
    return where + moving + flag


def priority_leads(
    history: TrackHistory,
    *,
    top_share: float = TOP_SHARE,
    stalled_periods: int = STALLED_PERIODS,
) -> TrackList:
    """Acquisition-stage accounts ranked against their stage norm, stalled top prospects
    flagged (module doc)."""
    if not 0 < top_share <= 1 or stalled_periods < 1:
        raise ValueError("top_share must be in (0, 1] and stalled_periods >= 1")
    if history.events.empty:
        return TrackList.empty(NAME, TITLE, "No interactions were given: no leads.", COLUMNS)
    panel = stage_panel(history)
    n_periods = panel["period"].nunique()
    panel["periods_without_forward_movement"] = _periods_without_forward(panel)
    leads = panel.loc[(panel["period"] == history.as_of) & (panel["stage"] == "acquisition")]
    position = leads.index.to_numpy() // n_periods
    leads = leads.rename(columns={"rv_cum": "depth", "depth_rank": "depth_percentile"})
    contacts = key_contacts(history).reindex(position)
    leads = leads.assign(
        key_contact_id=contacts["key_contact_id"].to_numpy(),
        key_contact_depth=contacts["key_contact_depth"].to_numpy(),
    )
    top = leads["depth_percentile"] >= 100 * (1 - top_share)
    quiet = leads["periods_without_forward_movement"] >= stalled_periods
    leads["high_touch"] = top & quiet & (leads["age"] >= stalled_periods)
    leads = leads.sort_values(
        ["depth_percentile", "depth", "account_id"], ascending=[False, False, True]
    )
    leads["rank"] = np.arange(1, len(leads) + 1)
    leads = leads.reset_index(drop=True)
    leads["reason"] = _reasons(leads, stalled_periods)
    table = leads[COLUMNS]
    flagged = int(table["high_touch"].sum())
    evidence = {
        "leads": int(len(table)),
        "high_touch": flagged,
        "top_share": top_share,
        "stalled_periods": stalled_periods,
        "rule": "top prospect: depth percentile among acquisition-stage accounts of the same "
        f"age >= {100 * (1 - top_share):g}; stalled: RV flow <= 0 in each of the last "
        f"{stalled_periods} periods",
    }
    headline = (
        f"{len(table):,} acquisition-stage accounts ranked by RV against their stage norm; "
        f"{flagged:,} top prospects have stalled and are flagged for a high-touch campaign."
    )
    return TrackList(NAME, TITLE, table, evidence, headline)
