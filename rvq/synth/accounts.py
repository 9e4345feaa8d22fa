"""The accounts' fixed traits, drawn once per world: firmographics, community role, buying
center (contacts and their roles), staff and rep skill, baseline propensity, lifecycle
(first touch, closing), hostage contracts and the scales of their money."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rvq.schema import COMMUNITY_ROLES
from rvq.synth.spec import MODEL, WorldSpec

#: buying-center roles; the code is the last part of every contact_id (``A00042-C03-DM``)
CONTACT_ROLES = {"DM": "decision_maker", "IN": "influencer", "US": "user", "BU": "buyer"}
ROLE_CODES = tuple(CONTACT_ROLES)

INDUSTRIES = (
    "manufacturing",
    "retail",
    "financial_services",
    "healthcare",
    "technology",
    "logistics",
    "energy",
    "public_sector",
)
TERRITORIES = ("north", "south", "east", "west", "central")
CONTACT_SOURCES = ("inbound_web", "outbound", "event", "referral", "partner", "marketing_list")
#: baseline-propensity shift by contact source (referred customers start warmer)
_SOURCE_EFFECT = (0.1, -0.2, 0.0, 0.35, 0.15, -0.1)
_SOURCE_PROBS = (0.3, 0.2, 0.15, 0.1, 0.1, 0.15)
_COMMUNITY_MIX = {"leader": 0.1, "doer": 0.3, "watcher": 0.6}


@dataclass
class Accounts:
    n: int
    ids: np.ndarray  # str
    industry: np.ndarray
    territory: np.ndarray
    source: np.ndarray
    company_revenue: np.ndarray
    community: np.ndarray  # index into COMMUNITY_ROLES
    n_contacts: np.ndarray
    contact_start: np.ndarray
    contact_account: np.ndarray
    contact_rank: np.ndarray
    contact_role: np.ndarray  # index into ROLE_CODES
    contact_ids: np.ndarray  # str, "<account_id>-C<rank>-<role code>"
    primary_contact: np.ndarray  # (n, 4) global contact index per role, -1 when absent
    rep: np.ndarray  # index into staff names (sales reps)
    inside_rep: np.ndarray  # index into staff names
    baseline: np.ndarray
    first_touch: np.ndarray  # period index (0 = window start) of the first interaction
    closing: np.ndarray  # period of closing; first purchase is the next period
    hostage: np.ndarray  # bool
    contract_end: np.ndarray  # first period no longer locked (hostage only; else -inf)
    revenue_scale: np.ndarray
    margin_level: np.ndarray
    growth_drift: np.ndarray
    share_level: np.ndarray
    staff_names: np.ndarray
    staff_pools: dict[str, tuple[int, int]]  # function -> (first index, size)
    rep_skill: dict[str, float]


def draw_accounts(spec: WorldSpec, rng: np.random.Generator, burn_in: int) -> Accounts:
    n, periods = spec.accounts, spec.periods
    width = max(5, len(str(n)))
    ids = np.array([f"A{i:0{width}d}" for i in range(1, n + 1)])
    industry = rng.choice(len(INDUSTRIES), n)
    territory = rng.choice(len(TERRITORIES), n)
    source = rng.choice(len(CONTACT_SOURCES), n, p=_SOURCE_PROBS)
    company_revenue = np.round(np.exp(rng.normal(np.log(5e7), 1.3, n)), -3)
    member = rng.random(n) < spec.community_share
    role = rng.choice(3, n, p=list(_COMMUNITY_MIX.values()))
    community = np.where(member, role, COMMUNITY_ROLES.index("none"))

    # buying center: at least two contacts; the first four ranks hold distinct roles
    n_contacts = 2 + rng.poisson(spec.contacts_per_account - 2, n)
    contact_start = np.concatenate([[0], np.cumsum(n_contacts)[:-1]])
    contact_account = np.repeat(np.arange(n), n_contacts)
    contact_rank = np.arange(n_contacts.sum()) - contact_start[contact_account]
    perm = np.argsort(rng.random((n, 4)), axis=1)
    extra_role = rng.choice(4, n_contacts.sum(), p=[0.15, 0.3, 0.4, 0.15])
    contact_role = np.where(
        contact_rank < 4,
        perm[contact_account, np.minimum(contact_rank, 3)],
        extra_role,
    )
    contact_ids = pc.binary_join_element_wise(
        pa.array(ids[contact_account]),
        "-C",
        pc.utf8_lpad(pc.cast(pa.array(contact_rank + 1), pa.string()), 2, "0"),
        "-",
        pa.array(np.array(ROLE_CODES)[contact_role]),
        "",
    ).to_numpy(zero_copy_only=False)
    position = np.argsort(perm, axis=1)  # rank at which each role sits
    primary_contact = np.where(
        position < n_contacts[:, None], contact_start[:, None] + position, -1
    )

    # staff: sales reps per territory team (~60 accounts each), then function pools
    names: list[str] = []
    rep = np.empty(n, int)
    skill_of: dict[str, float] = {}
    for t, terr in enumerate(TERRITORIES):
        members = np.flatnonzero(territory == t)
        k = max(2, math.ceil(members.size / 60))
        first = len(names)
        team_names = [f"R-{terr}-{j:03d}" for j in range(1, k + 1)]
        names += team_names
        skill = rng.normal(0, MODEL.rep_skill_sigma, k)
        skill_of.update(zip(team_names, skill.round(4).tolist(), strict=True))
        rep[members] = first + rng.integers(0, k, members.size)
    pools: dict[str, tuple[int, int]] = {}
    for function, prefix, per in (
        ("inside_sales", "ISR", 250),
        ("marketing", "MKT", 400),
        ("customer_service", "CSA", 100),
        ("community", "COM", 800),
    ):
        k = max(2, n // per)
        pools[function] = (len(names), k)
        names += [f"{prefix}-{j:03d}" for j in range(1, k + 1)]
    inside_rep = pools["inside_sales"][0] + rng.integers(0, pools["inside_sales"][1], n)
    staff_names = np.array(names)
    skill_by_index = np.zeros(len(names))
    skill_by_index[: len(skill_of)] = list(skill_of.values())

    industry_effect = rng.normal(0, MODEL.industry_sigma, len(INDUSTRIES))
    baseline = (
        industry_effect[industry]
        + np.asarray(_SOURCE_EFFECT)[source]
        + skill_by_index[rep]
        + rng.normal(0, MODEL.baseline_sigma, n)
    )

    # lifecycle: existing customers bought long before the window; new accounts are
    # first touched from 3 periods before it on, and buy by the window's second-last period
    new = rng.random(n) < spec.new_account_share
    acquisition_length = 1 + rng.binomial(2, 0.5, n)
    latest = np.maximum(periods - 3 - acquisition_length, -3)
    first_new = -3 + np.floor(rng.random(n) * (latest + 4)).astype(int)
    first_touch = np.where(new, first_new, -(burn_in + 10))
    closing = first_touch + acquisition_length

    existing = np.flatnonzero(~new)
    n_hostage = min(existing.size, round(spec.hostage_share * n))
    hostage = np.zeros(n, bool)
    hostage[rng.choice(existing, n_hostage, replace=False)] = True
    contract_end = np.where(
        hostage, rng.integers(periods // 3, periods + 4, n), np.iinfo(np.int64).min
    )

    revenue_scale = (
        MODEL.revenue_median
        * spec.quarter_fraction
        * (company_revenue / 5e7) ** 0.5
        * np.exp(rng.normal(0, 0.5, n))
    )
    margin_level = rng.normal(MODEL.profit_margin_mean, MODEL.profit_margin_sd, n)
    growth_drift = rng.normal(0, MODEL.growth_drift_sd * spec.quarter_fraction, n)
    share_level = rng.uniform(MODEL.share_low, MODEL.share_high, n)
    return Accounts(
        n=n,
        ids=ids,
        industry=industry,
        territory=territory,
        source=source,
        company_revenue=company_revenue,
        community=community,
        n_contacts=n_contacts,
        contact_start=contact_start,
        contact_account=contact_account,
        contact_rank=contact_rank,
        contact_role=contact_role,
        contact_ids=contact_ids,
        primary_contact=primary_contact,
        rep=rep,
        inside_rep=inside_rep,
        baseline=baseline,
        first_touch=first_touch,
        closing=closing,
        hostage=hostage,
        contract_end=contract_end,
        revenue_scale=revenue_scale,
        margin_level=margin_level,
        growth_drift=growth_drift,
        share_level=share_level,
        staff_names=staff_names,
        staff_pools=pools,
        rep_skill=skill_of,
    )
