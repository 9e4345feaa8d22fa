"""The pro forma model (pilot step a): the shipped catalog and the checks any catalog must pass.

The catalog is the Customer Relationship Process Model: one row per interaction type with
its RV score (RV units, negative when it moves a relationship backward), its variable cost
per occurrence, lifecycle stage, function, channel and Customer Value aspect. rvq ships
one (``rvq/data/catalog.csv``; the reasoning behind every score is in
``rvq/data/catalog_assumptions.md``). A client replaces it with a ``catalog`` table in the
dataset, with the same columns, and the same checks apply to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

import pandas as pd

from rvq.schema import CATALOG, FUNCTIONS, KINDS, STAGES, VALUE_ASPECTS

#: allowed values of each enumerated catalog column (docs/contracts.md, input tables)
CATALOG_ENUMS: dict[str, tuple[str, ...]] = {
    "kind": KINDS,
    "stage": STAGES,
    "function": FUNCTIONS,
    "value_aspect": VALUE_ASPECTS,
}
NUMERIC_COLUMNS = ("rv", "cost")
TEXT_COLUMNS = tuple(col for col in CATALOG.columns if col not in NUMERIC_COLUMNS)

#: the pilot asks for about 100 major and about 30 VoC interactions (inclusive ranges)
MAJOR_RANGE = (90, 110)
VOC_RANGE = (25, 35)
#: share of VoC rows among all rows (inclusive)
VOC_SHARE_RANGE = (0.15, 0.35)

#: columns of the sign-off sheet, in order
SIGNOFF_COLUMNS = (
    "owner_team",
    "function",
    "stage",
    "kind",
    "interaction_code",
    "name",
    "channel",
    "rv",
    "cost",
    "value_aspect",
    "rationale",
    "approved",
    "comments",
)

_EXAMPLES = 5  # how many offending values a check's detail names


def shipped_catalog_resource() -> Traversable:
    """The shipped catalog CSV inside the installed package (works from a wheel too)."""
    return resources.files("rvq") / "data" / "catalog.csv"


@cache
def _read_shipped_catalog() -> pd.DataFrame:
    with resources.as_file(shipped_catalog_resource()) as path:
        frame = pd.read_csv(
            path,
            dtype={**dict.fromkeys(TEXT_COLUMNS, str), **dict.fromkeys(NUMERIC_COLUMNS, "float64")},
            encoding="utf-8",
        )
    return canonical_catalog(frame)


def shipped_catalog() -> pd.DataFrame:
    """The shipped pro forma model: ~100 major and ~30 VoC interaction types.

    Read once per process from the package data and returned as a fresh copy, so callers
    may modify it freely. Text columns are strings, ``rv`` and ``cost`` are float.
    """
    return _read_shipped_catalog().copy()


def _as_text(values: pd.Series) -> pd.Series:
    """Values as stripped strings; missing stays missing (NaN), never the text 'nan'."""
    return values.astype(str).str.strip().mask(values.isna())


def canonical_catalog(catalog: pd.DataFrame) -> pd.DataFrame:
    """A catalog with canonical column order and dtypes: strings, float ``rv`` and ``cost``.

    Columns outside the contract are kept after the canonical ones. Numbers that do not
    parse become NaN, so run :func:`catalog_checks` first on a client's catalog to report them.
    """
    canonical = [col for col in CATALOG.columns if col in catalog.columns]
    extra = [col for col in catalog.columns if col not in canonical]
    out = catalog[canonical + extra].copy()
    for col in canonical:
        if col in NUMERIC_COLUMNS:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
        else:
            out[col] = _as_text(out[col])
    return out.reset_index(drop=True)


# --- checks ------------------------------------------------------------------------------

CheckResult = tuple[bool, str]


def _list(values: Sequence[object], limit: int = _EXAMPLES) -> str:
    shown = ", ".join(str(v) for v in list(values)[:limit])
    more = len(values) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _codes_of(catalog: pd.DataFrame, mask: pd.Series) -> str:
    """Up to a few interaction codes (or row numbers) of the rows in ``mask``, for a detail."""
    rows = catalog.loc[mask]
    if "interaction_code" in catalog.columns:
        labels = _as_text(rows["interaction_code"]).fillna("(no code)").tolist()
    else:
        labels = [f"row {i}" for i in rows.index]
    return _list(labels)


def _missing_columns(catalog: pd.DataFrame, *columns: str) -> str | None:
    missing = [col for col in columns if col not in catalog.columns]
    return f"cannot check: column {_list(missing)} missing" if missing else None


def _check_required_columns(catalog: pd.DataFrame) -> CheckResult:
    missing = [col for col in CATALOG.required if col not in catalog.columns]
    if missing:
        return False, f"missing required column(s): {_list(missing, len(missing))}"
    return True, f"all {len(CATALOG.required)} required columns present"


def _check_unique_codes(catalog: pd.DataFrame) -> CheckResult:
    if problem := _missing_columns(catalog, "interaction_code"):
        return False, problem
    codes = _as_text(catalog["interaction_code"])
    blank = codes.isna() | codes.eq("")
    counts = codes[~blank].value_counts()
    duplicated = counts[counts > 1]
    problems = []
    if blank.any():
        problems.append(f"{int(blank.sum())} row(s) without a code")
    if len(duplicated):
        pairs = [f"{code} ({n}x)" for code, n in duplicated.items()]
        problems.append(f"{len(duplicated)} duplicated code(s): {_list(pairs)}")
    if problems:
        return False, "; ".join(problems)
    return True, f"{len(codes)} codes, all present and unique"


def _check_names_present(catalog: pd.DataFrame) -> CheckResult:
    if problem := _missing_columns(catalog, "name"):
        return False, problem
    names = _as_text(catalog["name"])
    blank = names.isna() | names.eq("")
    if blank.any():
        return False, f"{int(blank.sum())} row(s) without a name: {_codes_of(catalog, blank)}"
    return True, "every interaction has a name"


def _check_channel_present(catalog: pd.DataFrame) -> CheckResult:
    if problem := _missing_columns(catalog, "channel"):
        return False, problem
    channels = _as_text(catalog["channel"])
    blank = channels.isna() | channels.eq("")
    if blank.any():
        return False, f"{int(blank.sum())} row(s) without a channel: {_codes_of(catalog, blank)}"
    return True, f"every interaction names a channel ({channels.nunique()} channels)"


def _enum_check(column: str) -> Callable[[pd.DataFrame], CheckResult]:
    allowed = CATALOG_ENUMS[column]

    def check(catalog: pd.DataFrame) -> CheckResult:
        if problem := _missing_columns(catalog, column):
            return False, problem
        values = _as_text(catalog[column])
        bad = ~values.isin(allowed)
        if bad.any():
            unknown = values[bad].fillna("(missing)").unique().tolist()
            return False, (
                f"{int(bad.sum())} row(s) with {column} not in {_list(allowed, len(allowed))}: "
                f"values {_list([repr(v) for v in unknown])}; rows {_codes_of(catalog, bad)}"
            )
        return True, f"all values in {_list(allowed, len(allowed))}"

    return check


def _numeric_check(column: str) -> Callable[[pd.DataFrame], CheckResult]:
    def check(catalog: pd.DataFrame) -> CheckResult:
        if problem := _missing_columns(catalog, column):
            return False, problem
        numbers = pd.to_numeric(catalog[column], errors="coerce")
        bad = numbers.isna()
        if bad.any():
            return False, (
                f"{int(bad.sum())} row(s) where {column} is missing or not a number: "
                f"{_codes_of(catalog, bad)}"
            )
        return True, f"every {column} is a number"

    return check


def _check_cost_non_negative(catalog: pd.DataFrame) -> CheckResult:
    if problem := _missing_columns(catalog, "cost"):
        return False, problem
    cost = pd.to_numeric(catalog["cost"], errors="coerce")
    negative = cost.lt(0)
    if negative.any():
        return False, (
            f"{int(negative.sum())} row(s) with a negative cost: {_codes_of(catalog, negative)}"
        )
    return True, f"no negative cost (range {cost.min():g} to {cost.max():g})"


def _check_rv_both_signs(catalog: pd.DataFrame) -> CheckResult:
    if problem := _missing_columns(catalog, "rv"):
        return False, problem
    rv = pd.to_numeric(catalog["rv"], errors="coerce")
    n_pos, n_neg = int(rv.gt(0).sum()), int(rv.lt(0).sum())
    detail = f"{n_pos} interaction(s) move relationships forward, {n_neg} backward"
    if n_pos == 0 or n_neg == 0:
        return False, detail + "; the model needs both directions"
    return True, detail


def _kind_counts(catalog: pd.DataFrame) -> pd.Series:
    return _as_text(catalog["kind"]).value_counts()


def _count_check(kind: str, bounds: tuple[int, int]) -> Callable[[pd.DataFrame], CheckResult]:
    low, high = bounds

    def check(catalog: pd.DataFrame) -> CheckResult:
        if problem := _missing_columns(catalog, "kind"):
            return False, problem
        n = int(_kind_counts(catalog).get(kind, 0))
        return low <= n <= high, f"{n} {kind} interaction(s); expected {low} to {high}"

    return check


def _share_check(bounds: tuple[float, float]) -> Callable[[pd.DataFrame], CheckResult]:
    low, high = bounds

    def check(catalog: pd.DataFrame) -> CheckResult:
        if problem := _missing_columns(catalog, "kind"):
            return False, problem
        n_voc = int(_kind_counts(catalog).get("voc", 0))
        share = n_voc / len(catalog) if len(catalog) else 0.0
        detail = (
            f"VoC is {share:.0%} of {len(catalog)} interactions; expected {low:.0%} to {high:.0%}"
        )
        return low <= share <= high, detail

    return check


def _check_function_stage_coverage(catalog: pd.DataFrame) -> CheckResult:
    if problem := _missing_columns(catalog, "kind", "function", "stage"):
        return False, problem
    major = catalog.loc[_as_text(catalog["kind"]).eq("major")]
    present = set(zip(_as_text(major["function"]), _as_text(major["stage"]), strict=True))
    cells = [(f, s) for f in FUNCTIONS for s in STAGES]
    missing = [f"{f} x {s}" for f, s in cells if (f, s) not in present]
    if missing:
        return False, f"{len(missing)} function x stage cell(s) without a major interaction: " + (
            _list(missing, len(missing))
        )
    return True, f"all {len(cells)} function x stage cells have a major interaction"


def _check_value_aspects_covered(catalog: pd.DataFrame) -> CheckResult:
    if problem := _missing_columns(catalog, "value_aspect"):
        return False, problem
    present = set(_as_text(catalog["value_aspect"]).dropna())
    missing = [a for a in VALUE_ASPECTS if a not in present]
    if missing:
        return False, f"no interaction for value aspect(s): {_list(missing, len(missing))}"
    return True, f"all {len(VALUE_ASPECTS)} value aspects present"


def catalog_checks(
    catalog: pd.DataFrame,
    *,
    major_range: tuple[int, int] | None = MAJOR_RANGE,
    voc_range: tuple[int, int] | None = VOC_RANGE,
    voc_share_range: tuple[float, float] | None = VOC_SHARE_RANGE,
) -> pd.DataFrame:
    """The rules a catalog must pass, one row per rule: ``check``, ``passed``, ``severity``, ``detail``.

    ``severity`` is ``error`` where scoring would be wrong or ambiguous with the catalog as it
    is (missing columns, blank or duplicate codes, values outside the schema enumerations,
    RV or cost that is not a number, negative cost) and ``warning`` where the model is
    incomplete for the pilot's questions (counts of major and VoC interactions, VoC share,
    function x stage coverage, both directions of RV, value aspects, channels). ``detail``
    says in plain words what was found and names example interaction codes.

    The count and share ranges default to the pilot brief (~100 major, ~30 VoC); pass other
    bounds, or ``None`` to leave a rule out, when judging a client's own catalog.
    """
    checks: list[tuple[str, str, Callable[[pd.DataFrame], CheckResult]]] = [
        ("required_columns", "error", _check_required_columns),
        ("unique_codes", "error", _check_unique_codes),
        ("names_present", "error", _check_names_present),
        *[(f"{col}_allowed", "error", _enum_check(col)) for col in CATALOG_ENUMS],
        ("rv_numeric", "error", _numeric_check("rv")),
        ("cost_numeric", "error", _numeric_check("cost")),
        ("cost_non_negative", "error", _check_cost_non_negative),
        ("channel_present", "warning", _check_channel_present),
        ("rv_both_signs", "warning", _check_rv_both_signs),
        ("function_stage_coverage", "warning", _check_function_stage_coverage),
        ("value_aspects_covered", "warning", _check_value_aspects_covered),
    ]
    if major_range is not None:
        checks.append(("major_count", "warning", _count_check("major", major_range)))
    if voc_range is not None:
        checks.append(("voc_count", "warning", _count_check("voc", voc_range)))
    if voc_share_range is not None:
        checks.append(("voc_share", "warning", _share_check(voc_share_range)))

    results = [(name, *rule(catalog), severity) for name, severity, rule in checks]
    table = pd.DataFrame(results, columns=["check", "passed", "detail", "severity"])
    table["passed"] = table["passed"].astype(bool)
    return table[["check", "passed", "severity", "detail"]]


# --- views for notebook 01 -----------------------------------------------------------------


def _ordered(values: pd.Series, column: str) -> pd.Categorical:
    """Values as a categorical in schema order; unexpected values are kept, after the known."""
    text = _as_text(values)
    known = list(CATALOG_ENUMS.get(column, ()))
    extra = sorted(set(text.dropna()) - set(known))
    return pd.Categorical(text, categories=known + extra)


def coverage_matrix(
    catalog: pd.DataFrame,
    rows: str | Sequence[str] = "stage",
    cols: str | Sequence[str] = "function",
    *,
    value: str | None = None,
    aggfunc: str = "sum",
    kind: str | None = None,
) -> pd.DataFrame:
    """How the catalog covers the lifecycle: interactions per ``rows`` x ``cols`` cell.

    With ``value=None`` each cell counts interaction types (0 for an empty cell, so gaps
    show). With ``value="rv"`` (or ``"cost"``) each cell aggregates that column with
    ``aggfunc`` (``"sum"``, ``"mean"``, …; an empty cell is 0 for a sum, NaN for a mean).
    ``rows`` and ``cols`` may each be several columns, e.g. ``rows=["stage", "function"],
    cols="value_aspect"`` for the stage x function x value-aspect view. Enumerated columns
    keep the schema order and show every allowed value. ``kind`` keeps only ``"major"`` or
    ``"voc"`` rows.
    """
    row_keys = [rows] if isinstance(rows, str) else list(rows)
    col_keys = [cols] if isinstance(cols, str) else list(cols)
    keys = row_keys + col_keys
    frame = catalog
    if kind is not None:
        frame = frame.loc[_as_text(frame["kind"]).eq(kind)]
    grouping = frame.assign(**{key: _ordered(frame[key], key) for key in keys})
    if value is None:
        cells = grouping.groupby(keys, observed=False).size()
    else:
        grouping = grouping.assign(**{value: pd.to_numeric(grouping[value], errors="coerce")})
        cells = grouping.groupby(keys, observed=False)[value].agg(aggfunc)
    table = cells.unstack(col_keys)
    if value is None:
        table = table.fillna(0).astype("int64")
    return table


def signoff_table(catalog: pd.DataFrame) -> pd.DataFrame:
    """The sheet a cross-functional team signs off: one row per interaction type.

    Ordered by function, stage and kind (major before VoC), then by RV from the largest
    forward step down, so each team reviews its own block. ``owner_team`` is the function
    that owns the interaction; ``approved`` and ``comments`` are left blank for the team.
    """
    sheet = canonical_catalog(catalog)
    if "rationale" not in sheet.columns:
        sheet["rationale"] = ""
    sheet["rationale"] = sheet["rationale"].fillna("")
    sheet["owner_team"] = sheet["function"]
    sheet["approved"] = ""
    sheet["comments"] = ""
    order = {
        f"_{col}": sheet[col].map({v: i for i, v in enumerate(CATALOG_ENUMS[col])})
        for col in ("function", "stage", "kind")
    }
    sheet = sheet.assign(**order).sort_values(
        ["_function", "_stage", "_kind", "rv", "interaction_code"],
        ascending=[True, True, True, False, True],
        na_position="last",
        kind="stable",
    )
    return sheet[list(SIGNOFF_COLUMNS)].reset_index(drop=True)
