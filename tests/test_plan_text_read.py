"""Reading plan documents: encodings detected from the bytes, HTML, .docx, clear errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import opencc
import pytest

from yrdplan.errors import InputError
from yrdplan.ingest.read import decode_text, html_to_text, read_document

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
SEEDS = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "seeds"


@pytest.mark.parametrize(
    ("name", "encoding", "expected"),
    [
        ("gbk_plan.txt", "gb18030", "（一）科技创新"),
        ("big5_plan.txt", "big5", "（一）發展目標。到2025年，區域一體化發展取得實質性進展。"),
        ("utf8_bom_plan.txt", "utf-8-sig", "（一）发展目标。到2025年"),
    ],
)
def test_text_encodings_are_detected(name, encoding, expected):
    document = read_document(FIXTURES / name)
    assert document.encoding == encoding
    assert document.format == "text"
    assert document.name == name
    assert expected in document.text
    assert not document.text.startswith("\ufeff")


def test_utf8_seed_is_read_as_utf8():
    document = read_document(SEEDS / "004_53aeeafed972d841.txt")
    assert document.encoding == "utf-8"
    assert document.text.startswith("關于建立更加有效的區域協調發展新機制的實施意見")


@pytest.mark.parametrize("encoding", ["gb18030", "big5", "utf-16"])
def test_decode_text_round_trips_a_seed_excerpt(encoding):
    text = (SEEDS / "004_53aeeafed972d841.txt").read_text(encoding="utf-8")[:600]
    if encoding == "big5":
        text = text.encode("big5", errors="ignore").decode("big5")
    data = text.encode(encoding)
    decoded, detected = decode_text(data)
    assert decoded == text
    assert detected == ("utf-16" if encoding == "utf-16" else encoding)


@pytest.mark.parametrize(
    ("encoding", "offset"),
    # 12-character excerpts that an unrestricted charset-normalizer search takes for
    # Shift-JIS or CP949
    [("gbk", 300), ("gbk", 650), ("gbk", 1350), ("big5", 850), ("big5", 1250), ("big5", 1500)],
)
def test_short_chinese_excerpts_are_not_mistaken_for_other_encodings(encoding, offset):
    text = (SEEDS / "004_53aeeafed972d841.txt").read_text(encoding="utf-8")[offset : offset + 12]
    if encoding == "gbk":
        text = opencc.OpenCC("t2s").convert(text)
    assert decode_text(text.encode(encoding))[0] == text


def test_other_encodings_still_decode():
    text = "Plan für die Region – Übersicht, Größe"
    assert decode_text(text.encode("cp1252"))[0] == text


def test_html_page_keeps_blocks_as_lines_and_drops_script_and_style():
    document = read_document(FIXTURES / "plan_page.html")
    lines = document.text.split("\n")
    assert document.format == "html"
    assert document.encoding == "utf-8"
    assert "一、总体要求" in lines
    assert "1.加快都市圈建设。推进同城化发展， 强化基础设施互联互通。" in lines
    assert "推动成果转化。" in lines  # <br> breaks a line
    assert "研发投入强度 3%" in lines  # one line per table row
    assert "当前位置：首页 > 政策文件" in lines  # entities decoded
    assert "假标题" not in document.text and "也不是标题" not in document.text
    assert "color" not in document.text
    assert "江苏省人民政府 - 政策文件" not in document.text  # <head> is not content


def test_html_declared_gb2312_charset_is_honoured(tmp_path):
    markup = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    markup += "</head><body><p>一、总体要求</p><p>（一）发展目标</p></body></html>"
    path = tmp_path / "page.htm"
    path.write_bytes(markup.encode("gbk"))
    document = read_document(path)
    assert document.text == "一、总体要求\n（一）发展目标"
    assert document.encoding == "gb18030"


def test_html_is_recognised_by_content_whatever_the_suffix(tmp_path):
    path = tmp_path / "saved_page.txt"
    path.write_text("<!DOCTYPE html><html><body><p>一、总体要求</p><p>二、任务</p></body></html>")
    document = read_document(path)
    assert document.format == "html"
    assert document.text == "一、总体要求\n二、任务"


def test_html_to_text_collapses_whitespace_but_not_in_pre():
    text = html_to_text("<p>一、  总体\n  要求</p><pre>1.  保留\n2.  空格</pre>")
    assert text == "一、 总体 要求\n1.  保留\n2.  空格"


def _make_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("关于推进长三角一体化的实施方案", level=1)
    document.add_paragraph("一、总体要求")
    document.add_paragraph("（一）发展目标。到2025年，研发投入强度达到3.2%以上。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "指标"
    table.cell(0, 1).text = "2025年目标"
    table.cell(1, 0).text = "研发投入强度"
    table.cell(1, 1).text = "3.2%"
    document.add_paragraph("二、保障措施")
    document.save(str(path))


def test_docx_paragraphs_and_tables_in_document_order(tmp_path):
    path = tmp_path / "plan.docx"
    _make_docx(path)
    document = read_document(path)
    assert document.format == "docx"
    assert document.text.split("\n") == [
        "关于推进长三角一体化的实施方案",
        "一、总体要求",
        "（一）发展目标。到2025年，研发投入强度达到3.2%以上。",
        "指标 2025年目标",
        "研发投入强度 3.2%",
        "二、保障措施",
    ]


def test_docx_merged_cells_are_written_once(tmp_path):
    import docx

    word = docx.Document()
    table = word.add_table(rows=1, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text = "重点任务"
    table.cell(0, 2).text = "牵头单位"
    path = tmp_path / "merged.docx"
    word.save(str(path))
    assert read_document(path).text == "重点任务 牵头单位"


def _xlsx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")


BAD_FILES = {
    "empty.txt": b"",
    "blank.txt": b" \n\r\n\t ",
    "scan.pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    "photo.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "picture.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "old.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40,
    "data.bin": bytes(range(256)) * 8,
    "broken.docx": "一、总体要求".encode(),
    "archive.zip": None,  # written by _xlsx-like helper below
    "table.xlsx": None,
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_raise_one_line_input_error_naming_the_file(tmp_path, name):
    path = tmp_path / name
    if name == "table.xlsx":
        _xlsx(path)
    elif name == "archive.zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
    else:
        path.write_bytes(BAD_FILES[name])
    with pytest.raises(InputError) as caught:
        read_document(path)
    message = str(caught.value)
    assert name in message
    assert "\n" not in message


def test_unsupported_kinds_say_what_they_are(tmp_path):
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    with pytest.raises(InputError, match="PDF"):
        read_document(pdf)
    xlsx = tmp_path / "plan.xlsx"
    _xlsx(xlsx)
    with pytest.raises(InputError, match="Excel"):
        read_document(xlsx)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_document(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="directory"):
        read_document(tmp_path)


def test_invalid_bytes_in_a_utf8_bom_file_become_replacement_characters(tmp_path):
    path = tmp_path / "damaged.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "一、总体".encode() + b"\xff\xfe" + "要求".encode())
    document = read_document(path)
    assert document.text == "一、总体\ufffd\ufffd要求"


def test_an_upload_is_read_like_its_file(tmp_path):
    import io

    text = "南京市实施方案\n一、总体要求\n".encode("gb18030")
    path = tmp_path / "plan.txt"
    path.write_bytes(text)
    on_disk = read_document(path)
    upload = read_document(io.BytesIO(text), name="方案.txt")
    assert (upload.name, upload.text, upload.encoding) == ("方案.txt", on_disk.text, "gb18030")
    # A whole-file refusal names the upload, not a temporary path.
    with pytest.raises(InputError, match=r"^图\.png: unsupported file type, a PNG image"):
        read_document(io.BytesIO(b"\x89PNG\r\n\x1a\n"), name="图.png")
