"""Markdown to safe HTML: tables, fenced code and heading anchors, then sanitised with nh3."""

from __future__ import annotations

import html

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode
from markupsafe import Markup

EXTENSIONS = ["tables", "fenced_code", "sane_lists", "toc"]
EXTENSION_CONFIGS = {"toc": {"slugify": slugify_unicode, "permalink": False}}

# A Markdown article's vocabulary; everything else is dropped (its text kept).
TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},  # fenced code: language-xyz
    "div": {"class"},  # the [TOC] block
    "th": {"style", "colspan", "rowspan", "align"},
    "td": {"style", "colspan", "rowspan", "align"},
    "ol": {"start"},
    "abbr": {"title"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}
# Relative URLs pass; absolute ones only with these schemes (no javascript:, data:, vbscript:).
URL_SCHEMES = {"http", "https", "mailto"}


def _md() -> markdown.Markdown:
    return markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                             output_format="html")


def sanitize(fragment: str) -> str:
    """Keep the safe subset of HTML: no scripts, event handlers or dangerous URLs."""
    return nh3.clean(
        fragment,
        tags=TAGS,
        clean_content_tags={"script", "style", "svg", "math", "iframe", "object", "embed",
                            "template", "noscript", "textarea", "title"},
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},  # table column alignment only
        strip_comments=True,
    )


def render_markdown(text: str) -> Markup:
    """Markdown source to sanitised HTML, safe to put into a page."""
    return Markup(sanitize(_md().convert(text or "")))


def plain_text(text: str) -> str:
    """The text of an article without markup (for excerpts)."""
    stripped = nh3.clean(_md().convert(text or ""), tags=set(),
                         clean_content_tags={"script", "style"})
    return html.unescape(stripped)
