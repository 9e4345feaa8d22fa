"""Stage balance: RV created and cost spent per lifecycle stage against the book's norm --
where the company over- or under-invests in relationship development (`stage_balance`).

Each interaction counts in the stage its account was in at the time (:mod:`rvq.track.stages`:
the most advanced stage reached). Per stage: the RV created (net), the cost, their shares
of the book's, and ``ratio_to_book``: the stage's RV per unit of cost over the book's
(1: as productive as the book's average spend). The 95% interval is a Poisson bootstrap
over accounts (``n_boot`` replicates, ``seed``), so a few big accounts cannot decide it.

Verdict: ``over-invests`` when the interval lies below 1 and the ratio below ``1 -
material`` (cost there buys clearly less RV than elsewhere: the share of cost exceeds the
share of RV); ``under-invests`` when the interval lies above 1 and the ratio above ``1 +
material`` (more spend there would buy more RV than elsewhere); ``in line`` otherwise.
``periods`` limits the count to the last ``periods`` periods up to ``as_of`` (default:
the whole history).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rvq.schema import STAGES
from rvq.track.history import TrackHistory, TrackList
from rvq.track.stages import event_rows, stage_panel

NAME = "stage_balance"
TITLE = "RV created and cost spent per lifecycle stage against the book's norm"
N_BOOT = 400
#: a ratio to the book within 1 +/- this is never called over or under
MATERIAL = 0.2

COLUMNS = [
    "stage",
    "accounts",
    "interactions",
    "rv_created",
    "cost",
    "share_of_rv",
    "share_of_cost",
    "rv_per_cost",
    "ratio_to_book",
    "ci_low",
    "ci_high",
    "verdict",
    "reason",
]


def _verdict(ratio: float, low: float, high: float, material: float) -> str:
    if high < 1 and ratio < 1 - material:
        return "over-invests"
    if low > 1 and ratio > 1 + material:
        return "under-invests"
    return "in line"


def _reason(row: pd.Series, book: float) -> str:
    figures = (
        f"{row['share_of_cost']:.0%} of the cost and {row['share_of_rv']:.0%} of the RV; "
        f"{row['rv_per_cost']:.3f} RV per unit of cost against the book's {book:.3f} "
        f"(ratio {row['ratio_to_book']:.2f}, 95% interval {row['ci_low']:.2f} to "
        f"{row['ci_high']:.2f}, {row['accounts']:,} accounts)"
    )
    verdict = {
        "over-invests": "The book over-invests here: each unit of cost buys clearly less RV "
        "than elsewhere",
        "under-invests": "The book under-invests here: each unit of cost buys clearly more RV "
        "than elsewhere",
        "in line": "In line with the book",
    }[row["verdict"]]
    return f"{verdict}: {figures}."


def stage_balance(
    history: TrackHistory,
    *,
    periods: int | None = None,
    n_boot: int = N_BOOT,
    material: float = MATERIAL,
    seed: int = 14,
) -> TrackList:
    """RV and cost per stage against the book's norm, with a verdict (module doc)."""
    events = history.events
    if events.empty or float(events["cost"].sum()) <= 0:
        return TrackList.empty(
            NAME, TITLE, "No interactions with a cost were given: nothing to balance yet.", COLUMNS
        )
    rows = event_rows(history)
    panel = stage_panel(history)
    n_periods = panel["period"].nunique()
    stage_of_row = pd.Index(STAGES).get_indexer(panel["stage"])
    stage_code = stage_of_row[np.clip(rows, 0, None)]
    keep = (rows >= 0) & (stage_code >= 0)
    if periods is not None:
        keep &= (events["period"] > history.as_of - periods).to_numpy()
    account = rows[keep] // n_periods
    stage_code = stage_code[keep]
    rv = events["rv"].to_numpy(float)[keep]
    cost = events["cost"].fillna(0).to_numpy(float)[keep]

    # per account x stage sums (accounts by their panel position); the bootstrap
    # reweights the accounts with an interaction in the window
    n_accounts = len(panel) // n_periods
    cell = account * len(STAGES) + stage_code
    size = n_accounts * len(STAGES)
    rv_cell = np.bincount(cell, rv, size).reshape(n_accounts, len(STAGES))
    cost_cell = np.bincount(cell, cost, size).reshape(n_accounts, len(STAGES))
    seen = np.bincount(cell, minlength=size).reshape(n_accounts, len(STAGES))
    active = seen.sum(axis=1) > 0
    rv_cell, cost_cell, seen = rv_cell[active], cost_cell[active], seen[active]
    rng = np.random.default_rng(seed)
    weights = rng.poisson(1.0, (n_boot, len(seen))).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = (weights @ rv_cell) / (weights @ cost_cell)
        book_boot = (weights @ rv_cell.sum(axis=1)) / (weights @ cost_cell.sum(axis=1))
        ratio_boot = boot / book_boot[:, None]
    low, high = np.full(len(STAGES), np.nan), np.full(len(STAGES), np.nan)
    some = np.isfinite(ratio_boot).any(axis=0)  # a stage with no cost in the window: none
    low[some], high[some] = np.nanpercentile(ratio_boot[:, some], [2.5, 97.5], axis=0)

    rv_total, cost_total = rv_cell.sum(axis=0), cost_cell.sum(axis=0)
    book = rv_total.sum() / cost_total.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        per_cost = rv_total / cost_total
    table = pd.DataFrame(
        {
            "stage": list(STAGES),
            "accounts": (seen > 0).sum(axis=0),
            "interactions": seen.sum(axis=0),
            "rv_created": rv_total,
            "cost": cost_total,
            "share_of_rv": rv_total / rv_total.sum() if rv_total.sum() else np.nan,
            "share_of_cost": cost_total / cost_total.sum(),
            "rv_per_cost": per_cost,
            "ratio_to_book": per_cost / book,
            "ci_low": low,
            "ci_high": high,
        }
    )
    table = table.loc[table["interactions"] > 0].reset_index(drop=True)
    table["verdict"] = [
        _verdict(r, lo, hi, material)
        for r, lo, hi in table[["ratio_to_book", "ci_low", "ci_high"]].to_numpy()
    ]
    table["reason"] = [_reason(row, book) for _, row in table.iterrows()]
    table = table[COLUMNS]
    evidence = {
        "book_rv_per_cost": float(book),
        "interval": f"95% Poisson bootstrap over accounts, {n_boot} replicates",
        "material": material,
        "periods": periods,
        "verdicts": dict(zip(table["stage"], table["verdict"], strict=True)),
    }
    called = table.loc[table["verdict"] != "in line"]
    calls = (called["verdict"] + " in " + called["stage"]).tolist()
    headline = (
        "The book " + " and ".join(calls) + " (RV per unit of cost against the book's)."
        if calls
        else "Each stage's spend buys RV at about the book's rate."
    )
    return TrackList(NAME, TITLE, table, evidence, headline)
