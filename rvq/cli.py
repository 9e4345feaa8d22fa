"""The `rvq` command line (ARCHITECTURE contract 2).

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


def register(name: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register a sub-command: `configure` adds its arguments, the decorated function runs it."""

    def decorate(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (configure, run)
        return run

    return decorate


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
    except KeyboardInterrupt:
        print(f"rvq {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
