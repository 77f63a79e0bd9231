"""One self-contained HTML page: inline CSS, plots as base64 PNG data URIs, no network access."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Section", "render_html"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;
max-width:1200px;color:#222;line-height:1.45;padding:0 16px}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ddd;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.85em}caption{caption-side:top;text-align:left;
color:#555;padding-bottom:.3em}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th:first-child{text-align:left}thead th{background:#f4f4f4}figure{margin:.6em 0}
figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{color:#555;font-size:.85em}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:6px 10px;margin:6px 0}
.muted{color:#666;font-size:.85em}
td{white-space:nowrap}.scroll{overflow-x:auto;max-width:100%}
"""
# numbers such as 5.8845e-05 never break at their '-'; a table wider than the page scrolls


@dataclass(frozen=True, kw_only=True)
class Section:
    """A titled part of the page: a paragraph, then figures (PNG paths) and HTML fragments.

    Attributes:
        title: Heading.
        text: Plain text paragraph (escaped).
        figures: (PNG path, caption) pairs, embedded as data URIs.
        fragments: Trusted HTML fragments (tables rendered by :mod:`hpobench.results.tables`).
        notes: Warnings shown highlighted (escaped).
    """

    title: str
    text: str = ""
    figures: Sequence[tuple[Path, str]] = ()
    fragments: Sequence[str] = ()
    notes: Sequence[str] = ()


def _figure(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    alt = html.escape(caption or path.stem)
    return (
        f'<figure id="fig-{html.escape(path.stem)}"><img alt="{alt}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def render_html(title: str, intro: str, sections: Sequence[Section]) -> str:
    """The whole page as one string; every resource is inline, so the file can be mailed alone."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(intro)}</p>",
    ]
    for s in sections:
        parts.append(f"<section><h2>{html.escape(s.title)}</h2>")
        if s.text:
            parts.append(f"<p>{html.escape(s.text)}</p>")
        parts += [f'<div class="note">{html.escape(n)}</div>' for n in s.notes]
        parts += [_figure(p, c) for p, c in s.figures]
        parts += [f'<div class="scroll">{f}</div>' for f in s.fragments]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
