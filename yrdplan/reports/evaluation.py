"""The evaluation report of a plan (前期 / 中期 / 后期评估) as a
:class:`~yrdplan.reports.document.Document`, from its snapshot and the office's texts alone.

Quantitative parts come from the snapshot (completion, targets, disparity); the qualitative
parts are the assessments users entered — self-assessment (政府自评) and third-party assessment
(第三方评估), side by side — and the office's conclusions (``texts``: ``number``, ``summary``,
``conclusions``, ``recommendations``). An empty section says that it is empty.
"""

from __future__ import annotations

from datetime import date

from yrdplan.reports.bulletin import (
    CALCULATION_COLUMNS,
    COMPLETION_COLUMNS,
    EMPTY_OFFICE,
    LEVEL_ZH,
    SIMULATED_NOTE,
    calculation_cells,
    completion_rows,
    indicator_label,
    percent_bars,
)
from yrdplan.reports.document import Chart, Column, Document, Outline, chinese_date, format_cell

STAGE_ZH = {"ex_ante": "前期评估", "mid_term": "中期评估", "final": "后期评估"}
ASSESSMENT_ZH = {"self": "政府自评", "third_party": "第三方评估"}
#: ``analytics.progress.STATUS_NAMES`` in the indicator pages' words.
STATUS_ZH = {
    "achieved": "已达成",
    "on_track": "正常推进",
    "moderate": "进展一般",
    "limited": "进展缓慢",
    "deteriorating": "趋势恶化",
    "insufficient_data": "数据不足",
}


def _completion(out: Outline, snapshot: dict) -> None:
    completion = snapshot["completion"]
    out.heading(1, "任务完成情况")
    if completion is None:
        out.paragraph("本规划尚未分解任务，无任务完成情况可评。", "empty")
        return
    overall = completion["overall"]
    as_of = date.fromisoformat(snapshot["scope"]["as_of"])
    if overall["rate"] is None:
        out.paragraph(f"截至{chinese_date(as_of)}，尚无到期应完成的任务。")
    else:
        out.paragraph(
            f"截至{chinese_date(as_of)}，规划分解任务中应完成{format_cell(overall['total'], 'num')}项，"
            f"已完成{format_cell(overall['completed'], 'num')}项，完成率{format_cell(overall['rate'], 'pct')}。"
        )
    for by, what, key in (("by_area", "部分和领域", "area"), ("by_unit", "责任单位", "unit")):
        out.heading(2, f"按{what}")
        rows = completion[by]
        out.table(
            key, f"按{what}完成情况", (Column(what), *COMPLETION_COLUMNS), completion_rows(rows)
        )
        if len(rows) > 1:
            out.figure(key, f"按{what}完成率", percent_bars(rows))
    if len(completion["trend"]) > 1:
        out.heading(2, "完成率变化")
        trend = completion["trend"]
        out.figure(
            "trend",
            "完成率变化",
            Chart(
                kind="line",
                categories=tuple(r["as_of"] for r in trend),
                values=tuple(
                    None if r["rate"] is None else round(r["rate"] * 100, 1) for r in trend
                ),
                axis="完成率（%）",
                limit=100.0,
            ),
        )


def _targets(out: Outline, snapshot: dict) -> None:
    rows = snapshot["targets"]
    out.heading(1, "目标实现情况和预测")
    if not rows:
        out.paragraph("本规划没有纳入监测的量化目标，或尚无监测结果。", "empty")
        return
    counts = {level: sum(r["warning"] == level for r in rows) for level in LEVEL_ZH}
    out.paragraph(
        f"纳入监测的目标{len(rows)}项，其中绿色{counts['green']}项、黄色{counts['yellow']}项、"
        f"橙色{counts['orange']}项、红色{counts['red']}项。“实现比”为实际值与按进度应达值之比，"
        f"“目标年预计值”按所列方法外推。"
    )
    out.table(
        "targets",
        "目标实现情况和预测",
        (
            Column("指标"),
            Column("地区"),
            *CALCULATION_COLUMNS,
            Column("判断"),
            Column("预警"),
        ),
        [
            (
                indicator_label(r),
                r["region_name"],
                *calculation_cells(r),
                STATUS_ZH.get(r["status"], r["status"]),
                LEVEL_ZH.get(r["warning"], "—"),
            )
            for r in rows
        ],
    )
    with_ratio = [r for r in rows if r["ratio"] is not None]
    if len(with_ratio) > 1:
        out.figure(
            "targets",
            "各目标实现比（实际值 ÷ 按进度应达值）",
            Chart(
                kind="bar",
                categories=tuple(f"{r['indicator_name']}·{r['region_name']}" for r in with_ratio),
                values=tuple(round(r["ratio"], 3) for r in with_ratio),
                axis="实现比",
            ),
        )


def trend_text(trend: dict | None) -> str:
    """σ-convergence in words from the slope of the coefficient of variation and its standard
    error: a change is called only when the slope is two standard errors from zero."""
    if not trend or trend.get("slope") is None:
        return "样本期过短，未判断差距变化趋势。"
    slope, se = trend["slope"], trend.get("slope_se") or 0.0
    if slope + 2 * se < 0:
        verdict = "地区差距呈缩小趋势（σ收敛）"
    elif slope - 2 * se > 0:
        verdict = "地区差距呈扩大趋势"
    else:
        verdict = "地区差距无显著变化"
    return f"变异系数年均变化{slope:+.3g}（标准误{se:.2g}），{verdict}。"


def _disparity(out: Outline, snapshot: dict) -> None:
    out.heading(1, "区域协调发展")
    disparity = snapshot.get("disparity")
    if not disparity:
        out.paragraph(
            "尚无区域差距及其变化趋势的计算结果（区域协调发展评价尚未计算），本节暂无内容。",
            "empty",
        )
        return
    out.paragraph(
        "以长三角41个城市为样本，按常住人口加权测算地区差距（变异系数、泰尔指数、基尼系数），"
        "“省际差距占比”为泰尔指数按省（市）分解中省际差距所占比重。"
    )
    for series in disparity["series"]:
        periods = series["periods"]
        out.heading(2, series["name"] + ("（演示数据）" if series["simulated"] else ""))
        out.paragraph(trend_text(series.get("sigma_trend")))
        out.table(
            f"disparity-{series['indicator']}",
            f"{series['name']}地区差距",
            (
                Column("年份"),
                Column("城市数", "int"),
                Column("均值", "num"),
                Column("变异系数", "dec"),
                Column("泰尔指数", "dec"),
                Column("基尼系数", "dec"),
                Column("省际差距占比", "pct"),
            ),
            [
                (
                    p["period"],
                    p["n"],
                    p["mean"],
                    p["cv"],
                    p["theil_t"],
                    p["gini"],
                    p["between_share"],
                )
                for p in periods
            ],
        )
        if len(periods) > 1:
            out.figure(
                f"disparity-{series['indicator']}",
                f"{series['name']}变异系数变化",
                Chart(
                    kind="line",
                    categories=tuple(p["period"] for p in periods),
                    values=tuple(None if p["cv"] is None else round(p["cv"], 3) for p in periods),
                    axis="变异系数",
                ),
            )


def _assessments(out: Outline, snapshot: dict) -> None:
    out.heading(1, "定性评估")
    assessments = snapshot["assessments"]
    for kind in ("self", "third_party"):
        out.heading(2, ASSESSMENT_ZH[kind])
        entries = assessments.get(kind) or []
        if not entries:
            out.paragraph(f"尚未录入{ASSESSMENT_ZH[kind]}意见。", "empty")
        for entry in entries:
            out.heading(3, entry["assessor"])
            for line in [x.strip() for x in entry["text"].splitlines() if x.strip()] or [
                "（未填写评估意见。）"
            ]:
                out.paragraph(line)
    dimensions = sorted({d for kind in assessments.values() for e in kind for d in e["scores"]})
    if dimensions:
        columns = [Column("评估维度")]
        keys = []
        for kind in ("self", "third_party"):
            for entry in assessments.get(kind) or []:
                columns.append(Column(f"{ASSESSMENT_ZH[kind]}：{entry['assessor']}", "num"))
                keys.append(entry["scores"])
        out.heading(2, "评分对照")
        out.table(
            "scores",
            "政府自评与第三方评估评分对照（百分制）",
            columns,
            [(d, *[scores.get(d) for scores in keys]) for d in dimensions],
        )


def _revisions(out: Outline, snapshot: dict) -> None:
    out.heading(1, "规划调整和修订情况")
    revisions = snapshot["revisions"]
    versions = revisions["versions"]
    if len(versions) <= 1 and not revisions["target_revisions"]:
        out.paragraph("规划发布以来未作修订。", "empty")
    out.table(
        "versions",
        "规划文本版本",
        (Column("版本", "int"), Column("状态"), Column("来源"), Column("确认时间"), Column("说明")),
        [
            (
                v["version"],
                v["status"],
                v["source_name"],
                (v["confirmed_at"] or "—")[:10],
                v["note"],
            )
            for v in versions
        ],
    )
    out.table(
        "target-revisions",
        "目标修订",
        (
            Column("指标"),
            Column("地区"),
            Column("目标年", "int"),
            Column("修订次", "int"),
            Column("目标值", "num"),
            Column("说明"),
        ),
        [
            (
                t["indicator_code"],
                t["region_code"] or "—",
                t["year"],
                t["revision"],
                t["value"],
                t["note"],
            )
            for t in revisions["target_revisions"]
        ],
        empty="目标未作修订。",
    )


def build_evaluation_document(snapshot: dict, texts: dict | None = None) -> Document:
    """The evaluation report for ``snapshot`` (``services.bulletin_snapshot.evaluation_snapshot``)."""
    if snapshot.get("kind") != "evaluation":
        raise ValueError(f"snapshot: kind {snapshot.get('kind')!r} is not an evaluation")
    texts = texts or {}
    scope = snapshot["scope"]
    document = Document(
        title=f"{scope['plan_title']}{STAGE_ZH[snapshot['stage']]}报告",
        issuer=snapshot["issuer"],
        issued_on=date.fromisoformat(snapshot["taken_at"][:10]),
        number=texts.get("number", ""),
        simulated=bool(snapshot["simulated"]),
    )
    out = Outline(document)
    out.heading(1, "评估概况")
    issued = (
        f"（{scope['plan_issuer']}，{scope['issued_on']}印发）" if scope.get("issued_on") else ""
    )
    out.paragraph(
        f"本报告对{scope['plan_title']}{issued}开展{STAGE_ZH[snapshot['stage']]}，"
        f"数据截至{chinese_date(date.fromisoformat(scope['as_of']))}，采用定量评估与定性评估相结合、"
        f"政府自评与第三方评估相结合的方法。"
    )
    out.texts(texts.get("summary"), "（办公室评估概述尚未填写。）")
    _completion(out, snapshot)
    _targets(out, snapshot)
    _disparity(out, snapshot)
    _assessments(out, snapshot)
    _revisions(out, snapshot)
    out.heading(1, "评估结论")
    out.texts(texts.get("conclusions"), EMPTY_OFFICE)
    out.heading(1, "意见建议")
    out.texts(texts.get("recommendations"), EMPTY_OFFICE)
    if document.simulated:
        out.paragraph(SIMULATED_NOTE, "note")
    return document
