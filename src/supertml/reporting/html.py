"""A standalone HTML page from the Markdown the verdict page is written in."""

from __future__ import annotations

import html
import re
from typing import Final

__all__ = ["markdown_to_html"]


_INLINE: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])"), r"<em>\1</em>"),
)

_STYLE: Final[str] = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 80em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
th { background: #eee; } tr:nth-child(even) td { background: #f7f7f7; }
code { background: #f0f0f0; padding: 0 0.2em; }
"""


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    for pattern, replacement in _INLINE:
        out = pattern.sub(replacement, out)
    return out


def _table_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def markdown_to_html(markdown: str, *, title: str) -> str:
    """A standalone HTML page of the Markdown this module writes (no external resources).

    Handles exactly what :func:`supertml.reporting.page.report_markdown` produces: ``#``
    headings, pipe tables with a ``|---|`` separator line, ``-`` lists, paragraphs, and inline
    code, bold and italic. Every text is HTML-escaped first. (Snakemake reports show HTML
    inline but offer Markdown only as a download; no Markdown package is a project
    dependency.)
    """
    body: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            i += 1
        elif stripped.startswith("|"):
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i])
                i += 1
            has_header = len(block) > 1 and re.fullmatch(r"\|?[\s:|-]+\|?", block[1].strip())
            rows = [block[0], *block[2:]] if has_header else block
            body.append("<table>")
            for n, row in enumerate(rows):
                tag = "th" if has_header and n == 0 else "td"
                cells = "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in _table_cells(row))
                body.append(f"<tr>{cells}</tr>")
            body.append("</table>")
        elif stripped.startswith("- "):
            body.append("<ul>")
            while i < len(lines) and lines[i].strip().startswith("- "):
                body.append(f"<li>{_inline(lines[i].strip()[2:])}</li>")
                i += 1
            body.append("</ul>")
        else:
            paragraph = []
            while (
                i < len(lines)
                and lines[i].strip()
                and not re.match(r"^(#|\||- )", lines[i].strip())
            ):
                paragraph.append(lines[i].strip())
                i += 1
            body.append(f"<p>{_inline(' '.join(paragraph))}</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
