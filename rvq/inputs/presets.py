"""CRM export presets: Salesforce, HubSpot and Dynamics 365 activity exports onto the canonical tables.

Each preset is one entry in rvq.inputs.mappings's registry (`register_mapping`), selected in
the config with `preset: salesforce` (or `hubspot`, `dynamics365`). It turns the export's
columns into the canonical `interactions` (and `accounts`, `outcomes` ids) and its
activity types into catalog interaction codes through a **mapping table the client
edits** (`rvq/data/presets/<preset>.csv`, or the client's own copy that the config's
`mapping:` names; its rules and what happens to a type no rule maps are
`rvq.inputs.activity_rules`'s). No row is ever dropped here: rows read = rows used + rows
set aside.

Common to the three: dates in mixed formats become ISO 8601 (ISO values pass through
as written, times with a zone converted to UTC; slash dates `m/d/Y [h:mm AM]` or
`d/m/Y [H:M]`, European `d.m.Y [H:M]`, epoch milliseconds); a value no format reads is
kept as written, so validation sets it aside as an unparseable timestamp. Slash dates are
read in the order the table's `dates` setting gives (config `formats: {interactions:
{dates: day_first}}`); without one, in the order a value proves (a number above 12 before
the year), with a note, else month-first (the US default) with a warning naming the
setting (`export_timestamps`). Free-text columns (subjects, descriptions) are used for the
codes and then dropped, so client text does not travel further; the raw activity type is
kept as `export_activity_type`.

**salesforce** — a Task and/or Event export (Data Loader or report; one file, or the two
concatenated):
  `Id` → event_id · `AccountId` (else `WhatId` when it is an account, prefix 001) →
  account_id · `WhoId` (contact 003 or lead 00Q) → contact_id · `ActivityDateTime`
  (Events), else `ActivityDate`, else `CreatedDate` → timestamp · `OwnerId` → rep_id ·
  Task or Event (from the `Id` prefix 00T / 00U) → source_system · activity type: `Type`,
  else `TaskSubtype`, else `EventSubtype`; rules also read `Subject` and `CallType`.
  Every Salesforce id (15 or 18 characters) becomes its 18-character case-safe form
  (`salesforce_id18`), so both spellings of a record are one account or contact; also in
  the Account export (`Id` → account_id, `Name`, `Industry`, `BillingCountry` → territory,
  `AccountSource` → contact_source, `AnnualRevenue` → company_revenue) and in the
  outcomes' account_id.
  Mapped types: Call (Inbound `CallType` → IS_INBOUND_INQUIRY_ANSWERED, else
  IS_OUTBOUND_CALL_CONNECTED), Meeting → SLS_INTRO_MEETING; Subject keywords (demo,
  discovery, workshop, proposal, quote / Send Quote, QBR / business review, kickoff /
  onboarding, training, health check, webinar, reference call, referral, complaint /
  escalation, price increase, contract signed, renewal signed) take precedence.

**hubspot** — an engagements export (API v1 fields flattened with dots):
  `engagement.id` → event_id · `associations.companyIds` → account_id ·
  `associations.contactIds` → contact_id (the first id when an engagement lists several) ·
  `engagement.timestamp` (epoch ms or a date) → timestamp · `engagement.ownerId` → rep_id ·
  "HubSpot <type>" → source_system · activity type: `engagement.type` (CALL, EMAIL,
  INCOMING_EMAIL, MEETING, NOTE, TASK); rules also read `metadata.subject`,
  `metadata.disposition`, `metadata.meetingOutcome`. Companies export: `hs_object_id` →
  account_id, `name`, `industry`, `country` → territory, `hs_analytics_source` →
  contact_source, `annualrevenue` → company_revenue.
  Mapped types: CALL with disposition Connected → IS_OUTBOUND_CALL_CONNECTED, MEETING with
  outcome COMPLETED → SLS_INTRO_MEETING, INCOMING_EMAIL → IS_INBOUND_INQUIRY_ANSWERED, and
  the same subject keywords as Salesforce.

**dynamics365** — an `activitypointer` export (Dataverse logical names). The activity
has one lookup, `regardingobjectid`; its account and contact come from the regarding
record, so the export adds two columns from it: `parentcustomerid` (the account of a
regarding contact or opportunity) and `primarycontactid` (the contact of a regarding
account or opportunity):
  `activityid` → event_id · `regardingobjectid` when `regardingobjecttypecode` is account,
  else `parentcustomerid` → account_id · `regardingobjectid` when it is a contact, else
  `primarycontactid` → contact_id · `actualstart`, else `scheduledstart`, else `createdon`
  → timestamp · `ownerid` → rep_id · "Dynamics 365 <type>" → source_system · activity
  type: `activitytypecode`; rules also read `subject`. GUIDs lose braces and case, so
  `{ABC-…}` and `abc-…` are one record; also in the account export (`accountid` →
  account_id, `name`, `industrycode` → industry, `address1_country` → territory,
  `revenue` → company_revenue) and the outcomes' account_id.
  Mapped types: incidentresolution → CS_TICKET_RESOLVED, phonecall →
  IS_OUTBOUND_CALL_CONNECTED, appointment → SLS_INTRO_MEETING, campaignresponse →
  MKT_EMAIL_CLICK, and the same subject keywords.

Not handled (say so to the client): an activity's status (open, cancelled) is not read —
a cancelled meeting counts as a meeting unless a rule or the export excludes it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rvq.config import DATE_ORDERS
from rvq.inputs.activity_rules import (
    BLANK_TYPE,
    PRESETS_DIR,
    activity_type_rules,
    export_text,
    interaction_codes,
    match_key,
)
from rvq.inputs.mappings import MAPPINGS, TableMapping, register_mapping
from rvq.inputs.validation.parse import date_order_hint

#: the 32 characters of Salesforce's case-safe id suffix
_SF_SUFFIX = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"))
_ISO_START = r"^\d{4}-\d{1,2}-\d{1,2}"
_ISO_ZONE = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
#: non-ISO date formats tried in order (slash dates month first, as US exports write; read
#: day first where the table's `dates` setting or its values say so: `export_timestamps`)
EXPORT_DATE_FORMATS = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
)


# --- ids and dates ---------------------------------------------------------------------


def salesforce_id18(ids: pd.Series) -> pd.Series:
    """Salesforce ids in their 18-character case-safe form; other values as they are.

    A 15-character id is case-sensitive; Salesforce appends three characters, one per
    block of five, each encoding which of the block's five characters are upper case
    (bit i set when character i is A–Z) as a letter of A–Z0–5. So `001A0000006Vm9r` and
    `001A0000006Vm9rIAC` name the same record.
    """
    text = export_text(ids)
    short = text.str.fullmatch(r"[A-Za-z0-9]{15}", na=False).to_numpy(dtype=bool)
    if not short.any():
        return text
    chars = np.frombuffer("".join(text[short]).encode("ascii"), dtype=np.uint8)
    upper = ((chars >= ord("A")) & (chars <= ord("Z"))).reshape(-1, 3, 5)
    index = (upper * (1 << np.arange(5))).sum(axis=2)
    letters = _SF_SUFFIX[index].astype(object)
    suffix = letters[:, 0] + letters[:, 1] + letters[:, 2]
    out = text.copy()
    out[short] = text[short] + suffix
    return out


def dataverse_guid(ids: pd.Series) -> pd.Series:
    """Dataverse GUIDs without braces and in lower case, so `{ABC-…}` and `abc-…` match."""
    return export_text(ids).str.strip("{}").str.lower()


class SlashOrderNote(str):
    """A note saying in which order an export's slash dates were read (`order`), and
    whether values decided it (`proven`) or it was assumed. A streamed export reads its
    later blocks in the order the first proven note gives (`rvq.scoring.stream`)."""

    order: str
    proven: bool

    def __new__(cls, text: str, order: str, proven: bool) -> SlashOrderNote:
        note = super().__new__(cls, text)
        note.order, note.proven = order, proven
        return note

    def __getnewargs__(self) -> tuple[str, str, bool]:  # pickled with the raw table's notes
        return str(self), self.order, self.proven


def _slash_order(text: pd.Series, dates: str, notes: list[str] | None) -> str:
    """The order ("day_first" / "month_first") to read the slash dates of `text` in: the
    `dates` setting when it names one, else the order a value proves, else month-first
    (the US default of CRM exports). What was decided without a setting goes to `notes`
    (a `SlashOrderNote`)."""
    if dates in ("day_first", "month_first"):
        return dates
    slashed = text[text.str.contains("/", regex=False, na=False)]
    order, found, examples = date_order_hint(slashed)
    if not found.any() or dates != "iso":
        return "month_first"
    day = "`formats: {interactions: {dates: day_first}}`"
    month = "`formats: {interactions: {dates: month_first}}`"
    if order in ("day_first", "month_first"):
        how = "day/month/year" if order == "day_first" else "month/day/year"
        said = f"timestamps written with slashes read {how}, as values such as {examples[0]!r} show"
    elif order == "both":
        said = (
            f"timestamps written with slashes show both orders (e.g. {examples[0]!r} and "
            f"{examples[1]!r}): read month/day/year, the US default; those that do not read so "
            f"are set aside; fix the export or set {day} or {month} in the config"
        )
    else:
        said = (
            f"timestamps written with slashes (e.g. {examples[0]!r}) read month/day/year, the "
            "US default of CRM exports: no value shows the order (none has a number above 12 "
            f"before the year); if the export is day/month/year, set {day} in the config"
        )
    decided = order if order in ("day_first", "month_first") else "month_first"
    if notes is not None:
        notes.append(SlashOrderNote(said, decided, proven=order is not None))
    return decided


def _in_order(formats: Sequence[str], order: str) -> list[str]:
    """`formats` with their slash dates read in `order` (they are written month first)."""
    if order == "month_first":
        return list(formats)
    return [f.replace("%m/%d/", "%d/%m/") for f in formats]


def export_timestamps(
    values: pd.Series,
    formats: Sequence[str] = EXPORT_DATE_FORMATS,
    *,
    dates: str = "iso",
    notes: list[str] | None = None,
) -> pd.Series:
    """Dates in the mixed formats of CRM exports as ISO 8601 text.

    ISO values pass through as written (validation reads their zones); epoch
    milliseconds (12–13 digits) and the `formats` (tried in order) become ISO text;
    anything else is kept as written, so validation sets it aside as unparseable. Slash
    dates are read in the order of `dates` (the table's setting: day_first, month_first,
    or a strftime format tried first), else as `_slash_order` decides from the values,
    adding to `notes` what it decided.
    """
    text = export_text(values)
    out = text.copy()
    iso = text.str.contains(_ISO_START, regex=True, na=False)
    zoned = iso & text.str.contains(_ISO_ZONE, regex=True, na=False)
    if zoned.any():
        utc = pd.to_datetime(text[zoned], format="ISO8601", utc=True, errors="coerce")
        ok = utc.notna()
        out[ok[ok].index] = utc[ok].dt.tz_convert(None).dt.strftime("%Y-%m-%dT%H:%M:%S")
    todo = text.notna() & ~iso
    epoch = todo & text.str.fullmatch(r"\d{12,13}", na=False)
    if epoch.any():
        ms = pd.to_numeric(text[epoch]).astype("int64")
        out[epoch] = pd.to_datetime(ms, unit="ms").dt.strftime("%Y-%m-%dT%H:%M:%S")
        todo &= ~epoch
    tried = _in_order(formats, _slash_order(text[todo], dates, notes))
    if dates not in DATE_ORDERS:  # the client's own format first
        tried.insert(0, dates)
    for fmt in tried:
        if not todo.any():
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        if ok.any():
            shown = "%Y-%m-%d" if "%H" not in fmt and "%I" not in fmt else "%Y-%m-%dT%H:%M:%S"
            idx = ok[ok].index
            out[idx] = parsed[ok].dt.strftime(shown)
            todo[idx] = False
    return out


def _first_given(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Per row, the first of `columns` (those present) that is not blank."""
    out = pd.Series(None, index=frame.index, dtype=object)
    for col in columns:
        if col in frame.columns:
            out = out.where(out.notna(), export_text(frame[col]))
    return out


def _require(frame: pd.DataFrame, preset: str, groups: Sequence[Sequence[str]]) -> None:
    """ValueError when the export lacks every column of a group (rvq.inputs.dataset.read_tables reports it as an
    unreadable table naming the file)."""
    for group in groups:
        if not any(c in frame.columns for c in group):
            shown = ", ".join(map(str, list(frame.columns)[:12]))
            raise ValueError(
                f"the {preset} preset needs one of the columns {', '.join(group)} "
                f"(columns found: {shown}); rename yours under columns: in the config"
            )


# --- the presets -----------------------------------------------------------------------


def _canonical(
    frame: pd.DataFrame,
    *,
    account_id,
    contact_id,
    timestamp,
    activity_type,
    codes,
    event_id,
    rep_id,
    source_system,
    dates: str = "iso",
    notes: list[str] | None = None,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": event_id,
            "account_id": account_id,
            "contact_id": contact_id,
            "timestamp": export_timestamps(timestamp, dates=dates, notes=notes),
            "interaction_code": codes,
            "rep_id": rep_id,
            "source_system": source_system,
            "export_activity_type": activity_type,
        },
        index=frame.index,
    )


def salesforce_interactions(
    frame: pd.DataFrame,
    rules: pd.DataFrame | None = None,
    *,
    dates: str = "iso",
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """A Salesforce Task/Event export as canonical interactions (see the module docstring)."""
    _require(
        frame,
        "salesforce",
        [["WhoId"], ["AccountId", "WhatId"], ["ActivityDateTime", "ActivityDate", "CreatedDate"]],
    )
    rules = activity_type_rules("salesforce") if rules is None else rules
    ids = {
        c: salesforce_id18(frame[c])
        for c in ("Id", "WhoId", "WhatId", "AccountId", "OwnerId")
        if c in frame
    }
    none = pd.Series(None, index=frame.index, dtype=object)
    what = ids.get("WhatId", none)
    account = ids.get("AccountId", none)
    account = account.where(account.notna(), what.where(what.str.startswith("001", na=False)))
    activity_type = _first_given(frame, ["Type", "TaskSubtype", "EventSubtype"])
    event_id = ids.get("Id", none)
    kind = event_id.str[:3].map({"00T": "Salesforce Task", "00U": "Salesforce Event"})
    return _canonical(
        frame,
        account_id=account,
        contact_id=ids["WhoId"],
        timestamp=_first_given(frame, ["ActivityDateTime", "ActivityDate", "CreatedDate"]),
        activity_type=activity_type,
        codes=interaction_codes(activity_type, frame, rules),
        event_id=event_id,
        rep_id=ids.get("OwnerId", none),
        source_system=kind.where(kind.notna(), "Salesforce"),
        dates=dates,
        notes=notes,
    )


def _first_association(s: pd.Series) -> pd.Series:
    """The first id of a HubSpot association list ("[101, 102]", "101;102" or "101")."""
    return export_text(s).str.extract(r"(\d+)", expand=False)


def hubspot_interactions(
    frame: pd.DataFrame,
    rules: pd.DataFrame | None = None,
    *,
    dates: str = "iso",
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """A HubSpot engagements export as canonical interactions (see the module docstring)."""
    _require(
        frame,
        "hubspot",
        [
            ["engagement.type"],
            ["associations.companyIds"],
            ["associations.contactIds"],
            ["engagement.timestamp"],
        ],
    )
    rules = activity_type_rules("hubspot") if rules is None else rules
    none = pd.Series(None, index=frame.index, dtype=object)
    activity_type = export_text(frame["engagement.type"])
    return _canonical(
        frame,
        account_id=_first_association(frame["associations.companyIds"]),
        contact_id=_first_association(frame["associations.contactIds"]),
        timestamp=frame["engagement.timestamp"],
        activity_type=activity_type,
        codes=interaction_codes(activity_type, frame, rules),
        event_id=export_text(frame["engagement.id"]) if "engagement.id" in frame else none,
        rep_id=export_text(frame["engagement.ownerId"]) if "engagement.ownerId" in frame else none,
        source_system=("HubSpot " + activity_type.fillna(BLANK_TYPE)).astype(object),
        dates=dates,
        notes=notes,
    )


def dynamics_interactions(
    frame: pd.DataFrame,
    rules: pd.DataFrame | None = None,
    *,
    dates: str = "iso",
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """A Dynamics 365 activitypointer export as canonical interactions (module docstring)."""
    _require(
        frame,
        "dynamics365",
        [
            ["activitytypecode"],
            ["regardingobjectid"],
            ["actualstart", "scheduledstart", "createdon"],
        ],
    )
    rules = activity_type_rules("dynamics365") if rules is None else rules
    none = pd.Series(None, index=frame.index, dtype=object)
    guid = {
        c: dataverse_guid(frame[c])
        for c in (
            "activityid",
            "regardingobjectid",
            "parentcustomerid",
            "primarycontactid",
            "ownerid",
        )
        if c in frame
    }
    regarding_kind = match_key(frame.get("regardingobjecttypecode", none))
    regarding = guid["regardingobjectid"]
    # entity type codes: 1 account, 2 contact (exports give the name or the number)
    is_account = regarding_kind.isin(["account", "1"])
    is_contact = regarding_kind.isin(["contact", "2"])
    account = regarding.where(is_account, guid.get("parentcustomerid", none))
    contact = regarding.where(is_contact, guid.get("primarycontactid", none))
    activity_type = export_text(frame["activitytypecode"])
    return _canonical(
        frame,
        account_id=account,
        contact_id=contact,
        timestamp=_first_given(frame, ["actualstart", "scheduledstart", "createdon"]),
        activity_type=activity_type,
        codes=interaction_codes(activity_type, frame, rules),
        event_id=guid.get("activityid", none),
        rep_id=guid.get("ownerid", none),
        source_system=("Dynamics 365 " + activity_type.fillna(BLANK_TYPE)).astype(object),
        dates=dates,
        notes=notes,
    )


def _ids_in(columns: Sequence[str], normalize: Callable[[pd.Series], pd.Series]):
    """A transform normalizing the id `columns` present (canonical names, after renaming)."""

    def transform(frame: pd.DataFrame) -> pd.DataFrame:
        present = {c: normalize(frame[c]) for c in columns if c in frame.columns}
        return frame.assign(**present)

    return transform


@dataclass(frozen=True)
class CrmPreset:
    """One CRM's export layout: the interactions conversion and the account columns."""

    name: str
    interactions: Callable[..., pd.DataFrame]
    account_columns: dict[str, str]
    normalize_ids: Callable[[pd.Series], pd.Series]

    def tables(
        self, rules_path: str | Path | None = None, rules: pd.DataFrame | None = None
    ) -> dict[str, TableMapping]:
        """The per-table mappings rvq.inputs.mappings applies. `rules_path` replaces the
        shipped table (read on every conversion, so edits take effect); `rules` are the
        rules already read from it (`activity_type_rules`)."""
        path = Path(rules_path) if rules_path is not None else PRESETS_DIR / f"{self.name}.csv"

        def interactions(
            frame: pd.DataFrame, dates: str = "iso", notes: list[str] | None = None
        ) -> pd.DataFrame:
            table = rules if rules is not None else activity_type_rules(self.name, path)
            return self.interactions(frame, table, dates=dates, notes=notes)

        ids = _ids_in(["account_id"], self.normalize_ids)
        return {
            "interactions": TableMapping({}, interactions, rules_file=str(path), reads_dates=True),
            "accounts": TableMapping(self.account_columns, ids),
            "outcomes": TableMapping({}, ids),
            "voc": TableMapping({}, _ids_in(["account_id", "contact_id"], self.normalize_ids)),
        }


PRESETS: dict[str, CrmPreset] = {
    "salesforce": CrmPreset(
        "salesforce",
        salesforce_interactions,
        {
            "Id": "account_id",
            "Name": "name",
            "Industry": "industry",
            "BillingCountry": "territory",
            "AccountSource": "contact_source",
            "AnnualRevenue": "company_revenue",
        },
        salesforce_id18,
    ),
    "hubspot": CrmPreset(
        "hubspot",
        hubspot_interactions,
        {
            "hs_object_id": "account_id",
            "industry": "industry",
            "country": "territory",
            "hs_analytics_source": "contact_source",
            "annualrevenue": "company_revenue",
        },
        export_text,
    ),
    "dynamics365": CrmPreset(
        "dynamics365",
        dynamics_interactions,
        {
            "accountid": "account_id",
            "industrycode": "industry",
            "address1_country": "territory",
            "revenue": "company_revenue",
        },
        dataverse_guid,
    ),
}


def register_crm_preset(name: str, base: str, rules_path: str | Path) -> dict[str, TableMapping]:
    """Register `name` as the CRM preset `base` with the client's own mapping table
    `rules_path` (a copy of `rvq/data/presets/<base>.csv`, edited), for `preset: name`.
    A config does the same without code: `preset: <base>` and `mapping: <rules_path>`."""
    activity_type_rules(base, rules_path)  # a malformed table fails here, not mid-load
    return register_mapping(name, PRESETS[base].tables(rules_path))


for _name, _preset in PRESETS.items():
    if _name not in MAPPINGS:
        register_mapping(_name, _preset.tables())

__all__ = [
    "PRESETS",
    "CrmPreset",
    "SlashOrderNote",
    "dataverse_guid",
    "dynamics_interactions",
    "export_timestamps",
    "hubspot_interactions",
    "register_crm_preset",
    "salesforce_id18",
    "salesforce_interactions",
]
