"""A digest of interaction rows for checks that need every row (possible duplicates, a
rep in two teams) when the rows are not held in memory: built by `rvq.scoring.stream.row_digest`,
read by step e (`rvq.steps.history.duplicates_and_conflicts`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: interaction and account attributes that should have one value per key (a rep in one team)
SINGLE_VALUED = (("interactions", "rep_id", "team"), ("accounts", "account_id", "team"))


@dataclass
class RowDigest:
    """What the row checks of `duplicates_and_conflicts` need from interactions that are
    not held in memory (a streamed pilot, `rvq.scoring.stream.row_digest`): `repeats`, the extra
    rows per account repeating account, contact, timestamp and code (`account_id`,
    `n_rows`); `pairs`, per (key, attribute) of `SINGLE_VALUED`, the `value_pairs`."""

    repeats: pd.DataFrame
    pairs: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
