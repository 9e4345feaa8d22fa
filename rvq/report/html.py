"""The report's HTML pages: executed notebook -> page without code, the run's `index.html`,
the error page, and the checks a page must pass. The look is defined once, in the Jinja
templates of `rvq/templates/`."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rvq import __version__
from rvq.jsonable import to_jsonable
from rvq.report.markup import plain_text, sanitize_page
from rvq.report.words import executive_summary, in_short, next_steps

TEMPLATES = Path(__file__).parents[1] / "templates"


def _jinja_env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = lambda v: f"{v:,}" if isinstance(v, int) else v
    env.filters["plain"] = plain_text  # report sentences are Markdown-escaped (`markup`)
    env.globals["css"] = report_css()
    return env


def report_css() -> str:
    """The report's stylesheet, inlined into every page (a page must stand alone)."""
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def render_notebook_html(
    notebook: str | os.PathLike, html_path: str | os.PathLike, *, title: str, back: bool = True
) -> Path:
    """Render an executed notebook to one self-contained HTML page with the code hidden.

    nbconvert's HTMLExporter with `exclude_input` (never papermill's report mode, which
    nbconvert ignores); the `rvq_notebook` template drops the CDN scripts (MathJax,
    require.js) the lab template would load, so the page opens offline without console
    errors, and adds a link back to the run's index (unless `back` is False: a page that
    is its folder's index itself, as `rvq track`'s). Figures are embedded PNGs. The page's
    body is sanitized (`markup.sanitize_page`): client text is escaped where it is written,
    and a script that slipped through anyway still never reaches the reviewer's browser.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(os.fspath(notebook), as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="rvq_notebook",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"rvq": {"title": title, "css": report_css(), "back": back}}
    )
    path = Path(html_path)
    path.write_text(sanitize_page(body), encoding="utf-8")
    return path


def write_index_html(
    run_dir: str | os.PathLike,
    summary: Mapping[str, Any],
    *,
    steps: list[Mapping[str, str]],
    parameters: Mapping[str, Any],
    answers: list[Mapping[str, Any]] | None = None,
    recommendations: list[str] | None = None,
    table_counts: Mapping[str, Mapping[str, int]] | None = None,
    period: str = "",
) -> Path:
    """Write the run's `index.html`: executive summary first, in plain words, then links
    to each step with a one-line description, the data counts (rows set aside included),
    the run's parameters, the rvq version and the date."""
    run_dir = Path(run_dir)
    answers = answers if answers is not None else executive_summary(summary, period)
    recommendations = recommendations if recommendations is not None else next_steps(summary)
    page = (
        _jinja_env()
        .get_template("run_index.html.j2")
        .render(
            summary=summary,
            headline=in_short(summary, period),
            answers=answers,
            recommendations=recommendations,
            steps=steps,
            parameters={k: _param_text(v) for k, v in parameters.items()},
            table_counts=table_counts or {},
            created=summary.get("created")
            or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )
    path = run_dir / "index.html"
    path.write_text(sanitize_page(page), encoding="utf-8")
    return path


def _param_text(value: Any) -> str:
    value = to_jsonable(value)
    return value if isinstance(value, str) else json.dumps(value)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """`text` without terminal colour codes (tracebacks from a kernel carry them)."""
    return _ANSI.sub("", text)


def write_error_html(
    run_dir: str | os.PathLike,
    *,
    message: str,
    step: str | None = None,
    cell_source: str = "",
    traceback: str = "",
    links: list[Mapping[str, str]] | None = None,
) -> Path:
    """Write `error.html` in a failed run's folder: what failed, where, and the traceback."""
    page = (
        _jinja_env()
        .get_template("error.html.j2")
        .render(
            message=message,
            step=step,
            cell_source=cell_source,
            traceback=strip_ansi(traceback),
            links=links or [],
            rvq_version=__version__,
            created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )
    path = Path(run_dir) / "error.html"
    path.write_text(sanitize_page(page), encoding="utf-8")
    return path


_CLASS_ATTR = re.compile(r'class="([^"]*)"')
#: classes that mark a code cell's input, or an output a reviewer must never see
_CODE_CLASSES = {"jp-InputArea", "input_area", "jp-InputPrompt", "jp-Cell-inputWrapper"}
_LEAK_MARKERS = {
    "application/vnd.jupyter.stderr": "stderr output (warnings or logs)",
    "Traceback (most recent call last)": "a traceback",
}
_WARNING_WORDS = re.compile(
    r"\b(?:Future|Deprecation|PendingDeprecation|Runtime|User|Settingwith)?Warning:|"
    r"\b(?:[A-Z][a-z]+)+Error:"
)


def page_problems(page: str) -> list[str]:
    """What a reviewer's HTML page shows that it must not: code cells, error outputs,
    tracebacks, stderr (warnings, logs) or warning/error messages in output text."""
    problems = []
    body = page[max(page.find("<body"), 0) :]
    body = re.sub(r"<style.*?</style>|<script.*?</script>", "", body, flags=re.S)
    classes = {c for attr in _CLASS_ATTR.findall(body) for c in attr.split()}
    for name in sorted(_CODE_CLASSES & classes):
        problems.append(f"a code cell ({name})")
    for marker, what in _LEAK_MARKERS.items():
        if marker in body:
            problems.append(what)
    match = _WARNING_WORDS.search(html.unescape(re.sub(r"<[^>]+>", " ", body)))
    if match:
        problems.append(f"a warning or error message ({match.group(0)})")
    return problems


def escape(text: Any) -> str:
    """HTML-escaped text (client-supplied strings in hand-made HTML snippets)."""
    return html.escape(str(text))
