"""Client strings that try to become markup (issue 12, items 2 and 5): segment values and
segment column names on the 06/07 pages, and formula-leading cells in the CSVs people open."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from nbconvert.filters import markdown2html

from rvq import report
from rvq.report.markup import markdown_text, plain_text, sanitize_fragment, sanitize_page
from rvq.report.tables import spreadsheet_text, write_csv_for_people
from rvq.stats.segments import SegmentExtremesResult

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    "**bold** _it_ `code` # heading | pipe",
    "line one\n# a heading\n- a list <b>",
    "&lt;script&gt; stays text",
    "back\\slash \\<script>",
    "$\\alert{x}$ and C$",
]

#: what a page must never carry: a script, an event handler, a javascript: URL
_ACTIVE = re.compile(r"<script|\bon[a-z]+\s*=|javascript:", re.I)


def _active_html(page: str) -> list[str]:
    """Active markup in an HTML page (in tags; escaped text does not count)."""
    return [tag for tag in re.findall(r"<[^>]*>", page) if _ACTIVE.search(tag)]


@pytest.mark.parametrize("attack", ATTACKS)
def test_markdown_text_renders_as_exactly_its_text(attack):
    rendered = markdown2html(f"- Territory: {markdown_text(attack)} against north.")
    assert not _active_html(rendered)
    assert "<a" not in rendered and "<h1" not in rendered and "<strong" not in rendered
    text = re.sub(r"<[^>]+>", "", rendered)
    import html

    expected = " ".join(attack.split()) if "\n" in attack else attack
    assert " ".join(html.unescape(text).split()) == f"Territory: {expected} against north."
    assert plain_text(markdown_text(attack)) == re.sub(r"\n", " ", attack)


def test_segment_sentence_escapes_segment_names_and_values():
    result = SegmentExtremesResult(
        "<img src=x onerror=alert(2)>",
        "",
        groups={"a": "<script>alert(1)</script>", "b": "[x](javascript:alert(1))"},
        rv_flow={"cohens_d": 0.5, "d_ci_low": 0.1, "d_ci_high": 0.9},
    )
    sentence = report.segment_sentence(result)
    assert not _active_html(markdown2html(sentence))
    assert "<" not in sentence and "](" not in sentence
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in sentence
    refused = SegmentExtremesResult("<script>x</script>", "", reason="no <script>x</script>")
    assert "<" not in report.segment_sentence(refused)


def test_tables_escape_index_and_column_names():
    frame = pd.DataFrame(
        {"<b>value</b>": [1.5, -2.0], "label": ["<script>alert(1)</script>", "ok"]},
        index=pd.Index(["<i>a</i>", "b"], name="<script>alert(3)</script>"),
    )
    frame.columns.name = "<img src=x onerror=alert(4)>"
    page = report.table(frame).to_html()
    assert not _active_html(page)
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(4)&gt;" in page


def test_sanitize_page_drops_scripts_and_keeps_figures_tables_and_styles():
    page = (
        "<!DOCTYPE html><html><head><title>t</title><style>.a > b {color: red}</style></head>"
        '<body class="rvq-page"><nav><a href="index.html">back</a></nav>'
        "<script>alert(1)</script><p onclick='alert(2)'>text</p>"
        '<img alt="Figure" src="data:image/png;base64,iVBORw0KGgo=" width="640">'
        '<a href="javascript:alert(3)">bad</a><a href="data:text/html,x">bad</a>'
        "<style>#T_x th.col0 {text-align: right;}</style>"
        '<table id="T_x"><thead><tr><th class="col_heading col0">h</th></tr></thead>'
        "<tbody><tr><td>1</td></tr></tbody></table></body></html>"
    )
    clean = sanitize_page(page)
    assert not _active_html(clean) and "alert(1)" not in clean
    assert clean.startswith("<!DOCTYPE html><html><head><title>t</title><style>.a > b")
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in clean
    assert "#T_x th.col0 {text-align: right;}" in clean
    assert '<th class="col_heading col0">h</th>' in clean and '<a href="index.html">' in clean
    assert "data:text/html" not in clean
    assert sanitize_fragment("<p>a &amp; b</p>") == "<p>a &amp; b</p>"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-3.5", "-3.5"),
        ("+12", "+12"),
        ("Website visit", "Website visit"),
        (-3.5, -3.5),
    ],
)
def test_spreadsheet_text_neutralizes_formulas_and_keeps_numbers(cell, safe):
    assert spreadsheet_text(cell) == safe


def test_csv_for_people_is_inert_and_keeps_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "Call"],
            "rv": [-3.5, 2.0, 10.0],
            "=1+1": ["@x", "a", "-"],
        }
    )
    path = write_csv_for_people(frame, tmp_path / "signoff.csv", index=False)
    back = pd.read_csv(path)
    assert list(back.columns) == ["name", "rv", "'=1+1"]
    assert back["name"].tolist() == ['\'=HYPERLINK("http://x","y")', "'=cmd|' /C calc'!A0", "Call"]
    assert back["rv"].tolist() == [-3.5, 2.0, 10.0]  # numbers stay numbers
    assert back["'=1+1"].tolist() == ["'@x", "a", "'-"]
    cells = [c for line in path.read_text().splitlines() for c in line.split(",")]
    assert not [c for c in cells if c.lstrip('"').startswith(("=", "+", "@"))]
    assert frame.loc[0, "name"].startswith("=")  # the caller's frame is left alone


def test_signoff_sheet_is_written_through_the_safe_writer():
    import json

    source = json.loads(Path("notebooks/01_process_model.ipynb").read_text(encoding="utf-8"))
    code = "".join("".join(c["source"]) for c in source["cells"] if c["cell_type"] == "code")
    assert "to_csv(" not in code and "write_csv_for_people(signoff" in code


@pytest.mark.e2e
@pytest.mark.slow
def test_hostile_segment_values_and_column_name_stay_text_on_the_06_07_pages(tmp_path):
    """Steps 06 and 07 as `rvq pilot` runs them, on a 200-account demo whose territories
    are attack strings and whose extra segment column is named like a tag: every page shows
    them as text, with no script, handler or javascript: link, and keeps its figures."""
    import yaml

    from rvq import pipeline, synth

    world = synth.generate_world(synth.WorldSpec(accounts=200, periods=8, seed=5))
    data = synth.write_world(world, tmp_path / "data")
    accounts = pd.read_csv(data / "accounts.csv")
    hostile = {
        "east": "<script>alert(1)</script>",
        "west": "<img src=x onerror=alert(2)>",
        "central": "[x](javascript:alert(3))",
    }
    accounts["territory"] = accounts["territory"].replace(hostile)
    column = "<b onmouseover=alert(4)>tier</b>"
    accounts[column] = accounts["industry"]
    accounts.to_csv(data / "accounts.csv", index=False)
    config = tmp_path / "pilot.yaml"
    config.write_text(
        yaml.safe_dump({"client": "hostile", "data": str(data), "segments": ["territory", column]})
    )
    run = pipeline.run_pilot(
        config,
        tmp_path / "reports",
        progress=False,
        cache_dir=tmp_path / "cache",
        steps=(pipeline.STEPS[5], pipeline.STEPS[6]),
    )
    pages = {name: (run / name).read_text(encoding="utf-8") for name in
             ("06_rv_backtest.html", "07_findings.html", "index.html")}  # fmt: skip
    for name, page in pages.items():
        assert not _active_html(page), name
        assert not report.page_problems(page), name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, name  # shown, as text
        assert "&lt;img src=x onerror=alert(2)&gt;" in page, name
        assert "&lt;b onmouseover=alert(4)&gt;tier&lt;/b&gt;" in page, name
    assert "[x](javascript:alert(3))" in pages["06_rv_backtest.html"]  # the subset table
    assert pages["06_rv_backtest.html"].count("data:image/png;base64,") >= 5  # figures kept
    assert "<style" in pages["06_rv_backtest.html"] and "<table" in pages["06_rv_backtest.html"]


def test_rendered_page_is_sanitized_even_when_a_cell_displays_raw_markup(tmp_path):
    """The second wall: a cell that displays client text unescaped (Markdown or HTML)
    still gives a page without script, handler or javascript: link, figures kept."""
    import base64

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
    raw = "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))"
    cell = new_code_cell(
        "display(...)",
        outputs=[
            new_output("display_data", data={"text/markdown": raw, "text/plain": "md"}),
            new_output("display_data", data={"text/html": raw, "text/plain": "html"}),
            new_output("display_data", data={"image/png": png, "text/plain": "figure"}),
        ],
    )
    notebook = tmp_path / "06_rv_backtest.ipynb"
    nbformat.write(new_notebook(cells=[cell]), notebook)
    page = report.render_notebook_html(notebook, tmp_path / "page.html", title="t").read_text()
    assert not _active_html(page) and "alert(1)" not in page
    assert f"data:image/png;base64,{png}" in page
    assert "<style" in page and report.report_css()[:200] in page
