"""Plan documents made in the test run: PDFs printed by headless Chromium, OFD packages, Word.

Chromium prints the page header (date, title) and footer (URL, "1/2") on every page, which is
exactly the page furniture a published PDF carries.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from browser import CHROMIUM_FLAGS, chromium_path

STYLE = (
    '<style>body{font-family:"Noto Sans CJK SC",sans-serif;font-size:14pt;width:15cm}'
    "table{border-collapse:collapse}td,th{border:1px solid #000;padding:2px 4px;font-size:10pt}"
    "</style>"
)

# A plan with a background section (past results), targets in text, attainment of standards,
# inline sub-items, and a 主要指标 table with merged cells, stacked headers and a note.
INDICATOR_PLAN = f"""<!doctype html><html><head><meta charset="utf-8"><title>南京市十四五规划</title>
{STYLE}</head><body>
<h1>南京市“十四五”发展规划</h1>
<p>一、发展基础</p>
<p>“十三五”时期，全市地区生产总值年均增长7.1%，2020年研发经费投入强度达到3.5%，城镇化率较2015年提高5.2个百分点。</p>
<p>二、主要目标</p>
<p>（一）经济发展。到2025年，研发经费投入强度达到4%以上，常住人口城镇化率达到88%，这是一个需要很长很长的句子才能折行的目标描述，用来检查跨行拼接是否正确完成而不会在中间插入换行符号。</p>
<p>（二）生态环境。到2025年，细颗粒物平均浓度总体达标，主要河流水质达到Ⅲ类。加强治理：（1）推进污水管网建设；（2）实施河道综合整治；（3）开展农业面源污染防治。</p>
<p>“十四五”时期经济社会发展主要指标</p>
<table>
<tr><th rowspan="2">类别</th><th rowspan="2">指标</th><th rowspan="2">单位</th><th>2020年</th><th colspan="2">目标值</th><th rowspan="2">年均增长<br>〔累计〕</th><th rowspan="2">属性</th></tr>
<tr><th>基期值</th><th>2025年</th><th>2035年</th></tr>
<tr><td rowspan="2">经济发展</td><td>地区生产总值增长</td><td>%</td><td>4.6</td><td>—</td><td>—</td><td>6左右</td><td>预期性</td></tr>
<tr><td>全员劳动生产率</td><td>万元/人</td><td>22</td><td>28</td><td>40</td><td>5</td><td>预期性</td></tr>
<tr><td rowspan="3">绿色生态</td><td>单位地区生产总值能源消耗降低</td><td>%</td><td>—</td><td>—</td><td>—</td><td>〔14〕</td><td>约束性</td></tr>
<tr><td>细颗粒物（PM2.5）平均浓度</td><td>微克/立方米</td><td>31</td><td>&lt;30</td><td>≤25</td><td>—</td><td>约束性</td></tr>
<tr><td>森林覆盖率</td><td>%</td><td>26.5</td><td>—</td><td>—</td><td>[1]</td><td>约束性</td></tr>
</table>
<p>注：〔 〕内为五年累计数；全员劳动生产率按2020年价格计算。</p>
<p>三、保障措施</p>
<p>加强组织领导。</p>
</body></html>
"""


def print_pdf(html: str, path: Path) -> Path:
    """Print ``html`` to ``path`` with headless Chromium (its default header and footer on)."""
    source = path.with_suffix(".html")
    source.write_text(html, encoding="utf-8")
    subprocess.run(
        [chromium_path(), *CHROMIUM_FLAGS, "--headless", f"--print-to-pdf={path}", source.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert path.exists() and path.read_bytes().startswith(b"%PDF")
    return path


def long_plan_html(paragraphs: int, *, table_rows: int = 0) -> str:
    """A plan of many numbered items, optionally with a table long enough to span pages."""
    body = ["<h1>长三角一体化发展实施方案</h1>", "<p>一、重点任务</p>"]
    for i in range(1, paragraphs + 1):
        body.append(
            f"<p>{i}.推进第{i}项重点任务。到2025年，区域合作项目累计达到{i}个以上，"
            "加强基础设施互联互通，提升公共服务便利共享水平，推动生态环境共保联治，"
            "促进科技创新协同发展，完善一体化体制机制，形成更多可复制可推广的经验。</p>"
        )
    if table_rows:
        rows = "".join(
            f"<tr><td>指标{i}</td><td>%</td><td>{i}.0</td><td>{i + 1}.5</td></tr>"
            for i in range(1, table_rows + 1)
        )
        body.append(
            "<table><thead><tr><th>指标</th><th>单位</th><th>2020年</th><th>2025年</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )
    body.append("<p>二、保障措施</p><p>加强组织领导。</p>")
    return f'<!doctype html><html><head><meta charset="utf-8"><title>实施方案</title>{STYLE}</head><body>{"".join(body)}</body></html>'


SCAN_HTML = """<!doctype html><html><body><canvas id="c" width="600" height="300"></canvas>
<script>const g=document.getElementById('c').getContext('2d');g.font='30px sans-serif';
g.fillText('一、总体要求 到2025年达到3%',10,50);</script></body></html>"""

_OFD_NS = "http://www.ofdspec.org/2016"


def _text_object(obj_id: int, x: float, y: float, text: str, size: float = 4.0) -> str:
    deltas = " ".join(["g", str(len(text) - 1), str(size)]) if len(text) > 1 else ""
    return (
        f'<ofd:TextObject ID="{obj_id}" Boundary="{x} {y} {size * len(text) + 2} {size + 2}" '
        f'Font="1" Size="{size}"><ofd:TextCode X="0" Y="{size}" DeltaX="{deltas}">{text}'
        "</ofd:TextCode></ofd:TextObject>"
    )


OFD_WIDTH = 38  # characters a line, 4 mm each: the type area is 152 mm wide


def _ofd_table(rows: list[list[str]], top: float) -> list[str]:
    """A ruled table as OFD objects: thin PathObjects for the rules, one TextObject a cell."""
    width, height, left = 36.0, 8.0, 25.0
    columns = len(rows[0])
    objects = []
    for i in range(len(rows) + 1):
        y = top + i * height
        objects.append(
            f'<ofd:PathObject ID="{500 + i}" Boundary="{left} {y} {width * columns} 0.3" '
            'LineWidth="0.3"><ofd:AbbreviatedData>M 0 0 L 1 0</ofd:AbbreviatedData></ofd:PathObject>'
        )
    for j in range(columns + 1):
        x = left + j * width
        objects.append(
            f'<ofd:PathObject ID="{600 + j}" Boundary="{x} {top} 0.3 {height * len(rows)}" '
            'LineWidth="0.3"><ofd:AbbreviatedData>M 0 0 L 0 1</ofd:AbbreviatedData></ofd:PathObject>'
        )
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            objects.append(
                _text_object(
                    700 + i * 10 + j, left + j * width + 1, top + i * height + 1.5, text, 3.5
                )
            )
    return objects


def write_ofd(
    path: Path,
    pages: list[list[str]],
    *,
    header: str = "南京市人民政府文件",
    table: list[list[str]] | None = None,
) -> Path:
    """An OFD package, one page per list of paragraphs; a paragraph longer than a line wraps
    at :data:`OFD_WIDTH` characters (the last piece of a page's last paragraph may go on the
    next page when it starts with ``+``). Each page gets a running header and "- n -"; a
    ``table`` is ruled under the last page's lines."""
    with zipfile.ZipFile(path, "w") as package:
        package.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{_OFD_NS}" Version="1.0" '
            'DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>1</ofd:DocID></ofd:DocInfo>'
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        page_refs = "".join(
            f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>'
            for i in range(len(pages))
        )
        package.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{_OFD_NS}">'
            "<ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea>"
            "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>"
            f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        for number, lines in enumerate(pages):
            objects = [_text_object(1, 65, 12, header, 3.0)]
            y = 30.0
            wrapped = [
                para[k : k + OFD_WIDTH] for para in lines for k in range(0, len(para), OFD_WIDTH)
            ]
            for i, line in enumerate(wrapped):
                objects.append(_text_object(100 + i, 25, y, line))
                y += 7
            if table and number == len(pages) - 1:
                objects += _ofd_table(table, y + 4)
            objects.append(_text_object(99, 98, 280, f"- {number + 1} -", 3.0))
            package.writestr(
                f"Doc_0/Pages/Page_{number}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{_OFD_NS}">'
                f'<ofd:Content><ofd:Layer ID="2">{"".join(objects)}</ofd:Layer></ofd:Content>'
                "</ofd:Page>",
            )
    return path


INDICATOR_ROWS = [
    ["类别", "指标", "单位", "2020年", "目标值", "目标值", "年均增长〔累计〕", "属性"],
    ["类别", "指标", "单位", "基期值", "2025年", "2035年", "年均增长〔累计〕", "属性"],
    ["经济发展", "地区生产总值增长", "%", "4.6", "—", "—", "6左右", "预期性"],
    ["经济发展", "全员劳动生产率", "万元/人", "22", "28", "40", "5", "预期性"],
    ["绿色生态", "单位地区生产总值能源消耗降低", "%", "—", "—", "—", "〔14〕", "约束性"],
    ["绿色生态", "细颗粒物（PM2.5）平均浓度", "微克/立方米", "31", "<30", "≤25", "—", "约束性"],
    ["绿色生态", "森林覆盖率", "%", "26.5", "—", "—", "[1]", "约束性"],
]


def write_docx(path: Path) -> Path:
    """The indicator plan as a Word file, its table with merged cells (python-docx merges)."""
    import docx

    word = docx.Document()
    for line in ("南京市“十四五”发展规划", "一、主要目标", "“十四五”时期经济社会发展主要指标"):
        word.add_paragraph(line)
    table = word.add_table(rows=len(INDICATOR_ROWS), cols=8)
    table.style = "Table Grid"  # ruled, so that a PDF printed from it has its cell borders
    for i, row in enumerate(INDICATOR_ROWS):
        for j, text in enumerate(row):
            if i == 1 and j in (0, 1, 2, 6, 7):
                continue  # merged with the cell above
            if j == 0 and i in (3, 5, 6):
                continue  # the category cell spans its rows
            if i == 0 and j == 5:
                continue  # 目标值 spans two columns
            table.cell(i, j).text = text
    for j in (0, 1, 2, 6, 7):
        table.cell(0, j).merge(table.cell(1, j))
    table.cell(0, 4).merge(table.cell(0, 5))
    table.cell(2, 0).merge(table.cell(3, 0))
    table.cell(4, 0).merge(table.cell(6, 0))
    word.add_paragraph("注：〔 〕内为五年累计数；全员劳动生产率按2020年价格计算。")
    word.add_paragraph("二、保障措施")
    word.save(str(path))
    return path


def docx_to_pdf(docx_path: Path, folder: Path) -> Path | None:
    """The Word file printed to PDF by LibreOffice, or None when LibreOffice is not installed."""
    import shutil

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{folder}/lo-profile",
         "--convert-to", "pdf", "--outdir", str(folder), str(docx_path)],
        check=True,
        capture_output=True,
        timeout=180,
    )  # fmt: skip
    pdf = folder / (docx_path.stem + ".pdf")
    return pdf if pdf.exists() else None
