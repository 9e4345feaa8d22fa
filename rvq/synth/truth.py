"""The planted truth, as written to truth.json: per outcome the effect, lag and direction
with the correlations realised in this world, the model's constants and equations, and
the counts a test or a reader checks the pilot against."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from rvq import __version__
from rvq.schema import COMMUNITY_ROLES, OUTCOME_NAMES
from rvq.synth.accounts import Accounts
from rvq.synth.confounders import truth_of
from rvq.synth.spec import MODEL, WorldSpec, period_format


def within(values: np.ndarray, account: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Values minus their account mean, then minus the period mean of that (one pass)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = values - (np.bincount(account, values) / np.bincount(account))[account]
        return out - (np.bincount(period, out) / np.bincount(period))[period]


def _within_corr(x, y, account, period) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return float("nan")
    acc, per = np.unique(account[ok], return_inverse=True)[1], period[ok]
    xw, yw = within(x[ok], acc, per), within(y[ok], acc, per)
    denom = math.sqrt((xw**2).sum() * (yw**2).sum())
    return float((xw * yw).sum() / denom) if denom > 0 else float("nan")


def planted_truth(spec, acc, cat, tables, latent, metric, **facts) -> dict[str, Any]:
    """The planted truth, as written to truth.json."""
    T = spec.periods
    n = acc.n
    account = np.repeat(np.arange(n), T)
    period = np.tile(np.arange(T), n)
    z = latent["strength_z"].to_numpy()
    rv = latent["rv_flow"].to_numpy().reshape(n, T)
    observed = _observed_outcomes(tables["outcomes"], acc, spec)
    outcomes: dict[str, Any] = {}
    confounders, per_outcome = truth_of(spec)
    for o in OUTCOME_NAMES:
        beta, lag = spec.effect[o], spec.lag[o]
        direction = "none" if beta == 0 else "outcome_leads" if spec.reverse else "rv_leads"
        y = metric[o]
        z_lag = np.full((n, T), np.nan)
        z_lag[:, lag:] = z.reshape(n, T)[:, : T - lag]
        profile = {}
        for h in range(-(lag + 2), lag + 3):
            x = np.full((n, T), np.nan)
            if h >= 0:
                x[:, h:] = rv[:, : T - h]
            else:
                x[:, :h] = rv[:, -h:]
            profile[str(h)] = round(
                _within_corr(x.ravel(), observed[o].ravel(), account, period), 4
            )
        outcomes[o] = {
            "effect": beta,
            "lag": lag,
            "direction": direction,
            "metric": _METRIC_TEXT[o],
            "realized_latent_corr": None
            if spec.reverse
            else round(_within_corr(z_lag.ravel(), y.ravel(), account, period), 4),
            "rv_flow_profile": profile,
            **per_outcome[o],
        }
    locked_any = acc.hostage
    role_counts = tables["accounts"]["community_role"].value_counts()
    interactions = tables["interactions"]
    return {
        "rvq_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generation_seconds": round(facts["seconds"], 3),
        "spec": spec.model_dump(mode="json"),
        "as_of": spec.as_of_date.isoformat(),
        "first_period": str(latent["period"].iloc[0]),
        "last_period": str(latent["period"].iloc[T - 1]),
        "direction": "outcome_leads" if spec.reverse else "rv_leads",
        "outcomes": outcomes,
        "confounders": confounders,
        "model": {
            **{k: v for k, v in vars(MODEL).items()},
            "rho": spec.rho,
            "strength_mean": round(facts["strength_mean"], 6),
            "strength_sd_within": round(facts["strength_sd"], 6),
            "equations": _EQUATIONS,
            "emotional_codes": cat.codes[cat.emotional].tolist(),
        },
        "counts": {
            "accounts": n,
            "contacts": int(acc.n_contacts.sum()),
            "interactions": len(interactions),
            "outcome_rows": len(tables["outcomes"]),
            "voc_answers": len(tables["voc"]),
            "nps_answers": facts["n_nps"],
            "csat_answers": facts["n_csat"],
            "emotional_moments": facts["n_emotional"],
            "cost_overrides": int(interactions["cost"].notna().sum()),
            "share_of_wallet_clipped": metric["share_clipped"],
            "new_accounts_in_window": int((acc.first_touch >= 0).sum()),
            "accounts_losing_money": int(
                (tables["outcomes"].groupby("account_id")["profit"].sum() < 0).sum()
            ),
        },
        "hostage": {
            "count": int(locked_any.sum()),
            "rule": _HOSTAGE_TEXT,
            "contract_end": {
                str(a): (spec.period_index[0] + int(e)).strftime(period_format(spec.freq))
                for a, e in zip(acc.ids[locked_any], acc.contract_end[locked_any], strict=True)
            },
        },
        "community": {r: int(role_counts.get(r, 0)) for r in COMMUNITY_ROLES},
        "reps": {"count": len(acc.rep_skill), "skill": acc.rep_skill},
    }


def _observed_outcomes(outcomes: pd.DataFrame, acc: Accounts, spec: WorldSpec):
    """The written outcomes back on the (n, T) grid: profit, log revenue growth, share."""
    n, T = acc.n, spec.periods
    pos = {a: i for i, a in enumerate(acc.ids)}
    labels = spec.period_index.strftime(period_format(spec.freq))
    tpos = {p: i for i, p in enumerate(labels)}
    ai = outcomes["account_id"].map(pos).to_numpy()
    ti = outcomes["period"].map(tpos).to_numpy()
    grid = {}
    for col in ("profit", "revenue", "share_of_wallet"):
        g = np.full((n, T), np.nan)
        g[ai, ti] = outcomes[col].to_numpy(dtype=float)
        grid[col] = g
    growth = np.full((n, T), np.nan)
    growth[:, 1:] = np.log(grid["revenue"][:, 1:] / grid["revenue"][:, :-1])
    return {
        "profit": grid["profit"],
        "revenue_growth": growth,
        "share_of_wallet": grid["share_of_wallet"],
    }


_METRIC_TEXT = {
    "profit": "profit level; beta is in within-account SDs of the margin profit / revenue_scale",
    "revenue_growth": "log(revenue_t / revenue_{t-1}); beta in within SDs of that rate",
    "share_of_wallet": "share_of_wallet level (0-1); beta in within SDs of the share",
}
_HOSTAGE_TEXT = (
    "existing customers under long contracts: revenue (deseasonalized) and share of wallet "
    "stay fixed for every period before contract_end (a period index, 0 = first window "
    "period; may lie beyond the window) and do not follow RV there; their propensity "
    "decays linearly over the window, so their RV falls. Profit follows the model always."
)
_EQUATIONS = [
    "P_it = baseline_i + x_it - hostage_decay * clip((t+2)/(T+2), 0, 1) * hostage_i"
    " [+ reverse_kappa * sum_o effect_o * u^o_i,t-lag_o in reverse mode];"
    " x_it = propensity_phi * x_i,t-1 + propensity_sigma * e_it",
    "F_it = sum of catalog rv over the account's interactions in period t;"
    " F~_it = (F_it - mean_t F) / sd_t F over accounts active in t",
    "S_it = rho * S_i,t-1 + gamma * F~_it + sigma_eta * eta_it (S = 0 before first touch)",
    "z_it = (S_it - strength_mean) / strength_sd_within",
    "Y*_o,it = b_o * z_i,t-lag_o + sqrt(1 - b_o^2) * u^o_it, u^o unit-variance AR(1);"
    " b_o = effect_o (forward) or 0 (reverse)",
    "margin_it = margin_level_i + profit_sigma * Y*_profit; profit = revenue_scale_i * margin",
    "log(rev_it / rev_i,t-1) = growth_drift_i + growth_sigma * Y*_growth + season_t - season_t-1"
    " (hostage, before contract_end: season_t - season_t-1 only)",
    "share_it = share_level_i + share_sigma * Y*_share (hostage: share_level_i), clipped to"
    " [0.01, 0.99]; wallet = revenue / share",
    "nps = clip(round(nps_mean + nps_slope * z_it + nps_noise * e), 0, 10);"
    " csat = clip(round(csat_mean + csat_slope * z_it + csat_noise * e), 1, 5)",
]
