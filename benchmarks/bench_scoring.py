"""Benchmark: RV scoring of 10 million interactions, four ways, side by side.

    .venv/bin/python benchmarks/bench_scoring.py          # the 10M-event table
    .venv/bin/python benchmarks/bench_scoring.py --big    # plus DuckDB on 200M events

Generates (with numpy, seeded) interactions for 100,000 accounts and 400,000 contacts
over 36 months, in random row order, with the shipped catalog and a row cost on 5% of
the rows, and times the monthly account x period panel computed by:

* ``numpy reference`` -- the practical floor: the same panel columns with one
  ``np.bincount`` per sum over integer keys that are already dense (0..n-1), no checks,
  no frame: arrays only;
* ``rvq memory`` -- ``rvq.scoring.panels.account_period_panel`` on a frame with integer ids;
  with text ids (``A000123``) as a Dataset holds them, dictionary-encoded by
  ``rvq.inputs.dataset.dictionary_encoded`` when it is loaded (scoring uses the codes); and
  with raw text ids, not encoded (hashed on every run). ``encode text ids`` times that
  encoding, done once per load;
* ``pandas idiomatic`` -- merge + groupby + pivot + reindex + cumsum;
* ``rvq duckdb`` -- ``engine="duckdb"`` reading a Parquet file with text ids.

Each variant runs in its own process (``--child``): the data is loaded first (not timed),
then the variant runs ``--repeat`` times; the table shows the best time and the peak
resident memory of that process (``resource.getrusage``), with what loading the data
alone took. Every variant's panel is checked against the reference (RV total, cost
total, breadth total) so a fast wrong answer cannot win. ``--variants`` runs a subset.

``--big`` then writes ``--big-events`` (200M) interactions as Parquet in chunks
(dictionary-encoded text ids), scores them with DuckDB under ``--big-memory-limit``
(4GB) on ``--big-threads`` (1), reports time and peak memory, and deletes the files.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DAY_NS = 86_400 * 10**9
START = np.datetime64("2021-01-01T00:00:00", "ns")


# --- data ---------------------------------------------------------------------------------


def contact_owners(n_accounts: int, n_contacts: int, rng: np.random.Generator) -> np.ndarray:
    """The account of each contact: every account has at least one."""
    owners = np.concatenate(
        [np.arange(n_accounts), rng.integers(0, n_accounts, n_contacts - n_accounts)]
    )
    rng.shuffle(owners)
    return owners


def generate_chunk(n, owners, n_codes, months, rng):
    """One chunk of interactions as arrays (ids as integer codes)."""
    contact = rng.integers(0, len(owners), n)
    account = owners[contact]
    end = np.datetime64("2021-01", "M") + np.timedelta64(months, "M")
    span_s = int((end.astype("datetime64[s]") - START.astype("datetime64[s]")).astype(np.int64))
    seconds = rng.integers(0, span_s, n)
    timestamp = START + seconds.astype("timedelta64[s]").astype("timedelta64[ns]")
    code = rng.integers(0, n_codes, n)
    cost = np.where(rng.random(n) < 0.05, np.round(rng.gamma(2.0, 30.0, n), 2), np.nan)
    return account, contact, timestamp, code, cost


def write_data(workdir: Path, args) -> None:
    from rvq.inputs.catalog import shipped_catalog

    rng = np.random.default_rng(args.seed)
    catalog = shipped_catalog()
    codes = catalog["interaction_code"].to_numpy()
    owners = contact_owners(args.accounts, args.contacts, rng)
    account, contact, timestamp, code, cost = generate_chunk(
        args.events, owners, len(codes), args.months, rng
    )
    frame = pd.DataFrame(
        {
            "account_id": account.astype(np.int64),
            "contact_id": contact.astype(np.int64),
            "timestamp": timestamp,
            "interaction_code": pd.Categorical.from_codes(code, categories=codes),
            "cost": cost,
        }
    )
    frame.to_parquet(workdir / "int_ids.parquet", index=False)
    text = frame.assign(
        account_id=pd.Categorical.from_codes(account, [f"A{i:06d}" for i in range(args.accounts)]),
        contact_id=pd.Categorical.from_codes(contact, [f"C{i:07d}" for i in range(args.contacts)]),
    )
    text.to_parquet(workdir / "text_ids.parquet", index=False)
    np.save(workdir / "owners.npy", owners)


def write_big(folder: Path, args) -> int:
    """``args.big_events`` interactions as Parquet files of 5M rows, dictionary-encoded ids."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rvq.inputs.catalog import shipped_catalog

    rng = np.random.default_rng(args.seed + 1)
    codes = pa.array(shipped_catalog()["interaction_code"].astype(str).tolist())
    owners = contact_owners(args.accounts, args.contacts, rng)
    accounts = pa.array([f"A{i:06d}" for i in range(args.accounts)])
    contacts = pa.array([f"C{i:07d}" for i in range(args.contacts)])
    chunk, written, part = 5_000_000, 0, 0
    while written < args.big_events:
        n = min(chunk, args.big_events - written)
        account, contact, timestamp, code, cost = generate_chunk(
            n, owners, len(codes), args.months, rng
        )
        table = pa.table(
            {
                "account_id": pa.DictionaryArray.from_arrays(
                    pa.array(account.astype(np.int32)), accounts
                ),
                "contact_id": pa.DictionaryArray.from_arrays(
                    pa.array(contact.astype(np.int32)), contacts
                ),
                "timestamp": pa.array(timestamp, type=pa.timestamp("us")),
                "interaction_code": pa.DictionaryArray.from_arrays(
                    pa.array(code.astype(np.int32)), codes
                ),
                "cost": pa.array(cost, from_pandas=True),
            }
        )
        pq.write_table(table, folder / f"part-{part:04d}.parquet")
        written += n
        part += 1
    return written


# --- the variants (run in a child process) ------------------------------------------------


def numpy_reference(a, c, ts, code, row_cost, owners, catalog, n_accounts):
    """The panel's RV columns with one bincount per sum over dense integer keys."""
    days = ts.view(np.int64) // DAY_NS
    first_day = days.min()
    table = (
        np.arange(first_day, days.max() + 1)
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype(np.int64)
    )
    month = table[days - first_day]
    p = month - month.min()
    n_periods = int(p.max()) + 1
    size = n_accounts * n_periods
    rv = catalog["rv"].to_numpy()[code]
    cost = np.where(np.isnan(row_cost), catalog["cost"].to_numpy()[code], row_cost)
    key = a * n_periods + p
    out = {
        "n_interactions": np.bincount(key, minlength=size),
        "rv_flow": np.bincount(key, rv, size),
        "rv_pos": np.bincount(key, np.maximum(rv, 0), size),
        "rv_neg": np.bincount(key, np.minimum(rv, 0), size),
        "cost": np.bincount(key, cost, size),
    }
    for column, values in (
        ("stage", ("acquisition", "closing", "retention")),
        ("function", ("marketing", "sales", "inside_sales", "customer_service", "community")),
        ("value_aspect", ("brand", "product", "experience")),
    ):
        s = pd.Index(values).get_indexer(catalog[column])[code]
        split = np.bincount(key * len(values) + s, rv, size * len(values)).reshape(
            size, len(values)
        )
        for i, v in enumerate(values):
            out[f"rv_{column}_{v}"] = split[:, i]
    flow = out["rv_flow"].reshape(n_accounts, n_periods)
    depth = flow.cumsum(axis=1)
    out["rv_cum"] = depth
    before = np.zeros_like(depth)
    before[:, 3:] = depth[:, :-3]
    out["rv_velocity"] = (depth - before) / 3
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rv_per_cost"] = np.where(out["cost"] > 0, out["rv_flow"] / out["cost"], np.nan)
    active = out["n_interactions"].reshape(n_accounts, n_periods) > 0
    out["age"] = np.arange(n_periods) - active.argmax(axis=1)[:, None]
    n_contacts = len(owners)
    ckey = c * n_periods + p
    contact_depth = (
        np.bincount(ckey, rv, n_contacts * n_periods).reshape(n_contacts, n_periods).cumsum(axis=1)
    )
    owner_key = (owners[:, None] * n_periods + np.arange(n_periods)).ravel()
    out["breadth"] = np.bincount(owner_key, (contact_depth > 1e-9).ravel(), size)
    seen = np.zeros(n_contacts * n_periods, dtype=bool)
    seen[ckey] = True
    out["n_contacts_active"] = np.bincount(owner_key, seen, size)
    return out


def pandas_idiomatic(frame: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """What an analyst would write: merge, groupby, pivot, reindex to a grid, cumsum."""
    cat = catalog[["interaction_code", "rv", "cost", "stage", "function", "value_aspect"]]
    ev = frame.merge(cat.rename(columns={"cost": "cat_cost"}), on="interaction_code", how="left")
    ev["cost"] = ev["cost"].fillna(ev["cat_cost"])
    ev["period"] = ev["timestamp"].dt.to_period("M")
    ev["rv_pos"] = ev["rv"].clip(lower=0)
    ev["rv_neg"] = ev["rv"].clip(upper=0)
    keys = ["account_id", "period"]
    panel = ev.groupby(keys).agg(
        rv_flow=("rv", "sum"),
        rv_pos=("rv_pos", "sum"),
        rv_neg=("rv_neg", "sum"),
        cost=("cost", "sum"),
        n_interactions=("rv", "size"),
        n_contacts_active=("contact_id", "nunique"),
    )
    for column in ("stage", "function", "value_aspect"):
        split = ev.pivot_table(index=keys, columns=column, values="rv", aggfunc="sum", fill_value=0)
        panel = panel.join(split.add_prefix(f"rv_{column}_"))
    periods = pd.period_range(ev["period"].min(), ev["period"].max(), freq="M")
    grid = pd.MultiIndex.from_product([panel.index.levels[0], periods], names=keys)
    panel = panel.reindex(grid, fill_value=0)
    by_account = panel.groupby(level="account_id")
    panel["rv_cum"] = by_account["rv_flow"].cumsum()
    panel["rv_velocity"] = (panel["rv_cum"] - by_account["rv_cum"].shift(3).fillna(0)) / 3
    panel["rv_per_cost"] = (panel["rv_flow"] / panel["cost"]).where(panel["cost"] > 0)
    first = ev.groupby("account_id")["period"].min()
    panel["age"] = (
        panel.index.get_level_values("period").astype("int64")
        - first.reindex(panel.index.get_level_values("account_id")).astype("int64").to_numpy()
    )
    contact_flow = ev.groupby(["account_id", "contact_id", "period"])["rv"].sum()
    depth = contact_flow.unstack("period", fill_value=0).reindex(columns=periods, fill_value=0)
    positive = (depth.cumsum(axis=1) > 1e-9).groupby(level="account_id").sum()
    panel["breadth"] = positive.stack().reindex(panel.index, fill_value=0)
    return panel.reset_index()


def totals(rv_flow, cost, breadth) -> dict:
    return {
        "rv": float(np.sum(rv_flow)),
        "cost": float(np.sum(cost)),
        "breadth": int(np.sum(breadth)),
    }


def run_child(variant: str, workdir: Path, repeat: int, memory_limit: str, threads: int) -> dict:
    from rvq import scoring
    from rvq.inputs.catalog import shipped_catalog
    from rvq.inputs.dataset import dictionary_encoded

    catalog = shipped_catalog()
    if variant == "numpy reference":
        frame = pd.read_parquet(workdir / "int_ids.parquet")
        owners = np.load(workdir / "owners.npy")
        where = pd.Index(catalog["interaction_code"]).get_indexer(
            frame["interaction_code"].cat.categories
        )
        args = (
            frame["account_id"].to_numpy(),
            frame["contact_id"].to_numpy(),
            frame["timestamp"].to_numpy(),
            where[frame["interaction_code"].cat.codes.to_numpy()],
            frame["cost"].to_numpy(),
            owners,
            catalog,
            int(owners.max()) + 1,
        )
        del frame

        def run():
            out = numpy_reference(*args)
            return totals(out["rv_flow"], out["cost"], out["breadth"])

    elif variant.startswith("rvq memory") or variant == "encode text ids":
        name = "int_ids" if "int" in variant else "text_ids"
        frame = pd.read_parquet(workdir / f"{name}.parquet")
        if name == "text_ids":  # ids as text, as validation leaves them
            frame = frame.astype({c: str for c in ("account_id", "contact_id", "interaction_code")})
        if variant == "rvq memory (text ids)":  # as load_dataset holds them
            frame = dictionary_encoded(frame)

        def run():
            if variant == "encode text ids":
                dictionary_encoded(frame)
                return None
            panel = scoring.account_period_panel(frame, catalog, freq="M")
            return totals(panel["rv_flow"], panel["cost"], panel["breadth"])

    elif variant == "pandas idiomatic":
        frame = pd.read_parquet(workdir / "int_ids.parquet")

        def run():
            panel = pandas_idiomatic(frame, catalog)
            return totals(panel["rv_flow"], panel["cost"], panel["breadth"])

    elif variant.startswith("rvq duckdb"):
        source = workdir / "text_ids.parquet" if "big" not in variant else workdir / "big"
        options = {"memory_limit": memory_limit, "temp_directory": str(workdir / "spill")}
        if threads:
            options["threads"] = threads

        def run():
            panel = scoring.account_period_panel(
                source, catalog, freq="M", engine="duckdb", engine_options=options
            )
            return totals(panel["rv_flow"], panel["cost"], panel["breadth"])

    else:
        raise SystemExit(f"unknown variant {variant!r}")

    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        check = run()
        times.append(time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "variant": variant,
        "seconds": min(times),
        "peak_mb": peak_mb,
        "base_mb": base_mb,
        "check": check,
    }


# --- the parent ---------------------------------------------------------------------------

VARIANTS = [
    "numpy reference",
    "rvq memory (int ids)",
    "rvq memory (text ids)",
    "rvq memory (raw text ids)",
    "encode text ids",
    "pandas idiomatic",
    "rvq duckdb (Parquet)",
]


def child(variant: str, workdir: Path, args) -> dict:
    command = [
        sys.executable, __file__, "--child", variant, "--workdir", str(workdir),
        "--repeat", str(args.repeat), "--memory-limit", args.memory_limit,
        "--threads", str(args.threads),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(results: list[dict], reference: str = "numpy reference") -> None:
    ref = next((r["seconds"] for r in results if r["variant"] == reference), None)
    check = next((r["check"] for r in results if r["variant"] == reference), None)
    print(
        f"{'variant':<26} {'time s':>8} {'x numpy':>8} {'peak RSS MB':>12} {'data loaded MB':>15}  same panel"
    )
    for r in results:
        ratio = f"{r['seconds'] / ref:8.2f}" if ref else f"{'':>8}"
        same = ""
        if r["check"] is None:
            same = "(no panel)"
        elif check is not None:
            agree = (
                np.isclose(r["check"]["rv"], check["rv"], rtol=1e-9)
                and np.isclose(r["check"]["cost"], check["cost"], rtol=1e-9)
                and r["check"]["breadth"] == check["breadth"]
            )
            same = "yes" if agree else f"NO {r['check']}"
        print(
            f"{r['variant']:<26} {r['seconds']:8.2f} {ratio} {r['peak_mb']:12,.0f} {r['base_mb']:15,.0f}  {same}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=400_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant; best time shown")
    parser.add_argument(
        "--big", action="store_true", help="also DuckDB on --big-events from Parquet"
    )
    parser.add_argument("--big-only", action="store_true", help="only the --big run")
    parser.add_argument("--big-events", type=int, default=200_000_000)
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory limit")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: all cores)")
    parser.add_argument("--big-memory-limit", default="4GB", help="DuckDB memory limit for --big")
    parser.add_argument("--big-threads", type=int, default=1, help="DuckDB threads for --big")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="scratch folder (default: a temp dir)"
    )
    parser.add_argument(
        "--variants", help=f"comma-separated subset of: {', '.join(VARIANTS)} (default: all)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(
            json.dumps(
                run_child(args.child, args.workdir, args.repeat, args.memory_limit, args.threads)
            )
        )
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="rvq-bench-", dir=args.workdir))
    free_gb = shutil.disk_usage(workdir).free / 1e9
    print(f"scratch: {workdir} ({free_gb:,.0f} GB free)")
    try:
        if not args.big_only:
            started = time.perf_counter()
            write_data(workdir, args)
            print(
                f"data: {args.events:,} interactions, {args.accounts:,} accounts, "
                f"{args.contacts:,} contacts, {args.months} months "
                f"(generated in {time.perf_counter() - started:.1f} s); best of {args.repeat} runs\n"
            )
            variants = args.variants.split(",") if args.variants else VARIANTS
            results = []
            for variant in variants:
                results.append(child(variant, workdir, args))
                print(f"  done: {variant}", file=sys.stderr)
            print_table(results)
        if args.big or args.big_only:
            need_gb = args.big_events * 14 / 1e9
            if free_gb < 2 * need_gb:
                raise SystemExit(
                    f"--big needs about {need_gb:.0f} GB free twice over; {free_gb:.0f} GB free"
                )
            folder = workdir / "big"
            folder.mkdir()
            started = time.perf_counter()
            written = write_big(folder, args)
            size_gb = sum(f.stat().st_size for f in folder.iterdir()) / 1e9
            print(
                f"\nbig: {written:,} interactions in {size_gb:.1f} GB of Parquet "
                f"(written in {time.perf_counter() - started:.0f} s); DuckDB memory limit "
                f"{args.big_memory_limit}, threads {args.big_threads or 'all'}\n"
            )
            big_args = argparse.Namespace(
                **{
                    **vars(args),
                    "repeat": 1,
                    "memory_limit": args.big_memory_limit,
                    "threads": args.big_threads,
                }
            )
            result = child("rvq duckdb (big)", workdir, big_args)
            print_table([result])
            print(f"peak memory {result['peak_mb'] / 1024:.2f} GB (target < 6 GB)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
