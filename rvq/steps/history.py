"""Step e, the historical record of priority customers: how complete it is, and what to ask for.

Priority customers are the top accounts by revenue. Their record is complete when each
source and team, the outcomes and the Voice of the Customer cover them in every period;
the holes, the duplicates and the conflicting values become a request list per team
(the pilot's cross-functional deliverable).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from rvq.inputs.digest import SINGLE_VALUED, RowDigest, repeated_rows, value_pairs
from rvq.scoring.cells import event_counts
from rvq.steps.datamap import (
    DATA_OWNER,
    OUTCOME_OWNER,
    VOC_OWNER,
    event_periods,
    period_range_of,
    set_aside_rows,
)
from rvq.steps.datamap import _labels as labels_of

COMPLETENESS_COLUMNS = [
    "dimension",
    "value",
    "period",
    "accounts_with_records",
    "accounts_served",
    "n_priority",
    "share",
    "share_of_served",
    "records",
]
CONFLICT_COLUMNS = ["check", "table", "key", "key_value", "period", "detail", "n_rows"]
REQUEST_COLUMNS = [
    "team",
    "request",
    "accounts",
    "periods",
    "why",
    "n_accounts",
    "n_periods",
]

#: (table, key, attribute): the attribute must have one value per key


def priority_customers(
    outcomes: pd.DataFrame,
    n: int = 50,
    *,
    by: str = "revenue",
    start=None,
    end=None,
) -> pd.DataFrame:
    """The top `n` accounts by total `by` (revenue by default) over the window [start, end].

    One row per priority account: rank, revenue and profit totals, periods with an
    outcome, and the share of the book's revenue it brings (and cumulatively). Ties are
    broken by account id so the list is reproducible.
    """
    o = outcomes
    if start is not None or end is not None:
        periods = pd.PeriodIndex(o["period"])
        keep = np.ones(len(o), dtype=bool)
        if start is not None:
            keep &= periods >= pd.Period(start, freq=periods.freq)
        if end is not None:
            keep &= periods <= pd.Period(end, freq=periods.freq)
        o = o.loc[keep]
    totals = o.groupby("account_id").agg(
        revenue=("revenue", "sum"), profit=("profit", "sum"), periods=("period", "nunique")
    )
    if by not in totals:
        totals[by] = o.groupby("account_id")[by].sum()
    book = totals["revenue"].sum()
    top = (
        totals.reset_index()
        .sort_values([by, "account_id"], ascending=[False, True], ignore_index=True)
        .head(n)
    )
    top.insert(0, "rank", np.arange(1, len(top) + 1))
    top["share_of_revenue"] = top["revenue"] / book if book else np.nan
    top["cumulative_share"] = top["share_of_revenue"].cumsum()
    return top


def _priority_ids(priority) -> pd.Index:
    if isinstance(priority, pd.DataFrame):
        return pd.Index(priority["account_id"].astype(str).unique(), name="account_id")
    return pd.Index(pd.Series(list(priority), dtype=object).astype(str).unique(), name="account_id")


def _record_presence(
    priority: pd.Index,
    scored_events: pd.DataFrame,
    outcomes: pd.DataFrame,
    voc: pd.DataFrame | None,
    by: Sequence[str],
    freq: str | None,
) -> tuple[pd.DataFrame, pd.PeriodIndex]:
    """Records of priority accounts as (dimension, value, account_id, period, records) rows.

    An event cell (`rvq.scoring.cells`) is `n_events` records; an outcome value or a survey is one.
    """
    if freq is None:
        freq = pd.PeriodIndex(outcomes["period"]).freqstr
    parts = []
    events = scored_events.loc[scored_events["account_id"].astype(str).isin(priority)]
    event_period = event_periods(events, None if "period" in events else freq)
    for dimension in by:
        parts.append(
            pd.DataFrame(
                {
                    "dimension": dimension,
                    "value": labels_of(events, dimension).astype(str),
                    "account_id": events["account_id"].astype(str),
                    "period": event_period,
                    "records": event_counts(events),
                }
            )
        )
    o = outcomes.loc[outcomes["account_id"].astype(str).isin(priority)]
    for column in ("revenue", "profit", "wallet", "share_of_wallet"):
        if column in o:
            known = o.loc[o[column].notna()]
            parts.append(
                pd.DataFrame(
                    {
                        "dimension": "outcomes",
                        "value": column,
                        "account_id": known["account_id"].astype(str),
                        "period": known["period"],
                        "records": 1,
                    }
                )
            )
    if voc is not None and not voc.empty:
        v = voc.loc[voc["account_id"].astype(str).isin(priority)]
        parts.append(
            pd.DataFrame(
                {
                    "dimension": "voc",
                    "value": "surveys",
                    "account_id": v["account_id"].astype(str),
                    "period": pd.to_datetime(v["date"]).dt.to_period(freq),
                    "records": 1,
                }
            )
        )
    presence = pd.concat(parts, ignore_index=True)
    presence["period"] = pd.PeriodIndex(presence["period"], freq=freq)
    window = period_range_of(presence["period"])
    presence = (
        presence.groupby(["dimension", "value", "account_id", "period"], observed=True)["records"]
        .sum()
        .reset_index()
    )
    return presence, window


def record_completeness(
    priority,
    scored_events: pd.DataFrame,
    outcomes: pd.DataFrame,
    voc: pd.DataFrame | None = None,
    by: Sequence[str] = ("source_system", "team"),
    freq: str | None = None,
) -> pd.DataFrame:
    """How much of the priority customers' record each source, team, outcome and VoC covers.

    Tidy: one row per dimension (each of `by`, then `outcomes`, `voc`), value (a source, a
    team, an outcome column, surveys) and period of the window (every period, none left
    out): priority accounts with at least one record, `accounts_served` (priority accounts
    with a record of that value in any period), the share of the priority list
    (`share`) and of the accounts served (`share_of_served`: a territorial team is judged
    on its own accounts), and the number of records. `priority` is
    `priority_customers(...)` or account ids.
    """
    ids = _priority_ids(priority)
    presence, window = _record_presence(ids, scored_events, outcomes, voc, by, freq)
    counts = presence.groupby(["dimension", "value", "period"], observed=True).agg(
        accounts_with_records=("account_id", "nunique"), records=("records", "sum")
    )
    values = presence[["dimension", "value"]].drop_duplicates()
    grid = values.merge(pd.DataFrame({"period": window}), how="cross")
    out = grid.merge(counts.reset_index(), on=["dimension", "value", "period"], how="left")
    out = out.fillna({"accounts_with_records": 0, "records": 0})
    out["accounts_with_records"] = out["accounts_with_records"].astype("int64")
    out["records"] = out["records"].astype("int64")
    served = presence.groupby(["dimension", "value"])["account_id"].nunique()
    out["accounts_served"] = out.set_index(["dimension", "value"]).index.map(served).astype("int64")
    out["n_priority"] = len(ids)
    out["share"] = out["accounts_with_records"] / max(len(ids), 1)
    out["share_of_served"] = out["accounts_with_records"] / out["accounts_served"]
    order = {d: i for i, d in enumerate([*by, "outcomes", "voc"])}
    out["_order"] = out["dimension"].map(order)
    out = out.sort_values(["_order", "value", "period"], ignore_index=True)
    return out[COMPLETENESS_COLUMNS]


# ----------------------------------------------------------------------------- conflicts
def duplicates_and_conflicts(
    interactions: pd.DataFrame | None,
    validation=None,
    outcomes: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    *,
    digest: RowDigest | None = None,
    single_valued: Iterable[tuple[str, str, str]] = SINGLE_VALUED,
    tolerance: float = 0.01,
) -> pd.DataFrame:
    """Duplicates and contradictions in the record, one row per finding (tidy).

    Checks (`check` column):
    - `duplicate_set_aside`: interaction or outcome rows validation set aside as
      duplicates (reason mentions "duplicat"), counted per account;
    - `possible_duplicate`: used interactions that repeat account, contact, timestamp and
      code (extra copies per account) — kept, but worth a look;
    - `conflicting_<attribute>`: a key with more than one value of an attribute that
      should have one (`single_valued`: a rep in two teams, an account in two teams);
    - `profit_above_revenue`, `wallet_below_revenue`: outcomes that cannot both be true;
    - `share_of_wallet_mismatch`: share of wallet differs from revenue / wallet by more
      than `tolerance`.
    `interactions=None` (a streamed pilot holds no interaction rows, only event cells):
    the checks on interaction rows come from `digest` (the same findings), or are skipped
    without one; the others still run.
    """
    parts = [
        _set_aside_duplicates(validation, "interactions"),
        _set_aside_duplicates(validation, "outcomes"),
    ]
    if interactions is not None:
        parts.append(_possible_duplicate_findings(repeated_rows(interactions)))
    elif digest is not None:
        parts.append(_possible_duplicate_findings(digest.repeats))
    tables = {"interactions": interactions, "accounts": accounts}
    for table, key, attribute in single_valued:
        frame = tables.get(table)
        if frame is not None and key in frame and attribute in frame:
            parts.append(_conflicting_values(frame, table, key, attribute))
        elif table == "interactions" and frame is None and digest is not None:
            pairs = digest.pairs.get((key, attribute))
            if pairs is not None:
                parts.append(_conflict_findings(pairs, table, key, attribute))
    if outcomes is not None:
        parts += _outcome_conflicts(outcomes, tolerance)
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=CONFLICT_COLUMNS)
    return pd.concat(parts, ignore_index=True)[CONFLICT_COLUMNS]


def _set_aside_duplicates(validation, table: str) -> pd.DataFrame:
    rows = set_aside_rows(validation, table)
    if rows.empty or "reason" not in rows:
        return pd.DataFrame(columns=CONFLICT_COLUMNS)
    dup = rows.loc[rows["reason"].astype(str).str.contains("duplicat", case=False, na=False)]
    if dup.empty:
        return pd.DataFrame(columns=CONFLICT_COLUMNS)
    account = dup["account_id"].astype(str) if "account_id" in dup else "(unknown)"
    counts = dup.assign(_account=account, _n=event_counts(dup)).groupby("_account")["_n"].sum()
    return pd.DataFrame(
        {
            "check": "duplicate_set_aside",
            "table": table,
            "key": "account_id",
            "key_value": counts.index.astype(str),
            "period": None,
            "detail": counts.astype(str).to_numpy() + f" duplicate rows set aside from {table}",
            "n_rows": counts.to_numpy(),
        }
    )


def _possible_duplicate_findings(repeats: pd.DataFrame) -> pd.DataFrame:
    """Findings from the extra rows per account (`account_id`, `n_rows`; zero rows omitted)."""
    counts = repeats.loc[repeats["n_rows"] > 0].sort_values("account_id")
    if counts.empty:
        return pd.DataFrame(columns=CONFLICT_COLUMNS)
    n_rows = counts["n_rows"].astype("int64").to_numpy()
    return pd.DataFrame(
        {
            "check": "possible_duplicate",
            "table": "interactions",
            "key": "account_id",
            "key_value": counts["account_id"].astype(str).to_numpy(),
            "period": None,
            "detail": n_rows.astype(str).astype(object)
            + " extra rows repeat the same contact, time and interaction",
            "n_rows": n_rows,
        }
    )


def _conflicting_values(frame: pd.DataFrame, table: str, key: str, attribute: str) -> pd.DataFrame:
    return _conflict_findings(value_pairs(frame, key, attribute), table, key, attribute)


def _conflict_findings(pairs: pd.DataFrame, table: str, key: str, attribute: str) -> pd.DataFrame:
    """Findings from `value_pairs`: each key with more than one attribute value."""
    distinct = pairs.sort_values([key, attribute])
    n_values = distinct.groupby(key)[attribute].size()
    conflicted = n_values[n_values > 1].index
    if conflicted.empty:
        return pd.DataFrame(columns=CONFLICT_COLUMNS)
    chosen = distinct.loc[distinct[key].isin(conflicted)]
    values = chosen.groupby(key)[attribute].agg(", ".join)
    rows = chosen.groupby(key)["n_rows"].sum()
    return pd.DataFrame(
        {
            "check": f"conflicting_{attribute}",
            "table": table,
            "key": key,
            "key_value": values.index.astype(str),
            "period": None,
            "detail": n_values.loc[values.index].astype(str).to_numpy()
            + f" different {attribute} values: "
            + values.to_numpy(),
            "n_rows": rows.loc[values.index].to_numpy(),
        }
    )


def _outcome_conflicts(outcomes: pd.DataFrame, tolerance: float) -> list[pd.DataFrame]:
    o = outcomes
    revenue = o["revenue"].astype(float)
    checks = [
        (
            "profit_above_revenue",
            o["profit"].astype(float) > revenue + 1e-9 * revenue.abs(),
            "profit "
            + o["profit"].map("{:,.2f}".format).astype(str)
            + " exceeds revenue "
            + revenue.map("{:,.2f}".format).astype(str),
        )
    ]
    if "wallet" in o:
        wallet = o["wallet"].astype(float)
        checks.append(
            (
                "wallet_below_revenue",
                wallet < revenue - 1e-9 * revenue.abs(),
                "wallet "
                + wallet.map("{:,.2f}".format).astype(str)
                + " is below revenue "
                + revenue.map("{:,.2f}".format).astype(str),
            )
        )
        if "share_of_wallet" in o:
            share = o["share_of_wallet"].astype(float)
            implied = revenue / wallet.where(wallet > 0)
            checks.append(
                (
                    "share_of_wallet_mismatch",
                    (share - implied).abs() > tolerance,
                    "share of wallet "
                    + share.map("{:.3f}".format).astype(str)
                    + " but revenue / wallet is "
                    + implied.map("{:.3f}".format).astype(str),
                )
            )
    parts = []
    for check, flagged, detail in checks:
        flagged = flagged.fillna(False).astype(bool)
        parts.append(
            pd.DataFrame(
                {
                    "check": check,
                    "table": "outcomes",
                    "key": "account_id",
                    "key_value": o.loc[flagged, "account_id"].astype(str),
                    "period": o.loc[flagged, "period"].astype(str),
                    "detail": detail[flagged],
                    "n_rows": 1,
                }
            )
        )
    return parts


# ----------------------------------------------------------------------------- requests
def _period_spans(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Per `keys` group, its periods written as runs: '2020Q1–2020Q3, 2021Q2'."""
    f = frame[[*keys, "period"]].drop_duplicates().sort_values([*keys, "period"])
    ordinal = pd.Series(pd.PeriodIndex(f["period"]).asi8, index=f.index)
    new_run = ordinal.groupby([f[k] for k in keys]).diff().ne(1)
    run = new_run.cumsum()
    runs = f.assign(_run=run).groupby([*keys, "_run"])["period"].agg(["min", "max"])
    text = (
        runs["min"]
        .astype(str)
        .where(runs["min"] == runs["max"], runs["min"].astype(str) + "–" + runs["max"].astype(str))
    )
    return text.groupby(level=keys).agg(", ".join)


def _id_list(frame: pd.DataFrame, keys: list[str], max_ids: int) -> pd.Series:
    """Per group, its account ids (the first `max_ids`, then 'and k more')."""
    ids = frame[[*keys, "account_id"]].drop_duplicates().sort_values([*keys, "account_id"])
    position = ids.groupby(keys).cumcount()
    shown = ids.loc[position < max_ids].groupby(keys)["account_id"].agg(", ".join)
    total = ids.groupby(keys).size()
    more = (total - max_ids).clip(lower=0)
    return shown + np.where(more > 0, " and " + more.astype(str) + " more", "")


def data_requests(
    priority,
    scored_events: pd.DataFrame,
    outcomes: pd.DataFrame,
    voc: pd.DataFrame | None = None,
    conflicts: pd.DataFrame | None = None,
    unmapped: pd.DataFrame | None = None,
    *,
    by: Sequence[str] = ("source_system", "team"),
    freq: str | None = None,
    source_owners: Mapping[str, str] | None = None,
    min_share: float = 0.5,
    max_ids: int = 10,
) -> pd.DataFrame:
    """The request list of missing data per team: what, for which accounts and periods, why.

    - a source or team whose coverage of priority accounts in a period falls below
      `min_share` × its usual (median) coverage: the records of that period, for the
      priority accounts without one — asked of the team itself, or of the source's owner
      (`source_owners`, else "owner of <source>");
    - periods in which a priority account has no revenue or profit, from its first
      outcome on (before it, it may not have been a customer yet): asked of Finance;
    - priority accounts with no VoC survey in the window: asked of the VoC owner;
    - each kind of duplicate or conflict (`duplicates_and_conflicts`) and each unmapped
      code (`unmapped_codes`): asked of BI / data engineering, or Finance for outcomes.
    Sorted by team, then by the size of the hole (accounts × periods).
    """
    ids = _priority_ids(priority)
    presence, window = _record_presence(ids, scored_events, outcomes, voc, by, freq)
    owner_of_source = dict(source_owners or {})
    parts = [
        _coverage_requests(presence, window, ids, by, owner_of_source, min_share, max_ids),
        _outcome_requests(presence, window, ids, max_ids),
        _voc_requests(presence, ids, voc, max_ids),
    ]
    if conflicts is not None and not conflicts.empty:
        parts.append(_conflict_requests(conflicts, max_ids))
    if unmapped is not None and not unmapped.empty:
        parts.append(
            pd.DataFrame(
                {
                    "team": DATA_OWNER,
                    "request": "Map interaction code '"
                    + unmapped["interaction_code"].astype(str)
                    + "' to a catalog interaction, or add it to the catalog",
                    "accounts": unmapped["n_accounts"].astype(str) + " accounts",
                    "periods": unmapped["first_seen"].astype(str).str[:10]
                    + " to "
                    + unmapped["last_seen"].astype(str).str[:10],
                    "why": unmapped["n_events"].astype(str)
                    + " interaction rows carry no RV until the code is mapped.",
                    "n_accounts": unmapped["n_accounts"].astype("int64"),
                    "n_periods": 0,
                }
            )
        )
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=REQUEST_COLUMNS)
    requests = pd.concat(parts, ignore_index=True)[REQUEST_COLUMNS]
    requests["_size"] = requests["n_accounts"] * requests["n_periods"].clip(lower=1)
    return requests.sort_values(
        ["team", "_size", "request"], ascending=[True, False, True], ignore_index=True
    )[REQUEST_COLUMNS]


def _missing_cells(
    presence: pd.DataFrame, window: pd.PeriodIndex, ids: pd.Index, values: pd.DataFrame
) -> pd.DataFrame:
    """(dimension, value, account_id, period) cells of `values` × ids × window with no record."""
    grid = values.merge(pd.DataFrame({"account_id": ids}), how="cross").merge(
        pd.DataFrame({"period": window}), how="cross"
    )
    have = presence[["dimension", "value", "account_id", "period"]].assign(_have=True)
    grid = grid.merge(have, on=["dimension", "value", "account_id", "period"], how="left")
    return grid.loc[grid["_have"].isna()].drop(columns="_have")


def _coverage_requests(presence, window, ids, by, owner_of_source, min_share, max_ids):
    coverage = (
        presence.loc[presence["dimension"].isin(by)]
        .groupby(["dimension", "value", "period"], observed=True)["account_id"]
        .nunique()
        .unstack("period", fill_value=0)
        .reindex(columns=window, fill_value=0)
        .rename_axis(columns="period")
    )
    if coverage.empty:
        return pd.DataFrame(columns=REQUEST_COLUMNS)
    usual = coverage.median(axis=1)
    holes = coverage.lt(min_share * usual, axis=0) & usual.gt(0).to_numpy()[:, None]
    holes = holes.stack().rename("hole").reset_index()
    holes = holes.loc[holes["hole"] & (holes["value"] != "(not recorded)")]
    if holes.empty:
        return pd.DataFrame(columns=REQUEST_COLUMNS)
    missing = _missing_cells(
        presence, window, ids, holes[["dimension", "value"]].drop_duplicates()
    ).merge(holes[["dimension", "value", "period"]], on=["dimension", "value", "period"])
    keys = ["dimension", "value"]
    groups = missing.groupby(keys).agg(
        n_accounts=("account_id", "nunique"), n_periods=("period", "nunique")
    )
    groups["accounts"] = _id_list(missing, keys, max_ids)
    groups["periods"] = _period_spans(missing, keys)
    share = coverage.div(len(ids)).median(axis=1)
    groups = groups.reset_index()
    is_team = groups["dimension"] == "team"
    source = groups["value"]
    named = source.map(owner_of_source).astype(object)
    owner = named.where(named.notna(), "owner of source '" + source + "'")
    groups["team"] = source.where(is_team, owner)
    what = np.where(is_team, "Interaction records logged by team '", "Interaction records from '")
    groups["request"] = what + source + "' for priority accounts in these periods"
    usual_share = groups.set_index(keys).index.map(share)
    groups["why"] = (
        "Coverage of priority accounts dropped below "
        + f"{min_share:.0%}"
        + " of its usual "
        + pd.Series(usual_share, index=groups.index).map("{:.0%}".format).astype(str)
        + ": RV in these periods is understated, so leading-indicator tests see a false dip."
    )
    return groups


def _outcome_requests(presence, window, ids, max_ids):
    values = pd.DataFrame({"dimension": ["outcomes", "outcomes"], "value": ["revenue", "profit"]})
    missing = _missing_cells(presence, window, ids, values)
    # before an account's first outcome it may not have been a customer yet: not a hole
    money = presence.loc[presence["dimension"] == "outcomes"]
    first = money.groupby("account_id")["period"].min()
    since = missing["account_id"].map(first)
    missing = missing.loc[since.isna() | (missing["period"] >= since)]
    if missing.empty:
        return pd.DataFrame(columns=REQUEST_COLUMNS)
    keys = ["value"]
    groups = missing.groupby(keys).agg(
        n_accounts=("account_id", "nunique"), n_periods=("period", "nunique")
    )
    groups["accounts"] = _id_list(missing, keys, max_ids)
    groups["periods"] = _period_spans(missing, keys)
    groups = groups.reset_index()
    groups["team"] = OUTCOME_OWNER
    groups["request"] = "Per-period " + groups["value"] + " of priority accounts"
    groups["why"] = (
        "Without the money the back-test cannot tell whether RV moves before it; "
        + groups["n_accounts"].astype(str)
        + " of "
        + str(len(ids))
        + " priority accounts have periods without it."
    )
    return groups


def _voc_requests(presence, ids, voc, max_ids):
    surveyed = presence.loc[presence["dimension"] == "voc", "account_id"].unique()
    lacking = ids.difference(pd.Index(surveyed), sort=False).sort_values()
    if lacking.empty:
        return pd.DataFrame(columns=REQUEST_COLUMNS)
    shown = ", ".join(lacking[:max_ids])
    if len(lacking) > max_ids:
        shown += f" and {len(lacking) - max_ids} more"
    return pd.DataFrame(
        {
            "team": [VOC_OWNER],
            "request": [
                "Voice-of-Customer survey answers (NPS, CSAT) for priority accounts"
                if voc is not None
                else "A Voice-of-Customer table (NPS, CSAT per account and date)"
            ],
            "accounts": [shown],
            "periods": ["whole window"],
            "why": [
                f"{len(lacking)} of {len(ids)} priority accounts have no survey, so what "
                "they SAY cannot be compared with what they DO."
            ],
            "n_accounts": [len(lacking)],
            "n_periods": [0],
        }
    )


def _conflict_requests(conflicts: pd.DataFrame, max_ids: int) -> pd.DataFrame:
    keys = ["check", "table", "key"]
    c = conflicts.assign(account_id=conflicts["key_value"].astype(str))
    groups = c.groupby(keys).agg(n_accounts=("key_value", "nunique"), n_rows=("n_rows", "sum"))
    groups["accounts"] = _id_list(c, keys, max_ids)
    groups = groups.reset_index()
    groups["team"] = np.where(groups["table"] == "outcomes", OUTCOME_OWNER, DATA_OWNER)
    groups["request"] = (
        "Resolve " + groups["check"].str.replace("_", " ") + " in " + groups["table"]
    )
    groups["periods"] = ""
    reason = np.select(
        [
            groups["check"].str.contains("duplicate"),
            groups["check"].str.startswith("conflicting_"),
        ],
        [
            " rows may be counted twice: confirm which copy is the record, or RV is inflated.",
            " rows give one key two values: RV is credited to the wrong team until it is settled.",
        ],
        " rows contradict each other: the outcome the back-test uses is unreliable there.",
    )
    groups["why"] = groups["n_rows"].astype(str) + reason
    groups["accounts"] = groups["key"] + ": " + groups["accounts"]
    groups["n_periods"] = 0
    return groups
