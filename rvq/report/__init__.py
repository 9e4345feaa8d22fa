"""Findings records, `summary.json` (contract 3, `docs/contracts.md`) and the report's HTML pages.

Every pilot notebook records what it found as JSON data through `record_findings`; the
executive summary, `summary.json` and `index.html` are built from those records, never by
scraping notebooks or HTML. The HTML side (executed notebook -> page without code, the run's
`index.html`, the error page) lives here too, so the report's look is defined in one place:
the Jinja templates in `rvq/templates/`.
"""

from rvq.jsonable import to_jsonable
from rvq.report.findings import (
    BACKTEST_STEP,
    FINDINGS_STEP,
    RUN_RECORD,
    findings_dir,
    read_findings,
    record_findings,
)
from rvq.report.html import (
    escape,
    page_problems,
    render_notebook_html,
    report_css,
    strip_ansi,
    write_error_html,
    write_index_html,
)
from rvq.report.markup import markdown_text, plain_text, sanitize_page
from rvq.report.summary import Summary, build_summary, check_summary, summary_document
from rvq.report.tables import (
    FIGURE_DPI,
    FIGURE_SIZE,
    notebook_setup,
    spreadsheet_text,
    table,
    write_csv_for_people,
)
from rvq.report.words import (
    OUTCOME_WORDS,
    PILOT_QUESTIONS,
    do_vs_say_sentence,
    executive_summary,
    in_short,
    leading_indicator_sentence,
    next_steps,
    number_text,
    segment_sentence,
)

__all__ = [
    "BACKTEST_STEP",
    "FIGURE_DPI",
    "FIGURE_SIZE",
    "FINDINGS_STEP",
    "OUTCOME_WORDS",
    "PILOT_QUESTIONS",
    "RUN_RECORD",
    "Summary",
    "build_summary",
    "check_summary",
    "do_vs_say_sentence",
    "escape",
    "executive_summary",
    "findings_dir",
    "in_short",
    "leading_indicator_sentence",
    "markdown_text",
    "next_steps",
    "notebook_setup",
    "number_text",
    "page_problems",
    "plain_text",
    "read_findings",
    "record_findings",
    "render_notebook_html",
    "report_css",
    "sanitize_page",
    "segment_sentence",
    "spreadsheet_text",
    "strip_ansi",
    "summary_document",
    "table",
    "to_jsonable",
    "write_error_html",
    "write_csv_for_people",
    "write_index_html",
]
