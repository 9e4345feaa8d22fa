"""The errors a user sees, as one line each: `PilotInputError` (inputs that cannot be
piloted), `CacheWriteError` (the cache folder cannot be written), `one_line` (any
exception as one readable line) and `folder_error_line` (a folder rvq cannot write)."""

from __future__ import annotations


class PilotInputError(Exception):
    """The inputs cannot be piloted (missing, unreadable or fatally invalid): one line."""


class CacheWriteError(PilotInputError):
    """The cache folder cannot be written (read-only, a file, a full disk): one line."""


def folder_error_line(exc: OSError, what: str, fix: str) -> str:
    """An `OSError` met writing into a folder, as one line: what was written, the path
    at fault, the system's reason and what to do (never a traceback)."""
    path = exc.filename if exc.filename is not None else "?"
    reason = (exc.strerror or type(exc).__name__).lower()
    return f"cannot write {what} at {path}: {reason}; {fix}"


def one_line(exc: BaseException) -> str:
    """An exception as one readable line (pydantic errors name the parameter at fault)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            more = len(errors()) - 1
            tail = f" (and {more} more)" if more else ""
            return f"{where}: {first.get('msg')}{tail}" if where else f"{first.get('msg')}{tail}"
        except (IndexError, TypeError, AttributeError):
            pass
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
