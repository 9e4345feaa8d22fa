"""One function run in a forked process beside the caller: the back-test's second core.

The back-test's questions are independent of one another and single-threaded numpy for
the most part, so on a machine with two cores or more a large panel is answered in two
processes: the caller keeps one share of the work, a forked child does the other
(`beside`). The child is a fork, so it reads the caller's panel without a copy (the
pages are shared until written) and runs the very same code on the very same data: the
numbers are those of one process, bit for bit. Only its result travels back (pickled).
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def usable_cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Beside:
    """`function(*args, **kwargs)` running in a forked child; `result()` waits for it.

    Use as a context manager: leaving the block before `result()` (the caller's own share
    failed) ends the child instead of waiting for it."""

    def __init__(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> None:
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)

        def run() -> None:
            try:
                message = (True, function(*args, **kwargs))
            except BaseException as error:  # noqa: BLE001 - every failure goes back to the caller
                message = (False, f"{type(error).__name__}: {error}\n{traceback.format_exc()}")
            writer.send(message)

        self._process = context.Process(target=run, daemon=True)
        self._process.start()
        writer.close()

    def result(self) -> Any:
        """The child's return value (its exception becomes a RuntimeError with its traceback)."""
        try:
            ok, value = self._reader.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(
                f"the back-test's worker process died (exit code {self._process.exitcode})"
            ) from None
        finally:
            self._reader.close()
        self._process.join()
        if not ok:
            raise RuntimeError(f"the back-test's worker process failed: {value}")
        return value

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
