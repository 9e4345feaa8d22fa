"""A world too large to hold, written shard by shard (`rvq demo --accounts 1000000`).

`generate_world` holds every account's latent paths and the whole interactions table:
some 3 GB per 100,000 accounts. Above `SHARD_THRESHOLD` accounts, `write_sharded_world`
generates the book as shards of at most `SHARD_ACCOUNTS` accounts -- the same spec, each
with its own seed (`shard_seed`) and its own range of account numbers -- and appends each
shard's tables to one file per table (Parquet row groups or CSV text), so only one
shard is ever in memory. The planted truth is the same in every shard (the same model,
effects and lags); truth.json is the whole book's (`merged_truth`). Ids are the whole
book's: accounts `A0000001`..., contacts under them, events numbered across shards.
Staff (rep, team) names repeat across shards: a rep of one shard's territory team and
the same name in another shard are one rep in the book. Each shard gets the `rvq track`
truths (`rvq.synth.tracking`) like the first: the same best rep and planted transitions,
its own prospects (after its accounts, hence the wider ids).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rvq.synth.files import arrow_table
from rvq.synth.generate import generate_world
from rvq.synth.spec import WorldSpec
from rvq.synth.tracking import DEMO_PLANTS, plant_tracking

#: books of more accounts than this are generated in shards (below: one world, unchanged)
SHARD_THRESHOLD = 200_000
#: accounts per shard (about 3 GB of generation at its peak)
SHARD_ACCOUNTS = 100_000
#: digits of the event numbers of a sharded book (`E0000000001`: up to 10 billion events)
EVENT_DIGITS = 10


def shard_sizes(accounts: int) -> list[int]:
    """Accounts per shard: as even as possible, none over `SHARD_ACCOUNTS`."""
    n = -(-accounts // SHARD_ACCOUNTS)
    return [accounts // n + (i < accounts % n) for i in range(n)]


def shard_seed(seed: int, shard: int) -> int:
    """The seed of one shard: distinct per shard, fixed by the book's seed."""
    return int(np.random.SeedSequence([seed, shard]).generate_state(1)[0])


@dataclass(frozen=True)
class ShardedBook:
    """What `write_sharded_world` wrote: the folder, accounts (prospects included),
    interactions, seconds."""

    out: Path
    accounts: int
    interactions: int
    seconds: float


def _renumbered(column: pa.ChunkedArray, offset: int, old: int, width: int) -> pa.ChunkedArray:
    """Ids `A<old digits><rest>` (accounts, and contacts under them) with their number
    moved by `offset` and written with `width` digits."""
    column = pc.cast(column, pa.string())  # pandas' text may come as large_string
    number = pc.add(pc.cast(pc.utf8_slice_codeunits(column, 1, 1 + old), pa.int64()), offset)
    rest = pc.utf8_slice_codeunits(column, 1 + old, 1 << 30)
    return pc.binary_join_element_wise(
        "A", pc.utf8_lpad(pc.cast(number, pa.string()), width, "0"), rest, ""
    )


def _book_ids(
    tables: dict[str, pa.Table], offset: int, old: int, width: int, first_event: int
) -> dict[str, pa.Table]:
    """A shard's tables with the book's ids: accounts and contacts renumbered, the
    accounts' names after their number, events numbered from `first_event`."""
    out = {}
    for name, table in tables.items():
        for column in ("account_id", "contact_id"):
            if column in table.column_names:
                index = table.schema.get_field_index(column)
                table = table.set_column(
                    index, column, _renumbered(table[column], offset, old, width)
                )
        if name == "accounts":
            digits = pc.utf8_slice_codeunits(table["account_id"], 1, 1 + width)
            names = pc.binary_join_element_wise("Customer ", digits, "")
            table = table.set_column(table.schema.get_field_index("name"), "name", names)
        if name == "interactions":
            numbers = pa.array(np.arange(first_event, first_event + len(table)))
            event_id = pc.binary_join_element_wise(
                "E", pc.utf8_lpad(pc.cast(numbers, pa.string()), EVENT_DIGITS, "0"), ""
            )
            table = table.set_column(table.schema.get_field_index("event_id"), "event_id", event_id)
        out[name] = table
    return out


class _Appender:
    """One file per table, appended shard by shard (Parquet row groups or CSV text),
    written under a temporary name and moved into place by `close`."""

    def __init__(self, out: Path, fmt: str):
        self.out, self.fmt = out, fmt
        self.writers: dict[str, Any] = {}
        self.schemas: dict[str, pa.Schema] = {}

    def _tmp(self, name: str) -> Path:
        return self.out / f".{name}.{self.fmt}.tmp"

    def write(self, name: str, table: pa.Table) -> None:
        if name not in self.writers:
            self.schemas[name] = table.schema.remove_metadata()
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                self.writers[name] = pq.ParquetWriter(self._tmp(name), self.schemas[name])
            else:
                import pyarrow.csv as pcsv

                self.writers[name] = pcsv.CSVWriter(self._tmp(name), self.schemas[name])
        self.writers[name].write_table(table.cast(self.schemas[name]))

    def abort(self) -> None:
        """Close the writers and remove the partial files: a failed book is not published."""
        for name, writer in self.writers.items():
            writer.close()
            self._tmp(name).unlink(missing_ok=True)

    def close(self) -> None:
        for name, writer in self.writers.items():
            writer.close()
            os.replace(self._tmp(name), self.out / f"{name}.{self.fmt}")
            for suffix in (".parquet", ".csv", ".csv.gz"):
                stale = self.out / f"{name}{suffix}"
                if suffix != f".{self.fmt}" and stale.exists():
                    stale.unlink()


def write_sharded_world(
    spec: WorldSpec,
    out_dir: str | os.PathLike,
    fmt: str = "csv",
    *,
    progress: bool = True,
    track: bool = True,
) -> ShardedBook:
    """Generate the world `spec` describes shard by shard (`shard_sizes`), appending each
    table to one file in `out_dir` and writing the whole book's truth.json; one line per
    shard on stderr when `progress`. With `track` each shard gets the `rvq track` truths
    (`rvq.synth.tracking`: about 1.8 times a shard's generation memory at its peak)."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # the book's ids: its accounts and the prospects each shard adds (`rvq.synth.prospects`)
    sizes = shard_sizes(spec.accounts)
    share = DEMO_PLANTS.prospect_share if track else 0.0
    most = spec.accounts + sum(round(share * n) for n in sizes)
    width = max(5, len(str(most)))
    appender = _Appender(out, fmt)
    truths, offset, events = [], 0, 0
    try:
        for k, n in enumerate(sizes):
            shard = spec.model_copy(update={"accounts": n, "seed": shard_seed(spec.seed, k)})
            world = generate_world(shard)
            if track:
                world = plant_tracking(world, like=truths[0][0] if truths else None)
            n = len(world.tables["accounts"])  # the shard's prospects included
            truths.append((world.truth, offset, n))
            tables = {name: arrow_table(name, f) for name, f in world.tables.items()}
            del world
            old = max(5, len(str(shard.accounts)))
            tables = _book_ids(tables, offset, old, width, events + 1)
            for name, table in tables.items():
                appender.write(name, table)
            offset += n
            events += len(tables["interactions"])
            del tables
            gc.collect()
            if progress:
                print(
                    f"shard {k + 1}/{len(sizes)}: {offset:,} accounts, {events:,} interactions, "
                    f"{time.perf_counter() - started:,.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    except BaseException:  # Ctrl-C included: never leave truncated tables under real names
        appender.abort()
        raise
    appender.close()
    seconds = time.perf_counter() - started
    truth = merged_truth(spec, truths, width, seconds)
    tmp = out / ".truth.json.tmp"
    tmp.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "truth.json")
    return ShardedBook(out, offset, events, seconds)


def _weighted(values: list[float | None], weights: list[int]) -> float | None:
    pairs = [(v, w) for v, w in zip(values, weights, strict=True) if v is not None]
    if not pairs or any(isinstance(v, float) and np.isnan(v) for v, _ in pairs):
        return None
    return round(sum(v * w for v, w in pairs) / sum(w for _, w in pairs), 4)


def merged_truth(
    spec: WorldSpec, shards: list[tuple[dict, int, int]], width: int, seconds: float
) -> dict[str, Any]:
    """The whole book's truth.json from its shards' (truth, first account offset,
    accounts): the book's spec, counts summed, the hostage accounts under their book ids,
    the realised correlations as account-weighted means over the shards, and `shards`
    (each shard's seed, accounts and interactions)."""
    first = shards[0][0]
    weights = [n for _, _, n in shards]
    truth = {**first, "spec": spec.model_dump(mode="json"), "generation_seconds": round(seconds, 3)}
    outcomes = {}
    for o, planted in first["outcomes"].items():
        per = [t["outcomes"][o] for t, _, _ in shards]
        outcomes[o] = {
            **planted,
            "realized_latent_corr": _weighted([p["realized_latent_corr"] for p in per], weights),
            "rv_flow_profile": {
                h: _weighted([p["rv_flow_profile"][h] for p in per], weights)
                for h in planted["rv_flow_profile"]
            },
        }
    truth["outcomes"] = outcomes
    truth["model"] = {
        **first["model"],
        **{
            k: _weighted([t["model"][k] for t, _, _ in shards], weights)
            for k in ("strength_mean", "strength_sd_within")
        },
    }
    truth["counts"] = {k: sum(t["counts"][k] for t, _, _ in shards) for k in first["counts"]}
    contract_end = {}
    for t, offset, _ in shards:
        old = max(5, len(str(t["spec"]["accounts"])))
        for account, end in t["hostage"]["contract_end"].items():
            contract_end[f"A{int(account[1 : 1 + old]) + offset:0{width}d}"] = end
    truth["hostage"] = {
        **first["hostage"],
        "count": len(contract_end),
        "contract_end": contract_end,
    }
    truth["community"] = {
        r: sum(t["community"][r] for t, _, _ in shards) for r in first["community"]
    }
    truth["reps"] = {**first["reps"], "note": "staff names repeat across shards: the first's"}
    if "tracking" in first:
        truth["tracking"] = {
            **first["tracking"],
            "shards": "every shard has the same best rep and planted transitions (the "
            "first's); the lucky rep is planted in the first shard only; the other rvq track "
            "truths are planted in every shard with the same sizes, their counts here are "
            "the first's",
        }
    truth["shards"] = [
        {
            "seed": t["spec"]["seed"],
            "accounts": n,
            "first_account": offset + 1,
            "interactions": t["counts"]["interactions"],
        }
        for t, offset, n in shards
    ]
    return truth
