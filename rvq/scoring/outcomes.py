"""Outcomes derived on the account x period panel: revenue growth (symmetric, so it
survives zero revenue), share of wallet (given, or revenue over wallet) and its change."""

from __future__ import annotations

import numpy as np
import pandas as pd

ENTITY, TIME = "account_id", "period_index"

#: the least a leading-indicator test needs: accounts with the outcome, and its periods
MIN_ACCOUNTS = 30
MIN_PERIODS = 6


# --------------------------------------------------------------------------- outcomes


def symmetric_growth(current: pd.Series, previous: pd.Series) -> pd.Series:
    """(r_t - r_t-1) / ((|r_t| + |r_t-1|) / 2): revenue growth that survives small and zero revenue.

    Bounded in [-2, 2]: +2 is "from zero to something", -2 "from something to zero",
    0.5 is roughly +50% growth for small changes (it is the change relative to the mean of
    the two periods, so it is symmetric: +x then -x returns to the start). NaN when both
    periods are zero (no growth is defined) or either is unknown.
    """
    cur = current.astype(float)
    prev = previous.astype(float)
    denom = (cur.abs() + prev.abs()) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        g = (cur - prev) / denom.where(denom > 0)
    return g.clip(-2.0, 2.0)


def derive_outcomes(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel sorted by account and period, with the derived outcomes added.

    - ``revenue_growth``: `symmetric_growth` of revenue from the previous period (NaN in
      each account's first period);
    - ``share_of_wallet``: kept where given; else revenue / wallet where wallet > 0
      (clipped to [0, 1]); NaN where neither is known;
    - ``share_of_wallet_change``: share minus the previous period's share (in share points);
    - ``profit`` as it is.
    """
    out = panel.sort_values([ENTITY, TIME], kind="stable").reset_index(drop=True)
    g = out.groupby(ENTITY, sort=False)
    if "revenue" in out:
        out["revenue_growth"] = symmetric_growth(out["revenue"], g["revenue"].shift(1))
    share = out["share_of_wallet"].astype(float) if "share_of_wallet" in out else None
    if "wallet" in out and "revenue" in out:
        wallet = out["wallet"].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            implied = (out["revenue"].astype(float) / wallet.where(wallet > 0)).clip(0.0, 1.0)
        share = implied if share is None else share.fillna(implied)
    if share is not None:
        out["share_of_wallet"] = share
        out["share_of_wallet_change"] = share - share.groupby(out[ENTITY], sort=False).shift(1)
    return out


def with_entity_codes(data: pd.DataFrame) -> pd.DataFrame:
    """`data` with account ids replaced by integer codes in the order of first appearance.

    For statistics whose results name no account: grouping by an integer is much faster
    than by text (pandas hashes text ids on every groupby; 100,000 accounts, hundreds of
    groupbys), and on a frame sorted by account the codes sort like the ids, so every
    result is the same.
    """
    return data.assign(**{ENTITY: pd.factorize(data[ENTITY])[0]})


def outcome_missing_reason(panel: pd.DataFrame, outcome: str) -> str | None:
    """Why `outcome` cannot be tested at all (None if it can be)."""
    if outcome not in panel or panel[outcome].notna().sum() == 0:
        if outcome.startswith("share_of_wallet"):
            return "no wallet or share_of_wallet in the outcomes table"
        return f"no {outcome} values in the panel"
    return None


def untestable_reason(data: pd.DataFrame, outcome: str, rv: str = "rv_flow") -> str | None:
    """Why RV cannot be tested as a lead of `outcome` on `data` (the panel with its derived
    outcomes): the outcome is missing, RV does not vary, or fewer than `MIN_ACCOUNTS`
    accounts or `MIN_PERIODS` periods have the outcome. None when it can be tested."""
    reason = outcome_missing_reason(data, outcome)
    if reason is None and not (np.nanstd(data[rv].to_numpy(float)) > 0):
        reason = "RV does not vary"
    if reason is None:
        have = data.loc[data[outcome].notna()]
        if have[ENTITY].nunique() < MIN_ACCOUNTS:
            reason = f"fewer than {MIN_ACCOUNTS} accounts with {outcome}"
        elif have[TIME].nunique() < MIN_PERIODS:
            reason = f"fewer than {MIN_PERIODS} periods with {outcome}"
    return reason
