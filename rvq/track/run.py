"""`rvq track`: append the periods not yet tracked, build the lists, write the managers' folder.

`run_track(source)` opens the scored pilot (`rvq.pilot.open_pilot`: the same cache,
validation and privacy as `rvq pilot`), appends to the tracking store
(`rvq.track.store`) every period up to ``as_of`` it lacks -- none on a re-run -- reads
the history back from the store, runs every list of :data:`LISTS` on it and writes
``<out>/<client>/track-<period>/``: one formula-safe CSV per list, ``track.json``
(`rvq.track.document`) and ``index.html``, the page rendered from the parameterized
notebook ``rvq/templates/track.ipynb`` with its code hidden.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from rvq.errors import one_line
from rvq.pilot import Pilot, PilotInputError, open_pilot
from rvq.pipeline import (
    PilotError,
    check_reports_folder,
    client_folder_name,
    execute_notebook,
)
from rvq.privacy import (
    ACCOUNT_COUNT_COLUMNS,
    small_cell_mask,
    suppress_small_cells,
    suppressed_text,
)
from rvq.report.html import TEMPLATES, render_notebook_html
from rvq.report.tables import write_csv_for_people
from rvq.track.actions import next_best_actions
from rvq.track.balance import stage_balance
from rvq.track.campaigns import campaign_effects
from rvq.track.document import check_track, list_entry, track_document
from rvq.track.history import TrackHistory, TrackList, history_from_pilot, last_complete_period
from rvq.track.leads import priority_leads
from rvq.track.page import stage_balance_frame, team_stage_frame
from rvq.track.source import PilotSource, SourceChangedError, source_events
from rvq.track.store import StoreError, open_store, store_location
from rvq.track.teams import team_performance
from rvq.track.units import unit_comparison
from rvq.track.upsell import upsell_readiness

#: every list, in the page's order (the issue's numbering): file stem -> function
LISTS: dict[str, Callable[[TrackHistory], TrackList]] = {
    "next_best_actions": next_best_actions,
    "priority_leads": priority_leads,
    "stage_balance": stage_balance,
    "upsell_readiness": upsell_readiness,
    "team_performance": team_performance,
    "campaign_effects": campaign_effects,
    "unit_comparison": unit_comparison,
}

#: the page's notebook (shipped with the templates: `notebooks/` holds the pilot's seven)
TRACK_NOTEBOOK = TEMPLATES / "track.ipynb"
#: where the page's notebook finds the lists and figure frames (removed once rendered)
PAGE_WORK = ".page"


class TrackError(Exception):
    """A track run that could not start or finish: a one-line reason."""


@dataclass
class TrackRun:
    """What a run did: its folder, the period, the store and the periods appended."""

    folder: Path
    as_of: pd.Period
    store: str
    appended: list[pd.Period]
    tracked: list[pd.Period]
    seconds: dict[str, float] = field(default_factory=dict)


def run_track(
    source: str | os.PathLike,
    *,
    as_of: Any = None,
    out: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    refresh: bool = False,
    lists: Mapping[str, Callable[[TrackHistory], TrackList]] | None = None,
) -> TrackRun:
    """Track ``source`` up to ``as_of`` (a period's text; default: the last complete one)
    and write its folder; ``out`` is the reports folder (default: the config's ``output``).
    Raises `TrackError` with a one-line reason."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    try:
        pilot = open_pilot(source, cache_dir=cache_dir, refresh=refresh)
    except PilotInputError as exc:
        raise TrackError(str(exc)) from None
    period = tracked_period(pilot, as_of)
    seconds["open_pilot"] = _lap(clock)
    out_dir = Path(out or getattr(pilot.config, "output", None) or "reports").expanduser()
    try:
        check_reports_folder(out_dir)
    except PilotError as exc:
        raise TrackError(str(exc)) from None
    client, freq, floor = pilot.client, pilot.freq, pilot.min_cell_accounts
    client_dir = out_dir.resolve() / client_folder_name(client)
    clock = time.perf_counter()
    ids = "pseudonyms" if pilot.privacy.pseudonymize else "raw"
    try:
        with open_store(store_location(pilot.config, client_dir), pilot.config) as store:
            summed = pilot.interaction_rows is None  # its events are cells: read them again
            supplier = partial(source_events, PilotSource.of(pilot)) if summed else None
            history, version = history_from_pilot(pilot, period), pilot.key
            del pilot  # the lists read the store's history: never hold two copies of the book
            appended = store.append(history, ids=ids, input_version=version, events=supplier)
            del history, supplier
            seconds["append"] = _lap(clock)
            clock = time.perf_counter()
            history = store.history(period, freq)
            tracked = store.tracked_periods(freq)
            where = store.where
    except (StoreError, SourceChangedError) as exc:
        raise TrackError(str(exc)) from None
    seconds["read_history"] = _lap(clock)
    clock = time.perf_counter()
    builders = dict(lists or LISTS)
    if lists is None:  # the client's small-cell floor, not the list's default
        builders["unit_comparison"] = partial(unit_comparison, min_cell_accounts=floor)
    items = [make(history) for make in builders.values()]
    seconds["lists"] = _lap(clock)
    clock = time.perf_counter()
    document = track_document(
        client=client,
        as_of=str(period),
        freq=freq,
        created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        accounts=int(history.panel.loc[history.panel["period"] == period, "account_id"].nunique()),
        interactions=int((history.events["period"] == period).sum()),
        store={
            "location": where,
            "periods": [str(p) for p in tracked],
            "appended": [str(p) for p in appended],
        },
        lists=[list_entry(item) for item in items],
    )
    problems = check_track(document)
    if problems:
        raise TrackError(f"track.json breaks its contract: {problems[0]}")
    folder = write_track_folder(client_dir / f"track-{period}", items, document, history, floor)
    seconds["page"] = _lap(clock)
    return TrackRun(folder, period, where, appended, tracked, seconds)


def tracked_period(pilot: Pilot, as_of: Any = None) -> pd.Period:
    """The period a run tracks: ``as_of`` (checked against the pilot's periods), else the
    last complete period (`rvq.track.history.last_complete_period`)."""
    periods = pilot.panel["period"]
    if as_of is None:
        return last_complete_period(periods, pilot.config.resolved_as_of(), pilot.freq)
    try:
        period = pd.Period(str(as_of), freq=pilot.freq)
    except (ValueError, TypeError):
        raise TrackError(
            f"--as-of {as_of!r} is not a {pilot.period_word} (e.g. {periods.max()})"
        ) from None
    first, last = periods.min(), periods.max()
    if not first <= period <= last:
        raise TrackError(
            f"--as-of {period} is outside the data's {pilot.period_word}s ({first} to {last})"
        )
    return period


def _lap(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def shown_table(item: TrackList, min_accounts: int) -> pd.DataFrame:
    """A list's table as managers get it: rows that sum up several accounts (a count
    column of `rvq.privacy.ACCOUNT_COUNT_COLUMNS`; a campaign row: its smaller arm) under
    the pilot's small-cell floor are suppressed, their `reason` too (it quotes the figures);
    rows about one account keep their figures (they name a pseudonym when privacy is on,
    and acting on that account is the list's purpose)."""
    table = item.table
    if {"n_arm", "n_control"} <= set(table.columns):
        counts = table[["n_arm", "n_control"]].min(axis=1)
    else:
        column = next((c for c in ACCOUNT_COUNT_COLUMNS if c in table.columns), None)
        if column is None:
            return table
        counts = table[column]
    small = small_cell_mask(counts, min_accounts)
    if not small.any():
        return table
    shown = suppress_small_cells(table, min_accounts, accounts=counts)
    if "reason" in shown.columns:
        shown.loc[small, "reason"] = f"Figures {suppressed_text(min_accounts)}."
    return shown


def write_track_folder(
    folder: Path,
    items: list[TrackList],
    document: Mapping[str, Any],
    history: TrackHistory,
    min_accounts: int = 0,
) -> Path:
    """Write ``folder`` whole (CSV lists, ``track.json``, the page) beside it, then put it
    in place: a re-run replaces the folder of that period, never leaves half of one."""
    import json

    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    work = partial / PAGE_WORK
    work.mkdir()
    for i, item in enumerate(items):
        table = shown_table(item, min_accounts)
        write_csv_for_people(table, partial / f"{item.name}.csv", index=False)
        table.to_pickle(work / f"{i}.pkl")
    stage_balance_frame(history).to_pickle(work / "stage_balance_figure.pkl")
    team_stage_frame(history).to_pickle(work / "team_stage_figure.pkl")
    text = json.dumps(document, indent=2, allow_nan=False, ensure_ascii=False)
    (partial / "track.json").write_text(text + "\n", encoding="utf-8")
    try:
        render_track_page(partial, work, title=f"RV tracking: {document.get('as_of', '')}")
    finally:
        shutil.rmtree(work)  # the lists' copies for the page: never left behind
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
        partial.rename(folder)
        shutil.rmtree(old)
    else:
        partial.rename(folder)
    return folder


def render_track_page(folder: Path, work: Path, title: str = "RV tracking") -> Path:
    """Run the page's notebook on ``folder`` with papermill and render ``index.html``
    (code hidden, sanitized: `rvq.report.html.render_notebook_html`)."""
    executed = folder / "track.ipynb"
    try:
        execute_notebook(
            TRACK_NOTEBOOK,
            executed,
            {"track_dir": str(folder), "work_dir": str(work)},
            cwd=folder,
            log=work / "kernel.log",
        )
    except Exception as exc:
        raise TrackError(
            f"the managers' page failed: {type(exc).__name__}: {one_line(exc)} "
            f"(the executed notebook is {executed})"
        ) from None
    return render_notebook_html(executed, folder / "index.html", title=title, back=False)
