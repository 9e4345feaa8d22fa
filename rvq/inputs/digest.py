"""A digest of interaction rows for checks that need every row (possible duplicates, a
rep in two teams) when the rows are not held in memory: built by
`rvq.scoring.stream.row_digest` for a streamed file and by `frame_digest` for rows read
whole, read by step e (`rvq.steps.history.duplicates_and_conflicts`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: interaction and account attributes that should have one value per key (a rep in one team)
SINGLE_VALUED = (("interactions", "rep_id", "team"), ("accounts", "account_id", "team"))
#: interaction rows that agree on all of these (those present) may be one event twice
REPEAT_KEYS = ("account_id", "contact_id", "timestamp", "interaction_code")


@dataclass
class RowDigest:
    """What the row checks of `duplicates_and_conflicts` need from interactions that are
    not held in memory (a streamed pilot, `rvq.scoring.stream.row_digest`): `repeats`, the extra
    rows per account repeating account, contact, timestamp and code (`account_id`,
    `n_rows`); `pairs`, per (key, attribute) of `SINGLE_VALUED`, the `value_pairs`."""

    repeats: pd.DataFrame
    pairs: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)


def repeated_rows(interactions: pd.DataFrame) -> pd.DataFrame:
    """Per account, the rows that repeat an earlier row's `REPEAT_KEYS` (`account_id`,
    `n_rows`; only accounts with one)."""
    keys = [c for c in REPEAT_KEYS if c in interactions]
    repeated = interactions.duplicated(keys, keep="first")
    counts = interactions.loc[repeated].groupby("account_id", observed=True).size()
    return counts.rename("n_rows").reset_index()


def value_pairs(frame: pd.DataFrame, key: str, attribute: str) -> pd.DataFrame:
    """The distinct (key, attribute) pairs of `frame` as text, with their rows (`n_rows`);
    rows missing either are left out."""
    pairs = frame.loc[frame[key].notna() & frame[attribute].notna(), [key, attribute]]
    counted = pairs.astype(str).value_counts().rename("n_rows").reset_index()
    return counted.astype({"n_rows": "int64"})


def frame_digest(interactions: pd.DataFrame) -> RowDigest:
    """The `RowDigest` of interaction rows held in memory (or scored events, which carry
    the same columns): what step e's row checks find in them, kept once the rows are
    summed into event cells."""
    pairs = {
        (key, attribute): value_pairs(interactions, key, attribute)
        for table, key, attribute in SINGLE_VALUED
        if table == "interactions" and key in interactions and attribute in interactions
    }
    return RowDigest(repeats=repeated_rows(interactions), pairs=pairs)
