"""HTML mail to plain text: markup, scripts and styles dropped; links and lists kept readable."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {"p", "div", "section", "article", "header", "footer", "blockquote", "pre", "table",
          "tr", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "address", "center",
          "form", "fieldset", "dl", "dt", "dd"}
_SKIP = {"script", "style", "head", "title", "template", "noscript", "object", "iframe",
         "svg", "xml"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n\s*\n+")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.pre = 0
        self.href: list[str | None] = []
        self.quote = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        attrs = dict(attrs)
        if tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag in _BLOCK:
            self.out.append("\n\n" if tag in ("p", "table", "ul", "ol", "blockquote") else "\n")
        if tag == "pre":
            self.pre += 1
        if tag == "blockquote":
            self.quote += 1
        if tag == "a":
            href = (attrs.get("href") or "").strip()
            self.href.append(href if href.startswith(("http://", "https://", "mailto:")) else None)
        if tag == "img" and (alt := (attrs.get("alt") or "").strip()):
            self.out.append(f"[{alt}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "a" and self.href:
            href = self.href.pop()
            text = self.out[-1] if self.out else ""
            if href and href.removeprefix("mailto:") not in text:
                self.out.append(f" <{href}>")
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        if tag in _BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if self.skip:
            return
        if not self.pre:
            data = _SPACES.sub(" ", data.replace("\n", " "))
        if self.quote:
            data = data.replace("\n", "\n> ")
            if not self.out or self.out[-1].endswith("\n"):
                data = "> " + data.lstrip()
        self.out.append(data)


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body; no markup survives."""
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient, but never let markup break intake
        return re.sub(r"<[^>]*>", " ", html)
    text = "".join(parser.out)
    lines = [line.strip() if not line.startswith(">") else line.rstrip()
             for line in text.split("\n")]
    # Text that came from entities (&lt;error&gt;) stays text: bodies are rendered escaped.
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
