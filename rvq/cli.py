"""The `rvq` command line (the CLI contract, docs/contracts.md).

Each sub-command is one small function registered in COMMANDS; all of them print a
one-line reason and exit non-zero on failure, and show progress on long work.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from rvq import __version__


class CommandError(Exception):
    """A failure the user can act on: printed as one line, exit code 2."""


COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable]] = {}

#: modules only some uses import, and the pyproject extra that installs each
EXTRAS = {"pyspark": "spark"}


def register(name: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register a sub-command: `configure` adds its arguments, the decorated function runs it."""

    def decorate(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (configure, run)
        return run

    return decorate


def _configure_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="folder to write the dataset into")
    p.add_argument(
        "--world",
        metavar="NAME",
        default=None,
        help="a named world (planted, null, reverse, trend, rampup, rescue, feedback, "
        "mechanical, lagging; docs/synthetic-worlds.md); default: the demo",
    )
    p.add_argument("--accounts", type=int, default=2000, help="number of accounts (default 2000)")
    p.add_argument("--periods", type=int, default=12, help="number of periods (default 12)")
    p.add_argument("--freq", choices=["M", "Q"], default="Q", help="period length (default Q)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument(
        "--effect",
        type=float,
        default=None,
        help="planted standardized effect for every outcome (0 = null world; default: per outcome)",
    )
    p.add_argument("--lag", type=int, default=None, help="planted lag in periods (default 2)")
    p.add_argument(
        "--reverse", action="store_true", help="outcomes drive interactions (RV follows money)"
    )
    p.add_argument("--format", dest="fmt", choices=["csv", "parquet"], default="csv")
    p.add_argument(
        "--no-track",
        dest="track",
        action="store_false",
        help="leave out the rvq track truths (plans, campaigns, business units, prospects, a "
        "best rep, planted transitions; rvq.synth.tracking): the world exactly as generated",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


@register("demo", _configure_demo)
def demo(args: argparse.Namespace) -> int:
    """Write a synthetic pilot dataset with a known, planted truth (truth.json), the
    `rvq track` truths included (`rvq.synth.tracking`)."""
    import time
    from pathlib import Path

    from rvq import synth
    from rvq.synth import shards
    from rvq.synth.tracking import plant_tracking
    from rvq.synth.worlds import WORLDS

    if args.accounts < 10 or args.periods < 4:
        raise CommandError("need at least 10 accounts and 4 periods")
    if args.world is not None and args.world not in WORLDS:
        raise CommandError(f"unknown world {args.world!r}; one of {', '.join(WORLDS)}")
    overrides = dict(WORLDS[args.world]) if args.world else {}
    if args.reverse:
        overrides["reverse"] = True
    if args.effect is not None:
        overrides["effect"] = args.effect
    if args.lag is not None:
        if not 1 <= args.lag < args.periods:
            raise CommandError(f"--lag must be between 1 and {args.periods - 1}")
        overrides["lag"] = args.lag
    spec = synth.WorldSpec(
        accounts=args.accounts,
        periods=args.periods,
        freq=args.freq,
        seed=args.seed,
        **overrides,
    )
    started = time.perf_counter()
    out = Path(args.out)
    if spec.accounts > shards.SHARD_THRESHOLD:  # one shard in memory at a time
        book = shards.write_sharded_world(
            spec, out, args.fmt, progress=not args.quiet, track=args.track
        )
        n_events, n_accounts = book.interactions, book.accounts
    else:
        world = synth.generate_world(spec, progress=not args.quiet)
        world = plant_tracking(world) if args.track else world
        synth.write_world(world, out, fmt=args.fmt)
        n_events, n_accounts = len(world.tables["interactions"]), len(world.tables["accounts"])
    seconds = time.perf_counter() - started
    size_mb = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6
    print(
        f"wrote {out}: {f'{args.world} world, ' if args.world else ''}"
        f"{spec.accounts:,} accounts and {n_accounts - spec.accounts:,} prospects, "
        f"{spec.periods} periods, "
        f"{n_events:,} interactions, {size_mb:,.1f} MB in {seconds:,.1f} s"
    )
    return 0


def _configure_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="dataset folder or YAML config file")


def _load(source: str, *, progress: bool = True):
    """Load and validate a source; a source that does not exist is a one-line error."""
    from rvq import inputs

    try:
        return inputs.load_dataset(source, progress=progress)
    except FileNotFoundError as exc:
        raise CommandError(f"no such dataset or config: {exc}") from exc
    except ValueError as exc:  # ConfigError is a ValueError
        raise CommandError(str(exc).splitlines()[0]) from exc


def _validation(source: str):
    """The validation of a source, as `rvq validate` may print it: an interactions CSV too
    large to read whole is checked block by block (`rvq.scoring.stream`), anything else
    read whole (`rvq.inputs.dataset.load_dataset`); with pseudonyms on, its rows show
    pseudonyms only (`rvq.privacy.protect_validation`), and a missing key stops it first."""
    import shutil
    import tempfile

    from rvq import config as rvq_config
    from rvq import privacy
    from rvq.scoring import stream

    try:
        config = rvq_config.load_config(source)
        key = (
            privacy.pseudonym_key(config) if privacy.privacy_settings(config).pseudonymize else None
        )
        if stream.streamed_interactions(config) is None:
            validation = _load(source).validation
        else:
            work = tempfile.mkdtemp(prefix="rvq-validate-")
            try:
                validation = stream.streamed_validation(config, work_dir=work).validation
            finally:
                shutil.rmtree(work, ignore_errors=True)
    except privacy.PrivacyKeyError as exc:
        raise CommandError(str(exc)) from None
    except FileNotFoundError as exc:
        raise CommandError(f"no such dataset or config: {exc}") from exc
    except ValueError as exc:  # ConfigError is a ValueError
        raise CommandError(str(exc).splitlines()[0]) from exc
    return privacy.protect_validation(validation, config, key)


@register("validate", _configure_source)
def validate(args: argparse.Namespace) -> int:
    """Check a dataset against the input contract and report every problem found."""
    from rvq import config as rvq_config
    from rvq.inputs.dataset import table_file_notes

    validation = _validation(args.source)
    for note in table_file_notes(rvq_config.load_config(args.source)):
        print(f"note: {note}")
    print(validation.to_text())
    if validation.fatal:
        raise CommandError("fatal input problems (listed above); nothing was scored")
    return 0


def _configure_backtest(p: argparse.ArgumentParser) -> None:
    _configure_source(p)
    p.add_argument("--json", dest="json_path", help="write summary.json here (default: print)")
    _configure_refresh(p)


def _configure_refresh(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--refresh",
        action="store_true",
        help="re-read and re-score the inputs even when a cached pilot matches them "
        "(e.g. a database table changed in place)",
    )


@register("backtest", _configure_backtest)
def backtest(args: argparse.Namespace) -> int:
    """Run the step-f statistics alone and write the summary.json document."""
    import json
    from datetime import UTC, datetime
    from pathlib import Path

    from rvq import pilot as pilots
    from rvq import report
    from rvq.errors import CacheWriteError
    from rvq.stats import backtest as bt

    source = Path(args.source)
    if not source.exists():
        raise CommandError(f"no such dataset or config: {source}")
    try:
        pilot = pilots.open_pilot(source, refresh=args.refresh)
    except pilots.PilotInputError as exc:
        hint = (
            ""
            if "rvq validate" in str(exc) or isinstance(exc, CacheWriteError)
            else f" (run `rvq validate {source}` for the full report)"
        )
        raise CommandError(f"{exc}{hint}") from exc
    except ValueError as exc:  # ConfigError
        raise CommandError(str(exc).splitlines()[0]) from exc
    dataset = pilot.dataset
    result = bt.run_backtest(pilot.panel, dataset.accounts, dataset.config, lead_lag=False)
    summary = report.summary_document(
        client=dataset.config.client,
        run_id="backtest-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        data=pilot.data_counts(),
        **result.to_dict(),
    )
    problems = report.check_summary(summary)
    if problems:
        raise CommandError("summary does not meet the contract: " + "; ".join(problems))
    text = json.dumps(summary, indent=2)
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(text + "\n")
        verdicts = ", ".join(
            f"{name}: {res['verdict']}" + (" with feedback" if res.get("feedback") else "")
            for name, res in summary["leading_indicator"].items()
        )
        print(f"wrote {args.json_path} ({verdicts})")
    else:
        print(text)
    return 0


def _configure_pilot(p: argparse.ArgumentParser) -> None:
    _configure_source(p)
    p.add_argument("--out", help="reports folder (default: the config's `output`, or reports/)")
    _configure_refresh(p)


@register("pilot", _configure_pilot)
def pilot(args: argparse.Namespace) -> int:
    """Run the seven pilot notebooks and write the report folder."""
    from rvq import pipeline
    from rvq.cache import default_cache_dir

    try:
        run_dir = pipeline.run_pilot(args.source, out=args.out, refresh=args.refresh)
    except pipeline.PilotError as exc:
        raise CommandError(str(exc)) from exc
    print(
        f"cache: {default_cache_dir()} (holds the client's data: `rvq cache list`, `rvq cache clear`)"
    )
    print(f"report: {run_dir / 'index.html'}")
    return 0


def _configure_track(p: argparse.ArgumentParser) -> None:
    _configure_source(p)
    p.add_argument(
        "--as-of",
        dest="as_of",
        metavar="PERIOD",
        help="the period to track, e.g. 2025Q3 or 2025-09 (default: the last complete one)",
    )
    p.add_argument("--out", help="reports folder (default: the config's `output`, or reports/)")
    _configure_refresh(p)


@register("track", _configure_track)
def track(args: argparse.Namespace) -> int:
    """Track RV after the pilot: append the new periods to the store, write the lists and page."""
    from rvq.track.run import TrackError, run_track

    try:
        done = run_track(args.source, as_of=args.as_of, out=args.out, refresh=args.refresh)
    except TrackError as exc:
        raise CommandError(str(exc)) from exc
    added = ", ".join(str(p) for p in done.appended) or "none (already tracked)"
    print(f"store: {done.store} ({len(done.tracked)} periods; appended: {added})")
    print(f"report: {done.folder / 'index.html'}")
    return 0


def _configure_mapping(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="mapping_action", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        help="write a client's activity mapping file to edit",
        description="Write a client's activity mapping file (docs/contracts.md, the mapping "
        "file): the preset's rules, or the header alone, then one commented line per code "
        "of SOURCE's interactions that no rule maps, most frequent first.",
    )
    init.add_argument(
        "source", nargs="?", help="dataset folder or YAML config whose unmapped codes to list"
    )
    init.add_argument("--preset", help="start from this CRM preset's rules (salesforce, ...)")
    init.add_argument("--out", default="mapping.csv", help="file to write (default mapping.csv)")
    init.add_argument("--force", action="store_true", help="overwrite --out if it exists")


@register("mapping", _configure_mapping)
def mapping(args: argparse.Namespace) -> int:
    """Start the client's own activity mapping file (`mapping init`)."""
    from collections import Counter
    from pathlib import Path

    from rvq import config as rvq_config
    from rvq.inputs import activity_rules, presets
    from rvq.inputs.mappings import catalog_codes

    out = Path(args.out)
    if out.exists() and not args.force:
        raise CommandError(f"{out} exists: pass --force to overwrite it, or name another --out")
    config, preset = None, args.preset
    if args.source is not None:
        try:
            config = rvq_config.load_config(args.source)
        except FileNotFoundError as exc:
            raise CommandError(f"no such dataset or config: {exc}") from exc
        except ValueError as exc:  # ConfigError is a ValueError
            raise CommandError(str(exc).splitlines()[0]) from exc
        if preset is not None and config.preset not in (None, preset):
            raise CommandError(f"{args.source} uses the preset {config.preset!r}, not {preset!r}")
        preset = preset or config.preset
    if preset is not None and preset not in presets.PRESETS:
        known = ", ".join(sorted(presets.PRESETS))
        raise CommandError(f"no CRM preset {preset!r}: one of {known}")
    rules_from = config.mapping if config is not None and config.mapping else None
    if rules_from is None and preset is not None:
        rules_from = activity_rules.PRESETS_DIR / f"{preset}.csv"
    unmapped: Counter = Counter()
    if args.source is not None:
        for problem in _validation(args.source).find("unknown_interaction_code"):
            unmapped.update(problem.tally)
    text = activity_rules.starting_mapping(
        activity_rules.mapping_text(Path(rules_from)) if rules_from else None,
        unmapped,
        source=args.source or "",
        catalog=catalog_codes(config)[1] if config is not None else "the catalog",
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror}") from None
    rules = len(activity_rules.activity_type_rules("client", out))  # what the loader will read
    if config is not None and config.mapping:
        origin = f"the rules of {config.mapping}"
    else:
        origin = f"the {preset} preset's rules" if preset else "the header"
    found = f", {len(unmapped):,} unmapped codes as commented lines" if args.source else ""
    print(f"wrote {out}: {origin} ({rules:,} rules){found}")
    print(f"next: {_mapping_next_step(out, args.source, config, bool(unmapped))}")
    return 0


def _mapping_next_step(out, source: str | None, config, unmapped: bool) -> str:
    """What to do with a mapping file just written: edit it and name it in the config."""
    import os
    from pathlib import Path

    from rvq.config import YAML_SUFFIXES

    fill = (
        "fill in its commented <CATALOG_CODE> lines and uncomment them" if unmapped else "edit it"
    )
    if config is not None and config.mapping and Path(config.mapping).resolve() == out.resolve():
        return f"{fill}; {source} already names it as its `mapping:`"
    if source and source.lower().endswith(YAML_SUFFIXES):
        relative = os.path.relpath(out.resolve(), Path(source).resolve().parent)
        return f"{fill}, then add `mapping: {relative}` to {source}"
    return f"{fill}, then add `mapping: {out}` to the pilot's YAML config (relative to its folder)"


def _configure_cache(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser(
        "list",
        help="each scored pilot: key, created, size, code version, client, source",
        description="List the scored pilots in the cache, their total size and where it is.",
    )
    clear = actions.add_parser(
        "clear",
        help="remove scored pilots (all, or those named, or older than DAYS)",
        description="Remove scored pilots from the cache (the next run scores its inputs again).",
    )
    clear.add_argument("keys", nargs="*", metavar="KEY", help="keys to remove (default: all)")
    clear.add_argument(
        "--older-than",
        dest="older_than",
        type=float,
        metavar="DAYS",
        help="only those written more than DAYS days ago",
    )


@register("cache", _configure_cache)
def cache(args: argparse.Namespace) -> int:
    """List or clear the cache of scored pilots (it holds client data; docs/cache.md)."""
    from rvq import cache as store
    from rvq.errors import folder_error_line

    where = store.default_cache_dir()
    if args.action == "list":
        folders = store.key_folders(where)
        print(f"cache: {where}")
        if not folders:
            print("no scored pilots")
            return 0
        print(f"{'key':<20}  {'created (UTC)':<16}  {'size':>9}  {'code':<12}  client  source")
        for f in folders:
            print(
                f"{f.key:<20}  {f.created:%Y-%m-%d %H:%M}  {store.size_text(f.size):>9}  "
                f"{f.code:<12}  {f.client}  {f.source}"
            )
        total = store.size_text(sum(f.size for f in folders))
        print(f"{len(folders)} scored pilot{'s' if len(folders) > 1 else ''}, {total}")
        return 0
    if args.older_than is not None and args.older_than < 0:
        raise CommandError(f"--older-than must be 0 or more days (got {args.older_than:g})")
    try:
        removed = store.clear_cache(where, args.keys, args.older_than)
    except KeyError as exc:
        raise CommandError(
            f"no scored pilot {exc.args[0]!r} in the cache at {where}; `rvq cache list` shows them"
        ) from None
    except OSError as exc:
        fix = "check its permissions, or set RVQ_CACHE_DIR to the cache meant"
        raise CommandError(folder_error_line(exc, "the cache", fix)) from None
    if not removed:
        print(f"nothing to remove from {where}")
        return 0
    for f, freed in removed:
        print(f"removed {f.key} ({f.client}, {f.source}): {store.size_text(freed)}")
    freed = store.size_text(sum(n for _, n in removed))
    count = f"{len(removed)} scored pilot{'' if len(removed) == 1 else 's'}"
    print(f"removed {count}, {freed}, from {where}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rvq",
        description="RV-Q pilot: is Relationship Value a leading indicator of the money?",
    )
    parser.add_argument("--version", action="version", version=f"rvq {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (configure, run) in COMMANDS.items():
        doc = (run.__doc__ or "").strip().splitlines()
        p = sub.add_parser(name, help=doc[0] if doc else None, description=run.__doc__)
        configure(p)
        p.set_defaults(run=run)
    return parser


def missing_module_line(exc: ImportError) -> str | None:
    """What to install for the module missing behind `exc`: its extra, else rvq's
    dependencies. The module may be behind another ImportError (ibis raises one from the
    ModuleNotFoundError of a backend's package). None when no module is missing, or when
    the missing one is part of rvq itself (a broken install or a bug: keep the traceback)."""
    cause: BaseException | None = exc
    seen = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ModuleNotFoundError) and cause.name:
            module = cause.name.partition(".")[0]
            if module == "rvq":
                return None
            if module in EXTRAS:
                return f"{module} is not installed: pip install 'rvq[{EXTRAS[module]}]'"
            return f"{module} is not installed: it comes with rvq's dependencies (pip install rvq)"
        cause = cause.__cause__ or cause.__context__
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 1
    try:
        return int(args.run(args) or 0)
    except CommandError as exc:
        print(f"rvq {args.command}: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        line = missing_module_line(exc)
        if line is None:
            raise
        print(f"rvq {args.command}: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"rvq {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
