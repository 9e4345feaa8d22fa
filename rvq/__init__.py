"""rvq: back-test whether Relationship Value (RV) leads profit, revenue growth and share of wallet."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rvq")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
