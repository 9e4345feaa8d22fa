"""Step d, process gaps: where relationships stall, go backward, or cost most per RV unit.

`process_gaps` finds candidates of three kinds and keeps the 2–3 most critical, each
mapped across its interactions with cost, RV, affected accounts and the Brand / Product /
Experience value aspects; `improvement_roadmap` turns them into the Roadmap for Process
Improvement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rvq.scoring.cells import as_text, event_counts
from rvq.steps.datamap import DATA_OWNER, FUNCTION_OWNERS

GAP_KINDS = ("backward", "stall", "costly")
#: what a gap's value-aspect split is measured in, per kind of gap
ASPECT_MEASURE = {"backward": "RV lost", "costly": "cost", "stall": "events"}
#: how a mapped interaction relates to its gap, in reading order
ROLE_ORDER = {
    "goes backward": 0,
    "in costly cell": 0,
    "last step before stall": 0,
    "during stall": 1,
}

SUMMARY_COLUMNS = [
    "gap_id",
    "kind",
    "stage",
    "function",
    "title",
    "evidence",
    "accounts_affected",
    "events",
    "total_cost",
    "total_rv",
    "severity",
    "severity_unit",
    "expected_rv_effect",
    "effect_assumption",
]
#: columns only some kinds of candidate carry
CANDIDATE_EXTRAS = (
    "cost_per_rv",
    "book_cost_per_rv",
    "episodes",
    "mean_length",
    "still_stalled",
    "min_stall",
    "expected_rv_effect",
)
INTERACTION_COLUMNS = [
    "gap_id",
    "role",
    "interaction_code",
    "name",
    "stage",
    "function",
    "value_aspect",
    "events",
    "accounts",
    "cost",
    "rv",
]


@dataclass
class ProcessGaps:
    """The critical process gaps, and every candidate considered.

    `summary`: one row per gap, most critical first (gap_id 1…n); `interactions`: each
    gap mapped across its interactions (tidy, `role` says how the interaction relates to
    the gap); `aspects`: each gap's events, cost and RV per value aspect; `candidates`:
    all candidate gaps of every kind, so a reader can see what was not chosen.
    """

    summary: pd.DataFrame
    interactions: pd.DataFrame
    aspects: pd.DataFrame
    candidates: pd.DataFrame
    min_stall: int = 2


def _period_ordinal(periods: pd.Series) -> np.ndarray:
    return pd.PeriodIndex(periods).asi8


def _label(stage: pd.Series, function: pd.Series) -> pd.Series:
    return stage.astype(str) + " / " + function.astype(str).str.replace("_", " ")


def _by_interaction(events: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Events, accounts, cost and RV per `keys` + interaction (with its catalog attributes)."""
    return (
        events.groupby([*keys, "interaction_code"], observed=True)
        .agg(
            name=("name", "first"),
            stage=("stage", "first"),
            function=("function", "first"),
            value_aspect=("value_aspect", "first"),
            events=("_n", "sum"),
            accounts=("account_id", "nunique"),
            cost=("cost", "sum"),
            rv=("rv", "sum"),
        )
        .reset_index()
    )


#: the columns of the events (or cells) that finding gaps reads; the others are not copied
EVENT_COLUMNS = (
    "account_id",
    "period",
    "timestamp",
    "interaction_code",
    "name",
    "stage",
    "function",
    "value_aspect",
    "rv",
    "cost",
)


def _with_names(scored_events: pd.DataFrame, catalog: pd.DataFrame | None) -> pd.DataFrame:
    """The columns of `EVENT_COLUMNS` the events have, names and catalog attributes they
    lack from `catalog`, a missing cost as 0 and each row's events (`_n`)."""
    events = scored_events[[c for c in EVENT_COLUMNS if c in scored_events]]
    events = events.assign(_n=event_counts(scored_events))
    columns = {}
    if catalog is not None:
        lookup = catalog.drop_duplicates("interaction_code").set_index("interaction_code")
        for column in ("name", "stage", "function", "value_aspect"):
            if column not in events and column in lookup:
                columns[column] = events["interaction_code"].map(lookup[column])
    if "name" not in events and "name" not in columns:
        columns["name"] = events["interaction_code"]
    return events.assign(**columns, cost=events["cost"].fillna(0.0))


def _cell_candidates(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backward and costly candidates, one per stage × function cell, with their interactions."""
    cells = ["stage", "function"]
    backward_events = events.loc[events["rv"] < 0]
    backward = (
        backward_events.groupby(cells, observed=True)
        .agg(
            events=("_n", "sum"),
            accounts_affected=("account_id", "nunique"),
            total_cost=("cost", "sum"),
            total_rv=("rv", "sum"),
        )
        .reset_index()
    )
    backward["kind"] = "backward"
    backward["severity"] = -backward["total_rv"]
    backward["severity_unit"] = "RV units lost"

    costly = (
        events.groupby(cells, observed=True)
        .agg(
            events=("_n", "sum"),
            accounts_affected=("account_id", "nunique"),
            total_cost=("cost", "sum"),
            total_rv=("rv", "sum"),
        )
        .reset_index()
    )
    # cells whose net RV is not positive are the backward gaps' business; here only cells
    # that move relationships forward, against what such cells pay per RV unit together
    costly = costly.loc[costly["total_rv"] > 0]
    book_rate = costly["total_cost"].sum() / costly["total_rv"].sum() if len(costly) else np.nan
    costly["kind"] = "costly"
    costly["cost_per_rv"] = costly["total_cost"] / costly["total_rv"]
    costly["book_cost_per_rv"] = book_rate
    costly["severity"] = costly["total_cost"] - costly["total_rv"] * book_rate
    costly["severity_unit"] = "cost above the book's cost per RV unit"
    costly = costly.loc[costly["severity"] > 1e-9 * max(costly["total_cost"].sum(), 1)]

    candidates = pd.concat([backward, costly], ignore_index=True)
    candidates["cell"] = candidates["stage"].astype(str) + "|" + candidates["function"].astype(str)
    keys = ["cell_stage", "cell_function"]

    def in_cell(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(cell_stage=frame["stage"], cell_function=frame["function"])

    mapped = pd.concat(
        [
            _by_interaction(in_cell(backward_events), keys).assign(
                kind="backward", role="goes backward"
            ),
            _by_interaction(in_cell(events), keys).assign(kind="costly", role="in costly cell"),
        ],
        ignore_index=True,
    )
    return candidates, mapped


def _weighted_median(frame: pd.DataFrame, value: str, weight: str, by: str) -> pd.Series:
    """Per `by` group, the median of `value` over events, each row weighing `weight` events.

    The mean of the two middle events when the group has an even number of them, so
    unit weights give exactly what `groupby(by)[value].median()` gives.
    """
    f = frame.loc[frame[by].notna(), [by, value, weight]].sort_values([by, value], kind="stable")
    if f.empty:
        return pd.Series(dtype="float64", name=value)
    groups = f.groupby(by, observed=True)[weight]
    upto = groups.cumsum()
    total = groups.transform("sum")
    before = upto - f[weight]  # events ahead of this row in its group

    def event_at(position: pd.Series) -> pd.Series:
        holds = (before <= position) & (position < upto)
        return f.loc[holds].set_index(by)[value]

    lower = event_at((total - 1) // 2)
    upper = event_at(total // 2)
    return ((lower + upper) / 2).rename(value)


def _stall_candidates(
    events: pd.DataFrame, window_end: int, min_stall: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stall candidates per stage: runs of ≥ `min_stall` periods without positive RV.

    A stall starts after an account's last forward (positive-RV) interaction in a period
    and lasts until its next one, or to the end of the window (still stalled). The stage
    of a stall is the stage of the forward interaction it follows. From event cells, the
    last forward interaction is one event of the cell with the latest forward timestamp,
    with that cell's per-event RV and cost.
    """
    order = events.assign(_ord=_period_ordinal(events["period"])).sort_values(
        ["account_id", "_ord", "timestamp"] if "timestamp" in events else ["account_id", "_ord"],
        kind="stable",
    )
    forward = order.loc[order["rv"] > 0].drop_duplicates(["account_id", "_ord"], keep="last")
    forward = forward.assign(
        rv=forward["rv"] / forward["_n"], cost=forward["cost"] / forward["_n"], _n=1
    )
    next_ord = forward.groupby("account_id")["_ord"].shift(-1).fillna(window_end + 1)
    forward = forward.assign(_gap=(next_ord - forward["_ord"] - 1).astype("int64"))
    stalls = forward.loc[forward["_gap"] >= min_stall]
    empty = pd.DataFrame(columns=["stage", "kind"]), pd.DataFrame(columns=["kind", "role"])
    if stalls.empty:
        return empty

    # every other interaction that falls inside a stall: the last forward period before it
    quiet = order.loc[order["rv"] <= 0].sort_values("_ord", kind="stable")
    del order  # a sorted copy of every event: not held through the rest
    anchors = forward[["account_id", "_ord", "_gap", "stage"]].rename(
        columns={"_ord": "_start", "stage": "cell_stage"}
    )
    quiet = pd.merge_asof(
        quiet,
        anchors.sort_values("_start"),
        left_on="_ord",
        right_on="_start",
        by="account_id",
        allow_exact_matches=False,
    )
    during = quiet.loc[
        (quiet["_gap"] >= min_stall) & (quiet["_ord"] <= quiet["_start"] + quiet["_gap"])
    ]
    del quiet

    candidates = (
        stalls.groupby("stage", observed=True)
        .agg(
            episodes=("account_id", "size"),
            accounts_affected=("account_id", "nunique"),
            severity=("_gap", "sum"),
            mean_length=("_gap", "mean"),
        )
        .reset_index()
        .pipe(as_text)  # a streamed pilot's stages are categories: here, text to compute with
    )
    open_stalls = stalls.loc[stalls["_ord"] + stalls["_gap"] == window_end].groupby("stage").size()
    candidates["still_stalled"] = candidates["stage"].map(open_stalls).fillna(0).astype("int64")
    candidates["kind"] = "stall"
    candidates["function"] = pd.NA
    candidates["severity_unit"] = "account-periods without a forward interaction"
    candidates["cell"] = "stall|" + candidates["stage"].astype(str)
    candidates["min_stall"] = min_stall
    # one more forward step per stall, worth a typical forward interaction of that stage
    positive = events.loc[events["rv"] > 0, ["stage", "rv", "_n"]]  # what the median reads
    typical = _weighted_median(
        positive.assign(_per_event=positive["rv"] / positive["_n"]), "_per_event", "_n", "stage"
    )
    candidates["expected_rv_effect"] = candidates["episodes"] * candidates["stage"].map(typical)

    mapped = pd.concat(
        [
            _by_interaction(stalls.assign(cell_stage=stalls["stage"]), ["cell_stage"]).assign(
                role="last step before stall"
            ),
            _by_interaction(during, ["cell_stage"]).assign(role="during stall"),
        ],
        ignore_index=True,
    ).assign(kind="stall")
    stats = (
        pd.concat([stalls.assign(cell_stage=stalls["stage"]), during])
        .groupby("cell_stage", observed=True)
        .agg(events=("_n", "sum"), total_cost=("cost", "sum"), total_rv=("rv", "sum"))
    )
    stats.index = stats.index.astype(str)  # cells' stages are categories: joined as text
    candidates = candidates.join(stats, on="stage")
    return candidates, mapped


def process_gaps(
    scored_events: pd.DataFrame,
    panel: pd.DataFrame | None = None,
    catalog: pd.DataFrame | None = None,
    n: int = 3,
    *,
    min_stall: int = 2,
    kinds: Sequence[str] = GAP_KINDS,
    reduction: float = 0.5,
) -> ProcessGaps:
    """The `n` most critical process gaps, each mapped across its interactions.

    Candidates, one per place in the process:
    - backward (per stage × function): interactions with negative RV; severity is the RV
      they take away;
    - stall (per stage): runs of `min_stall` or more periods in which an account has no
      forward (positive-RV) interaction, after a forward step in that stage (a run still
      open at the window's end counts); severity is the account-periods stalled;
    - costly (per stage × function): cost above what the book pays per net RV unit
      (total cost / total net RV); severity is that excess cost.
    Severities of different kinds are not on one scale, so the choice goes round: the
    worst of each kind first, then the second worst of each, and so on; within a round,
    the gap with more RV at stake (`expected_rv_effect`) comes first. A stage × function
    already chosen is not chosen again. `panel` (optional) fixes the
    window's last period; `catalog` supplies names and attributes the events lack.
    `scored_events` may be event cells (`rvq.scoring.cells`): each counts as its `n_events` events.
    `expected_rv_effect` is the RV at stake if a share `reduction` of the gap is closed, a
    rough size for the roadmap stated in `effect_assumption`: that share of the backward
    RV avoided; that share of the excess cost spent at the book's cost per RV unit; that
    share of stalls ended by one typical (median) forward interaction of the stage.
    """
    events = _with_names(scored_events, catalog)
    ords = _period_ordinal(events["period"])
    window_end = int(ords.max())
    if panel is not None and not panel.empty:
        window_end = max(window_end, int(_period_ordinal(panel["period"]).max()))
    cell, cell_map = _cell_candidates(events)
    stall, stall_map = _stall_candidates(events, window_end, min_stall)
    found = [c for c in (cell, stall) if not c.empty]
    if not found:
        return _empty_gaps()
    candidates = pd.concat(found, ignore_index=True)
    candidates = candidates.loc[candidates["kind"].isin(kinds) & (candidates["severity"] > 0)]
    if candidates.empty:
        return _empty_gaps()
    for column in CANDIDATE_EXTRAS:  # kinds absent from the data leave their columns out
        if column not in candidates:
            candidates[column] = np.nan

    backward = candidates["kind"] == "backward"
    costly = candidates["kind"] == "costly"
    stalls = candidates["kind"] == "stall"
    candidates.loc[backward, "expected_rv_effect"] = reduction * candidates["severity"]
    candidates.loc[costly, "expected_rv_effect"] = (
        reduction * candidates["severity"] / candidates["book_cost_per_rv"]
    )
    candidates.loc[stalls, "expected_rv_effect"] = reduction * candidates["expected_rv_effect"]
    candidates["effect_assumption"] = np.select(
        [backward, costly, stalls],
        [
            f"{reduction:.0%} fewer backward interactions",
            f"{reduction:.0%} of the excess spend earning RV at the book's cost per RV unit",
            f"{reduction:.0%} of stalls ended by one typical forward interaction",
        ],
        "",
    )
    candidates["kind_share"] = candidates["severity"] / candidates.groupby("kind")[
        "severity"
    ].transform("sum")
    candidates["kind_rank"] = (
        candidates.groupby("kind")["severity"].rank(method="first", ascending=False).astype(int)
    )
    candidates["kind_order"] = candidates["kind"].map({k: i for i, k in enumerate(kinds)})
    candidates = candidates.sort_values(
        ["kind_rank", "expected_rv_effect", "kind_order"],
        ascending=[True, False, True],
        ignore_index=True,
        na_position="last",
    )
    candidates["title"] = _titles(candidates)

    chosen = candidates.drop_duplicates("cell").head(n).reset_index(drop=True)
    chosen["gap_id"] = np.arange(1, len(chosen) + 1)
    mapped = pd.concat([m for m in (cell_map, stall_map) if not m.empty], ignore_index=True)
    key = chosen[["gap_id", "kind", "stage", "function"]].rename(
        columns={"stage": "cell_stage", "function": "cell_function"}
    )
    interactions = _match_gaps(mapped, key)
    role_order = interactions["role"].map(ROLE_ORDER)
    interactions = interactions.assign(_role=role_order).sort_values(
        ["gap_id", "_role", "events", "interaction_code"],
        ascending=[True, True, False, True],
        ignore_index=True,
    )[INTERACTION_COLUMNS]
    chosen["evidence"] = _evidence(chosen, interactions)
    aspects = (
        interactions.groupby(["gap_id", "value_aspect"], observed=True)[["events", "cost", "rv"]]
        .sum()
        .reset_index()
    )
    totals = aspects.groupby("gap_id")[["events", "cost", "rv"]].transform(lambda x: x.abs().sum())
    aspects["share_of_events"] = aspects["events"] / totals["events"]
    aspects["share_of_cost"] = (aspects["cost"] / totals["cost"]).fillna(0.0)
    aspects["share_of_rv"] = (aspects["rv"].abs() / totals["rv"]).fillna(0.0)
    return ProcessGaps(
        summary=as_text(chosen[SUMMARY_COLUMNS]),
        interactions=as_text(interactions),
        aspects=as_text(aspects),
        candidates=as_text(candidates.drop(columns=["kind_order", "cell"])),
        min_stall=min_stall,
    )


def _match_gaps(mapped: pd.DataFrame, key: pd.DataFrame) -> pd.DataFrame:
    """The mapped interactions of the chosen gaps (stall gaps match on stage alone)."""
    is_stall = key["kind"] == "stall"
    cells = mapped.merge(key.loc[~is_stall], on=["kind", "cell_stage", "cell_function"])
    stall = mapped.loc[mapped["kind"] == "stall"].drop(columns="cell_function")
    stall = stall.merge(key.loc[is_stall].drop(columns="cell_function"), on=["kind", "cell_stage"])
    return pd.concat([cells, stall], ignore_index=True)


def _titles(candidates: pd.DataFrame) -> pd.Series:
    where = _label(candidates["stage"], candidates["function"])
    return pd.Series(
        np.select(
            [candidates["kind"] == "backward", candidates["kind"] == "costly"],
            [
                "Relationships go backward in " + where,
                where + " costs most per RV unit",
            ],
            "Relationships stall after " + candidates["stage"].astype(str),
        ),
        index=candidates.index,
    )


def _top_interactions(
    summary: pd.DataFrame, interactions: pd.DataFrame, keep: str = "first"
) -> pd.DataFrame:
    """Each gap's leading interaction: most RV lost (backward), most cost (costly), or the
    most frequent last step before a stall. `keep="all"`: every row with its `_weight`."""
    kind = interactions["gap_id"].map(summary.set_index("gap_id")["kind"])
    weight = np.select(
        [kind == "backward", kind == "costly"],
        [interactions["rv"].abs(), interactions["cost"]],
        np.where(interactions["role"] == "last step before stall", interactions["events"], -1),
    )
    ranked = interactions.assign(_weight=weight).sort_values(
        ["gap_id", "_weight", "interaction_code"], ascending=[True, False, True]
    )
    if keep == "all":
        return ranked
    return ranked.drop_duplicates("gap_id").set_index("gap_id")


def _evidence(chosen: pd.DataFrame, interactions: pd.DataFrame) -> pd.Series:
    """One plain-words sentence of numbers per gap."""
    top = _top_interactions(chosen, interactions)
    top_name = chosen["gap_id"].map(top["name"]).astype(str)
    top_share = chosen["gap_id"].map(top["rv"]) / chosen["total_rv"]

    def money(x: pd.Series) -> pd.Series:
        return x.map("{:,.0f}".format).astype(str)

    backward = (
        money(chosen["events"])
        + " backward interactions took "
        + money(-chosen["total_rv"])
        + " RV units from "
        + chosen["accounts_affected"].astype(str)
        + " accounts and cost "
        + money(chosen["total_cost"])
        + "; the largest share ("
        + top_share.map("{:.0%}".format).astype(str)
        + ") comes from '"
        + top_name
        + "'."
    )
    costly = (
        money(chosen["total_cost"])
        + " spent for "
        + money(chosen["total_rv"])
        + " net RV units across "
        + chosen["accounts_affected"].astype(str)
        + " accounts: "
        + chosen["cost_per_rv"].map("{:,.1f}".format).astype(str)
        + " per RV unit against "
        + chosen["book_cost_per_rv"].map("{:,.1f}".format).astype(str)
        + " where relationships move forward, "
        + money(chosen["severity"])
        + " more in all; '"
        + top_name
        + "' costs most."
    )
    stall = (
        chosen["episodes"].fillna(0).astype(int).astype(str)
        + " stalls in "
        + chosen["accounts_affected"].astype(str)
        + " accounts: relationships went "
        + chosen["min_stall"].fillna(0).astype(int).astype(str)
        + " or more periods (on average "
        + chosen["mean_length"].map("{:.1f}".format).astype(str)
        + ") without a forward interaction after the "
        + chosen["stage"].astype(str)
        + " stage, "
        + chosen["still_stalled"].fillna(0).astype(int).astype(str)
        + " still stalled at the end of the window."
    )
    return pd.Series(
        np.select(
            [chosen["kind"] == "backward", chosen["kind"] == "costly"], [backward, costly], stall
        ),
        index=chosen.index,
    )


def _empty_gaps() -> ProcessGaps:
    return ProcessGaps(
        summary=pd.DataFrame(columns=SUMMARY_COLUMNS),
        interactions=pd.DataFrame(columns=INTERACTION_COLUMNS),
        aspects=pd.DataFrame(columns=["gap_id", "value_aspect", "events", "cost", "rv"]),
        candidates=pd.DataFrame(columns=["kind", "stage", "function", "severity"]),
    )


ACTIONS = {
    "backward": "Find the root cause of '{top}' and the other backward interactions in {where}; "
    "set a target for fewer of them and track it every period.",
    "costly": "Review the interaction mix in {where}: move effort from '{top}' to interactions "
    "that earn RV at lower cost.",
    "stall": "Add a follow-up trigger when an account has no forward interaction for "
    "{min_stall} periods after {stage}, starting from '{top}'.",
}


def improvement_roadmap(gaps: ProcessGaps, owners: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The Roadmap for Process Improvement: one row per gap, in the order of `gaps.summary`.

    Columns: gap, evidence (numbers in words), value_aspects (each Brand / Product /
    Experience aspect's share of the gap: of the RV lost for a backward gap, of the cost
    for a costly one, of the events for a stall), owner_function (the function behind
    most of that measure; for a stall, behind the last steps before it), suggested_action,
    expected_rv_effect (RV units, rough, under the stated assumption).
    """
    owner_of = {**FUNCTION_OWNERS, **(owners or {})}
    summary, mapped = gaps.summary, gaps.interactions
    if summary.empty:
        return pd.DataFrame(
            columns=[
                "gap_id",
                "gap",
                "evidence",
                "value_aspects",
                "owner_function",
                "suggested_action",
                "expected_rv_effect",
                "effect_assumption",
            ]
        )
    kind_of = gaps.aspects["gap_id"].map(summary.set_index("gap_id")["kind"])
    measure = kind_of.map(ASPECT_MEASURE)
    share = np.select(
        [measure == "RV lost", measure == "cost"],
        [gaps.aspects["share_of_rv"], gaps.aspects["share_of_cost"]],
        gaps.aspects["share_of_events"],
    )
    aspects = gaps.aspects.assign(_share=share, _measure=measure).sort_values(
        ["gap_id", "_share"], ascending=[True, False]
    )
    aspect_text = (
        aspects["value_aspect"].astype(str)
        + " "
        + aspects["_share"].map("{:.0%}".format).astype(str)
    ).groupby(aspects["gap_id"]).agg(" · ".join) + (
        " (of " + aspects.groupby("gap_id")["_measure"].first() + ")"
    )
    lead = mapped.loc[mapped["role"] != "during stall"]
    weight = _top_interactions(summary, lead, keep="all")
    by_function = weight.groupby(["gap_id", "function"], observed=True)["_weight"].sum()
    main_function = (
        by_function.reset_index()
        .sort_values(["gap_id", "_weight"], ascending=[True, False])
        .drop_duplicates("gap_id")
        .set_index("gap_id")["function"]
    )
    top = _top_interactions(summary, mapped)["name"]
    gap_ids = summary["gap_id"]
    where = _label(summary["stage"], summary["function"].fillna(""))
    template = summary["kind"].map(ACTIONS)
    context = pd.DataFrame(
        {
            "template": template,
            "top": gap_ids.map(top).astype(str),
            "where": where,
            "stage": summary["stage"].astype(str),
        }
    )
    actions = [
        t.format(top=tp, where=w, stage=s, min_stall=gaps.min_stall)
        for t, tp, w, s in context.itertuples(index=False)
    ]
    return pd.DataFrame(
        {
            "gap_id": gap_ids,
            "gap": summary["title"],
            "evidence": summary["evidence"],
            "value_aspects": gap_ids.map(aspect_text),
            "owner_function": gap_ids.map(main_function).map(owner_of).fillna(DATA_OWNER),
            "suggested_action": actions,
            "expected_rv_effect": summary["expected_rv_effect"].astype(float).round(1),
            "effect_assumption": summary["effect_assumption"],
        }
    )
