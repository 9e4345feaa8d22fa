"""Client text made safe for the report: Markdown that stays text, HTML pages sanitized.

Segment values, segment and column names, interaction names and account ids come from a
client's export and may hold markup (`<script>`, `<img onerror=...>`,
`[x](javascript:...)`). Every such string goes through `markdown_text` before it joins a
Markdown sentence; every rendered page goes through `sanitize_page` as a second wall.
"""

from __future__ import annotations

import html
import re
from typing import Any

#: ASCII punctuation Markdown may read as markup, backslash-escaped (CommonMark allows it)
_MARKDOWN_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:])")
_BACKSLASHED = re.compile(r"\\" + _MARKDOWN_PUNCT.pattern)  # undoes it (`plain_text`)
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")


def markdown_text(value: Any) -> str:
    """`value` as Markdown that renders as exactly its text: `<`, `>` and `&` as HTML
    entities, other markup punctuation backslash-escaped, line breaks as spaces (a client
    string never starts a heading, list or block of its own)."""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_PUNCT.sub(r"\\\1", text)


def plain_text(markdown: str) -> str:
    """A sentence built with `markdown_text` back as plain text (for the index page, whose
    template escapes HTML itself)."""
    return html.unescape(_BACKSLASHED.sub(r"\1", str(markdown)))


#: what a report page may contain: the usual safe tags plus the page's own styles
_PAGE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd",
    "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "kbd", "li", "main", "nav", "ol", "p", "pre", "s",
    "small", "span", "strong", "style", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_PAGE_ATTRIBUTES = {
    "*": {"class", "id", "title", "style", "data-mime-type", "data-jp-theme-light",
          "data-jp-theme-name", "align"},
    "a": {"href", "name", "download"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "style": {"type"},
    "ol": {"start"},
}  # fmt: skip


def _allowed_url(element: str, attribute: str, value: str) -> str | None:
    """Links stay links (`http(s)`, `mailto`, the page's own relative links); `data:` only
    as an embedded figure (`<img src="data:image/...">`)."""
    if attribute not in ("href", "src"):
        return value
    scheme = value.strip().lower()
    if scheme.startswith("data:"):
        return value if element == "img" and scheme.startswith("data:image/") else None
    return value


def sanitize_fragment(fragment: str) -> str:
    """HTML without scripts, event handlers or `javascript:` links (`nh3`, the Rust
    `ammonia` sanitizer); tables, figures (embedded `data:image` PNGs) and styles kept."""
    import nh3

    return nh3.clean(
        fragment,
        tags=_PAGE_TAGS,
        clean_content_tags={"script"},
        attributes=_PAGE_ATTRIBUTES,
        attribute_filter=_allowed_url,
        url_schemes={"http", "https", "mailto", "data"},
        link_rel=None,
        strip_comments=True,
    )


_BODY = re.compile(r"(<body\b[^>]*>)(.*)(</body>)", re.S | re.I)


def sanitize_page(page: str) -> str:
    """A whole page with its body sanitized (`sanitize_fragment`); the head, which holds
    only the title and the report's stylesheet, stays as written."""
    match = _BODY.search(page)
    if match is None:
        return sanitize_fragment(page)
    return page[: match.start(2)] + sanitize_fragment(match.group(2)) + page[match.end(2) :]
