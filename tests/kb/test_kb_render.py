"""Markdown rendering keeps articles readable and strips everything that could run."""

from __future__ import annotations

import pytest

from kbdesk.kb.render import plain_text, render_markdown


def test_markdown_features():
    html = str(render_markdown(
        "## Příznaky\n\nText with `code`.\n\n"
        "| A | B |\n|:--|--:|\n| 1 | 2 |\n\n"
        "```powershell\nGet-Service W3SVC\n```\n\n"
        "[docs](https://learn.microsoft.com) [rel](/kb/1) [mail](mailto:a@b.cz) [top](#příznaky)\n"))
    assert '<h2 id="příznaky">Příznaky</h2>' in html
    assert "<table>" in html and '<td style="text-align:right">2</td>' in html
    assert '<pre><code class="language-powershell">Get-Service W3SVC' in html
    assert 'href="https://learn.microsoft.com"' in html and 'href="/kb/1"' in html
    assert 'href="mailto:a@b.cz"' in html and 'href="#příznaky"' in html


def test_toc_marker_makes_a_table_of_contents():
    html = str(render_markdown("[TOC]\n\n## One\n\n## Two\n"))
    assert '<div class="toc">' in html and 'href="#one"' in html and 'id="two"' in html


NASTY = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<img src="data:image/png;base64,AAAA">',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<svg><script>alert(1)</script></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<div style="background:url(javascript:alert(1))" onclick="alert(1)">d</div>',
    '<p onmouseover="alert(1)">p</p>',
    '<form action="https://evil.example"><input name="password"></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>body{display:none}</style>",
    '<a href="https://ok.example" target="_blank" onfocus="alert(1)">ok</a>',
    "<!-- <script>alert(1)</script> -->",
    '<details open ontoggle="alert(1)"><summary>s</summary></details>',
]


@pytest.mark.parametrize("source", NASTY)
def test_nasty_input_is_neutralised(source):
    html = str(render_markdown(source)).lower()
    for bad in ("<script", "javascript:", "vbscript:", "data:", "<svg", "<math", "<iframe",
                "<object", "<embed", "<form", "<input", "<meta", "<base", "<link", "<style",
                "style=\"background", "target="):
        assert bad not in html, (bad, html)
    assert " on" not in html.replace("noopener", "").replace(" one", ""), html


def test_code_keeps_script_text_as_text():
    html = str(render_markdown("```html\n<script>alert(1)</script>\n```"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html


def test_safe_links_get_rel():
    html = str(render_markdown("[a](https://example.com)"))
    assert 'rel="noopener noreferrer nofollow"' in html


def test_plain_text():
    assert plain_text("## Title\n\nSome *text* & <b>more</b>").split() == \
        ["Title", "Some", "text", "&", "more"]
