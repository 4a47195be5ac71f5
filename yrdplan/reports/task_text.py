"""The words of a task status: its label and the rule that decided it, in Chinese or English.

Analytics and services give a status as codes and numbers (``status`` and ``status_reason``,
see ``analytics.task_status.TaskStatuses.reasons``); the words are made here, once, by whoever
shows them: the web templates (both languages), the bulletin snapshot and the CLI table
(Chinese, the language of the documents an office circulates).
"""

from __future__ import annotations

from yrdplan.domain.tasks import TASK_STATUS_LABELS_EN, TASK_STATUS_LABELS_ZH

_TEXT_ZH = {
    "completed_by_deadline": "已于 {completed} 完成，未超过完成时限 {deadline}",
    "completed_no_deadline": "已于 {completed} 完成（无完成时限）",
    "completed_after_deadline": "已于 {completed} 完成，晚于完成时限 {deadline} {days} 天",
    "suspended": "已暂停实施，不判断进度和时限",
    "past_deadline": "完成时限 {deadline} 已过 {days} 天，尚未完成（进度 {percent}）",
    "before_start": "截至 {as_of} 尚未到开始日期 {start}",
    "no_progress_unscheduled": "尚无进展（进度 {percent}）；无开始日期或完成时限，不判断是否滞后",
    "progress_unscheduled": "进度 {percent}；无开始日期或完成时限，不判断是否滞后",
    "behind_more_than_margin": "进度 {percent} 落后于时间进度 {elapsed}% 超过 {margin} 个百分点",
    "no_progress_within_margin": (
        "尚无进展（进度 {percent}），时间进度 {elapsed}%，落后不超过 {margin} 个百分点"
    ),
    "within_margin": "进度 {percent}，时间进度 {elapsed}%，落后不超过 {margin} 个百分点",
}
_TEXT_EN = {
    "completed_by_deadline": "completed on {completed}, by the deadline {deadline}",
    "completed_no_deadline": "completed on {completed} (no deadline)",
    "completed_after_deadline": (
        "completed on {completed}, {days} days after the deadline {deadline}"
    ),
    "suspended": "suspended: progress and deadline are not judged",
    "past_deadline": "deadline {deadline} passed {days} days ago, not completed (progress {percent})",
    "before_start": "as of {as_of} the start date {start} has not been reached",
    "no_progress_unscheduled": (
        "no progress yet ({percent}); no start date or deadline, so lagging is not judged"
    ),
    "progress_unscheduled": (
        "progress {percent}; no start date or deadline, so lagging is not judged"
    ),
    "behind_more_than_margin": (
        "progress {percent} is more than {margin} percentage points behind time elapsed {elapsed}%"
    ),
    "no_progress_within_margin": (
        "no progress yet ({percent}), time elapsed {elapsed}%: "
        "not more than {margin} percentage points behind"
    ),
    "within_margin": (
        "progress {percent} vs time elapsed {elapsed}%: "
        "not more than {margin} percentage points behind"
    ),
}
_NOT_REPORTED = {"zh": "未报送，按 0% 计", "en": "not reported, counted as 0%"}


def _number_text(value: float) -> str:
    """``40.0 -> "40"``, ``33.3 -> "33.3"``."""
    return f"{round(float(value), 1):g}"


def status_label(status: str, lang: str = "zh") -> str:
    """``"lagging"`` -> 进度滞后 / lagging; an unknown code is shown as it is."""
    return (TASK_STATUS_LABELS_EN if lang == "en" else TASK_STATUS_LABELS_ZH).get(status, status)


def status_reason_text(reason: dict | None, lang: str = "zh") -> str:
    """One sentence naming the rule of ``reason`` (a task's ``status_reason``) and its numbers.

    Examples
    --------
    >>> reason = {"code": "behind_more_than_margin", "percent": 40.0, "elapsed": 75.0,
    ...           "margin": 15.0}
    >>> status_reason_text(reason)
    '进度 40% 落后于时间进度 75% 超过 15 个百分点'
    >>> status_reason_text({"code": "past_deadline", "deadline": "2025-06-30", "days": 10,
    ...                     "percent": None}, "en")
    'deadline 2025-06-30 passed 10 days ago, not completed (progress not reported, counted as 0%)'
    """
    if not reason:
        return ""
    lang = "en" if lang == "en" else "zh"
    template = (_TEXT_EN if lang == "en" else _TEXT_ZH).get(reason.get("code"))
    if template is None:
        return str(reason.get("code", ""))
    fields = {k: ("" if v is None else v) for k, v in reason.items() if k != "code"}
    if "percent" in reason:
        percent = reason["percent"]
        fields["percent"] = _NOT_REPORTED[lang] if percent is None else f"{_number_text(percent)}%"
    for name in ("elapsed", "margin"):
        if reason.get(name) is not None:
            fields[name] = _number_text(reason[name])
    return template.format(**fields)
