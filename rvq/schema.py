"""The canonical input tables (contract 1, `docs/contracts.md`) and contract 3's names, in one place.

Every reader, validator, generator and test takes table and column names from here, and
the outcome and verdict names of `summary.json` too, so each is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("major", "voc")
STAGES = ("acquisition", "closing", "retention")
FUNCTIONS = ("marketing", "sales", "inside_sales", "customer_service", "community")
VALUE_ASPECTS = ("brand", "product", "experience")
COMMUNITY_ROLES = ("leader", "doer", "watcher", "none")

#: the outcomes the pilot back-tests and `summary.json` reports on (contract 3)
OUTCOME_NAMES = ("profit", "revenue_growth", "share_of_wallet")
#: the accounts columns whose extremes question 5 compares unless a config names others
DEFAULT_SEGMENTS = ("industry", "territory", "team", "contact_source", "community_role")
#: the verdicts a leading-indicator result may carry (contract 3)
VERDICTS = ("leading", "not_leading", "insufficient_data")


@dataclass(frozen=True)
class TableSpec:
    """One canonical table: its required and optional columns and whether it must exist."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    must_exist: bool = True
    description: str = ""
    columns_doc: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


INTERACTIONS = TableSpec(
    name="interactions",
    required=("account_id", "contact_id", "timestamp", "interaction_code"),
    optional=("rep_id", "team", "cost", "source_system", "event_id"),
    description="one row per interaction with a contact of an account",
)

CATALOG = TableSpec(
    name="catalog",
    required=(
        "interaction_code",
        "name",
        "kind",
        "stage",
        "function",
        "channel",
        "rv",
        "cost",
        "value_aspect",
    ),
    optional=("rationale",),
    must_exist=False,
    description="the pro forma model: one row per interaction type (shipped default if absent)",
)

#: accounts columns only `rvq track` reads (unit comparison, up-sell readiness): kept when
#: given, never added blank
TRACK_ACCOUNT_COLUMNS = ("partner", "business_unit", "contract_end")

ACCOUNTS = TableSpec(
    name="accounts",
    required=("account_id",),
    optional=(
        "name",
        "industry",
        "territory",
        "contact_source",
        "company_revenue",
        "team",
        "community_role",
        *TRACK_ACCOUNT_COLUMNS,
    ),
    description="one row per account",
)

OUTCOMES = TableSpec(
    name="outcomes",
    required=("account_id", "period", "revenue", "profit"),
    optional=("wallet", "share_of_wallet"),
    description="one row per account and period: the money",
)

VOC = TableSpec(
    name="voc",
    required=("account_id", "date"),
    optional=("contact_id", "nps", "csat"),
    must_exist=False,
    description="Voice-of-Customer survey answers (what customers SAY)",
)

PLANS = TableSpec(
    name="plans",
    required=("account_id", "date", "kind"),
    optional=("won",),
    must_exist=False,
    description="renewals and up-sells, planned or past (`rvq track`): kind renewal or upsell, "
    "won whether a past one succeeded",
)

CAMPAIGNS = TableSpec(
    name="campaigns",
    required=("account_id", "campaign", "arm", "start_date"),
    optional=("contact_id",),
    must_exist=False,
    description="A/B campaigns (`rvq track`): which account (or contact) got which arm, from when",
)

#: the kinds of plan the up-sell readiness list knows
PLAN_KINDS = ("renewal", "upsell")

TABLES: dict[str, TableSpec] = {
    spec.name: spec for spec in (INTERACTIONS, CATALOG, ACCOUNTS, OUTCOMES, VOC, PLANS, CAMPAIGNS)
}

#: file suffixes a dataset folder may use for a table, in order of preference
TABLE_SUFFIXES = (".parquet", ".csv", ".csv.gz")
