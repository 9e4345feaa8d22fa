"""The rules of the two optional tables only `rvq track` reads: plans and campaigns.

`plans` (account_id, date, kind[, won]): renewals and up-sells, planned (a date to come)
or past (``won``: whether it succeeded). `campaigns` (account_id[, contact_id], campaign,
arm, start_date): who got which arm of an A/B campaign, from when. Their dates may lie
after the as-of date (a renewal planned for next year), so only a date that does not
parse sets a row aside.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pandas as pd

from rvq.inputs.validation.check import Context, TableCheck
from rvq.inputs.validation.parse import as_text, as_timestamp, blank_text, iso_dates, norm_label
from rvq.inputs.validation.result import count_rows
from rvq.inputs.validation.rules import (
    _date_formats,
    _dup_values,
    _listing,
    _missing_values,
    _report_zones,
    _set_aside_unknown_accounts,
)
from rvq.schema import PLAN_KINDS

#: how a plan's kind may be written -> the kind
KIND_SPELLINGS = {"up_sell": "upsell"}  # norm_label writes "up-sell" and "up sell" so
#: how a plan's outcome may be written -> won
WON_SPELLINGS = {
    **dict.fromkeys(("1", "1.0", "yes", "y", "true", "won", "success"), True),
    **dict.fromkeys(("0", "0.0", "no", "n", "false", "lost", "failed"), False),
}


def _dates(check: TableCheck, context: Context, column: str) -> pd.Series:
    """``column`` as timestamps; rows whose date is missing or does not parse set aside."""
    written = iso_dates(check.frame[column], context.fmt.dates)
    when, zones = as_timestamp(written)
    check.set_aside(
        when.isna().to_numpy(),
        column,
        "unparseable_timestamp",
        f"whose {column} is missing or does not parse as {_date_formats(context.fmt.dates)}",
    )
    _report_zones(check, column, zones)
    return when


def _check_plans(check: TableCheck, context: Context) -> pd.DataFrame:
    f = check.frame
    ids = as_text(f["account_id"])
    _missing_values(check, {"account_id": ids})
    when = _dates(check, context, "date")
    kind = norm_label(f["kind"]).replace(KIND_SPELLINGS)
    odd = ~kind.isin(PLAN_KINDS).to_numpy()
    if (odd & check.used).any():
        seen = Counter(kind[odd & check.used].fillna("(missing)")).most_common(5)
        check.set_aside(
            odd,
            "kind",
            "unknown_plan_kind",
            f"whose kind is not {' or '.join(PLAN_KINDS)} ({_listing(seen)})",
        )
    won = pd.Series(pd.NA, index=f.index, dtype="boolean")
    if "won" in f.columns:
        text = norm_label(f["won"])
        won = text.map(WON_SPELLINGS).astype("boolean")
        bad = (text.notna() & won.isna()).to_numpy() & check.used
        if bad.any():
            check.problem(
                "repaired",
                "won",
                "unreadable_won",
                f"{count_rows(int(bad.sum()))} whose won is not yes/no (true/false, 1/0, "
                "won/lost): set to missing",
                bad,
            )
    _set_aside_unknown_accounts(check, ids, context.accounts)
    return pd.DataFrame({"account_id": ids, "date": when, "kind": kind, "won": won})


def _check_campaigns(check: TableCheck, context: Context) -> pd.DataFrame:
    f = check.frame
    ids = as_text(f["account_id"])
    campaign, arm = as_text(f["campaign"]), as_text(f["arm"])
    _missing_values(check, {"account_id": ids, "campaign": campaign, "arm": arm})
    start = _dates(check, context, "start_date")
    contact = as_text(f["contact_id"]) if "contact_id" in f.columns else blank_text(len(f), f.index)
    assignment = ids.fillna("") + "\x1f" + contact.fillna("") + "\x1f" + campaign.fillna("")
    check.set_aside(
        _dup_values(assignment, check.used),
        None,
        "duplicate_assignment",
        "repeating an account (and contact) already assigned in that campaign (the first is kept)",
    )
    _set_aside_unknown_accounts(check, ids, context.accounts)
    return pd.DataFrame(
        {"account_id": ids, "contact_id": contact, "campaign": campaign, "arm": arm,
         "start_date": start}
    )  # fmt: skip


#: per optional tracking table, the function that runs its rules (`validate_tables`)
TRACK_TABLE_RULES: dict[str, Callable[[TableCheck, Context], pd.DataFrame]] = {
    "plans": _check_plans,
    "campaigns": _check_campaigns,
}
