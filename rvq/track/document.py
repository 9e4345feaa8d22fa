"""`track.json`: the pydantic model of what one `rvq track` run wrote, and its document.

Like `summary.json` (`rvq.report.summary`), the model is the contract: JSON types only,
unknown keys kept (the contract may only grow). One entry per list, in the page's order,
with its headline, its CSV file, its row count and its evidence.
"""

from __future__ import annotations

from typing import Any

from rvq import __version__
from rvq.jsonable import to_jsonable
from rvq.report.summary import Count, Part, Text, contract_problems
from rvq.track.history import TrackList


class ListEntry(Part):
    """One list: its file stem, title, headline, CSV file, rows and evidence."""

    name: Text
    title: Text
    headline: Text
    file: Text
    rows: Count
    evidence: dict[str, Any]


class StoreInfo(Part):
    """The store the run read and wrote: where (password masked), the periods it holds,
    and those this run appended (empty on a re-run)."""

    location: Text
    periods: list[str]
    appended: list[str]


class TrackDocument(Part):
    """`track.json`: the run, the period tracked, the store and the lists."""

    rvq_version: Text
    client: Text
    as_of: Text
    freq: Text
    created: Text
    accounts: Count
    interactions: Count
    store: StoreInfo
    lists: list[ListEntry]


def list_entry(item: TrackList) -> dict[str, Any]:
    """A list's entry of `track.json` (its CSV is ``<name>.csv`` beside it)."""
    return {
        "name": item.name,
        "title": item.title,
        "headline": item.headline,
        "file": f"{item.name}.csv",
        "rows": len(item.table),
        "evidence": item.evidence,
    }


def track_document(**parts: Any) -> dict[str, Any]:
    """The `track.json` document as plain JSON data (``rvq_version`` added)."""
    return to_jsonable({"rvq_version": __version__, **parts})


def check_track(document: Any) -> list[str]:
    """The ways ``document`` breaks the `track.json` contract (empty when it keeps it)."""
    return contract_problems(document, TrackDocument, "track.json")
