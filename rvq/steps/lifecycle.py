"""Step c, the lifecycle report: which Acquisition / Closing / Retention components need analysis.

A component is one split of RV in the account × period panel (`rv_stage_<stage>`,
`rv_function_<function>`, optionally `rv_aspect_<aspect>`). A component needs further
analysis when the RV it carries clearly differs between accounts with good outcomes and
accounts with poor ones: that is where good and poor relationships part ways.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from rvq.multiplicity import holm_adjust
from rvq.scoring.outcomes import symmetric_growth

COMPONENT_PREFIXES = ("rv_stage_", "rv_function_")
#: scipy >= 1.15 takes `rng`; older releases (pyproject allows 1.11) take `random_state`
_SEED_ARGUMENT = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"

DIVERGENCE_COLUMNS = [
    "component",
    "dimension",
    "level",
    "mean_good",
    "mean_poor",
    "difference",
    "effect",
    "ci_low",
    "ci_high",
    "auc",
    "p_value",
    "p_adjusted",
    "needs_further_analysis",
    "n_good",
    "n_poor",
]


#: the panel column each derived outcome of `account_outcome` is computed from
OUTCOME_BASES = {"revenue_growth": "revenue", "share_of_wallet_change": "share_of_wallet"}


def lifecycle_columns(panel_columns: Sequence[str], outcomes: Sequence[str]) -> list[str]:
    """The columns of a panel with `panel_columns` that `lifecycle_rankings` of `outcomes`
    and `lifecycle_paths` of profit read: a step kernel reads only these of a large panel
    (`rvq.pilot.Pilot.panel_columns`)."""
    needed = {"account_id", "period", "profit"} | {OUTCOME_BASES.get(o, o) for o in outcomes}
    return [c for c in panel_columns if c in needed or c.startswith(COMPONENT_PREFIXES)]


def account_outcome(panel: pd.DataFrame, outcome: str) -> pd.Series:
    """One number per account summarising `outcome` over the window (NaN periods skipped).

    - `revenue_growth`: symmetric relative change of mean revenue from the first to the
      second half of the account's periods with revenue, (late − early) / ((|late| +
      |early|) / 2), bounded in [−2, 2] and defined for small revenue; NaN when both are 0.
    - `share_of_wallet_change`: mean share of wallet in the second half minus the first.
      (`rvq.scoring.outcomes.symmetric_growth`, period to period there, half-window to
      half-window here: one number per account.)
    - any other panel column (`profit`, `revenue`, `share_of_wallet`, …): its mean per
      period, so accounts observed for fewer periods compare fairly.
    Halves: with an odd number of observed periods the middle one is left out.
    """
    base = OUTCOME_BASES.get(outcome)
    if base is None:
        if outcome not in panel:
            raise KeyError(f"panel has no column {outcome!r}")
        return panel.groupby("account_id")[outcome].mean().rename(outcome)
    seen = panel.loc[panel[base].notna(), ["account_id", "period", base]].sort_values(
        ["account_id", "period"]
    )
    position = seen.groupby("account_id").cumcount()
    count = seen.groupby("account_id")["period"].transform("size")
    early = seen.loc[position < count // 2].groupby("account_id")[base].mean()
    late = seen.loc[position >= count - count // 2].groupby("account_id")[base].mean()
    late, early = late.align(early)
    change = late - early if outcome == "share_of_wallet_change" else symmetric_growth(late, early)
    index = pd.Index(panel["account_id"].unique(), name="account_id")
    return change.reindex(index).rename(outcome)


def outcome_groups(values: pd.Series, extreme: float = 1 / 3) -> pd.Series:
    """'good' for the top `extreme` share of accounts by outcome, 'poor' for the bottom, else NaN.

    Accounts are ranked (ties by order of account id, so the groups have the intended size).
    """
    known = values.dropna().sort_index()
    n_group = int(np.floor(len(known) * extreme))
    rank = known.rank(method="first")
    group = pd.Series(pd.NA, index=values.index, dtype=object, name="group")
    if n_group == 0:
        return group
    group.loc[rank.index[rank > len(known) - n_group]] = "good"
    group.loc[rank.index[rank <= n_group]] = "poor"
    return group


def _hedges_g(good: np.ndarray, poor: np.ndarray, axis: int = -1) -> np.ndarray:
    """Standardized mean difference (good − poor) / pooled SD, with Hedges' small-sample factor."""
    n1, n2 = good.shape[axis], poor.shape[axis]
    pooled = np.sqrt(
        ((n1 - 1) * good.var(axis=axis, ddof=1) + (n2 - 1) * poor.var(axis=axis, ddof=1))
        / (n1 + n2 - 2)
    )
    correction = 1 - 3 / (4 * (n1 + n2) - 9)
    with np.errstate(divide="ignore", invalid="ignore"):
        return correction * (good.mean(axis=axis) - poor.mean(axis=axis)) / pooled


class TooFewAccounts(ValueError):
    """The data has too few accounts with a known outcome to compare its extremes."""


def lifecycle_rankings(
    panel: pd.DataFrame, outcomes: Sequence[str], **options
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """`lifecycle_divergence` of each outcome (`options` passed on), and apart, the
    outcomes the data cannot rank with the reason (a book without wallets still gets the
    report of its other outcomes)."""
    rankings, unranked = {}, {}
    for outcome in outcomes:
        try:
            rankings[outcome] = lifecycle_divergence(panel, outcome, **options)
        except TooFewAccounts as exc:
            unranked[outcome] = str(exc)
    return rankings, unranked


def lifecycle_divergence(
    panel: pd.DataFrame,
    outcome: str = "profit",
    *,
    components: Sequence[str] | None = None,
    extreme: float = 1 / 3,
    n_boot: int = 999,
    confidence: float = 0.95,
    alpha: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """How strongly each RV component separates accounts with good and poor outcomes, ranked.

    Accounts are summarised over the window: the outcome by `account_outcome`, each
    component by its mean RV per period. The top `extreme` share of accounts by outcome
    is 'good', the bottom share 'poor'. Per component:
    - `effect`: Hedges' g, (mean good − mean poor) / pooled SD, with a percentile bootstrap
      interval resampling accounts within each group (`n_boot` draws, `seed`);
    - `auc`: the chance that a good account carries more RV in the component than a poor
      one (0.5 = no separation);
    - `p_value`: Mann–Whitney U test, two-sided. Null: the component's RV has the same
      distribution in good and poor accounts. Assumes accounts are independent; no
      normality needed. `p_adjusted`: Holm over all components tested.
    `needs_further_analysis` when `p_adjusted` < `alpha`. Ranked: those first, then by |effect|.
    This is descriptive (same window for RV and outcome); whether RV *leads* is step f.
    """
    if components is None:
        components = [c for c in panel.columns if c.startswith(COMPONENT_PREFIXES)]
    components = list(components)
    target = account_outcome(panel, outcome)
    rv = panel.groupby("account_id")[components].mean()
    group = outcome_groups(target.reindex(rv.index), extreme)
    good = rv.loc[group == "good"].to_numpy(dtype=float).T
    poor = rv.loc[group == "poor"].to_numpy(dtype=float).T
    if good.shape[1] < 2 or poor.shape[1] < 2:
        raise TooFewAccounts(
            f"too few accounts with a known {outcome!r} to compare extremes "
            f"({good.shape[1]} good, {poor.shape[1]} poor)"
        )

    effect = _hedges_g(good, poor)
    varies = np.isfinite(effect)
    ci_low = np.full(len(components), np.nan)
    ci_high = np.full(len(components), np.nan)
    p_value = np.full(len(components), np.nan)
    auc = np.full(len(components), np.nan)
    if varies.any():
        with np.errstate(divide="ignore", invalid="ignore"):  # a resample may have no spread
            boot = stats.bootstrap(
                (good[varies], poor[varies]),
                _hedges_g,
                n_resamples=n_boot,
                batch=max(1, min(n_boot, 2_000_000 // max(good.size + poor.size, 1))),
                vectorized=True,
                axis=-1,
                confidence_level=confidence,
                method="percentile",
                **{_SEED_ARGUMENT: np.random.default_rng(seed)},
            )
        ci_low[varies] = boot.confidence_interval.low
        ci_high[varies] = boot.confidence_interval.high
        test = stats.mannwhitneyu(good[varies], poor[varies], axis=-1)
        p_value[varies] = test.pvalue
        auc[varies] = test.statistic / (good.shape[1] * poor.shape[1])
    p_adjusted = np.full(len(components), np.nan)
    if varies.any():
        p_adjusted[varies] = holm_adjust(p_value[varies])

    dimension, level = zip(*(_split_component(c) for c in components), strict=True)
    table = pd.DataFrame(
        {
            "component": components,
            "dimension": dimension,
            "level": level,
            "mean_good": good.mean(axis=1),
            "mean_poor": poor.mean(axis=1),
            "effect": np.where(varies, effect, np.nan),
            "ci_low": ci_low,
            "ci_high": ci_high,
            "auc": auc,
            "p_value": p_value,
            "p_adjusted": p_adjusted,
            "n_good": good.shape[1],
            "n_poor": poor.shape[1],
        }
    )
    table["difference"] = table["mean_good"] - table["mean_poor"]
    table["needs_further_analysis"] = table["p_adjusted"] < alpha
    table["_size"] = table["effect"].abs().fillna(-1)
    table = table.sort_values(
        ["needs_further_analysis", "_size", "component"],
        ascending=[False, False, True],
        ignore_index=True,
    )
    table.attrs["outcome"] = outcome
    return table[DIVERGENCE_COLUMNS]


def _split_component(column: str) -> tuple[str, str]:
    """`rv_stage_closing` → ('stage', 'closing'); `rv_function_inside_sales` → ('function', …)."""
    rest = column.removeprefix("rv_")
    dimension, _, level = rest.partition("_")
    return dimension, level


def lifecycle_paths(
    panel: pd.DataFrame,
    outcome: str = "profit",
    *,
    components: Sequence[str] | None = None,
    extreme: float = 1 / 3,
) -> pd.DataFrame:
    """Mean cumulative RV per component and period for good and for poor accounts (tidy).

    Same groups as `lifecycle_divergence`; shows *when* in the window the two groups part
    ways. Columns: period, component, group, rv_cum (mean over the group's accounts).
    """
    if components is None:
        components = [c for c in panel.columns if c.startswith("rv_stage_")]
    components = list(components)
    group = outcome_groups(account_outcome(panel, outcome), extreme)
    p = panel.sort_values(["account_id", "period"])
    cumulative = p.groupby("account_id")[components].cumsum()
    cumulative["account_id"] = p["account_id"]
    cumulative["period"] = p["period"]
    cumulative["group"] = p["account_id"].map(group)
    means = (
        cumulative.dropna(subset=["group"])
        .groupby(["period", "group"])[components]
        .mean()
        .reset_index()
    )
    return means.melt(
        id_vars=["period", "group"], var_name="component", value_name="rv_cum"
    ).sort_values(["component", "group", "period"], ignore_index=True)[
        ["period", "component", "group", "rv_cum"]
    ]
