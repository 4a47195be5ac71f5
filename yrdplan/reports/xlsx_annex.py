"""Every table of a :class:`~yrdplan.reports.document.Document` as one .xlsx annex (附件): a
contents sheet, then a sheet per table with its title, a header row frozen in place, numbers as
numbers (rates as percentages) so the office can sort and sum.

XlsxWriter stamps the zip entries with a fixed date; the document properties are given the
snapshot's time, so the same document gives the same bytes.
"""

from __future__ import annotations

import io
from datetime import datetime

import xlsxwriter

from yrdplan.reports.document import Document, format_cell


def write_xlsx(document: Document, built_at: datetime) -> bytes:
    """The annex as .xlsx bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties(
        {
            "title": document.title,
            "author": document.issuer,
            "company": document.issuer,
            "created": built_at,
        }
    )
    title = book.add_format({"bold": True, "font_size": 13, "font_name": "Noto Sans CJK SC"})
    header = book.add_format(
        {"bold": True, "bg_color": "#dde6f0", "border": 1, "text_wrap": True, "valign": "top"}
    )
    cell_formats = {
        "text": book.add_format({"border": 1, "text_wrap": True, "valign": "top"}),
        "int": book.add_format({"border": 1, "num_format": "0"}),
        "num": book.add_format({"border": 1, "num_format": "0.00"}),
        "dec": book.add_format({"border": 1, "num_format": "0.0000"}),
        "pct": book.add_format({"border": 1, "num_format": "0.0%"}),
    }
    contents = book.add_worksheet("目录")
    contents.write(0, 0, document.title, title)
    contents.write(1, 0, f"{document.issuer}  {document.issued_on.isoformat()}")
    if document.simulated:
        contents.write(2, 0, "含演示数据（模拟值，不是统计数据）")
    contents.write_row(4, 0, ["工作表", "表名", "行数"], header)
    contents.set_column(0, 0, 10)
    contents.set_column(1, 1, 60)
    for n, table in enumerate(document.tables(), 1):
        name = f"表{n}"
        contents.write_url(4 + n, 0, f"internal:'{name}'!A1", string=name)
        contents.write(4 + n, 1, table.title)
        contents.write(4 + n, 2, len(table.rows))
        sheet = book.add_worksheet(name)
        sheet.write(0, 0, table.title, title)
        sheet.write_row(2, 0, [c.title for c in table.columns], header)
        sheet.freeze_panes(3, 0)
        sheet.repeat_rows(2)
        for r, values in enumerate(table.rows, 3):
            for c, (column, value) in enumerate(zip(table.columns, values, strict=True)):
                if value is None or column.kind == "text":
                    sheet.write_string(
                        r,
                        c,
                        format_cell(value, "text") if value is not None else "—",
                        cell_formats["text"],
                    )
                else:
                    sheet.write_number(r, c, float(value), cell_formats[column.kind])
        for c, column in enumerate(table.columns):
            longest = max([len(column.title)] + [len(str(v[c] or "")) for v in table.rows])
            sheet.set_column(c, c, min(max(8, longest * 1.6 if column.kind == "text" else 12), 50))
        if table.note:
            sheet.write(4 + len(table.rows), 0, table.note)
    book.close()
    return buffer.getvalue()
