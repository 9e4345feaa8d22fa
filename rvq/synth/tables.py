"""The latent world made observable: each period's events as interaction rows (who, when,
by whom, at what cost), the outcomes (the money), the survey answers and the accounts, as
the canonical input tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rvq.schema import COMMUNITY_ROLES, FUNCTIONS, INTERACTIONS, OUTCOME_NAMES
from rvq.synth.accounts import CONTACT_SOURCES, INDUSTRIES, ROLE_CODES, TERRITORIES, Accounts
from rvq.synth.catalog import Catalog
from rvq.synth.spec import MODEL, SEASON_LOG_REVENUE, period_format, quarter_of

#: the role a function mostly talks to (half of its interactions go to that contact)
_FUNCTION_ROLE = {
    "marketing": "IN",
    "sales": "DM",
    "inside_sales": "BU",
    "customer_service": "US",
    "community": "US",
}
_FUNCTION_TEAM = {
    "marketing": "marketing",
    "inside_sales": "inside-sales",
    "customer_service": "customer-service",
    "community": "community",
}
SOURCE_SYSTEMS = {
    "marketing": "marketing_automation",
    "sales": "crm",
    "inside_sales": "crm",
    "customer_service": "support_desk",
    "community": "community_platform",
    "voc": "survey_tool",
}


def event_details(
    acc: Accounts,
    cat: Catalog,
    who: np.ndarray,
    rows: np.ndarray,
    period: pd.Period,
    t: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Who, when, by whom and at what cost: the observable columns of one period's events."""
    m = who.size
    function = cat.function[rows]
    # contact: half of a function's interactions go to the role it mostly serves
    role_of_function = np.array([ROLE_CODES.index(_FUNCTION_ROLE[f]) for f in FUNCTIONS])
    primary = acc.primary_contact[who, role_of_function[function]]
    uniform = acc.contact_start[who] + (rng.random(m) * acc.n_contacts[who]).astype(int)
    contact = np.where((primary >= 0) & (rng.random(m) < 0.5), primary, uniform)
    # staff: the account's own reps for sales and inside sales, a pool member otherwise
    staff = np.empty(m, int)
    for f, fname in enumerate(FUNCTIONS):
        sel = function == f
        if fname == "sales":
            staff[sel] = acc.rep[who[sel]]
        elif fname == "inside_sales":
            staff[sel] = acc.inside_rep[who[sel]]
        else:
            first, size = acc.staff_pools[fname]
            staff[sel] = first + rng.integers(0, size, sel.sum())
    start = np.datetime64(period.start_time.date(), "s").astype(np.int64)
    days = (period.end_time.normalize() - period.start_time).days + 1
    seconds = (
        start
        + np.floor(rng.random(m) * days).astype(np.int64) * 86_400
        + (8 * 3600 + np.floor(rng.random(m) * 10 * 3600)).astype(np.int64)
    )
    override = rng.random(m) < MODEL.cost_override_share
    cost = np.full(m, np.nan)
    cost[override] = np.round(
        cat.cost[rows[override]] * np.exp(rng.normal(0, 0.3, override.sum())), 2
    )
    order = np.argsort(seconds, kind="stable")
    return {
        "account": who[order],
        "contact": contact[order],
        "row": rows[order],
        "staff": staff[order],
        "seconds": seconds[order],
        "cost": cost[order],
        "period": np.full(m, t),
    }


def draw_outcomes(spec, acc, z, own, burn_in, rng, *, shift=None, leave=None):
    """The money: profit, revenue (via its growth rate), share of wallet and wallet.

    ``shift`` (from `rvq.synth.confounders.money_shift`) is added to the margin, the log
    revenue level and the share; ``leave`` (per account, window index) ends an account's
    rows. Returns the outcomes table, the (n, T) hostage lock mask and each outcome's model
    metric (profit margin, log growth, share) as (n, T) arrays for the truth's checks.
    """
    n, T = acc.n, spec.periods
    t_grid = np.arange(T)[None, :]
    exists = t_grid >= acc.closing[:, None] + 1  # from the first purchase on
    if leave is not None:
        exists &= t_grid < leave[:, None]
    locked = acc.hostage[:, None] & (t_grid < acc.contract_end[:, None])
    forward = not spec.reverse
    std_part = {}
    for o in OUTCOME_NAMES:
        beta = spec.effect[o] if forward else 0.0
        lagged = z[:, burn_in - spec.lag[o] : burn_in - spec.lag[o] + T]
        noise = own[o][:, burn_in : burn_in + T]
        std_part[o] = beta * lagged + math.sqrt(1.0 - beta**2) * noise

    margin = acc.margin_level[:, None] + MODEL.profit_sigma * std_part["profit"]
    if shift is not None:
        margin = margin + shift["margin"]
    profit = acc.revenue_scale[:, None] * margin

    season = np.asarray(SEASON_LOG_REVENUE)[quarter_of(spec.period_index)]
    prev_season = np.asarray(SEASON_LOG_REVENUE)[quarter_of(spec.period_index - 1)]
    growth_sigma = MODEL.growth_sigma * math.sqrt(spec.quarter_fraction)
    growth = acc.growth_drift[:, None] + growth_sigma * std_part["revenue_growth"]
    growth = np.where(locked, 0.0, growth) + (season - prev_season)[None, :]
    first = exists & ~np.concatenate([np.zeros((n, 1), bool), exists[:, :-1]], axis=1)
    step = np.where(first, np.log(acc.revenue_scale)[:, None] + season[None, :], growth)
    log_revenue = np.cumsum(np.where(exists, step, 0.0), axis=1)
    if shift is not None:  # a level shift: growth takes its change
        level = np.where(locked, 0.0, shift["log_revenue"])
        log_revenue = log_revenue + level
        prev = np.concatenate([level[:, :1], level[:, :-1]], axis=1)
        growth = growth + level - prev

    share = acc.share_level[:, None] + MODEL.share_sigma * std_part["share_of_wallet"]
    if shift is not None:
        share = share + shift["share_of_wallet"]
    share = np.where(locked, acc.share_level[:, None], share)
    clipped = exists & ((share < 0.01) | (share > 0.99))
    share = np.clip(share, 0.01, 0.99)

    ai, ti = np.nonzero(exists)
    revenue = np.round(np.exp(log_revenue[ai, ti]), 2)
    share_out = np.round(share[ai, ti], 4)
    table = pd.DataFrame(
        {
            "account_id": acc.ids[ai],
            "period": spec.period_index.strftime(period_format(spec.freq))[ti],
            "revenue": revenue,
            "profit": np.round(profit[ai, ti], 2),
            "wallet": np.round(revenue / share_out, 2),
            "share_of_wallet": share_out,
        }
    )
    metric = {
        "profit": np.where(exists, margin, np.nan),
        "revenue_growth": np.where(exists & ~first & ~locked, growth, np.nan),
        "share_of_wallet": np.where(exists & ~locked, share, np.nan),
    }
    metric["share_clipped"] = int(clipped.sum())
    return table, np.where(exists, locked, False), metric


def draw_voc(spec, acc, z, burn_in, rng, *, leave=None):
    """Survey answers of customers: NPS (0-10) or CSAT (1-5), each a noisy read of the
    current strength z_t (what customers SAY); none from an account's ``leave`` on."""
    T = spec.periods
    t_grid = np.arange(T)[None, :]
    customer = t_grid > acc.closing[:, None]
    if leave is not None:
        customer &= t_grid < leave[:, None]
    lam = np.where(customer, acc.n_contacts[:, None] * MODEL.surveys_per_contact, 0.0)
    counts = rng.poisson(lam * spec.quarter_fraction)
    ai, ti = np.nonzero(counts)
    reps = counts[ai, ti]
    ai, ti = np.repeat(ai, reps), np.repeat(ti, reps)
    m = ai.size
    zt = z[ai, burn_in + ti]
    is_nps = rng.random(m) < 0.55
    noise = rng.standard_normal(m)
    nps = np.clip(np.rint(MODEL.nps_mean + MODEL.nps_slope * zt + MODEL.nps_noise * noise), 0, 10)
    csat = np.clip(
        np.rint(MODEL.csat_mean + MODEL.csat_slope * zt + MODEL.csat_noise * noise), 1, 5
    )
    contact = acc.contact_start[ai] + (rng.random(m) * acc.n_contacts[ai]).astype(int)
    window = spec.period_index
    starts = np.asarray(window.start_time.normalize().values.astype("datetime64[D]"))
    days = np.asarray((window.end_time.normalize() - window.start_time).days + 1)
    when = starts[ti] + np.floor(rng.random(m) * days[ti]).astype("timedelta64[D]")
    order = np.lexsort((ai, when))
    table = pd.DataFrame(
        {
            "account_id": acc.ids[ai][order],
            "contact_id": acc.contact_ids[contact][order],
            "date": pd.to_datetime(when[order]),
            "nps": pd.array(np.where(is_nps, nps, np.nan)[order], dtype="Int64"),
            "csat": pd.array(np.where(is_nps, np.nan, csat)[order], dtype="Int64"),
        }
    )
    return table, int(is_nps.sum()), int((~is_nps).sum())


def interactions_table(acc, cat, events, spec) -> pd.DataFrame:
    """Concatenate the window's events into the canonical interactions table (Arrow-built:
    ids stay dictionary-encoded until the end, so 10M+ rows stay fast)."""
    cols = {k: np.concatenate([e[k] for e in events]) for k in events[0]} if events else {}
    m = cols["account"].size if cols else 0
    if m == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in INTERACTIONS.columns})

    def dict_col(indices: np.ndarray, values: np.ndarray) -> pa.Array:
        return pc.take(pa.array(values, pa.string()), pa.array(indices.astype(np.int32)))

    function = cat.function[cols["row"]]
    team_names = np.array(
        [f"sales-{t}" for t in TERRITORIES]
        + ["inside-sales", "marketing", "customer-service", "community"]
    )
    # sales interactions carry the account's territory team; other functions their own
    function_team = np.array(
        [
            len(TERRITORIES) + [*team_names[len(TERRITORIES) :]].index(_FUNCTION_TEAM[f])
            if f != "sales"
            else -1
            for f in FUNCTIONS
        ]
    )
    team = np.where(
        function == FUNCTIONS.index("sales"),
        acc.territory[cols["account"]],
        function_team[function],
    )
    source_names = np.array([SOURCE_SYSTEMS[f] for f in (*FUNCTIONS, "voc")])
    source = np.where(cat.is_voc[cols["row"]], len(FUNCTIONS), function)
    width = max(7, len(str(m)))
    event_id = pc.binary_join_element_wise(
        "E", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, m + 1)), pa.string()), width, "0"), ""
    )
    table = pa.table(
        {
            "account_id": dict_col(cols["account"], acc.ids),
            "contact_id": dict_col(cols["contact"], acc.contact_ids),
            "timestamp": pa.array(cols["seconds"].astype("datetime64[s]")),
            "interaction_code": dict_col(cols["row"], cat.codes),
            "rep_id": dict_col(cols["staff"], acc.staff_names),
            "team": dict_col(team, team_names),
            "cost": pa.array(cols["cost"], from_pandas=True),
            "source_system": dict_col(source, source_names),
            "event_id": event_id,
        }
    )
    return table.to_pandas()


def accounts_table(acc: Accounts) -> pd.DataFrame:
    width = len(acc.ids[0]) - 1
    return pd.DataFrame(
        {
            "account_id": acc.ids,
            "name": [f"Customer {i:0{width}d}" for i in range(1, acc.n + 1)],
            "industry": np.array(INDUSTRIES)[acc.industry],
            "territory": np.array(TERRITORIES)[acc.territory],
            "contact_source": np.array(CONTACT_SOURCES)[acc.source],
            "company_revenue": acc.company_revenue,
            "team": np.array([f"sales-{t}" for t in TERRITORIES])[acc.territory],
            "community_role": np.array(COMMUNITY_ROLES)[acc.community],
        }
    )
