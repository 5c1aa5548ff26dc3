"""Messages as sanitised Markdown: the knowledge base's renderer, or a small nh3 one."""

from __future__ import annotations

try:
    from kbdesk.kb.render import render_markdown
except ImportError:  # pragma: no cover - only while the knowledge base is absent
    import markdown
    import nh3
    from markupsafe import Markup

    def render_markdown(text: str) -> Markup:
        """Markdown source to sanitised HTML."""
        html = markdown.markdown(text or "", extensions=["fenced_code", "sane_lists"])
        return Markup(nh3.clean(html, url_schemes={"http", "https", "mailto"},
                                link_rel="noopener noreferrer nofollow"))

__all__ = ["render_markdown"]
