"""Privacy of a pilot's outputs: pseudonyms for identifiers, suppression of small cells.

Business units and partners compare RV without revealing contacts or interactions. Two
switches in the config's `privacy:` block (`rvq.config.PrivacyConfig`) do it:

- `pseudonymize`: the inputs are reduced to what the pilot needs and every identifier in
  them is replaced, before anything is scored, cached or shown. The rule, per input table
  (all but the catalog, which describes interaction types, not accounts or people):
  1. identifier columns become keyed hashes -- HMAC-SHA256 under a secret key, truncated
     to 16 hex digits, with a readable prefix: `account_id` -> `acct_3f9a...`,
     `contact_id` -> `ct_...`, `rep_id` -> `rep_...`, `event_id` -> `ev_...` (`PREFIXES`);
  2. name columns (the accounts' `name`) become the account's pseudonym;
  3. every other column the client's file carries beyond the canonical schema
     (`rvq.schema.TABLES`) and the config's `segments` -- an `email`, an `account_name`,
     a phone number -- is dropped. Segment values (team, territory, industry, ...) are
     group labels, not identifiers, and stay as they are;
  4. the raw text of malformed lines is withheld.
  The same key gives the same pseudonym in every run, so runs stay comparable; without
  the key nobody can go back to the identifier or test a guess (a plain hash could be
  reversed by hashing a customer list). `protect_dataset` applies the rule once, where
  the pilot is opened (`rvq.pilot.score_pilot`), to the frames, the rows validation set
  aside and the example rows of its problems; `protect_validation` applies it to a
  validation result alone (`rvq validate` prints only that). The panel, the notebooks,
  their HTML, the findings, `summary.json`, the logs, the cache and every CSV only ever
  see pseudonyms. A streamed pilot's panel, event cells and row digest are pseudonymized
  with `pseudonymize_frame` and `protect_digest`.
- `min_cell_accounts` (k): a table cell or segment figure built from fewer than k
  accounts is shown as "suppressed (< k accounts)" (`suppress_small_cells`, used by
  `rvq.report.table`; `suppress_small_cells_by_cell` for wide tables whose cells each
  have their own count, such as the subset norms by age; `rvq.stats.segments` requires groups
  of k accounts).

The key comes from the environment variable named by `key_env` (default
`RVQ_PSEUDONYM_KEY`) or, failing that, from the same name in the config's secrets file;
it never comes from notebook parameters, so it never reaches an executed notebook.
Pseudonymizing without a key is an error, never a silent fall-back to an unkeyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rvq.config import PrivacyConfig
from rvq.schema import TABLES

#: identifier column -> pseudonym prefix
PREFIXES: dict[str, str] = {
    "account_id": "acct_",
    "contact_id": "ct_",
    "rep_id": "rep_",
    "event_id": "ev_",
}
#: hex digits kept of each HMAC (64 bits: collisions negligible below billions of ids)
DIGITS = 16
#: columns that name an account in words; replaced by the account's pseudonym
NAME_COLUMNS = ("name",)
#: columns holding a raw input line (malformed rows); withheld when pseudonymizing
RAW_TEXT_COLUMNS = ("text",)
WITHHELD = "(withheld: pseudonymization is on)"
#: what validation adds to the rows it sets aside (where, why, how many): kept
ROW_INFO_COLUMNS = ("line", "reason", "n_events", "last_timestamp")
#: input tables about interaction types, not accounts or people: left as they are
MODEL_TABLES = ("catalog",)
#: columns that count the accounts a table row is built from
ACCOUNT_COUNT_COLUMNS = ("n_accounts", "accounts", "accounts_affected")


class PrivacyKeyError(ValueError):
    """Pseudonymization is on and no key was found: one line naming where rvq looked."""


# --------------------------------------------------------------------------- the key


def _secrets_entries(path: Path) -> dict[str, str]:
    """Name -> value from a secrets file: YAML or JSON mapping, else `NAME=value` lines."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        import yaml

        parsed = yaml.safe_load(text) if path.suffix.lower() != ".json" else json.loads(text)
        return {str(k): str(v) for k, v in (parsed or {}).items() if v is not None}
    entries = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.removeprefix("export ").split("=", 1)
            entries[name.strip()] = value.strip().strip("'\"")
    return entries


def pseudonym_key(config: Any) -> bytes:
    """The hashing key: `$<key_env>`, else the `<key_env>` (or `pseudonym_key`) entry of
    the config's secrets file (`config.secrets`, YAML, JSON or NAME=value lines).
    PrivacyKeyError when neither has it."""
    settings = privacy_settings(config)
    name = settings.key_env
    value = os.environ.get(name)
    secrets = getattr(config, "secrets", None)
    if not value and secrets:
        path = Path(secrets).expanduser()
        if path.is_file():
            entries = _secrets_entries(path)
            value = entries.get(name) or entries.get("pseudonym_key")
    if not value:
        where = f"${name}" + (f" or the secrets file {secrets}" if secrets else "")
        raise PrivacyKeyError(
            f"privacy.pseudonymize is on but no key was found in {where}: set it to a long "
            "random secret (the same one in every run that must be comparable)"
        )
    return value.encode("utf-8")


def key_fingerprint(key: bytes) -> str:
    """A short digest that changes with the key and does not reveal it (for cache keys)."""
    return hmac.new(key, b"rvq key fingerprint", hashlib.sha256).hexdigest()[:16]


def privacy_settings(config: Any) -> PrivacyConfig:
    """The `privacy` block of a config (defaults: nothing pseudonymized or suppressed)."""
    settings = getattr(config, "privacy", None)
    return settings if isinstance(settings, PrivacyConfig) else PrivacyConfig()


# --------------------------------------------------------------------------- pseudonyms


def pseudonyms(values: Iterable[Any], key: bytes, prefix: str) -> pd.Series:
    """`prefix` + the first 16 hex digits of HMAC-SHA256(key, identifier) for each value.

    Identifiers are compared as stripped text (what validation keeps); missing values stay
    missing. One HMAC per distinct identifier. ValueError on a collision (two identifiers,
    one pseudonym), which at 64 bits does not happen in practice but must never pass.
    """
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    missing = series.isna().to_numpy()
    text = series.astype(object).where(~missing, "").astype(str).str.strip()
    codes, uniques = pd.factorize(text)
    hashed = np.array(
        [
            prefix + hmac.new(key, u.encode("utf-8"), hashlib.sha256).hexdigest()[:DIGITS]
            for u in uniques
        ],
        dtype=object,
    )
    if len(set(hashed)) != len(hashed):
        raise ValueError(f"two {prefix}identifiers share a pseudonym: use a longer digest")
    out = np.where(missing, None, hashed[codes] if len(hashed) else None)
    result = pd.Series(out, index=series.index, dtype=object)
    return result.astype(series.dtype) if pd.api.types.is_string_dtype(series.dtype) else result


def kept_columns(table: str, segments: Iterable[str] = ()) -> frozenset[str]:
    """The columns of input table `table` that survive pseudonymization: its canonical
    columns (`rvq.schema.TABLES`), the configured `segments`, and what validation adds to
    set-aside rows (`ROW_INFO_COLUMNS`, `RAW_TEXT_COLUMNS`). Any other column is the
    client's own (an email, a phone number) and is dropped; a table the schema does not
    know keeps only what validation added."""
    canonical = TABLES[table].columns if table in TABLES else ()
    return frozenset((*canonical, *segments, *ROW_INFO_COLUMNS, *RAW_TEXT_COLUMNS))


def pseudonymize_frame(
    frame: pd.DataFrame | None, key: bytes, *, keep: Iterable[str] | None = None
) -> pd.DataFrame | None:
    """A copy of `frame` with its identifiers pseudonymized (`PREFIXES`), account names
    replaced by the account's pseudonym, and raw input lines withheld. With `keep` (an
    input table's `kept_columns`), every other column is dropped first."""
    if frame is None:
        return None
    if keep is not None:
        keep = set(keep)
        frame = frame[[c for c in frame.columns if c in keep]]
    out = frame.copy()
    for column, prefix in PREFIXES.items():
        if column in out.columns:
            out[column] = pseudonyms(out[column], key, prefix)
    for column in NAME_COLUMNS:
        if column in out.columns:
            stand_in = out["account_id"] if "account_id" in out.columns else None
            out[column] = stand_in if stand_in is not None else WITHHELD
    for column in RAW_TEXT_COLUMNS:
        if column in out.columns:
            out[column] = out[column].where(out[column].isna(), WITHHELD)
    return out


def _pseudonymize_example(
    example: Mapping[str, Any], key: bytes, keep: Iterable[str]
) -> dict[str, Any]:
    out = {k: v for k, v in example.items() if k in keep}
    for column, prefix in PREFIXES.items():
        if out.get(column) is not None:
            out[column] = str(pseudonyms([out[column]], key, prefix).iloc[0])
    for column in NAME_COLUMNS:
        if out.get(column) is not None:
            out[column] = out.get("account_id") or WITHHELD
    for column in RAW_TEXT_COLUMNS:
        if out.get(column) is not None:
            out[column] = WITHHELD
    return out


def _segments(config: Any) -> tuple[str, ...]:
    return tuple(getattr(config, "segments", None) or ())


def protect_validation(validation: Any, config: Any, key: bytes | None = None) -> Any:
    """A `rvq.inputs.validation.ValidationResult` with the rule of the module doc applied
    to the rows it set aside and to its problems' example rows (what `rvq validate`
    prints and step b shows).

    Returns `validation` unchanged when `config` does not ask for pseudonyms. `key`
    overrides `pseudonym_key(config)` (PrivacyKeyError when there is none).
    """
    from dataclasses import replace

    if not privacy_settings(config).pseudonymize:
        return validation
    key = key if key is not None else pseudonym_key(config)
    segments = _segments(config)

    def protect(problem: Any) -> Any:
        if problem.table in MODEL_TABLES:
            return problem
        keep = kept_columns(problem.table, segments)
        return replace(
            problem, examples=[_pseudonymize_example(e, key, keep) for e in problem.examples]
        )

    return replace(
        validation,
        problems=[protect(p) for p in validation.problems],
        set_aside={
            t: f
            if t in MODEL_TABLES
            else pseudonymize_frame(f, key, keep=kept_columns(t, segments))
            for t, f in validation.set_aside.items()
        },
    )


def table_protection(config: Any, table: str, key: bytes | None = None):
    """What `protect_dataset` does to one table's frame, as a function of the frame: with
    pseudonyms on, the canonical columns and the configured segments kept and every
    identifier pseudonymized; else the frame as it is. The key is looked up once (`key`
    overrides `pseudonym_key(config)`), so rows read in blocks are protected as a whole
    read is."""
    if not privacy_settings(config).pseudonymize:
        return lambda frame: frame
    key = key if key is not None else pseudonym_key(config)
    keep = kept_columns(table, _segments(config))
    return lambda frame: pseudonymize_frame(frame, key, keep=keep)


def protect_dataset(dataset: Any, key: bytes | None = None) -> Any:
    """The validated `rvq.inputs.dataset.Dataset` with the rule of the module doc applied:
    its frames reduced to the canonical columns and the configured segments, with every
    identifier pseudonymized, and its validation protected (`protect_validation`).

    Returns `dataset` unchanged when the config does not ask for pseudonyms. `key`
    overrides `pseudonym_key(dataset.config)`.
    """
    from dataclasses import replace

    config = dataset.config
    if not privacy_settings(config).pseudonymize:
        return dataset
    key = key if key is not None else pseudonym_key(config)

    def protect(table: str) -> pd.DataFrame | None:
        return table_protection(config, table, key)(getattr(dataset, table))

    return replace(
        dataset,
        interactions=protect("interactions"),
        accounts=protect("accounts"),
        outcomes=protect("outcomes"),
        voc=protect("voc"),
        plans=protect("plans"),
        campaigns=protect("campaigns"),
        validation=protect_validation(dataset.validation, config, key),
    )


def protect_digest(digest: Any, key: bytes) -> Any:
    """A streamed pilot's row digest (`rvq.inputs.digest.RowDigest`) with the identifiers
    of its repeated rows and of its (key, attribute) pairs pseudonymized: step e names
    the rep or account whose team conflicts."""
    from dataclasses import replace

    return replace(
        digest,
        repeats=pseudonymize_frame(digest.repeats, key),
        pairs={k: pseudonymize_frame(v, key) for k, v in digest.pairs.items()},
    )


# --------------------------------------------------------------------------- small cells

# Every function below takes the floor `k` (a pilot's `privacy.min_cell_accounts`)
# explicitly: no setting is held in this module, so a result never depends on which
# pilot a process opened last (`rvq.pilot.Pilot.privacy` carries a pilot's settings).


def suppressed_text(k: int) -> str:
    """What a suppressed cell shows."""
    return f"suppressed (< {k} accounts)"


def small_cell_mask(counts: pd.Series | pd.DataFrame, k: int = 0) -> np.ndarray:
    """True where a count of accounts is above zero and below `k`: the cells to suppress.
    All False when `k` is 0 or 1."""
    k = int(k)
    n = pd.DataFrame(counts).apply(pd.to_numeric, errors="coerce")
    n = n.to_numpy(dtype=float, na_value=np.nan).reshape(np.shape(counts))
    return (n > 0) & (n < k) if k > 1 else np.zeros(n.shape, dtype=bool)


def suppress_small_cells(
    frame: pd.DataFrame,
    k: int = 0,
    *,
    accounts: str | pd.Series | None = None,
) -> pd.DataFrame:
    """`frame` with every figure built from fewer than `k` accounts shown as
    "suppressed (< k accounts)".

    The number of accounts behind each row is `accounts` (a column name or a Series
    aligned with `frame`), else the first of `ACCOUNT_COUNT_COLUMNS` in the frame, else 1
    for a per-account table (one with an `account_id` column). A row built from fewer
    than `k` (and more than zero) accounts has every numeric and date cell suppressed,
    the count included; labels (codes, names of stages, pseudonyms) stay. A frame whose
    rows' account counts are unknown is returned as it is. `k` of 0 or 1 suppresses
    nothing.
    """
    k = int(k)
    if k <= 1 or frame is None or len(frame) == 0:
        return frame
    if isinstance(accounts, pd.Series):
        counts = accounts
    elif isinstance(accounts, str):
        counts = frame[accounts]
    else:
        column = next((c for c in ACCOUNT_COUNT_COLUMNS if c in frame.columns), None)
        if column is not None:
            counts = frame[column]
        elif "account_id" in frame.columns:
            counts = pd.Series(1, index=frame.index)
        else:
            return frame
    small = small_cell_mask(counts, k)
    if not small.any():
        return frame
    figures = [
        c
        for c in frame.columns
        if (pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
        or pd.api.types.is_datetime64_any_dtype(frame[c])
        or isinstance(frame[c].dtype, pd.PeriodDtype)
    ]
    out = frame.copy()
    for column in figures:
        values = out[column].astype(object)
        values[small] = suppressed_text(k)
        out[column] = values
    return out


def suppress_small_cells_by_cell(
    values: pd.DataFrame, counts: pd.DataFrame, k: int = 0
) -> pd.DataFrame:
    """`values` with each cell built from fewer than `k` accounts shown as
    "suppressed (< k accounts)", the accounts of each cell read from `counts`.

    For wide tables (a pivot: subsets by age) whose cells each come from their own group
    of accounts, so no one count per row says it. `counts` must have the same rows and
    columns as `values` (ValueError otherwise: a cell with no count cannot be judged).
    `k` of 0 or 1 suppresses nothing.
    """
    k = int(k)
    if not (values.index.equals(counts.index) and values.columns.equals(counts.columns)):
        raise ValueError("values and counts must have the same rows and columns")
    small = small_cell_mask(counts, k)
    if not small.any():
        return values
    out = values.astype(object)
    return out.mask(small, suppressed_text(k))


__all__ = [
    "ACCOUNT_COUNT_COLUMNS",
    "PREFIXES",
    "PrivacyKeyError",
    "key_fingerprint",
    "kept_columns",
    "protect_dataset",
    "protect_digest",
    "protect_validation",
    "pseudonym_key",
    "pseudonyms",
    "pseudonymize_frame",
    "small_cell_mask",
    "suppress_small_cells",
    "suppress_small_cells_by_cell",
    "suppressed_text",
]
