"""Notebook set-up and reviewer tables: one look for every figure and table of the report."""

from __future__ import annotations

import html
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rvq.report.words import number_text

#: one size for every figure in the report: legible on a laptop, light to load
FIGURE_SIZE = (8.0, 4.5)
FIGURE_DPI = 100


def notebook_setup(run_dir: str | os.PathLike | None = None) -> None:
    """Prepare a pilot notebook's kernel so its rendered page is clean and its figures light.

    Warnings and log records go to `warnings.log` in the run folder (or stay visible when
    there is none, for interactive work), progress bars are off, every figure gets the
    report's size and resolution and draws text as plain characters (a `$` in a client
    string is a dollar sign, not math text: `rvq.plots.plain_text_figures`), and tables
    show a readable number of rows and digits.
    Called once, in each notebook's first code cell after the parameters.
    """
    import matplotlib as mpl

    from rvq.plots import plain_text_figures

    os.environ["TQDM_DISABLE"] = "1"  # rvq's progress bars would land on stderr, in the page
    mpl.rcParams.update(
        {
            "figure.figsize": FIGURE_SIZE,
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": FIGURE_DPI,
            "figure.autolayout": False,
            "figure.constrained_layout.use": True,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": "medium",
            "font.size": 10,
        }
    )
    plain_text_figures()
    try:  # inside a kernel: embed PNG only (no SVG/PDF duplicates in the page)
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover - not in a kernel
        pass
    pd.set_option("display.max_rows", 40)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.precision", 3)
    pd.set_option("display.float_format", number_text)
    pd.set_option("display.width", 120)

    if run_dir:
        logfile = Path(run_dir) / "warnings.log"
        logfile.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(logfile, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        warnings.simplefilter("default")  # record each distinct warning once per location
        logging.captureWarnings(True)
        for name in ("py.warnings", "rvq"):
            logger = logging.getLogger(name)
            logger.handlers[:] = [handler]
            logger.propagate = False
        root = logging.getLogger()
        root.handlers[:] = [handler]


def _cell_text(value: Any) -> Any:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    ):
        return number_text(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    return value


def _escaped_name(name: Any) -> Any:
    return None if name is None else html.escape(str(name))


def table(
    frame: pd.DataFrame, rows: int | None = 25, *, empty: str = "None found.", min_accounts: int = 0
):
    """A frame as a reviewer's table: the row numbers hidden (unless the index means
    something), numbers formatted by `number_text`, at most `rows` rows; an empty frame
    becomes the sentence `empty` instead of a bare header. Figures built from fewer than
    `min_accounts` accounts (a pilot's `privacy.min_cell_accounts`) are suppressed
    (`rvq.privacy.suppress_small_cells`); notebooks call `pilot.table`, which passes it."""
    from IPython.display import Markdown

    from rvq.privacy import suppress_small_cells

    if frame is None or len(frame) == 0:
        return Markdown(f"*{empty}*")
    shown = frame if rows is None else frame.head(rows)
    shown = suppress_small_cells(shown, min_accounts)
    numeric = [c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])]
    # the axes' own names (the index's header cell) are not cells: the Styler shows them raw
    shown = shown.rename_axis(
        index=[_escaped_name(n) for n in shown.index.names],
        columns=[_escaped_name(n) for n in shown.columns.names],
    )
    # every cell through one formatter, HTML-escaped: client text never becomes markup
    styler = shown.style.format(_cell_text, escape="html").format_index(escape="html", axis=0)
    styler = styler.format_index(escape="html", axis=1)
    # text reads left-aligned (the page's default), numbers right-aligned under their header
    styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    positions = [i for i, c in enumerate(shown.columns) if c in set(numeric)]
    styler = styler.set_table_styles(
        [{"selector": f"th.col{i}", "props": "text-align: right;"} for i in positions],
        overwrite=False,
    )
    if isinstance(shown.index, pd.RangeIndex):
        styler = styler.hide(axis="index")
    if rows is not None and len(frame) > rows:
        styler = styler.set_caption(f"The first {rows} of {len(frame):,} rows.")
    return styler


#: what a spreadsheet reads as a formula (OWASP "CSV injection"): a leading = + - @, tab or CR
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?%?")


def spreadsheet_text(value: Any) -> Any:
    """`value` as a spreadsheet cell that cannot run: text starting like a formula gets a
    leading apostrophe (shown as text by Excel, LibreOffice and Sheets); numbers, and text
    that is just a number such as `-3.5`, stay as they are."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def write_csv_for_people(frame: pd.DataFrame, path: str | os.PathLike, **to_csv: Any) -> Path:
    """Write `frame` as a CSV meant to be opened in a spreadsheet (a sign-off sheet): every
    text cell, column name and index label through `spreadsheet_text`, so a client string
    such as `=HYPERLINK(...)` or `=cmd|...` stays text. The one writer of such files."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(spreadsheet_text)
    safe.columns = [spreadsheet_text(c) for c in safe.columns]
    safe.index = safe.index.map(spreadsheet_text)
    path = Path(path)
    safe.to_csv(path, **to_csv)
    return path
