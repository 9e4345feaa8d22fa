"""The errors a user sees, as one line each: `PilotInputError` (inputs that cannot be
piloted) and `one_line` (any exception as one readable line)."""

from __future__ import annotations


class PilotInputError(Exception):
    """The inputs cannot be piloted (missing, unreadable or fatally invalid): one line."""


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
