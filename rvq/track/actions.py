"""Next best action per active account and its key contact (`next_best_actions`).

From the book's own history: which interaction types, in comparable relationships, were
followed by the largest forward movement per unit of cost, and which set them back.

* **Comparable relationships**: account-periods of the same stage and depth band
  (:mod:`rvq.track.stages`: the most advanced stage reached, and the depth's third among
  the accounts of that stage and age) with at least one interaction.
* **Effect of a type**: per stage and band, a least-squares fit of the next period's RV
  flow on one indicator per interaction type (did it occur in the period?) together with
  what the period already tells about the next -- its forward and backward RV, the
  velocity, depth and mean flow so far, and the counts of forward and backward
  interactions by function, this period and per period so far -- so that a type is
  credited neither for the types it comes with nor for being common in busy
  relationships. Its coefficient is the extra forward movement that followed it, with a
  95% interval clustered by account (an account's periods are not independent; t with
  accounts - 1 degrees of freedom; a stage and band with fewer than ``MIN_ACCOUNTS``
  accounts is not fitted);
  ``times_seen`` is the number of account-periods with the type, ``accounts_seen``
  their accounts. Types seen fewer than ``min_seen`` times there are not estimated.
* **Recommended**: of the forward types (RV >= 0 themselves: a failed delivery is no
  action to take, whatever followed it) whose effect is clearly positive -- Holm-adjusted
  p-value below ``ALPHA`` over every type, stage and band fitted -- the largest effect
  per unit of cost (the type's mean cost per interaction, at least ``min_cost``).
  **Setback**: of the clearly negative ones, the clearest (smallest adjusted p-value).
  A band where no type is clear takes the choice of the same fit over all the stage's
  account-periods (more of them, so more power); ``compared_with`` says which.

Rows: accounts with an interaction in the last ``active_periods`` periods up to
``as_of``; each names its key contact (the contact with the deepest RV) and what
happened in its last active period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats

from rvq.multiplicity import holm_adjust
from rvq.scoring.events import sorted_codes
from rvq.track.history import TrackHistory, TrackList
from rvq.track.stages import DEPTH_BANDS, event_rows, key_contacts, stage_panel
from rvq.track.text import fmt

NAME = "next_best_actions"
TITLE = "Next best action per active account: what moved comparable relationships forward"
#: family-wise error rate (Holm, over every type, stage and band the list fits) for "clearly"
ALPHA = 0.05
#: a type seen fewer times than this in a stage and band is not estimated there
MIN_SEEN = 20
#: a stage and band with fewer accounts than this is not fitted (clustered errors need many)
MIN_ACCOUNTS = 30
#: periods back (including as_of) in which an account must have had an interaction
ACTIVE_PERIODS = 2
#: cost per interaction below which a type counts as costing this much (per-cost ranking)
MIN_COST = 1.0
#: what this period already tells about the next: the adjustment of every type's effect
CONTROLS = ("rv_pos", "rv_neg", "rv_velocity", "rv_cum", "mean_flow")
#: the depth band of a fit over all the account-periods of a stage
ALL_DEPTHS = "all"
#: interaction types listed in "how it got there"
LAST_TYPES = 3

COLUMNS = [
    "account_id",
    "key_contact_id",
    "key_contact_depth",
    "stage",
    "age",
    "depth",
    "norm_median",
    "depth_percentile",
    "depth_band",
    "how_it_got_here",
    "recommended_action",
    "compared_with",
    "times_seen",
    "expected_forward_rv",
    "ci_low",
    "ci_high",
    "rv_per_cost",
    "setback_action",
    "setback_rv",
    "reason",
]
EFFECT_COLUMNS = [
    "stage",
    "depth_band",
    "interaction_code",
    "times_seen",
    "accounts_seen",
    "forward_rv",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "cost_per_interaction",
    "rv_per_interaction",
]


def _next_flow_base(
    panel: pd.DataFrame, rows: np.ndarray, events: pd.DataFrame, as_of: pd.Period
) -> pd.DataFrame:
    """Account-periods with an interaction and a next period (index: their panel row),
    with ``next_flow``, ``mean_flow`` (depth per period of age) and the counts of
    forward and backward interactions by function, this period (``n_<f>_<dir>``) and per
    period so far (``..._so_far``). ``rows``: each event's panel row (``event_rows``)."""
    n_periods = panel["period"].nunique()
    flow = panel["rv_flow"].to_numpy(float).reshape(-1, n_periods)
    next_flow = np.full_like(flow, np.nan)
    next_flow[:, :-1] = flow[:, 1:]
    function, functions = sorted_codes(events["function"], "function")
    kind = function * 2 + (events["rv"].to_numpy() < 0)
    ok = rows >= 0
    n_kinds = 2 * len(functions)
    counts = np.bincount(rows[ok] * n_kinds + kind[ok], minlength=len(panel) * n_kinds)
    counts = counts.reshape(len(panel), n_kinds).astype(float)
    age = panel["age"].fillna(0).to_numpy(float)
    so_far = np.cumsum(counts.reshape(-1, n_periods, n_kinds), axis=1).reshape(len(panel), -1)
    so_far = so_far / (age + 1)[:, None]
    names = [f"n_{f}_{d}" for f in functions for d in ("forward", "backward")]
    keep = (
        (panel["n_interactions"] > 0) & (panel["period"] < as_of) & panel["stage"].notna()
    ).to_numpy() & np.isfinite(next_flow.ravel())
    base = panel.loc[keep].assign(next_flow=next_flow.ravel()[keep])
    base["mean_flow"] = base["rv_cum"] / (base["age"] + 1)
    extra = np.hstack([counts[keep], so_far[keep]])
    columns = [*names, *(f"{n}_so_far" for n in names)]
    return pd.concat([base, pd.DataFrame(extra, index=base.index, columns=columns)], axis=1)


def _gram(dense: np.ndarray, spars: sparse.csr_matrix) -> np.ndarray:
    """``[dense, spars]' [dense, spars]`` without making the dense part sparse."""
    cross = np.asarray(spars.T @ dense)
    return np.block([[dense.T @ dense, cross.T], [cross, (spars.T @ spars).toarray()]])


def _clustered_fit(
    controls: np.ndarray, types: sparse.csr_matrix, y: np.ndarray, cluster: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Least squares of ``y`` on ``[1, controls, types]``: the types' coefficients and
    their standard errors clustered by ``cluster`` (integer codes 0..G-1)."""
    scale = np.abs(controls).max(axis=0)
    dense = np.column_stack([np.ones(len(y)), controls / np.where(scale > 0, scale, 1.0)])
    types = sparse.csr_matrix(types)
    bread = np.linalg.pinv(_gram(dense, types), hermitian=True)
    beta = bread @ np.concatenate([dense.T @ y, types.T @ y])
    k = dense.shape[1]
    resid = y - dense @ beta[:k] - types @ beta[k:]
    n_clusters = int(cluster.max()) + 1
    member = sparse.csr_matrix((resid, (cluster, np.arange(len(y)))), shape=(n_clusters, len(y)))
    meat = _gram(np.asarray(member @ dense), sparse.csr_matrix(member @ types))
    meat *= n_clusters / max(n_clusters - 1, 1)
    variance = np.einsum("ij,jk,ki->i", bread, meat, bread)
    return beta[k:], np.sqrt(np.clip(variance[k:], 0, None))


def transition_effects(
    history: TrackHistory,
    panel: pd.DataFrame,
    rows: np.ndarray,
    *,
    min_seen: int = MIN_SEEN,
) -> pd.DataFrame:
    """One row per stage, depth band and interaction type seen at least ``min_seen``
    times there: its effect on the next period's RV flow with a clustered 95% interval
    and a Holm-adjusted p-value over all the rows (columns ``EFFECT_COLUMNS``;
    module doc). ``panel`` is the history's :func:`rvq.track.stages.stage_panel`,
    ``rows`` its events' panel rows (:func:`rvq.track.stages.event_rows`)."""
    events = history.events
    base = _next_flow_base(panel, rows, events, history.as_of)
    code, codes = sorted_codes(events["interaction_code"], "interaction_code")
    per_type = np.maximum(np.bincount(code, minlength=len(codes)), 1)
    cost = np.bincount(code, weights=events["cost"].fillna(0).to_numpy(float)) / per_type
    own_rv = np.bincount(code, weights=events["rv"].to_numpy(float)) / per_type
    # each (panel row, type) once
    pairs = pd.unique(rows[rows >= 0] * len(codes) + code[rows >= 0])
    pair_row, pair_code = pairs // len(codes), pairs % len(codes)
    position = np.full(len(panel), -1)
    position[base.index.to_numpy()] = np.arange(len(base))
    pair_pos = position[pair_row]
    pair_code, pair_pos = pair_code[pair_pos >= 0], pair_pos[pair_pos >= 0]
    account = base.index.to_numpy() // panel["period"].nunique()  # the account's position
    by_function = [c for c in base.columns if c.startswith("n_") and "ward" in c]
    design = base[[*CONTROLS, *by_function]].to_numpy(float)
    next_flow = base["next_flow"].to_numpy(float)

    parts = []
    cells = base.groupby(["stage", "depth_band"], observed=True).indices
    stages = base.groupby("stage", observed=True).indices
    cells.update({(stage, ALL_DEPTHS): rows for stage, rows in stages.items()})
    for (stage, band), cell in cells.items():
        in_cell = np.zeros(len(base), dtype=bool)
        in_cell[cell] = True
        hit = in_cell[pair_pos]
        local = np.full(len(base), -1)
        local[cell] = np.arange(len(cell))
        hit_pos, hit_code = local[pair_pos[hit]], pair_code[hit]
        seen = np.bincount(hit_code, minlength=len(codes))
        estimated = np.flatnonzero(seen >= min_seen)
        cluster = pd.factorize(account[cell])[0]  # integers: no text hashed
        n_accounts = int(cluster.max()) + 1
        if estimated.size == 0 or n_accounts < MIN_ACCOUNTS:
            continue
        if len(cell) <= estimated.size + design.shape[1] + 2:
            continue
        column = np.full(len(codes), -1)
        column[estimated] = np.arange(estimated.size)
        use = column[hit_code] >= 0
        types = sparse.csr_matrix(
            (np.ones(use.sum()), (hit_pos[use], column[hit_code[use]])),
            shape=(len(cell), estimated.size),
        )
        effect, se = _clustered_fit(design[cell], types, next_flow[cell], cluster)
        first_seen = pd.unique(cluster[hit_pos[use]] * len(codes) + hit_code[use]) % len(codes)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_value = 2 * stats.t.sf(np.abs(effect) / se, n_accounts - 1)
        half = stats.t.ppf(0.975, n_accounts - 1) * se
        parts.append(
            pd.DataFrame(
                {
                    "stage": stage,
                    "depth_band": band,
                    "interaction_code": codes[estimated],
                    "times_seen": seen[estimated],
                    "accounts_seen": np.bincount(first_seen, minlength=len(codes))[estimated],
                    "forward_rv": effect,
                    "ci_low": effect - half,
                    "ci_high": effect + half,
                    "p_value": np.where(se > 0, p_value, np.nan),
                    "cost_per_interaction": cost[estimated],
                    "rv_per_interaction": own_rv[estimated],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    effects = pd.concat(parts, ignore_index=True)
    effects.insert(
        effects.columns.get_loc("p_value") + 1, "p_holm", holm_adjust(effects["p_value"])
    )
    return effects


def best_and_setback(
    effects: pd.DataFrame, *, min_seen: int = MIN_SEEN, min_cost: float = MIN_COST
) -> pd.DataFrame:
    """Per stage and depth band: the recommended type and the setback type (module doc),
    with their figures (columns prefixed ``best_`` / ``setback_``; NaN where none). A band
    without a clear type takes the stage's as a whole (``*_compared_with`` says which)."""
    effects = effects.assign(
        rv_per_cost=effects["forward_rv"] / effects["cost_per_interaction"].clip(lower=min_cost)
    )
    clear = effects.loc[(effects["times_seen"] >= min_seen) & (effects["p_holm"] < ALPHA)]
    cell = ["stage", "depth_band"]
    figures = ["interaction_code", "times_seen", "forward_rv", "ci_low", "ci_high", "rv_per_cost"]
    grid = pd.MultiIndex.from_product([sorted(effects["stage"].unique()), DEPTH_BANDS], names=cell)
    whole = [(stage, ALL_DEPTHS) for stage, _ in grid]
    # only a forward interaction (RV >= 0 itself) can be recommended as an action
    forward = clear.loc[(clear["forward_rv"] > 0) & (clear["rv_per_interaction"] >= 0)]
    picks = []
    for role, chosen in (
        ("best", forward.sort_values("rv_per_cost", ascending=False)),
        ("setback", clear.loc[clear["forward_rv"] < 0].sort_values(["p_holm", "forward_rv"])),
    ):
        chosen = chosen.drop_duplicates(cell).set_index(cell)[figures]
        own = chosen.reindex(grid)
        stage_wide = chosen.reindex(whole).set_axis(grid)
        missing = own["interaction_code"].isna()
        own.loc[missing] = stage_wide.loc[missing]
        own["compared_with"] = np.where(
            missing, "the same stage, all depths", "the same stage and depth band"
        )
        own.loc[own["interaction_code"].isna(), "compared_with"] = None
        picks.append(own.add_prefix(f"{role}_"))
    return picks[0].join(picks[1])


def _last_interactions(
    events: pd.DataFrame, rows: np.ndarray, last_row: pd.Series, periods: pd.Series
) -> pd.Series:
    """Per panel account (index: its position) with a ``last_row`` (its last active
    panel row), that period's interactions in words: count, net RV and the most
    frequent types."""
    at = np.full(int(rows.max()) + 1 if len(rows) else 0, False)
    at[last_row.to_numpy()] = True
    mine = (rows >= 0) & at[np.clip(rows, 0, None)]
    row = rows[mine]
    code = events["interaction_code"][mine].astype(str).to_numpy()
    rv = events["rv"].to_numpy(float)[mine]
    by_type = pd.DataFrame({"row": row, "code": code}).value_counts().rename("k").reset_index()
    by_type = by_type.sort_values(["row", "k", "code"], ascending=[True, False, True])
    by_type = by_type.groupby("row").head(LAST_TYPES)
    by_type["rank"] = by_type.groupby("row").cumcount()
    words = (by_type["k"].astype(str) + " x " + by_type["code"]).to_numpy()
    top = pd.DataFrame({"row": by_type["row"], "rank": by_type["rank"], "w": words})
    top = top.pivot(index="row", columns="rank", values="w")
    listed = top[0].astype(str)
    for rank in range(1, top.shape[1]):
        listed = listed + (", " + top[rank]).fillna("")
    n = pd.Series(row).value_counts()
    net = pd.Series(rv).groupby(row).sum()
    text = (
        n.reindex(net.index).astype(str)
        + " interactions in "
        + periods.iloc[net.index].astype(str).to_numpy()
        + " (RV "
        + net.map("{:+.1f}".format)
        + "): "
        + listed.reindex(net.index)
    )
    by_row = pd.Series(last_row.index, index=last_row.to_numpy())
    return pd.Series(text.to_numpy(), index=by_row.reindex(net.index).to_numpy())


def _reasons(rows: pd.DataFrame) -> pd.Series:
    where = (
        rows["stage"]
        + "-stage account at depth "
        + fmt(rows["depth"], "%.1f")
        + " (percentile "
        + fmt(rows["depth_percentile"], "%.0f")
        + " among its stage at age "
        + fmt(rows["age"], "%.0f")
        + "); last active: "
        + rows["how_it_got_here"].fillna("")
        + ". "
    )
    best = (
        "In "
        + fmt(rows["times_seen"], "%.0f")
        + " periods of relationships at "
        + rows["compared_with"].fillna("")
        + ", "
        + rows["recommended_action"].fillna("")
        + " was followed by "
        + fmt(rows["expected_forward_rv"], "%+.1f")
        + " RV the next period (95% interval "
        + fmt(rows["ci_low"], "%+.1f")
        + " to "
        + fmt(rows["ci_high"], "%+.1f")
        + "), "
        + fmt(rows["rv_per_cost"], "%.2f")
        + " RV per unit of cost."
    )
    none = "No interaction type was clearly followed by more forward movement at its stage."
    best = best.where(rows["recommended_action"].notna(), none)
    setback = (
        " Avoid "
        + rows["setback_action"].fillna("")
        + ": it was followed by "
        + fmt(rows["setback_rv"], "%+.1f")
        + " RV."
    )
    return where + best + setback.where(rows["setback_action"].notna(), "")


def next_best_actions(
    history: TrackHistory,
    *,
    min_seen: int = MIN_SEEN,
    active_periods: int = ACTIVE_PERIODS,
    min_cost: float = MIN_COST,
) -> TrackList:
    """The next best action per active account and its key contact (module doc)."""
    events = history.events
    if events.empty:
        return TrackList.empty(
            NAME, TITLE, "No interactions were given: nothing to recommend yet.", COLUMNS
        )
    rows_of_events = event_rows(history)
    panel = stage_panel(history)
    effects = transition_effects(history, panel, rows_of_events, min_seen=min_seen)
    choice = best_and_setback(effects, min_seen=min_seen, min_cost=min_cost)

    n_periods = panel["period"].nunique()
    first_active = history.as_of - (active_periods - 1)
    recent = panel.loc[(panel["period"] >= first_active) & (panel["n_interactions"] > 0)]
    recent_account = recent.index.to_numpy() // n_periods
    last_row = pd.Series(recent.index.to_numpy()).groupby(recent_account).max()
    now = panel.loc[(panel["period"] == history.as_of)]
    now = now.loc[np.isin(now.index.to_numpy() // n_periods, last_row.index.to_numpy())]
    position = now.index.to_numpy() // n_periods
    rows = now[
        ["account_id", "stage", "age", "rv_cum", "norm_median", "depth_rank", "depth_band"]
    ].rename(columns={"rv_cum": "depth", "depth_rank": "depth_percentile"})
    rows = rows.reset_index(drop=True)
    contacts = key_contacts(history).reindex(position)
    rows["key_contact_id"] = contacts["key_contact_id"].to_numpy()
    rows["key_contact_depth"] = contacts["key_contact_depth"].to_numpy()
    how = _last_interactions(history.events, rows_of_events, last_row, panel["period"])
    rows["how_it_got_here"] = how.reindex(position).to_numpy()
    rows = rows.join(choice, on=["stage", "depth_band"])
    rows = rows.rename(
        columns={
            "best_interaction_code": "recommended_action",
            "best_times_seen": "times_seen",
            "best_forward_rv": "expected_forward_rv",
            "best_ci_low": "ci_low",
            "best_ci_high": "ci_high",
            "best_rv_per_cost": "rv_per_cost",
            "best_compared_with": "compared_with",
            "setback_interaction_code": "setback_action",
            "setback_forward_rv": "setback_rv",
        }
    )
    rows = rows.reindex(columns=COLUMNS[:-1])
    rows["reason"] = _reasons(rows)
    rows = rows.sort_values(
        ["stage", "depth_percentile"], ascending=[True, False], ignore_index=True
    )

    n_recommended = int(rows["recommended_action"].notna().sum())
    evidence = {
        "method": "per stage and depth band, least squares of the next period's RV flow on "
        "indicators of the interaction types that occurred and on what the period already "
        "tells (RV, velocity, depth, interactions by function); 95% intervals clustered "
        "by account (t, accounts - 1 df); Holm over every type, stage and band fitted",
        "alpha": ALPHA,
        "active_accounts": int(len(rows)),
        "with_recommendation": n_recommended,
        "min_seen": min_seen,
        "active_periods": active_periods,
        "choices": choice.reset_index()
        .astype(object)
        .where(choice.reset_index().notna(), None)
        .to_dict(orient="records"),
    }
    headline = (
        f"{n_recommended:,} of {len(rows):,} active accounts have a next action that, in "
        "comparable relationships of the book, was followed by clear forward movement."
    )
    return TrackList(NAME, TITLE, rows, evidence, headline)
