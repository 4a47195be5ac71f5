"""Settlement statements (结算单): one document model, written as Word or Excel.

:func:`build_statement` turns a settlement (as :func:`yrdplan.services.benefit.settlement_detail`
returns it, plus the agreement's terms) into a title, the issuing office, a date and numbered
sections of tables in Chinese; :func:`statement_docx` lays it out like an official document
(GB/T 9704 in spirit: title in 小标宋-like bold, 仿宋 body, 黑体 headings, tables with
repeated header rows, page numbers in the footer), :func:`statement_xlsx` writes one sheet per
section. Every input row carries its source and vintage, so each number can be traced.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from yrdplan.reports.docx_parts import display_width, page_number_footer, repeat_header_row

KIND_ZH = {
    "water_quality": "跨界断面水质补偿",
    "equalising_transfer": "均衡性转移支付",
    "cost_revenue_sharing": "成本共担与收益共享",
}
ROLE_ZH = {
    "upstream": "上游",
    "downstream": "下游",
    "payer": "拨付方",
    "recipient": "受援方",
    "partner": "共建方",
}
STATUS_ZH = {"draft": "草稿", "confirmed": "已确认", "paid": "已支付"}
OUTCOME_ZH = {"computed": "已计算", "insufficient_data": "数据不足"}
STEP_ZH = {
    "ratio": "浓度比值 Cᵢ/Cᵢ₀",
    "index": "水质指数 P",
    "band": "适用档次",
    "amount": "补偿金额",
    "cap": "封顶后金额",
    "mean_capacity": "人均财力加权均值 C̄",
    "weights": "因素权重（财力/缺口/上缴）",
    "allocation": "分配额",
    "contribution": "当年分担投入",
    "revenue": "当年分享收入",
    "balance": "累计余额",
}
PAYER_ZH = {"downstream": "下游付上游", "upstream": "上游付下游", "none": "不支付"}
ACTION_ZH = {"insert": "生成", "update": "更新", "delete": "删除"}
NUMERALS = "一二三四五六七八九十"


@dataclass
class Section:
    heading: str
    header: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Statement:
    title: str
    office: str
    date: str
    number: str
    notes: list[str]
    sections: list[Section]


def _money(value: Any) -> Any:
    """An amount as statements print it: two decimals (of 万元 in the examples)."""
    return round(float(value), 2) if isinstance(value, (int, float)) else value


def _value(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return value


def _source(text: str) -> str:
    """A parameter's source in Chinese: ``agreement CODE vN`` → 协议 CODE 第N版."""
    match = re.fullmatch(r"agreement (\S+) v(\d+)", text)
    if match:
        return f"协议 {match.group(1)} 第{match.group(2)}版"
    return "情景测算" if text == "what-if" else text


def _leaves(name: str, value: Any) -> list[tuple[str, Any]]:
    """A parameter as rows: a table per key (``baselines.TP``), a list per item (``bands.1``)."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(f"{name}.{key}", item)]
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [
            (f"{name}.{index}", "，".join(f"{k}={_value(v)}" for k, v in item.items()))
            for index, item in enumerate(value)
        ]
    return [(name, _value(value))]


def build_statement(data: dict[str, Any], *, party: str | None = None) -> Statement:
    """The statement of one settlement, or of one party's share of it (``party``)."""
    result = data["result"]
    spec = data["spec"]
    names = data["party_names"]
    unit = result.get("currency_unit", "")
    adjustment = result.get("adjustment")
    title = f"{data['agreement_name']}{data['period']}年度{'调整' if adjustment else ''}结算单"
    if party:
        title += f"（{names.get(party, party)}）"
    notes = []
    if result.get("simulated"):
        notes.append("注：本结算单使用了演示数据（来源为 simulated），不得作为实际结算依据。")
    if result.get("outcome") != "computed":
        notes.append("注：输入数据不足，本期未计算金额；缺失项见“输入数据”。")
    parties_text = "；".join(
        f"{names.get(p['region_code'], p['region_code'])}（{ROLE_ZH.get(p['role'], p['role'])}）"
        for p in spec["parties"]
    )
    overview = Section(
        "协议概况",
        ["项目", "内容"],
        [
            ["协议代码", data["agreement"]],
            ["协议名称", data["agreement_name"]],
            ["补偿类型", KIND_ZH.get(data["kind"], data["kind"])],
            ["协议版本", f"第{data['version']}版（{data.get('version_reason', '')}）"],
            ["协议期限", f"{spec['start_year']}—{spec['end_year']}年"],
            ["协议各方", parties_text],
            ["结算期", f"{data['period']}年"],
            ["状态", STATUS_ZH.get(data["status"], data["status"])],
        ],
    )
    if adjustment:
        overview.rows.append(["调整对象", f"结算单 {adjustment['adjusts']}"])
    inputs = Section(
        "输入数据", ["序号", "类别", "地点", "指标/参数", "时期", "数值", "来源", "版本"]
    )
    number = 0
    for row in result.get("inputs", []):
        if party and row.get("place_kind") == "region" and row.get("place") != party:
            continue
        kind = "观测值" if row["kind"] == "observation" else "协议参数"
        place = names.get(row.get("place", ""), row.get("place", ""))
        if row.get("value") is None:
            leaves = [(row.get("indicator", ""), "缺失")]
        else:
            leaves = _leaves(row.get("indicator", ""), row["value"])
        for name, value in leaves:
            number += 1
            inputs.rows.append([number, kind, place, name, row.get("period", ""), value,
                                _source(row.get("source", "")), row.get("vintage", "")])  # fmt: skip
    steps = Section("计算过程", ["步骤", "对象", "算式", "结果"])
    for row in result.get("steps", []):
        subject = names.get(row["subject"], PAYER_ZH.get(row["subject"], row["subject"]))
        if party and row["subject"] in names and row["subject"] != party and row["code"] in (
            "allocation", "contribution", "revenue", "balance"
        ):  # fmt: skip
            continue
        steps.rows.append([STEP_ZH.get(row["code"], row["code"]), subject, row["expr"],
                           "" if row["value"] is None else _value(row["value"])])  # fmt: skip
    outcome = Section("结算结果")
    transfers = adjustment["transfers"] if adjustment else result.get("transfers", [])
    if party:
        transfers = [t for t in transfers if party in (t["payer"], t["payee"])]
    outcome.header = ["付款方", "收款方", f"金额（{unit}）"]
    outcome.rows = [[names.get(t["payer"], t["payer"]), names.get(t["payee"], t["payee"]),
                     _money(t["amount"])] for t in transfers]  # fmt: skip
    if not transfers:
        outcome.paragraphs.append("本期无资金划转。")
    party_section = Section("各方金额")
    if adjustment:
        party_section.header = ["地区", "角色", f"已结算净额（{unit}）", f"重算净额（{unit}）",
                                f"调整额（{unit}）"]  # fmt: skip
    elif data["kind"] == "cost_revenue_sharing":
        party_section.header = ["地区", "角色", f"当年分担（{unit}）", f"当年分享（{unit}）",
                                f"累计余额（{unit}）"]  # fmt: skip
    else:
        party_section.header = ["地区", "角色", f"应付（{unit}）", f"应收（{unit}）",
                                f"净额（{unit}）"]  # fmt: skip
    for row in result.get("parties", []):
        code = row["region_code"]
        if party and code != party:
            continue
        name = names.get(code, code)
        role = ROLE_ZH.get(row["role"], row["role"])
        if adjustment:
            values = [adjustment["settled"].get(code, 0.0), row["net"],
                      adjustment["delta"].get(code, 0.0)]  # fmt: skip
        elif data["kind"] == "cost_revenue_sharing":
            values = [row.get("contribution"), row.get("revenue"), row.get("balance")]
        else:
            values = [row["pays"], row["receives"], row["net"]]
        party_section.rows.append([name, role, *(("" if v is None else _money(v)) for v in values)])
    history = Section("审核记录", ["时间（UTC）", "操作人", "操作", "状态"])
    for entry in data.get("history", []):
        history.rows.append([entry["at"].replace("T", " "), entry["username"],
                             ACTION_ZH.get(entry["action"], entry["action"]),
                             STATUS_ZH.get(entry.get("status") or "", entry.get("status") or "")])  # fmt: skip
    sections = [overview, inputs, steps, outcome, party_section, history]
    if data["kind"] == "cost_revenue_sharing" and result.get("detail", {}).get("rows"):
        ledger = Section(
            "逐年台账", ["年份", "投入", "收入", "地区", "分享比例", "分担", "分享", "累计余额"]
        )
        for row in result["detail"]["rows"]:
            for code in row["shares"]:
                if party and code != party:
                    continue
                ledger.rows.append([row["year"], _money(row["cost"]), _money(row["revenue"]),
                                    names.get(code, code), _value(row["shares"][code]),
                                    _money(row["contribution"][code]),
                                    _money(row["received"][code]),
                                    _money(row["balance"][code])])  # fmt: skip
        sections.insert(4, ledger)
    date = (data.get("paid_at") or data.get("confirmed_at") or data["computed_at"])[:10]
    return Statement(
        title=title,
        office=data.get("office") or spec.get("office") or "",
        date=date,
        number=f"结算〔{data['period']}〕{data['id']}号",
        notes=notes,
        sections=sections,
    )


def build_summary(data: dict[str, Any], *, party: str | None = None) -> Statement:
    """The statement of a whole agreement (结算汇总表): every period's settlements and
    adjustments with their transfers and status, and each party's totals by status."""
    spec = data["spec"]
    names = data["party_names"]
    unit = spec.get("currency_unit", "")
    title = f"{data['name']}结算汇总表"
    if party:
        title += f"（{names.get(party, party)}）"
    overview = Section(
        "协议概况",
        ["项目", "内容"],
        [
            ["协议代码", data["code"]],
            ["协议名称", data["name"]],
            ["补偿类型", KIND_ZH.get(data["kind"], data["kind"])],
            ["现行版本", f"第{data['version']}版"],
            ["协议期限", f"{spec['start_year']}—{spec['end_year']}年"],
        ],
    )
    periods = Section(
        "各期结算",
        [
            "编号",
            "结算期",
            "类别",
            "状态",
            "付款方",
            "收款方",
            f"金额（{unit}）",
            "确认日期",
            "支付日期",
        ],
    )
    totals: dict[str, dict[str, float]] = {}
    simulated = False
    for row in data["settlements"]:
        simulated = simulated or row["simulated"]
        kind = "调整" if row["type"] == "adjustment" else "结算"
        state = (
            OUTCOME_ZH["insufficient_data"]
            if row["outcome"] != "computed"
            else STATUS_ZH[row["status"]]
        )
        transfers = row["transfers"] or []
        if party:
            transfers = [t for t in transfers if party in (t["payer"], t["payee"])]
        dates = [(row["confirmed_at"] or "")[:10], (row["paid_at"] or "")[:10]]
        for transfer in transfers or [None]:
            cells = ["", "", ""] if transfer is None else [
                names.get(transfer["payer"], transfer["payer"]),
                names.get(transfer["payee"], transfer["payee"]),
                _money(transfer["amount"]),
            ]  # fmt: skip
            periods.rows.append([row["id"], row["period"], kind, state, *cells, *dates])
        for code, net in row["net"].items():
            bucket = totals.setdefault(code, {"draft": 0.0, "confirmed": 0.0, "paid": 0.0})
            bucket[row["status"]] += net
    sums = Section(
        "各方汇总",
        [
            "地区",
            "角色",
            f"已支付净额（{unit}）",
            f"已确认未支付净额（{unit}）",
            f"草稿净额（{unit}）",
        ],
    )
    for item in spec["parties"]:
        code = item["region_code"]
        if party and code != party:
            continue
        bucket = totals.get(code, {"draft": 0.0, "confirmed": 0.0, "paid": 0.0})
        sums.rows.append([names.get(code, code), ROLE_ZH.get(item["role"], item["role"]),
                          *(_money(bucket[k]) for k in ("paid", "confirmed", "draft"))])  # fmt: skip
    notes = ["注：净额为应收减应付（共建分享为当年分享减当年分担）；调整单计入其确认状态。"]
    if simulated:
        notes.insert(0, "注：本表使用了演示数据（来源为 simulated），不得作为实际结算依据。")
    return Statement(
        title=title,
        office=spec.get("office", ""),
        date=data["date"],
        number=f"结算汇总〔{spec['start_year']}—{spec['end_year']}〕",
        notes=notes,
        sections=[overview, periods, sums],
    )


# -- Word -------------------------------------------------------------------------------------

_BODY_FONT = "仿宋"  # GB/T 9704: body in 仿宋_GB2312 3号; Noto CJK stands in where it is absent
_HEADING_FONT = "黑体"
_TITLE_FONT = "宋体"


def _font(run, name: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


_TEXT_WIDTH_CM = 15.6  # A4 (21 cm) less the 2.8 + 2.6 cm margins


def _column_widths(part: Section) -> list:
    """Column widths as an HTML table's automatic layout: each column gets at least its header
    or a short word, and the rest of the line in proportion to how much more its text wants."""
    from docx.shared import Cm

    half = 0.21  # cm per half-width character at 10.5 pt, with room for wide Latin glyphs
    padding = 0.5  # cell margins
    widest = [display_width(str(h)) for h in part.header]
    for values in part.rows:
        for column, value in enumerate(values):
            widest[column] = max(widest[column], display_width(str(value)))
    headers = [display_width(str(h)) for h in part.header]
    least = [min(w, max(h, 8)) * half + padding for w, h in zip(widest, headers, strict=True)]
    wanted = [min(w, 40) * half + padding for w in widest]
    if sum(wanted) <= _TEXT_WIDTH_CM:
        spare = (_TEXT_WIDTH_CM - sum(wanted)) / len(wanted)
        return [Cm(w + spare) for w in wanted]
    room = max(_TEXT_WIDTH_CM - sum(least), 0.0)
    more = [w - m for w, m in zip(wanted, least, strict=True)]
    total = sum(more) or 1.0
    return [Cm(m + room * x / total) for m, x in zip(least, more, strict=True)]


def statement_docx(statement: Statement) -> bytes:
    """The statement as a .docx in the layout of an official document."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    # GB/T 9704: A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm.
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    page_number_footer(section, lambda run: _font(run, _BODY_FONT, 12))
    if statement.office:
        office = document.add_paragraph()
        office.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(office.add_run(statement.office), _TITLE_FONT, 22, bold=True)
    number = document.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(number.add_run(statement.number), _BODY_FONT, 16)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(statement.title), _TITLE_FONT, 22, bold=True)
    for note in statement.notes:
        _font(document.add_paragraph().add_run(note), _BODY_FONT, 14, bold=True)
    for index, part in enumerate(statement.sections):
        heading = document.add_paragraph()
        _font(heading.add_run(f"{NUMERALS[index]}、{part.heading}"), _HEADING_FONT, 16)
        for text in part.paragraphs:
            _font(document.add_paragraph().add_run(text), _BODY_FONT, 16)
        if not part.header:
            continue
        table = document.add_table(rows=1, cols=len(part.header))
        table.style = "Table Grid"
        table.autofit = False
        widths = _column_widths(part)
        repeat_header_row(table.rows[0])
        for cell, text in zip(table.rows[0].cells, part.header, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(str(text)), _HEADING_FONT, 10.5)
        for values in part.rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                cell.text = ""
                _font(
                    cell.paragraphs[0].add_run("" if value is None else str(value)),
                    _BODY_FONT,
                    10.5,
                )
        # Word reads the cells' widths, LibreOffice the grid's: set both.
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        for table_row in table.rows:
            for cell, width in zip(table_row.cells, widths, strict=True):
                cell.width = width
        document.add_paragraph()
    signature = document.add_paragraph()
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _font(signature.add_run(statement.office), _BODY_FONT, 16)
    dated = document.add_paragraph()
    dated.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    year, month, day = statement.date.split("-")
    _font(dated.add_run(f"{int(year)}年{int(month)}月{int(day)}日"), _BODY_FONT, 16)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# -- Excel ------------------------------------------------------------------------------------


def statement_xlsx(statement: Statement) -> bytes:
    """The statement as an .xlsx: a cover sheet, then one sheet per section."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    title = workbook.add_format({"bold": True, "font_size": 16, "font_name": "宋体"})
    header = workbook.add_format(
        {"bold": True, "bg_color": "#DDE6F0", "border": 1, "font_name": "黑体"}
    )
    cell = workbook.add_format({"border": 1, "font_name": "仿宋"})
    cover = workbook.add_worksheet("结算单")
    cover.set_column(0, 0, 16)
    cover.set_column(1, 1, 70)
    cover.write(0, 0, statement.title, title)
    cover.write_row(2, 0, ["发文机关", statement.office], cell)
    cover.write_row(3, 0, ["编号", statement.number], cell)
    cover.write_row(4, 0, ["日期", statement.date], cell)
    for offset, note in enumerate(statement.notes):
        cover.write(6 + offset, 0, note)
    for index, part in enumerate(statement.sections):
        sheet = workbook.add_worksheet(f"{NUMERALS[index]}、{part.heading}"[:31])
        row = 0
        for text in part.paragraphs:
            sheet.write(row, 0, text)
            row += 1
        if part.header:
            sheet.write_row(row, 0, part.header, header)
            sheet.repeat_rows(row)
            sheet.freeze_panes(row + 1, 0)
            widths = [len(str(h)) * 2 + 2 for h in part.header]
            for values in part.rows:
                row += 1
                for column, value in enumerate(values):
                    sheet.write(row, column, value, cell)
                    widths[column] = min(60, max(widths[column], len(str(value)) * 2 + 2))
            for column, width in enumerate(widths):
                sheet.set_column(column, column, width)
    workbook.close()
    return buffer.getvalue()
