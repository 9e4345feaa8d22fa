"""The activity mapping table: how a client's activity types become catalog interaction codes.

A mapping file (a CRM preset's shipped `rvq/data/presets/<preset>.csv`, or the client's own
copy that the config's `mapping:` names; `rvq mapping init` writes it; docs/contracts.md,
the mapping file) has one rule per line, the first matching line wins (`#` lines are
comments):

    activity_type, field, match, pattern, interaction_code, note

A rule applies to rows whose activity type equals `activity_type` (blank: any type) and,
when `field` is given, whose `field` `equals` / `contains` `pattern` (case-insensitive;
`equals` also ignores spaces and punctuation, so "Phone Call" equals "phonecall"). A row
no rule matches keeps its raw activity type as its code, `UNMAPPED:<type>`
(`UNMAPPED:(blank)` when blank): validation sets it aside as `unknown_interaction_code`
and lists it with its count and the line to add (`unmapped_lines`), as the step-b data
map does (`rvq.steps.datamap.unmapped_codes`). No row is ever dropped here.

The CRM presets (`rvq.inputs.presets`) read their exports' activity types through these
rules; a plain dataset maps its own codes with them (`client_codes`).
"""

from __future__ import annotations

import csv
import difflib
import io
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from rvq.config import ConfigError
from rvq.inputs.readers import bom_encoding, detect_encoding

#: where the shipped, client-editable mapping tables live
PRESETS_DIR = Path(__file__).parents[1] / "data" / "presets"
#: the code given to rows whose activity type no rule maps
UNMAPPED_PREFIX = "UNMAPPED:"
BLANK_TYPE = "(blank)"
RULE_COLUMNS = ("activity_type", "field", "match", "pattern", "interaction_code", "note")
MATCHES = ("equals", "contains")
#: what stands where the client must write a catalog code (`rvq mapping init`, validation)
CATALOG_PLACEHOLDER = "<CATALOG_CODE>"
#: a mapping file's line starting with this is a comment
COMMENT = "#"
#: the most unmapped types validation writes a line to add for (`unmapped_lines`)
MAX_LINES_SHOWN = 20


def mapping_text(path: Path) -> str:
    """The text of a mapping file: UTF-8 (with or without a byte-order mark), UTF-16 with
    one (Excel's "Unicode text"), else the encoding detected (Excel saves CSV in the
    system's code page)."""
    try:
        data = path.read_bytes()
        wide = bom_encoding(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such mapping file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the mapping file ({exc.strerror})") from None
    try:
        return data.decode(wide or "utf-8-sig")
    except UnicodeDecodeError:
        return data.decode(detect_encoding(path), errors="replace")


def _mapping_rows(path: Path) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """(header line, header fields, [(line, fields)]) of a mapping file; comment lines
    (`#`) and blank lines are skipped, and each line keeps its number in the file."""
    text = mapping_text(path)
    lines = ["" if line.lstrip().startswith(COMMENT) else line for line in text.splitlines()]
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise ConfigError(
            f"{path}: empty; a mapping file starts with the header {','.join(RULE_COLUMNS)}"
        )
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(lines, delimiter=delimiter)
    header, rows = None, []
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header, header_line = [f.strip().lower() for f in fields], reader.line_num
        else:
            rows.append((reader.line_num, fields))
    return header_line, header, rows


def activity_type_rules(
    preset: str,
    path: str | Path | None = None,
    *,
    codes: Collection[str] | None = None,
    catalog: str = "the catalog",
) -> pd.DataFrame:
    """The mapping rules of `preset` (its shipped table, or the client's CSV at `path`), in
    order, each with its `line` in the file.

    Read on every conversion, so an edited table takes effect on the next load. Lines
    starting with `#` and blank lines are skipped; a `;` or tab delimiter is read too.
    Raises ConfigError (a ValueError) naming the file and the line when a column is
    missing, a rule has no interaction_code (or still the placeholder), a `field` has no
    `equals` / `contains`, or, given the catalog's `codes`, a code is not in `catalog`.
    """
    path = Path(path) if path is not None else PRESETS_DIR / f"{preset}.csv"
    header_line, header, rows = _mapping_rows(path)
    missing = [c for c in RULE_COLUMNS[:-1] if c not in header]
    if missing:
        raise ConfigError(
            f"{path}, line {header_line}: the header lacks {', '.join(missing)} (a mapping "
            f"file's header is {','.join(RULE_COLUMNS)})"
        )
    at = {name: header.index(name) for name in RULE_COLUMNS if name in header}
    records = []
    for line, fields in rows:
        where = f"{path}, line {line}"
        if len(fields) > len(header):
            raise ConfigError(
                f"{where}: {len(fields)} values where the header names {len(header)} "
                "(put a value holding the delimiter in double quotes)"
            )
        fields = [f.strip() for f in fields] + [""] * (len(header) - len(fields))
        rule = {name: fields[i] for name, i in at.items()}
        rule.setdefault("note", "")
        rule["match"] = rule["match"].lower()
        code = rule["interaction_code"]
        if not code:
            raise ConfigError(f"{where}: no interaction_code (write a catalog code there)")
        if code == CATALOG_PLACEHOLDER:
            raise ConfigError(f"{where}: replace {CATALOG_PLACEHOLDER} with a code of {catalog}")
        if (rule["field"] or rule["match"] or rule["pattern"]) and not (
            rule["field"] and rule["match"] in MATCHES
        ):
            raise ConfigError(
                f"{where}: a rule that reads a column needs its name in field, match "
                f"{' or '.join(MATCHES)}, and the pattern (or none of the three)"
            )
        if codes is not None and code not in codes:
            close = difflib.get_close_matches(code, list(codes), n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: interaction_code {code!r} is not in {catalog}{hint}")
        records.append({**rule, "line": line})
    return pd.DataFrame(records, columns=[*RULE_COLUMNS, "line"]).astype({"line": "int64"})


def _casefolded(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str).str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()


def match_key(s: pd.Series) -> pd.Series:
    """Text compared by `equals`: case-folded, without spaces or punctuation."""
    return _casefolded(s).str.replace(r"[\W_]+", "", regex=True)


def matched_codes(activity_type: pd.Series, fields: pd.DataFrame, rules: pd.DataFrame) -> pd.Series:
    """Each row's catalog code by the first rule that matches it, missing where none does.

    `activity_type` is the raw type per row; `fields` holds the columns rules may read (a
    rule naming a column the table lacks matches nothing). One vectorized pass per rule,
    never per row.
    """
    code = pd.Series(pd.NA, index=activity_type.index, dtype=object)
    type_key = match_key(activity_type)
    folded: dict[str, pd.Series] = {}
    for rule in rules.itertuples(index=False):
        hit = code.isna()
        if rule.activity_type:
            hit &= type_key == match_key(pd.Series([rule.activity_type])).iloc[0]
        if rule.field:
            if rule.field not in fields.columns:
                continue
            if rule.match == "equals":
                hit &= match_key(fields[rule.field]) == match_key(pd.Series([rule.pattern])).iloc[0]
            else:
                if rule.field not in folded:
                    folded[rule.field] = _casefolded(fields[rule.field])
                needle = _casefolded(pd.Series([rule.pattern])).iloc[0]
                hit &= folded[rule.field].str.contains(needle, regex=False)
        code = code.mask(hit, rule.interaction_code)
    return code


def interaction_codes(
    activity_type: pd.Series, fields: pd.DataFrame, rules: pd.DataFrame
) -> pd.Series:
    """Each row's catalog code by the first rule that matches it, else `UNMAPPED:<type>`
    (`matched_codes`): what a CRM preset's conversion writes."""
    code = matched_codes(activity_type, fields, rules)
    raw = activity_type.astype(object).where(activity_type.notna(), "")
    raw = raw.astype(str).str.strip().replace("", BLANK_TYPE)
    return code.fillna(UNMAPPED_PREFIX + raw).astype(str)


def client_codes(frame: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """A canonical interactions table whose `interaction_code` holds the client's own
    codes, with each code the `rules` map replaced by its catalog code.

    A rule's `activity_type` is the code as the client wrote it (a preset's
    `UNMAPPED:<type>` is matched by its type); a row no rule matches keeps its code, so
    validation sets it aside as unknown when it is not in the catalog either.
    """
    if "interaction_code" not in frame.columns:
        return frame  # validation reports the missing column
    written = export_text(frame["interaction_code"])
    as_type = written.str.removeprefix(UNMAPPED_PREFIX)
    code = matched_codes(as_type, frame, rules)
    return frame.assign(interaction_code=code.where(code.notna(), frame["interaction_code"]))


def rule_line(activity_type: str, code: str = CATALOG_PLACEHOLDER, note: str = "") -> str:
    """One line of a mapping file mapping `activity_type` (a raw type, `UNMAPPED:<type>`,
    or a client's code) to `code`; the blank type becomes a catch-all rule."""
    activity_type = activity_type.removeprefix(UNMAPPED_PREFIX)
    if activity_type == BLANK_TYPE:
        activity_type = ""
        note = note or "any type no line above maps (keep this line last)"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([activity_type, "", "", "", code, note])
    return out.getvalue()


def _most_frequent_first(seen: Counter) -> list[tuple[str, int]]:
    """(code, rows) most frequent first, but the blank type last: its line is a catch-all
    that would shadow every line after it."""
    blank = UNMAPPED_PREFIX + BLANK_TYPE
    return sorted(
        ((str(c), n) for c, n in seen.items()), key=lambda kv: (kv[0] == blank, -kv[1], kv[0])
    )


def unmapped_lines(seen: Counter, limit: int = MAX_LINES_SHOWN) -> list[str]:
    """Per unmapped type or unknown code (`seen`: rows per code), most frequent first, its
    row count and the line to add to the mapping file; at most `limit`, then how many more."""
    ordered = _most_frequent_first(seen)
    lines = [f"{n:>9,} row{'' if n == 1 else 's'}  {rule_line(code)}" for code, n in ordered]
    if len(lines) > limit:
        more = len(lines) - limit
        lines = lines[:limit] + [
            f"    ... and {more:,} more (`rvq mapping init CONFIG` writes a line for each)"
        ]
    return lines


def unmapped_advice(mapping_file: str | None, catalog: str = "the catalog") -> str:
    """Where the lines of `unmapped_lines` go: the client's mapping file, else how to
    start one (from the preset whose shipped rules `mapping_file` is, if any)."""
    fill = f"replace {CATALOG_PLACEHOLDER} with a code of {catalog}"
    if mapping_file is None:
        return (
            "to map these codes, start a mapping file with `rvq mapping init CONFIG --out "
            f"mapping.csv` (one line per code), {fill}, and set `mapping: mapping.csv` in the config"
        )
    path = Path(mapping_file)
    if path.parent == PRESETS_DIR:
        return (
            f"to map these types, copy the {path.stem} rules with `rvq mapping init --preset "
            f"{path.stem} --out mapping.csv`, add these lines, {fill}, and set "
            "`mapping: mapping.csv` in the config"
        )
    return f"to map these codes, add these lines to the mapping file {path} and {fill}"


def starting_mapping(
    rules_text: str | None, unmapped: Counter, *, source: str = "", catalog: str = "the catalog"
) -> str:
    """The text of a client's mapping file as `rvq mapping init` writes it: `rules_text`
    (a preset's or the client's rules, else the header alone), then one commented line per
    code of `unmapped` (rows per code, most frequent first) to fill in and uncomment."""
    text = rules_text if rules_text else ",".join(RULE_COLUMNS) + "\n"
    text = text if text.endswith("\n") else text + "\n"
    if not unmapped:
        return text
    ordered = _most_frequent_first(unmapped)
    out = [
        f"{COMMENT} Codes{f' in {source}' if source else ''} that no line above maps, most "
        "frequent first. To map one, remove its",
        f'{COMMENT} leading "{COMMENT} " and replace {CATALOG_PLACEHOLDER} with a code of {catalog}.',
    ]
    out += [
        f"{COMMENT} {rule_line(code, note=f'{n:,} row' + ('' if n == 1 else 's'))}"
        for code, n in ordered
    ]
    return text + "\n".join(out) + "\n"


def export_text(s: pd.Series) -> pd.Series:
    """Stripped text with blanks as missing, object dtype (works on pandas 2 and 3)."""
    out = s.astype("string").str.strip()
    out = out.where(out != "")
    return out.astype(object).where(out.notna(), None)
