"""A :class:`~yrdplan.reports.document.Document` as one self-contained HTML file: styles and
charts (inline SVG) inside, nothing fetched from a network, laid out for reading on screen and
for printing to PDF (A4, page numbers at the foot through CSS page-margin boxes).
"""

from __future__ import annotations

from html import escape

from yrdplan.reports.document import (
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
    chinese_date,
    format_cell,
)
from yrdplan.reports.static_charts import CSS_FONT_STACK, ChartRenderer

STYLE = """
@page { size: A4; margin: 25mm 22mm 28mm 24mm;
  @bottom-center { content: "— " counter(page) " —"; font-size: 10.5pt; } }
body { font-family: FONT_STACK; font-size: 12pt; line-height: 1.75; color: #111;
  max-width: 46em; margin: 2em auto; padding: 0 1em; }
.issuer { text-align: center; color: #c00000; font-size: 24pt; font-weight: bold; margin: 0; }
.number { text-align: center; margin: .2em 0 1.5em; padding-bottom: .4em;
  border-bottom: 2.5px solid #c00000; min-height: 1.4em; }
h1.title { text-align: center; font-size: 19pt; margin: 1em 0 .2em; }
.demo { text-align: center; color: #555; }
h2 { font-size: 14pt; margin: 1.4em 0 .4em; }
h3 { font-size: 12.5pt; margin: 1.1em 0 .3em; }
h4 { font-size: 12pt; margin: 1em 0 .3em; }
p.body { text-indent: 2em; margin: .3em 0; }
p.note, p.empty { color: #555; font-size: 10.5pt; margin: .3em 0; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; line-height: 1.4; margin: .3em 0 1em; }
thead { display: table-header-group; }
th, td { border: 1px solid #777; padding: 2px 5px; vertical-align: top; }
th { background: #dde6f0; }
td.n { text-align: right; white-space: nowrap; }
caption { font-weight: bold; padding: .3em; }
figure { margin: 1em 0; text-align: center; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-weight: bold; font-size: 10.5pt; }
.sign { text-align: right; margin-top: 2em; }
tr { break-inside: avoid; }
""".replace("FONT_STACK", CSS_FONT_STACK)


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c.title)}</th>" for c in table.columns)
    body = []
    for values in table.rows:
        cells = "".join(
            f'<td class="n">{escape(format_cell(v, c.kind))}</td>'
            if c.kind != "text"
            else f"<td>{escape(format_cell(v, c.kind))}</td>"
            for c, v in zip(table.columns, values, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (
        f'<table id="t-{escape(table.key)}"><caption>{escape(table.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"
    )


def _figure(figure: Figure, charts: ChartRenderer) -> str:
    return (
        f'<figure id="f-{escape(figure.key)}">{charts.svg(figure.chart, figure.title)}'
        f"<figcaption>{escape(figure.title)}</figcaption></figure>"
    )


def write_html(document: Document, charts: ChartRenderer | None = None) -> str:
    """The document as an HTML page with everything inline; ``charts`` shares drawn figures."""
    charts = charts or ChartRenderer()
    parts = [
        "<!doctype html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(document.title)}</title><style>{STYLE}</style></head><body>",
        f'<p class="issuer">{escape(document.issuer)}</p>',
        f'<p class="number">{escape(document.number)}</p>',
        f'<h1 class="title">{escape(document.title)}</h1>',
    ]
    if document.simulated:
        parts.append('<p class="demo">（含演示数据）</p>')
    for block in document.blocks:
        if isinstance(block, Heading):
            tag = f"h{block.level + 1}"
            parts.append(f"<{tag}>{escape(block.full)}</{tag}>")
        elif isinstance(block, Paragraph):
            parts.append(f'<p class="{block.kind}">{escape(block.text)}</p>')
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Figure):
            parts.append(_figure(block, charts))
    parts.append(
        f'<p class="sign">{escape(document.issuer)}<br>{chinese_date(document.issued_on)}</p>'
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
