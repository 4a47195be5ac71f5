"""Plans as published: PDF (printed by Chromium in the test run) and OFD, read and cleaned."""

import re
import zipfile

import pytest
from plan_documents import (
    INDICATOR_PLAN,
    SCAN_HTML,
    long_plan_html,
    print_pdf,
    write_ofd,
)

from yrdplan.errors import InputError
from yrdplan.ingest.plan_text import parse_plan
from yrdplan.ingest.read import read_document

pytestmark = pytest.mark.browser

WRAPPED = (
    "（一）经济发展。到2025年，研发经费投入强度达到4%以上，常住人口城镇化率达到88%，"
    "这是一个需要很长很长的句子才能折行的目标描述，用来检查跨行拼接是否正确完成而不会在中间插入换行符号。"
)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    return {
        "plan": print_pdf(INDICATOR_PLAN, folder / "plan.pdf"),
        "long": print_pdf(long_plan_html(40, table_rows=45), folder / "long.pdf"),
        "scan": print_pdf(SCAN_HTML, folder / "scan.pdf"),
    }


def test_pdf_lines_are_rejoined_and_page_furniture_dropped(pdfs):
    document = read_document(pdfs["plan"])
    assert document.format == "pdf"
    lines = document.text.split("\n")
    assert WRAPPED in lines  # wrapped over three printed lines, one line again
    assert lines[0] == "南京市“十四五”发展规划"  # the running title and print date are gone
    assert "file://" not in document.text and "1/1" not in document.text
    assert not re.search(r"\d:\d\d", document.text)  # the print time
    assert "一、发展基础" in lines and "三、保障措施" in lines


def test_pdf_table_is_recovered_with_merged_cells_filled(pdfs):
    (table,) = read_document(pdfs["plan"]).tables
    assert table.rows[0][:4] == ["类别", "指标", "单位", "2020年"]
    assert table.rows[0][4:6] == ["目标值", "目标值"]  # one header cell over two columns
    assert table.rows[1][3:6] == ["基期值", "2025年", "2035年"]
    assert table.rows[0][6] == "年均增长〔累计〕"  # the cell's wrapped lines joined
    assert [row[0] for row in table.rows[2:]] == ["经济发展"] * 2 + ["绿色生态"] * 3
    assert table.rows[5][1:6] == ["细颗粒物（PM2.5）平均浓度", "微克/立方米", "31", "<30", "≤25"]
    assert [note.replace(" ", "") for note in table.notes] == [
        "注：〔〕内为五年累计数；全员劳动生产率按2020年价格计算。"
    ]


def test_a_long_pdf_keeps_every_item_once_and_its_table_whole(pdfs):
    document = read_document(pdfs["long"])
    plan = parse_plan(pdfs["long"])
    items = [n for n in plan.nodes if n.kind == "item"]
    assert [n.ordinal for n in items] == list(range(1, 41))  # no page break split an item
    assert all("可复制可推广的经验。" in n.text for n in items)
    (table,) = document.tables  # printed over two pages, the header repeated: one table
    assert len(table.rows) == 46 and table.rows[0] == ["指标", "单位", "2020年", "2025年"]
    assert [row[0] for row in table.rows[1:]] == [f"指标{i}" for i in range(1, 46)]
    assert not any(line.strip() in {"1/3", "2/3", "3/3"} for line in document.text.split("\n"))


def test_a_scan_without_text_needs_ocr_and_imports_nothing(pdfs):
    with pytest.raises(InputError) as caught:
        parse_plan(pdfs["scan"])
    message = str(caught.value)
    assert "scan.pdf" in message and "OCR" in message and "\n" not in message


def test_damaged_and_locked_pdfs_fail_with_one_line(tmp_path, pdfs):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(pdfs["plan"].read_bytes()[:400])
    with pytest.raises(InputError, match="broken.pdf: not a readable PDF"):
        read_document(broken)
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(_encrypted_pdf())
    with pytest.raises(InputError, match="locked.pdf") as caught:
        read_document(locked)
    assert "\n" not in str(caught.value)


def _encrypted_pdf() -> bytes:
    """A minimal PDF whose trailer names an /Encrypt dictionary with an unknown password."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"3 0 obj<</Filter/Standard/V 1/R 2/O(0123456789abcdef0123456789abcdef)"
        b"/U(0123456789abcdef0123456789abcdef)/P -4>>endobj\n"
        b"trailer<</Root 1 0 R/Encrypt 3 0 R/ID[<00><00>]>>\n%%EOF\n"
    )


# -- OFD ---------------------------------------------------------------------------------------

OFD_PAGES = [
    [
        "关于推进长三角一体化的实施方案",
        "一、总体要求",
        "（一）发展目标。到2025年，常住人口城镇化率达到75%以上，研发投入强度达到3.2%以上，"
        "区域协同创新体系基本建成。",
        "二、重点任务",
        # a paragraph that runs on over the page break
        "1.加强区域协同。推进都市圈同城化发展，强化基础设施互联互通，完善跨区域合作",
    ],
    ["机制，共建共享公共服务。", "2.深化科技合作。共建科创走廊。"],
]


def test_ofd_reads_pages_in_order_without_furniture(tmp_path):
    path = write_ofd(tmp_path / "plan.ofd", OFD_PAGES)
    document = read_document(path)
    assert document.format == "ofd"
    assert document.text.split("\n") == [
        "关于推进长三角一体化的实施方案",
        "一、总体要求",
        "（一）发展目标。到2025年，常住人口城镇化率达到75%以上，研发投入强度达到3.2%以上，"
        "区域协同创新体系基本建成。",
        "二、重点任务",
        "1.加强区域协同。推进都市圈同城化发展，强化基础设施互联互通，完善跨区域合作机制，"
        "共建共享公共服务。",
        "2.深化科技合作。共建科创走廊。",
    ]
    plan = parse_plan(path)
    assert [n.label for n in plan.nodes] == ["一、", "（一）", "二、", "1.", "2."]
    assert {(t.indicator_code, t.value, t.year) for t in plan.targets} == {
        ("URBANIZATION", 75.0, 2025),
        ("RD_INTENSITY", 3.2, 2025),
    }


def test_malformed_and_encrypted_ofd_fail_clearly(tmp_path):
    good = write_ofd(tmp_path / "good.ofd", OFD_PAGES)
    missing = tmp_path / "missing.ofd"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(missing, "w") as target:
        for item in source.infolist():
            if item.filename != "Doc_0/Document.xml":
                target.writestr(item, source.read(item))
    with pytest.raises(InputError, match=r"missing.ofd: not a valid OFD file \(Doc_0/Document.xml"):
        read_document(missing)
    broken = tmp_path / "broken.ofd"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[:-20] if item.filename == "OFD.xml" else data)
    with pytest.raises(InputError, match="broken.ofd: not a valid OFD file"):
        read_document(broken)
    locked = tmp_path / "locked.ofd"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(locked, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("Doc_0/Encryptions.xml", "<Encryptions/>")
    with pytest.raises(InputError, match="locked.ofd: the OFD file is encrypted"):
        read_document(locked)
    not_zip = tmp_path / "plain.ofd"
    not_zip.write_text("一、总体要求", encoding="utf-8")
    with pytest.raises(InputError, match="plain.ofd: not a valid OFD file"):
        read_document(not_zip)


def test_an_ofd_of_images_needs_ocr(tmp_path):
    # Pages whose only text is the running head and the page number: scanned images.
    path = write_ofd(tmp_path / "scan.ofd", [[], []])
    with pytest.raises(InputError, match="scan.ofd: the OFD file has no text .*OCR"):
        read_document(path)


def test_ofd_ruled_table_gives_its_targets(tmp_path):
    rows = [
        ["指标", "单位", "2020年", "2025年", "属性"],
        ["常住人口城镇化率", "%", "86.8", "88", "预期性"],
        ["研发经费投入强度", "%", "3.5", "4以上", "预期性"],
    ]
    pages = [["“十四五”实施方案", "一、主要指标", "“十四五”时期主要指标"]]
    path = write_ofd(tmp_path / "table.ofd", pages, table=rows)
    (table,) = read_document(path).tables
    assert table.rows == rows
    plan = parse_plan(path)
    assert {(t.indicator_code, t.value, t.comparator, t.year, t.table) for t in plan.targets} == {
        ("URBANIZATION", 88.0, ">=", 2025, "t1"),
        ("RD_INTENSITY", 4.0, ">=", 2025, "t1"),
    }
    assert {(b.indicator_code, b.value, b.year) for b in plan.baselines} == {
        ("URBANIZATION", 86.8, 2020),
        ("RD_INTENSITY", 3.5, 2020),
    }
