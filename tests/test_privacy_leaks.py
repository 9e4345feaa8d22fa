"""With pseudonyms on, no raw identifier or name from any input column appears anywhere.

One real pilot (`rvq pilot` in a subprocess) and one `rvq validate` on a dataset whose
every identifier and name column carries a recognisable raw value -- account, contact,
rep and event ids, account names, voc contact ids, an extra `email` column in accounts
and an extra `account_name` in interactions -- with rows that will be set aside (bad and
far-future dates, unknown codes and accounts, a duplicate account, a malformed line)
carrying raw values too. Then every file of the run folder and of the cache, and what
both commands printed, is searched: Parquet files read with pyarrow (column names and
every value as text), gzip files decompressed, anything else as raw bytes.

Every raw value starts with one of `RAW_MARKERS`, so searching for the markers finds any
raw value, whole or cut short. The pseudonym key and a database password sit in the
config's secrets file and must not appear either.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from rvq import privacy, synth

KEY = "leak-test-key-6b1f0c2e9a8d47f3"
PASSWORD = "Pw-LEAKTEST-41c9e2"
#: what every raw identifier or name in the dataset starts with
RAW_MARKERS = (
    "RAWACCT",  # account_id
    "RAWNAME",  # accounts' name
    "rawmail",  # accounts' extra email column
    "RAWCT",  # interactions' contact_id
    "RAWREP",  # rep_id
    "RAWEV",  # event_id
    "RAWIXNAME",  # interactions' extra account_name column
    "RAWVCT",  # voc's contact_id
)
LEAK = re.compile("|".join([*RAW_MARKERS, re.escape(KEY), re.escape(PASSWORD)]).encode())


def _raw_dataset(folder: Path) -> dict[str, pd.DataFrame]:
    """A small synthetic world whose identifiers and names are all raw-looking, with
    extra client columns and rows that validation sets aside; written as CSV files."""
    world = synth.generate_world(synth.WorldSpec(accounts=40, periods=8, seed=11))
    t = {name: frame.copy() for name, frame in world.tables.items()}
    ix, ac, oc, vo = t["interactions"], t["accounts"], t["outcomes"], t["voc"]

    def renamed(values: pd.Series, marker: str, width: int) -> dict[str, str]:
        return {v: f"{marker}{i:0{width}d}" for i, v in enumerate(sorted(set(values.dropna())), 1)}

    account = renamed(ac["account_id"], "RAWACCT", 4)
    ix["account_name"] = ix["account_id"].map(renamed(ac["account_id"], "RAWIXNAME", 4))
    ix["account_id"] = ix["account_id"].map(account)
    ix["contact_id"] = ix["contact_id"].map(renamed(ix["contact_id"], "RAWCT", 5))
    ix["rep_id"] = ix["rep_id"].map(renamed(ix["rep_id"], "RAWREP", 3))
    ix["event_id"] = [f"RAWEV{i:07d}" for i in range(1, len(ix) + 1)]
    ix.loc[5, "team"] = "sales-elsewhere"  # a rep in two teams: step e names the rep
    ix["timestamp"] = ix["timestamp"].astype(str)
    ac["name"] = ac["account_id"].map(renamed(ac["account_id"], "RAWNAME", 4)) + " Holdings"
    ac["email"] = [f"rawmail{i:04d}@client.example" for i in range(1, len(ac) + 1)]
    ac["account_id"] = ac["account_id"].map(account)
    oc["account_id"] = oc["account_id"].map(account)
    oc["period"] = oc["period"].astype(str)
    vo["account_id"] = vo["account_id"].map(account)
    vo["contact_id"] = vo["contact_id"].map(renamed(vo["contact_id"], "RAWVCT", 5))
    vo["date"] = vo["date"].astype(str)

    # rows to set aside, each with raw values
    bad = ix.iloc[:4].copy()
    bad["timestamp"] = ["not a date", "2999-12-31", *bad["timestamp"].iloc[2:]]
    bad["interaction_code"] = [*bad["interaction_code"].iloc[:2], "NOT_A_CODE", "NOT_A_CODE"]
    bad["account_id"] = [*bad["account_id"].iloc[:3], "RAWACCTUNKNOWN1"]
    bad["event_id"] = [f"RAWEVBAD{i}" for i in range(4)]
    bad_outcomes = oc.iloc[:2].copy()
    bad_outcomes["period"] = ["not a period", bad_outcomes["period"].iloc[1]]
    bad_outcomes["account_id"] = [bad_outcomes["account_id"].iloc[0], "RAWACCTUNKNOWN2"]
    tables = {
        "interactions": pd.concat([ix, bad], ignore_index=True),
        "accounts": pd.concat(
            [ac, ac.iloc[[2]].assign(name="RAWNAMEDUP", email="rawmaildup@client.example")],
            ignore_index=True,
        ),
        "outcomes": pd.concat([oc, bad_outcomes], ignore_index=True),
        "voc": pd.concat(
            [vo, vo.iloc[[0]].assign(date="31/31/2024", contact_id="RAWVCTBAD")],
            ignore_index=True,
        ),
    }
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    with (folder / "interactions.csv").open("a") as fh:  # a malformed line
        fh.write("RAWACCT0001,RAWCTMALFORMED,broken line\n")
    return tables


def _scanned_text(path: Path) -> bytes:
    """What a file holds, as searchable bytes: a Parquet file's schema, column names and
    every value as text; a gzip file decompressed; anything else as it is."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        values = (str(v) for column in table.columns for v in column.to_pylist())
        return "\n".join([str(table.schema), *table.column_names, *values]).encode()
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@pytest.fixture(scope="module", params=["never", "always"])
def leak_run(tmp_path_factory, request):
    """The dataset, the run folder, the cache, what `rvq pilot` and `rvq validate`
    printed (stdout and stderr of each) and the pilot's seconds: the interactions read
    whole, then streamed (validated in blocks, scored on DuckDB: other code paths)."""
    root = tmp_path_factory.mktemp("leaks")
    tables = _raw_dataset(root / "data")
    secrets = root / "secrets.yaml"
    secrets.write_text(yaml.safe_dump({"RVQ_PSEUDONYM_KEY": KEY, "password": PASSWORD}))
    config = root / "pilot.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "client": "leaky",
                "data": "data",
                "secrets": "secrets.yaml",
                "as_of": "2026-01-01",
                "stream": request.param,
                "privacy": {"pseudonymize": True},
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "RVQ_PSEUDONYM_KEY"}
    env.update(RVQ_CACHE_DIR=str(root / "cache"), MPLBACKEND="agg")

    def rvq(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "rvq.cli", *args]
        return subprocess.run(command, cwd=root, env=env, capture_output=True, timeout=600)

    started = time.perf_counter()
    pilot = rvq("pilot", str(config), "--out", str(root / "reports"))
    seconds = time.perf_counter() - started
    assert pilot.returncode == 0, pilot.stderr.decode()[-2000:]
    validate = rvq("validate", str(config))
    assert validate.returncode == 0, validate.stderr.decode()[-2000:]
    (run,) = (root / "reports" / "leaky").iterdir()
    printed = {
        f"{name} {stream}": getattr(result, stream)
        for name, result in (("pilot", pilot), ("validate", validate))
        for stream in ("stdout", "stderr")
    }
    return {
        "tables": tables,
        "run": run,
        "cache": root / "cache",
        "printed": printed,
        "seconds": seconds,
    }


def test_no_raw_identifier_name_key_or_password_in_any_output(leak_run):
    run, cache = leak_run["run"], leak_run["cache"]
    files = [p for folder in (run, cache) for p in sorted(folder.rglob("*")) if p.is_file()]
    texts = {str(p): _scanned_text(p) for p in files} | leak_run["printed"]
    leaks = {
        where: sorted({m.group(0).decode() for m in LEAK.finditer(text)})
        for where, text in texts.items()
        if LEAK.search(text)
    }
    assert not leaks

    # the scan looked at every kind of output, and at the cache
    kinds = {p.suffix for p in files if run in p.parents}
    assert {".ipynb", ".html", ".json", ".csv", ".log"} <= kinds, kinds
    assert any(cache in p.parents for p in files)
    print(f"scanned {len(files)} files and 4 printed streams; pilot {leak_run['seconds']:.0f} s")

    # ...and finds the identifiers there as pseudonyms: it looks at the right things
    key = KEY.encode()
    tables = leak_run["tables"]
    expected = {
        prefix: set(privacy.pseudonyms(frame[column], key, prefix))
        for prefix, frame, column in (
            ("acct_", tables["accounts"], "account_id"),
            ("ct_", tables["interactions"], "contact_id"),
            ("rep_", tables["interactions"], "rep_id"),
            ("ev_", tables["interactions"], "event_id"),
        )
    }
    everything = b"\n".join(texts.values()).decode("utf-8", errors="replace")
    for prefix, pseudonyms in expected.items():
        shown = set(re.findall(rf"\b{prefix}[0-9a-f]{{16}}\b", everything))
        assert shown & pseudonyms, prefix
    validate_out = leak_run["printed"]["validate stdout"].decode()
    assert "ev_" in validate_out and privacy.WITHHELD in validate_out


def test_step_b_shows_set_aside_rows_with_pseudonyms_and_no_client_column(leak_run):
    for suffix in (".ipynb", ".html"):
        page = (leak_run["run"] / f"02_data_map{suffix}").read_text(encoding="utf-8")
        assert "account_name" not in page, suffix  # the client's own column: dropped
        assert re.search(r"acct_[0-9a-f]{16}", page), suffix
