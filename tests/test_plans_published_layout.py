"""Page layout without a browser: furniture, wrapped lines and page breaks on synthetic pages."""

import pytest

from yrdplan.ingest.layout import Glyph, PageGlyphs, TableGrid, lay_out
from yrdplan.ingest.read_pdf import find_grids

SIZE = 10.0
LEFT, WIDTH = 50.0, 30  # characters a line


def _line(text: str, y: float, x: float = LEFT, size: float = SIZE) -> list[Glyph]:
    return [Glyph(c, x + size * i, y, x + size * (i + 1), y + size) for i, c in enumerate(text)]


def _page(lines: list[str], number: int, total: int, foot: str) -> PageGlyphs:
    glyphs = _line("长三角一体化发展实施方案", 20, x=140, size=8)  # running head
    y = 60.0
    for text in lines:
        glyphs += _line(text, y)
        y += 16
    glyphs += _line(foot.format(n=number, total=total), 560, x=170, size=8)
    return PageGlyphs(420, 595, glyphs)


PARAGRAPH = "1.加强区域协同。推进都市圈同城化发展，强化基础设施互联互通，完善跨区域合作机制，共建共享公共服务，提升一体化水平。"


@pytest.mark.parametrize(
    "foot", ["— {n} —", "- {n} -", "{n}/{total}", "第{n}页", "第{n}页 共{total}页", "{n}"]
)
def test_page_numbers_and_running_heads_go_and_paragraphs_join_over_pages(foot):
    wrapped = [PARAGRAPH[i : i + WIDTH] for i in range(0, len(PARAGRAPH), WIDTH)]
    pages = [
        _page(["一、重点任务", *wrapped[:2]], 1, 3, foot),
        _page(wrapped[2:], 2, 3, foot),
        _page(["2.深化科技合作。"], 3, 3, foot),
    ]
    text, tables = lay_out(pages)
    assert text.split("\n") == ["一、重点任务", PARAGRAPH, "2.深化科技合作。"]
    assert tables == []


def test_an_indented_line_or_a_label_opens_a_paragraph_even_after_a_full_line():
    first = "这是一个完整的段落，它恰好写满了整整一行的位置。"
    full = first + "啊" * (WIDTH - len(first))
    glyphs = _line(full, 60) + _line("新段落首行缩进两个字符。", 76, x=LEFT + 2 * SIZE)
    glyphs += _line(full, 92) + _line("（二）下一节", 108)
    text, _ = lay_out([PageGlyphs(420, 595, glyphs)])
    assert text.split("\n") == [full, "新段落首行缩进两个字符。", full, "（二）下一节"]


def test_a_body_line_repeated_at_page_tops_is_not_a_running_head():
    # The same short line opens three pages, but below a printed head: it is body text.
    pages = [
        PageGlyphs(
            420,
            595,
            _line("页眉", 20, x=190, size=8) + _line("继续推进。", 40) + _line("正文。", 56),
        )
        for _ in range(3)
    ]
    text, _ = lay_out(pages)
    assert text.count("继续推进。") == 3 and "页眉" not in text


def test_ruled_grid_with_merged_cells_and_a_table_over_a_page_break():
    xs, ys = (50, 100, 200, 260), (100, 120, 140, 160)
    rules = [("h", y, xs[0], xs[-1]) for y in ys] + [("v", x, ys[0], ys[-1]) for x in xs]
    # the category cell spans the two data rows: no border between them in its column
    rules = [r for r in rules if r != ("h", 140, xs[0], xs[-1])]
    rules += [("h", 140, xs[1], xs[-1])]
    (grid,) = find_grids(rules)
    assert [[cell is not None for cell in row] for row in grid.rows] == [
        [True, True, True],
        [True, True, True],
        [False, True, True],
    ]
    cells = [("类别", 0, 0), ("指标", 0, 1), ("2025年", 0, 2), ("经济", 1, 0), ("城镇化率", 1, 1),
             ("88", 1, 2), ("研发投入强度", 2, 1), ("4", 2, 2)]  # fmt: skip

    def page(with_cells) -> PageGlyphs:
        glyphs = []
        for text, i, j in with_cells:
            glyphs += _line(text, ys[i] + 5, x=xs[j] + 2, size=8)
        return PageGlyphs(420, 595, glyphs, [TableGrid(grid.bbox, grid.rows)])

    continued = [("类别", 0, 0), ("指标", 0, 1), ("2025年", 0, 2), ("生态", 1, 0), ("森林覆盖率", 1, 1),
                 ("27", 1, 2), ("PM2.5浓度", 2, 1), ("30", 2, 2)]  # fmt: skip
    text, (table,) = lay_out([page(cells), page(continued)])
    assert table.rows == [
        ["类别", "指标", "2025年"],
        ["经济", "城镇化率", "88"],
        ["经济", "研发投入强度", "4"],
        ["生态", "森林覆盖率", "27"],
        ["生态", "PM2.5浓度", "30"],
    ]  # the repeated header row on the second page is dropped
    assert [text[a:b] for a, b in table.row_spans][2] == "研发投入强度 4"
