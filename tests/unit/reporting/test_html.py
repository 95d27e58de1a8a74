"""The verdict page's HTML."""

from __future__ import annotations

from supertml.reporting.html import markdown_to_html


def test_markdown_to_html_renders_tables_and_escapes() -> None:
    page = markdown_to_html(
        "# Title <x>\n\nA **bold** and *italic* `code` line\ncontinued.\n\n"
        "| a | b |\n|---|---|\n| 1 < 2 | 3.0 ± 0.1 |\n\n- item one\n- item two\n",
        title="T & T",
    )
    assert "<title>T &amp; T</title>" in page
    assert "<h1>Title &lt;x&gt;</h1>" in page
    assert (
        "<p>A <strong>bold</strong> and <em>italic</em> <code>code</code> line continued.</p>"
        in page
    )
    assert "<tr><th>a</th><th>b</th></tr>" in page
    assert "<tr><td>1 &lt; 2</td><td>3.0 ± 0.1</td></tr>" in page
    assert "<ul>\n<li>item one</li>\n<li>item two</li>\n</ul>" in page
    assert '<meta charset="utf-8">' in page
