"""The 通报 as a :class:`~yrdplan.reports.document.Document`, from its snapshot and the office's
texts alone (no database): the same inputs give the same document.

The office's texts (``texts``): ``number`` (文号), ``summary`` (its overall assessment),
``highlights`` (典型案例) and ``requirements`` (下一步工作要求), one paragraph per line. A section
the office has not written says so; nothing is made up.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from yrdplan.domain.periods import parse_period
from yrdplan.reports.document import Chart, Column, Document, Outline, chinese_date, format_cell

LEVEL_COLOURS = {"red": "#c0392b", "orange": "#e67e22", "yellow": "#f1c40f", "green": "#27ae60"}
LEVEL_ZH = {"red": "红色", "orange": "橙色", "yellow": "黄色", "green": "绿色"}
NO_DATA_COLOUR = "#d9d9d9"
BAR_COLOUR = "#0b5394"
COMPARATOR_ZH = {">=": "≥", "<=": "≤", "==": "=", "~": "约", "band": "区间", "none": "—"}
#: ``analytics.progress.METHOD_NAMES`` in words.
METHOD_ZH = {
    "none": "—",
    "cagr": "年均增速外推",
    "linear": "线性外推",
    "symmetric": "对称增速外推",
    "band": "区间距离测算",
}
SIMULATED_NOTE = "注：本文中标注“演示数据”的数值由系统演示数据生成器模拟，不是统计数据。"
EMPTY_OFFICE = "（本节内容由办公室填写，尚未填写。）"

RATE = Column("完成率", "pct")
COMPLETION_COLUMNS = (Column("应完成任务数", "num"), Column("已完成任务数", "num"), RATE)


def period_label(text: str) -> str:
    """2026 -> 2026年, 2026Q3 -> 2026年第三季度, 2026-07 -> 2026年7月.

    >>> period_label("2026Q3"), period_label("2026-07"), period_label("2026")
    ('2026年第三季度', '2026年7月', '2026年')
    """
    period = parse_period(text)
    if period.frequency == "year":
        return f"{period.year}年"
    if period.frequency == "quarter":
        return f"{period.year}年第{'一二三四'[period.sub - 1]}季度"
    return f"{period.year}年{period.sub}月"


def percent_bars(rows: list[dict], axis: str = "完成率（%）") -> Chart:
    return Chart(
        kind="bar",
        categories=tuple(str(r["group"]) for r in rows),
        values=tuple(None if r["rate"] is None else round(r["rate"] * 100, 1) for r in rows),
        axis=axis,
        limit=100.0,
    )


def completion_rows(rows: list[dict]) -> list[tuple]:
    return [(r["group"], r["total"], r["completed"], r["rate"]) for r in rows]


def target_text(row: dict) -> str:
    comparator = COMPARATOR_ZH.get(row["comparator"], row["comparator"])
    value = format_cell(row["target_value"], "num")
    if row.get("value_high") is not None:
        value = f"{value}–{format_cell(row['value_high'], 'num')}"
    return f"{row['target_year']}年{comparator}{value}{row.get('unit') or ''}"


def value_at(value, period) -> str:
    """A value with its period: 74.27（2015）."""
    return f"{format_cell(value, 'num')}（{period}）" if value is not None else "—"


#: The calculation behind a target's status, as the monitor computed it (``calculation_cells``).
CALCULATION_COLUMNS = (
    Column("目标"),
    Column("基期值"),
    Column("最新值（期）"),
    Column("按进度应达值", "num"),
    Column("实现比", "num"),
    Column("目标年预计值", "num"),
    Column("测算方法"),
)


def calculation_cells(row: dict) -> tuple:
    return (
        target_text(row),
        value_at(row["base_value"], row["base_period"]),
        value_at(row["latest_value"], row["latest_period"]),
        row["expected_value"],
        row["ratio"],
        row["projected_value"],
        METHOD_ZH.get(row["method"], row["method"] or "—"),
    )


def indicator_label(row: dict) -> str:
    return row["indicator_name"] + ("（演示数据）" if row["simulated"] else "")


def warning_table_rows(rows: list[dict]) -> list[tuple]:
    return [
        (
            r["region_name"],
            indicator_label(r),
            *calculation_cells(r),
            LEVEL_ZH.get(r["warning"], "—"),
            "、".join(r.get("lead_units") or []) or "—",
        )
        for r in rows
    ]


WARNING_COLUMNS = (
    Column("地区"),
    Column("指标"),
    *CALCULATION_COLUMNS,
    Column("预警等级"),
    Column("牵头单位"),
)


def city_map(snapshot: dict) -> Chart:
    levels = snapshot["indicators"]["city_levels"]
    areas = tuple(
        {
            "code": o["code"],
            "name": o["name"],
            "geometry": o["geometry"],
            "fill": LEVEL_COLOURS.get(levels.get(o["code"]), NO_DATA_COLOUR),
        }
        for o in snapshot["outlines"]
    )
    legend = tuple((LEVEL_COLOURS[k], LEVEL_ZH[k]) for k in LEVEL_COLOURS) + (
        (NO_DATA_COLOUR, "无目标或数据不足"),
    )
    return Chart(kind="map", areas=areas, legend=legend)


def _title(snapshot: dict) -> str:
    scope = snapshot["scope"]
    if scope["type"] == "cycle":
        return f"关于{scope['plan_title']}{scope['cycle_name']}落实情况的通报"
    return f"关于长三角一体化发展规划{period_label(scope['period'])}实施情况的通报"


def _overall(out: Outline, snapshot: dict, texts: dict) -> None:
    completion = snapshot["completion"]
    overall, previous = completion["overall"], completion["previous"]
    as_of = date.fromisoformat(snapshot["scope"]["as_of"])
    out.heading(1, "总体情况")
    if overall["rate"] is None:
        out.paragraph(f"截至{chinese_date(as_of)}，尚无到期应完成的任务。")
    else:
        line = (
            f"截至{chinese_date(as_of)}，应完成任务{format_cell(overall['total'], 'num')}项，"
            f"已完成{format_cell(overall['completed'], 'num')}项，"
            f"完成率{format_cell(overall['rate'], 'pct')}。"
        )
        if previous and previous["rate"] is not None:
            change = (overall["rate"] - previous["rate"]) * 100
            way = "提高" if change > 0 else "下降" if change < 0 else "持平"
            amount = f"{abs(change):.1f}个百分点" if change else ""
            line += (
                f"与上次通报（截至{chinese_date(date.fromisoformat(previous['as_of']))}，"
                f"完成率{format_cell(previous['rate'], 'pct')}）相比{way}{amount}。"
            )
        else:
            line += "本期为该范围的首次通报，无上次通报可比。"
        out.paragraph(line)
    out.paragraph(completion["definition"], "note")
    out.texts(texts.get("summary"), "（办公室总体评价尚未填写。）")
    plans = completion["plans"]
    if len(plans) > 1:
        out.table(
            "plans",
            "各规划任务完成情况",
            (Column("规划"), *COMPLETION_COLUMNS),
            [
                (
                    p["plan_title"],
                    p["overall"]["total"],
                    p["overall"]["completed"],
                    p["overall"]["rate"],
                )
                for p in plans
            ],
        )
    for plan in plans:
        if len(plan["trend"]) > 1:
            out.figure(
                f"trend-{plan['plan']}",
                f"{plan['plan_title']}完成率变化",
                Chart(
                    kind="line",
                    categories=tuple(r["as_of"] for r in plan["trend"]),
                    values=tuple(
                        None if r["rate"] is None else round(r["rate"] * 100, 1)
                        for r in plan["trend"]
                    ),
                    axis="完成率（%）",
                    limit=100.0,
                ),
            )


def _completion(out: Outline, snapshot: dict) -> None:
    plans = snapshot["completion"]["plans"]
    out.heading(1, "任务完成情况")
    for by, what, key in (
        ("by_area", "领域", "area"),
        ("by_unit", "责任单位", "unit"),
        ("by_region", "地区", "region"),
    ):
        out.heading(2, f"按{what}")
        wrote = False
        for n, plan in enumerate(plans, 1):
            rows = plan[by]
            if not rows:
                continue
            wrote = True
            name = plan["plan_title"] if len(plans) > 1 else ""
            label = f"{name}按{what}完成情况" if name else f"按{what}完成情况"
            out.table(
                f"{key}-{n}", label, (Column(what), *COMPLETION_COLUMNS), completion_rows(rows)
            )
            if len(rows) > 1:
                out.figure(f"{key}-{n}", f"{label}（完成率）", percent_bars(rows))
        if not wrote:
            out.paragraph(f"按{what}：无到期应完成的任务。", "empty")


def _timeliness(out: Outline, snapshot: dict) -> None:
    out.heading(1, "报送完整性和及时性")
    rows = snapshot["timeliness"]
    per_unit: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        for k in ("expected", "submitted", "on_time", "late", "missing", "pending"):
            per_unit[r["unit"]][k] += r[k]
    table = []
    for unit in sorted(
        per_unit, key=lambda u: (-per_unit[u]["on_time"] / max(per_unit[u]["expected"], 1), u)
    ):
        c = per_unit[unit]
        expected = c["expected"]
        table.append(
            (
                unit,
                expected,
                c["submitted"],
                c["on_time"],
                c["late"],
                c["missing"],
                c["pending"],
                c["submitted"] / expected if expected else None,
                c["on_time"] / expected if expected else None,
            )
        )
    cycles = sorted({r["cycle"] for r in rows})
    if cycles:
        out.paragraph(f"统计范围：{'、'.join(cycles)}；按牵头单位应报送的进展报告计。")
    out.table(
        "timeliness",
        "各单位报送情况",
        (
            Column("责任单位"),
            Column("应报送", "int"),
            Column("已报送", "int"),
            Column("按时", "int"),
            Column("逾期报送", "int"),
            Column("未报送", "int"),
            Column("待报送", "int"),
            Column("报送率", "pct"),
            Column("按时报送率", "pct"),
        ),
        table,
        empty="本期无应报送的进展报告。",
    )
    if len(table) > 1:
        out.figure(
            "timeliness",
            "各单位按时报送率",
            Chart(
                kind="bar",
                categories=tuple(r[0] for r in table),
                values=tuple(None if r[8] is None else round(r[8] * 100, 1) for r in table),
                axis="按时报送率（%）",
                limit=100.0,
            ),
        )


def _problems(out: Outline, snapshot: dict) -> None:
    out.heading(1, "逾期和进度滞后任务")
    out.table(
        "problems",
        "逾期和进度滞后任务",
        (
            Column("编号"),
            Column("任务"),
            Column("牵头单位"),
            Column("完成时限"),
            Column("进度（%）", "num"),
            Column("状态"),
            Column("说明"),
        ),
        [
            (
                r["label"],
                r["title"],
                r["lead_unit"] or "—",
                r["deadline"] or "—",
                r["percent"],
                r["status_label"],
                r["status_explanation"],
            )
            for r in snapshot["problems"]
        ],
        empty="本期无逾期或进度滞后的任务。",
    )
    out.heading(1, "需协调解决的难点堵点")
    out.table(
        "blockers",
        "责任单位反映的难点堵点",
        (Column("编号"), Column("任务"), Column("反映单位"), Column("调度"), Column("难点堵点")),
        [
            (r["task_label"], r["task_title"], r["unit"], r["cycle"], r["blockers"])
            for r in snapshot["blockers"]
        ],
        empty="本期各单位未反映需协调解决的难点堵点。",
    )


def _indicators(out: Outline, snapshot: dict) -> None:
    section = snapshot["indicators"]
    counts = section["counts"]
    out.heading(1, "指标监测预警")
    out.paragraph(
        f"对照规划目标，监测发现红色预警{counts['red']}项、橙色预警{counts['orange']}项、"
        f"黄色预警{counts['yellow']}项。预警依据：按基期至目标年的进度测算当前应达值，"
        f"以实际值与应达值之比（实现比）及目标年预计值判断。"
    )
    if section["run"].get("run_id"):
        out.paragraph(f"监测计算批次：{section['run']['run_id']}。", "note")
    out.table(
        "warnings",
        "指标预警及测算依据",
        WARNING_COLUMNS,
        warning_table_rows(section["warnings"]),
        empty="本期无对照目标的预警。",
    )
    if section["warnings"]:
        out.figure(
            "warning-levels",
            "预警等级分布",
            Chart(
                kind="bar",
                categories=tuple(LEVEL_ZH[k] for k in ("red", "orange", "yellow")),
                values=tuple(float(counts[k]) for k in ("red", "orange", "yellow")),
                axis="预警数（项）",
                colours=tuple(LEVEL_COLOURS[k] for k in ("red", "orange", "yellow")),
            ),
        )
    if snapshot["outlines"]:
        out.figure("map", "长三角41个城市目标监测最高预警等级", city_map(snapshot))
    dashboard = section["dashboard"]["indicators"]
    out.table(
        "dashboard",
        "监测指标概览",
        (
            Column("指标"),
            Column("单位"),
            Column("有数据地区数", "int"),
            Column("目标数", "int"),
            Column("红色", "int"),
            Column("橙色", "int"),
            Column("黄色", "int"),
            Column("绿色", "int"),
        ),
        [
            (
                d["name"] + ("（演示数据）" if d["simulated"] else ""),
                d["unit"],
                d["regions"],
                d["targets"],
                d["warnings"]["red"],
                d["warnings"]["orange"],
                d["warnings"]["yellow"],
                d["warnings"]["green"],
            )
            for d in dashboard
        ],
        empty="尚无指标监测结果。",
    )


def league_section(out: Outline, league: dict | None) -> None:
    out.heading(1, "地区一体化指数排名")
    if not league:
        out.paragraph(
            "尚无一体化指数的计算结果（区域协调发展评价尚未计算），本节暂无排名。", "empty"
        )
        return
    build, rows = league["build"], league["rows"]
    dimensions = "、".join(
        f"{d['name']}（权重{format_cell(d['weight'], 'num')}）" for d in league["dimensions"]
    )
    out.paragraph(
        f"采用“{build['name']}”{build['period']}年计算结果（第{build['id']}次计算，"
        f"{build['created_at'][:10]}），包括{dimensions}。排名区间为对权重和数据扰动进行"
        f"{build['runs']}次蒙特卡洛模拟（随机种子{build['seed']}）得到的5%–95%排名范围；"
        f"区间重叠的地区之间排名差异不显著。" + ("（演示数据）" if build.get("simulated") else "")
    )
    out.table(
        "league",
        "地区一体化指数排名及排名区间",
        (
            Column("排名", "int"),
            Column("地区"),
            Column("指数", "num"),
            Column("排名区间（5%–95%）"),
        ),
        [(r["rank"], r["name"], r["score"], f"{r['rank_p05']}–{r['rank_p95']}") for r in rows],
    )
    if len(rows) > 1:
        out.figure(
            "league",
            "地区一体化指数",
            Chart(
                kind="bar",
                categories=tuple(r["name"] for r in rows),
                values=tuple(round(r["score"], 1) for r in rows),
                axis="指数",
            ),
        )


def build_bulletin_document(snapshot: dict, texts: dict | None = None) -> Document:
    """The 通报 for ``snapshot`` (``services.bulletin_snapshot.bulletin_snapshot``)."""
    if snapshot.get("kind") != "bulletin":
        raise ValueError(f"snapshot: kind {snapshot.get('kind')!r} is not a bulletin")
    texts = texts or {}
    document = Document(
        title=_title(snapshot),
        issuer=snapshot["issuer"],
        issued_on=date.fromisoformat(snapshot["taken_at"][:10]),
        number=texts.get("number", ""),
        simulated=bool(snapshot["simulated"]),
    )
    out = Outline(document)
    _overall(out, snapshot, texts)
    _completion(out, snapshot)
    _timeliness(out, snapshot)
    _problems(out, snapshot)
    _indicators(out, snapshot)
    league_section(out, snapshot.get("league"))
    out.heading(1, "典型案例")
    out.texts(texts.get("highlights"), EMPTY_OFFICE)
    out.heading(1, "下一步工作要求")
    out.texts(texts.get("requirements"), EMPTY_OFFICE)
    if document.simulated:
        out.paragraph(SIMULATED_NOTE, "note")
    return document
