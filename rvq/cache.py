"""The cache of scored pilots: where it lives, the key of an input version, and reading
and writing an entry.

A scored pilot is stored under a key made of the input files (paths, sizes, modification
times; a database table's row count), the config and the pseudonym key's fingerprint, and
separately per version of rvq's own code, so a changed input or a changed scoring function
never reads a stale entry. `default_cache_dir()` is `$RVQ_CACHE_DIR`, else the user's cache
folder; every entry holds client data (pseudonymized when the config asks for it).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

import rvq
from rvq.errors import CacheWriteError, PilotInputError, folder_error_line, one_line

#: bump when the pickled Pilot changes shape, so old cache entries are not read
CACHE_FORMAT = 4
CONFIG_SUFFIXES = (".yaml", ".yml")


def _files_under(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
    elif path.is_dir():
        for p in sorted(path.rglob("*")):
            parts = p.relative_to(path).parts
            if p.is_file() and not any(part.startswith(".") for part in parts):
                yield p


def _referenced_paths(value: Any, base: Path) -> Iterator[Path]:
    """Existing files and folders named by string values anywhere in a parsed config."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _referenced_paths(v, base)
    elif isinstance(value, list):
        for v in value:
            yield from _referenced_paths(v, base)
    elif isinstance(value, str) and value and len(value) < 4096 and "\n" not in value:
        candidate = (base / value).expanduser()
        try:
            if candidate.exists():
                yield candidate.resolve()
        except OSError:
            return


def input_files(source: str | os.PathLike) -> list[Path]:
    """The files a source reads: every (non-hidden) file of a dataset folder; for a YAML
    config, the config itself and every file or folder it names."""
    source = Path(source).expanduser().resolve()
    if not source.exists():
        raise PilotInputError(f"no such dataset or config: {source}")
    if source.is_file() and source.suffix.lower() in CONFIG_SUFFIXES:
        import yaml

        try:
            parsed = yaml.safe_load(source.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PilotInputError(f"{source}: not valid YAML ({str(exc).splitlines()[0]})") from exc
        files = {source}
        for path in _referenced_paths(parsed, source.parent):
            files.update(_files_under(path))
        return sorted(files)
    return sorted(_files_under(source))


def _code_files() -> list[Path]:
    """rvq's own modules and data (shipped catalog, preset mapping tables): a changed
    scoring function or activity-type mapping must not read a stale cache."""
    package = Path(rvq.__file__).parent
    return sorted(
        [*package.rglob("*.py"), *(p for p in (package / "data").rglob("*") if p.is_file())]
    )


def _database_versions(config: Any) -> Iterator[str]:
    """A fingerprint of each database table the config reads (`rvq.inputs.sql.fingerprint`)."""
    from rvq import inputs
    from rvq.inputs import sql

    if not getattr(config, "tables", None):  # a dataset folder holds files only
        return
    try:
        located = inputs.locate_tables(config)
    except ValueError as exc:
        raise PilotInputError(one_line(exc)) from None
    for name, location in sorted(located.items(), key=lambda item: item[0]):
        if isinstance(location, sql.SqlSource):
            try:
                yield f"{name}={sql.fingerprint(location)}"
            except (sql.SqlSourceError, FileNotFoundError) as exc:
                raise PilotInputError(one_line(exc)) from None


def input_version(source: str | os.PathLike, config: Any = None) -> str:
    """A key that changes when any input file (path, size, mtime), database table (a
    DuckDB file's and its log's size and mtime, a server table's row count) or the config changes: one
    version of a pilot's inputs. A pilot's cache folder and, in interactive work, its
    findings records live under this key."""
    h = hashlib.sha256()
    for path in input_files(source):
        st = path.stat()
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    if config is not None:
        dumped = (
            config.model_dump_json() if hasattr(config, "model_dump_json") else repr(config)
        ).encode()
        h.update(hashlib.sha256(dumped).digest())
        h.update(_pseudonym_key_version(config).encode())
        for version in _database_versions(config):
            h.update(hashlib.sha256(version.encode()).digest())
    return h.hexdigest()[:20]


def _pseudonym_key_version(config: Any) -> str:
    """With pseudonyms on, a fingerprint of the key (a new key must not reuse the
    pseudonyms of the old one); empty otherwise."""
    from rvq import privacy

    if not privacy.privacy_settings(config).pseudonymize:
        return ""
    try:
        return privacy.key_fingerprint(privacy.pseudonym_key(config))
    except privacy.PrivacyKeyError as exc:
        raise PilotInputError(str(exc)) from None


def code_version() -> str:
    """A key that changes with rvq's code (its modules' sizes and mtimes, its version) and
    the pandas and Python versions: a scored pilot pickled by other code is not reused."""
    h = hashlib.sha256()
    h.update(f"format={CACHE_FORMAT};rvq={rvq.__version__};pandas={pd.__version__};".encode())
    h.update(f"python={sys.version_info[:2]}".encode())
    package = Path(rvq.__file__).parent
    for path in _code_files():
        st = path.stat()
        name = path.relative_to(package) if path.is_relative_to(package) else path.name
        h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:12]


def default_cache_dir() -> Path:
    """`$RVQ_CACHE_DIR`, else `$XDG_CACHE_HOME/rvq`, else `~/.cache/rvq`."""
    if os.environ.get("RVQ_CACHE_DIR"):
        return Path(os.environ["RVQ_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "rvq"


# --------------------------------------------------------------------------- the cache


def cached(key: str, cache_dir: Path, build: Callable[[], Any], code: str = "") -> tuple[Any, bool]:
    """The object stored under `key` (and `code`, the code version) in `cache_dir`, built
    and stored on a miss.

    Returns `(object, hit)`. Writes are atomic (a temporary file renamed into place), so
    two processes building the same entry at once both end with a whole file; entries of
    other code versions under the same key are removed when a new one is written.
    """
    entry = cache_dir / key
    path = entry / f"pilot-{code}.pkl" if code else entry / "pilot.pkl"
    hit = load_entry(path)
    if hit is not None:
        return hit[0], True
    value = build()
    try:
        entry.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry, prefix=".pilot-", suffix=".tmp")
    except OSError as exc:
        fix = "make it a writable folder, or set RVQ_CACHE_DIR to one"
        raise CacheWriteError(folder_error_line(exc, "the cache", fix)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:  # e.g. a full disk
        fix = "free space there, or set RVQ_CACHE_DIR to another folder"
        raise CacheWriteError(folder_error_line(exc, "the cache", fix)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for stale in entry.glob("pilot*.pkl"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return value, False


def load_entry(path: Path) -> tuple[Any] | None:
    """`(object,)` pickled at `path`; None when there is none (an unreadable entry, or
    one pickled by other code, is removed)."""
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            return (pickle.load(fh),)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        path.unlink(missing_ok=True)
        return None
