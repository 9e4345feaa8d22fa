"""Step b, the High-Level Data Map: which data exists for an end-to-end view, and where it is thin.

Every function reads validated frames (or scored events, or the account × period panel)
and returns a tidy frame a notebook shows as it is. The gaps found here are listed
with a weight in 0–1 and an owner team, so step e can turn them into data requests.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from rvq.inputs.activity_rules import rule_line
from rvq.schema import FUNCTIONS, STAGES
from rvq.scoring.cells import event_counts

#: the team a cross-functional pilot would ask about each catalog function
FUNCTION_OWNERS: dict[str, str] = {
    "marketing": "Marketing",
    "sales": "Sales",
    "inside_sales": "Inside Sales",
    "customer_service": "Customer Service",
    "community": "Communities",
}
#: owners of the data that no single function produces
DATA_OWNER = "BI / data engineering"
OUTCOME_OWNER = "Finance"
VOC_OWNER = "Customer Service (VoC programme)"

#: label for events whose source or team column is empty
NOT_RECORDED = "(not recorded)"

GAP_COLUMNS = ["gap_kind", "subject", "description", "weight", "weight_basis", "owner"]


# ----------------------------------------------------------------------------- helpers
def set_aside_rows(validation, table: str) -> pd.DataFrame:
    """The rows of `table` that validation set aside (with their `reason`), or an empty frame.

    Accepts a `ValidationResult` (its `.set_aside` mapping of table → frame), a plain
    mapping of table → frame, or one frame of set-aside rows (filtered on its `table`
    column if it has one, else taken as interaction rows), so callers and tests need not
    build a whole result.
    """
    empty = pd.DataFrame(columns=["reason"])
    if validation is None:
        return empty
    if isinstance(validation, pd.DataFrame):
        if "table" in validation:
            return validation.loc[validation["table"] == table]
        return validation if table == "interactions" else empty
    set_aside = validation if isinstance(validation, Mapping) else None
    if set_aside is None:
        set_aside = getattr(validation, "set_aside", None)
    frame = set_aside.get(table) if isinstance(set_aside, Mapping) else None
    return frame if frame is not None else empty


def event_periods(events: pd.DataFrame, freq: str | None = None) -> pd.Series:
    """Each event's period: the scored `period` column, or its timestamp at `freq`."""
    if freq is None and "period" in events:
        return events["period"]
    if freq is None:
        raise ValueError("events have no `period` column: pass freq ('M' or 'Q')")
    return pd.to_datetime(events["timestamp"]).dt.to_period(freq)


def period_range_of(periods: pd.Series) -> pd.PeriodIndex:
    """Every period from the first to the last in `periods` (gaps included)."""
    index = pd.PeriodIndex(periods.dropna())
    if index.empty:
        return index
    return pd.period_range(index.min(), index.max(), freq=index.freq)


def _labels(frame: pd.DataFrame, column: str) -> pd.Series:
    """`column` as strings, with empty values named NOT_RECORDED (a missing column: all of them)."""
    if column not in frame:
        return pd.Series(NOT_RECORDED, index=frame.index, dtype=object)
    values = frame[column].astype(object)
    return values.where(values.notna() & (values.astype(str).str.strip() != ""), NOT_RECORDED)


def _event_time(events: pd.DataFrame, column: str = "timestamp") -> pd.Series:
    if column in events:
        return pd.to_datetime(events[column], errors="coerce")
    return pd.PeriodIndex(events["period"]).start_time.to_series(index=events.index)


def _first_event_time(events: pd.DataFrame) -> pd.Series:
    """When each row's first event happened (a cell's `first_timestamp`, else its time)."""
    if "first_timestamp" in events:
        return _event_time(events, "first_timestamp")
    return _event_time(events)


# ----------------------------------------------------------------------------- coverage
def catalog_coverage(scored_events: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Which catalog interactions the data contains, and which it never does.

    One row per catalog interaction: events, accounts, first and last seen, share of all
    events, `observed`, and `gap_weight` (|RV| for an interaction never seen, else 0).
    Missing interactions come first, the highest |RV| first, because a missing
    high-RV interaction hides the most relationship movement; then the observed ones,
    most frequent first. Event cells (`rvq.scoring.cells`) count as their `n_events` events.
    """
    events = scored_events.assign(
        _n=event_counts(scored_events),
        _first=_first_event_time(scored_events),
        _time=_event_time(scored_events),
    )
    seen = events.groupby("interaction_code", observed=True).agg(
        n_events=("_n", "sum"),
        n_accounts=("account_id", "nunique"),
        first_seen=("_first", "min"),
        last_seen=("_time", "max"),
    )
    keep = [
        c
        for c in ("interaction_code", "name", "kind", "stage", "function", "value_aspect", "rv")
        if c in catalog
    ]
    coverage = catalog[keep].merge(seen, left_on="interaction_code", right_index=True, how="left")
    coverage["n_events"] = coverage["n_events"].fillna(0).astype("int64")
    coverage["n_accounts"] = coverage["n_accounts"].fillna(0).astype("int64")
    coverage["observed"] = coverage["n_events"] > 0
    total = max(int(coverage["n_events"].sum()), 1)
    coverage["share_of_events"] = coverage["n_events"] / total
    coverage["gap_weight"] = np.where(coverage["observed"], 0.0, coverage["rv"].abs())
    return coverage.sort_values(
        ["observed", "gap_weight", "n_events", "interaction_code"],
        ascending=[True, False, False, True],
        ignore_index=True,
    )


def unmapped_codes(
    validation,
    catalog: pd.DataFrame | None = None,
    reason_pattern: str = r"unknown[ _]interaction[ _]code|not in (?:the )?catalog",
) -> pd.DataFrame:
    """Interaction codes in the data with no catalog entry, from the set-aside rows, with counts.

    A set-aside interaction row counts when its reason matches `reason_pattern`, or (given
    a catalog) its code is not in the catalog. One row per code: rows, accounts, first and
    last seen, the source systems it came from, and the line mapping it in the client's
    mapping file (`rvq.inputs.activity_rules.rule_line`); most frequent first.
    """
    columns = [
        "interaction_code",
        "n_events",
        "n_accounts",
        "first_seen",
        "last_seen",
        "source_systems",
        "line_to_add",
    ]
    rows = set_aside_rows(validation, "interactions")
    if rows.empty or "interaction_code" not in rows:
        return pd.DataFrame(columns=columns)
    reason = rows["reason"] if "reason" in rows else pd.Series("", index=rows.index)
    unknown = reason.astype(str).str.contains(reason_pattern, case=False, regex=True, na=False)
    if catalog is not None:
        unknown |= ~rows["interaction_code"].isin(catalog["interaction_code"])
    rows = rows.loc[unknown & rows["interaction_code"].notna()]
    time = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
    if "timestamp" in rows:
        # raw text as read: zoned and naive values may mix, so read all as UTC, then naive
        time = pd.to_datetime(rows["timestamp"], errors="coerce", format="mixed", utc=True)
        time = time.dt.tz_localize(None)
    last = time
    if "last_timestamp" in rows:  # counted set-aside rows (a streamed pilot): their last time
        last = pd.to_datetime(rows["last_timestamp"], errors="coerce", utc=True)
        last = last.dt.tz_localize(None)
    rows = rows.assign(
        interaction_code=rows["interaction_code"].astype(str),
        _n=event_counts(rows),
        _time=time,
        _last=last,
        _account=rows.get("account_id", pd.NA),
        _source=_labels(rows, "source_system"),
    )
    counts = rows.groupby("interaction_code").agg(
        n_events=("_n", "sum"),
        n_accounts=("_account", "nunique"),
        first_seen=("_time", "min"),
        last_seen=("_last", "max"),
    )
    sources = (
        rows[["interaction_code", "_source"]]
        .drop_duplicates()
        .sort_values("_source")
        .groupby("interaction_code")["_source"]
        .agg(", ".join)
        .rename("source_systems")
    )
    out = counts.join(sources).reset_index()
    out["line_to_add"] = out["interaction_code"].map(rule_line)
    return out.sort_values(
        ["n_events", "interaction_code"], ascending=[False, True], ignore_index=True
    )[columns]


def source_coverage(
    scored_events: pd.DataFrame, by: str = "source_system", freq: str | None = None
) -> pd.DataFrame:
    """Events per source (or team) and period: a complete `by` × period matrix of counts.

    Rows are the values of `by` (empty values as "(not recorded)"), columns every period
    from the first to the last event, zeros included, so a feed that went quiet shows.
    Event cells (`rvq.scoring.cells`) count as their `n_events` events.
    """
    periods = event_periods(scored_events, freq)
    counts = (
        pd.DataFrame(
            {
                by: _labels(scored_events, by),
                "period": periods,
                "_n": event_counts(scored_events),
            }
        )
        .groupby([by, "period"], observed=True)["_n"]
        .sum()
        .unstack("period", fill_value=0)
    )
    columns = period_range_of(periods)
    matrix = counts.reindex(columns=columns, fill_value=0).astype("int64")
    matrix.columns.name = "period"
    matrix.index.name = by
    return matrix.loc[matrix.sum(axis=1).sort_values(ascending=False, kind="stable").index]


def completeness_columns(scored_events: bool = True) -> list[str]:
    """The panel columns `account_completeness` reads (with or without `scored_events`):
    a step kernel reads only these of a large panel (`rvq.pilot.Pilot.panel_columns`)."""
    columns = ["account_id", "period", "n_interactions", "revenue", "profit", "n_surveys"]
    columns += ["nps", "csat"]
    if not scored_events:
        columns += [f"rv_stage_{s}" for s in STAGES] + [f"rv_function_{f}" for f in FUNCTIONS]
    return columns


def account_completeness(
    panel: pd.DataFrame, scored_events: pd.DataFrame | None = None
) -> pd.DataFrame:
    """How complete each account's record is, from its first record to the end of the window.

    Per account: periods in its active window (first period with an interaction, outcome
    or survey, to the panel's last period), and of those the periods with interactions,
    with outcomes (revenue known), with VoC; the share of lifecycle stages and of
    functions with any interaction (from the scored events or event cells when given, else
    from the panel's non-zero `rv_stage_*` / `rv_function_*` splits). `completeness` is the plain
    mean of the five shares; least complete accounts first.
    """
    p = panel.sort_values(["account_id", "period"])
    has_interaction = p["n_interactions"].fillna(0) > 0
    outcome_col = "revenue" if "revenue" in p else "profit"
    has_outcome = p[outcome_col].notna()
    if "n_surveys" in p:
        has_voc = p["n_surveys"].fillna(0) > 0
    else:
        voc_cols = [c for c in ("nps", "csat") if c in p]
        has_voc = p[voc_cols].notna().any(axis=1) if voc_cols else pd.Series(False, p.index)
    any_record = has_interaction | has_outcome | has_voc
    active = any_record.groupby(p["account_id"]).cummax()
    flags = pd.DataFrame(
        {
            "account_id": p["account_id"],
            "periods": active,
            "periods_with_interactions": has_interaction & active,
            "periods_with_outcomes": has_outcome & active,
            "periods_with_voc": has_voc & active,
        }
    )
    out = flags.groupby("account_id").sum().astype("int64")
    denominator = out["periods"].where(out["periods"] > 0)
    for what in ("interactions", "outcomes", "voc"):
        out[f"share_{what}"] = (out[f"periods_with_{what}"] / denominator).fillna(0.0)

    if scored_events is not None:
        reach = scored_events.groupby("account_id").agg(
            stages_present=("stage", "nunique"), functions_present=("function", "nunique")
        )
    else:
        stage_cols = [f"rv_stage_{s}" for s in STAGES if f"rv_stage_{s}" in p]
        function_cols = [f"rv_function_{f}" for f in FUNCTIONS if f"rv_function_{f}" in p]
        nonzero = p[stage_cols + function_cols].fillna(0).ne(0).groupby(p["account_id"]).any()
        reach = pd.DataFrame(
            {
                "stages_present": nonzero[stage_cols].sum(axis=1),
                "functions_present": nonzero[function_cols].sum(axis=1),
            }
        )
    out = out.join(reach).fillna({"stages_present": 0, "functions_present": 0})
    out["stages_present"] = out["stages_present"].astype("int64")
    out["functions_present"] = out["functions_present"].astype("int64")
    out["share_stages"] = out["stages_present"] / len(STAGES)
    out["share_functions"] = out["functions_present"] / len(FUNCTIONS)
    shares = [
        "share_interactions",
        "share_outcomes",
        "share_voc",
        "share_stages",
        "share_functions",
    ]
    out["completeness"] = out[shares].mean(axis=1)
    return out.reset_index().sort_values(
        ["completeness", "account_id"], ignore_index=True, kind="stable"
    )


# ----------------------------------------------------------------------------- gap list
def data_gaps(
    coverage: pd.DataFrame | None = None,
    unmapped: pd.DataFrame | None = None,
    sources: pd.DataFrame | None = None,
    completeness: pd.DataFrame | None = None,
    *,
    owners: Mapping[str, str] | None = None,
    material_share: float = 0.05,
) -> pd.DataFrame:
    """The data gaps in plain words, each with a weight in 0–1 and a suggested owner team.

    Gathers what the other data-map functions found (pass any of them):
    - `coverage` (catalog_coverage): a stage × function cell with no observed interaction
      weighs 1; a single missing interaction weighs |RV| / the catalog's largest |RV|;
    - `unmapped` (unmapped_codes): a code's share of interaction rows, where
      `material_share` or more weighs 1;
    - `sources` (source_coverage): a source or team silent for some periods inside its
      active span weighs the silent share of that span; events with no source or team
      weigh their share of events as above;
    - `completeness` (account_completeness): the share of accounts with no outcome, no
      VoC or no interaction in any period, and the share of account-periods without an
      outcome.
    Heaviest gaps first. `owners` overrides FUNCTION_OWNERS (function → team).
    """
    owner_of = {**FUNCTION_OWNERS, **(owners or {})}
    parts: list[pd.DataFrame] = []
    n_events = 0
    if coverage is not None and not coverage.empty:
        parts += _catalog_gaps(coverage, owner_of)
        n_events = int(coverage["n_events"].sum())
    if unmapped is not None and not unmapped.empty:
        total = max(n_events + int(unmapped["n_events"].sum()), 1)
        share = unmapped["n_events"] / total
        parts.append(
            pd.DataFrame(
                {
                    "gap_kind": "unmapped_code",
                    "subject": unmapped["interaction_code"].astype(str),
                    "description": "Code '"
                    + unmapped["interaction_code"].astype(str)
                    + "' appears in "
                    + unmapped["n_events"].astype(str)
                    + " interaction rows but has no catalog entry, so those rows carry no RV.",
                    "weight": np.minimum(share / material_share, 1.0),
                    "weight_basis": f"share of interaction rows (≥{material_share:.0%} weighs 1)",
                    "owner": DATA_OWNER,
                }
            )
        )
    if sources is not None and not sources.empty:
        parts += _source_gaps(sources, owner_of, material_share)
    if completeness is not None and not completeness.empty:
        parts += _account_gaps(completeness)
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=GAP_COLUMNS)
    gaps = pd.concat(parts, ignore_index=True)[GAP_COLUMNS]
    gaps = gaps.loc[gaps["weight"] > 0]
    return gaps.sort_values(
        ["weight", "gap_kind", "subject"], ascending=[False, True, True], ignore_index=True
    )


def _catalog_gaps(coverage: pd.DataFrame, owner_of: Mapping[str, str]) -> list[pd.DataFrame]:
    cells = coverage.groupby(["stage", "function"], observed=True)["observed"].any()
    empty_cells = cells[~cells].reset_index()
    cell_gaps = pd.DataFrame(
        {
            "gap_kind": "missing_stage_function",
            "subject": empty_cells["stage"] + " / " + empty_cells["function"],
            "description": "No interaction at all is recorded for "
            + empty_cells["function"].str.replace("_", " ")
            + " in the "
            + empty_cells["stage"]
            + " stage: that part of the lifecycle is invisible.",
            "weight": 1.0,
            "weight_basis": "a whole stage × function cell without data",
            "owner": empty_cells["function"].map(owner_of).fillna(DATA_OWNER),
        }
    )
    missing = coverage.loc[~coverage["observed"]]
    largest = coverage["rv"].abs().max()
    name = missing["name"].astype(str) if "name" in missing else missing["interaction_code"]
    interaction_gaps = pd.DataFrame(
        {
            "gap_kind": "missing_interaction",
            "subject": missing["interaction_code"].astype(str),
            "description": "'"
            + name
            + "' ("
            + missing["interaction_code"].astype(str)
            + ", "
            + missing["stage"]
            + " / "
            + missing["function"].str.replace("_", " ")
            + ", RV "
            + missing["rv"].map("{:+g}".format).astype(str)
            + ") never appears in the data.",
            "weight": missing["rv"].abs() / largest if largest > 0 else 0.0,
            "weight_basis": "|RV| relative to the catalog's largest |RV|",
            "owner": missing["function"].map(owner_of).fillna(DATA_OWNER),
        }
    )
    return [cell_gaps, interaction_gaps]


def _source_gaps(
    sources: pd.DataFrame, owner_of: Mapping[str, str], material_share: float
) -> list[pd.DataFrame]:
    by = sources.index.name or "source"
    active = sources.to_numpy() > 0
    position = np.arange(active.shape[1])
    first = np.where(active.any(axis=1), np.argmax(active, axis=1), 0)
    last = np.where(
        active.any(axis=1), active.shape[1] - 1 - np.argmax(active[:, ::-1], axis=1), -1
    )
    in_span = (position >= first[:, None]) & (position <= last[:, None])
    silent = (in_span & ~active).sum(axis=1)
    span = in_span.sum(axis=1)
    labels = sources.index.astype(str).to_series(index=sources.index)
    recorded = (labels != NOT_RECORDED).to_numpy()
    outage = recorded & (silent > 0)
    what = "source" if by == "source_system" else by
    owner = labels.map(owner_of) if by == "team" else pd.Series(DATA_OWNER, index=labels.index)
    outages = pd.DataFrame(
        {
            "gap_kind": f"{by}_outage",
            "subject": labels[outage],
            "description": f"The {what} '"
            + labels[outage]
            + "' records nothing in "
            + pd.Series(silent[outage], index=labels.index[outage]).astype(str)
            + " of the "
            + pd.Series(span[outage], index=labels.index[outage]).astype(str)
            + " periods between its first and last record.",
            "weight": silent[outage] / np.maximum(span[outage], 1),
            "weight_basis": "silent share of the periods between first and last record",
            "owner": owner.fillna(labels)[outage],
        }
    )
    totals = sources.sum(axis=1)
    unlabelled = totals.loc[~recorded]
    share = unlabelled / max(int(totals.sum()), 1)
    no_label = pd.DataFrame(
        {
            "gap_kind": f"{by}_not_recorded",
            "subject": NOT_RECORDED,
            "description": unlabelled.astype(str)
            + f" events do not say which {what} they come from.",
            "weight": np.minimum(share / material_share, 1.0),
            "weight_basis": f"share of events (≥{material_share:.0%} weighs 1)",
            "owner": DATA_OWNER,
        }
    )
    return [outages, no_label]


def _account_gaps(completeness: pd.DataFrame) -> list[pd.DataFrame]:
    n = len(completeness)
    rows = []
    for column, owner, words in (
        ("periods_with_outcomes", OUTCOME_OWNER, "no revenue or profit record"),
        ("periods_with_voc", VOC_OWNER, "no Voice-of-Customer survey"),
        ("periods_with_interactions", DATA_OWNER, "no recorded interaction"),
    ):
        lacking = int((completeness[column] == 0).sum())
        if lacking:
            rows.append(
                {
                    "gap_kind": "accounts_without_" + column.removeprefix("periods_with_"),
                    "subject": f"{lacking} accounts",
                    "description": f"{lacking} of {n} accounts have {words} in any period.",
                    "weight": lacking / n,
                    "weight_basis": "share of accounts",
                    "owner": owner,
                }
            )
    periods = int(completeness["periods"].sum())
    missing = periods - int(completeness["periods_with_outcomes"].sum())
    if periods and missing:
        rows.append(
            {
                "gap_kind": "account_periods_without_outcomes",
                "subject": f"{missing} account-periods",
                "description": f"{missing} of {periods} account-periods (from each account's "
                "first record on) have no revenue or profit.",
                "weight": missing / periods,
                "weight_basis": "share of account-periods",
                "owner": OUTCOME_OWNER,
            }
        )
    return [pd.DataFrame(rows, columns=GAP_COLUMNS)]
