"""Editing the indicator catalogue and targets from the browser.

An indicator's formula is checked against the catalogue before anything is saved: only
arithmetic, only known and unretired codes, never itself or a circle, no division by a constant
zero. Retiring an indicator keeps its observations and targets (history stays readable) and
takes it out of new imports' choices. A target saved from the form is a new revision of the
target for the same region, indicator and year, with the reason the office gives.
"""

from __future__ import annotations

import ast
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.indicators import Target
from yrdplan.domain.people import UserInfo
from yrdplan.errors import FieldError, NotFoundError
from yrdplan.ingest.indicators_table import (
    _CODE,
    AGGREGATION_ALIASES,
    DIRECTION_ALIASES,
    FREQUENCY_ALIASES,
    KIND_ALIASES,
    formula_references,
)
from yrdplan.services.callers import require_caller, require_manager, user_id_of
from yrdplan.services.indicator_data import region_lookup, target_public
from yrdplan.store.repos import indicators as repo
from yrdplan.store.schema import IndicatorRecord, Task, TaskIndicator, utcnow

TARGET_COMPARATORS = (">=", "<=", "between", "relative", "standard")


@dataclass
class IndicatorForm:
    """The indicator form's fields, as typed."""

    code: str = ""
    name: str = ""
    name_en: str = ""
    unit: str = ""
    direction: str = "higher"
    kind: str = "indicative"
    aggregation: str = "none"
    weight_indicator: str = ""
    formula: str = ""
    frequency: str = "year"
    source: str = ""
    definition: str = ""


def _require_catalogue_editor(user: UserInfo | None) -> UserInfo:
    # The catalogue is shared by every region: the office keeps it (stewards keep their data).
    return require_manager(user, "edit the indicator catalogue")


def indicator_row(row: IndicatorRecord) -> dict:
    return {
        "code": row.code,
        "name": row.name,
        "name_en": row.name_en,
        "unit": row.unit,
        "direction": row.direction,
        "kind": row.kind,
        "aggregation": row.aggregation,
        "weight_indicator": row.weight_indicator,
        "formula": row.formula,
        "frequency": row.frequency,
        "source": row.source,
        "definition": row.definition,
        "retired_at": row.retired_at,
    }


def search_catalogue(
    session: Session, user: UserInfo, query: str = "", retired: bool = False
) -> list[dict]:
    """Catalogue entries whose code, name or English name contains ``query``."""
    require_caller(user)
    rows = session.scalars(select(IndicatorRecord).order_by(IndicatorRecord.code))
    wanted = query.strip().lower()
    return [
        indicator_row(r)
        for r in rows
        if (retired or r.retired_at is None)
        and (not wanted or wanted in f"{r.code} {r.name} {r.name_en}".lower())
    ]


def _constant_value(node: ast.AST) -> float | None:
    """The value of a subtree made of numbers only, else None (it names an indicator)."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.UnaryOp):
        inner = _constant_value(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp):
        left, right = _constant_value(node.left), _constant_value(node.right)
        if left is None or right is None:
            return None
        try:
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right if right else math.nan
            if isinstance(node.op, ast.Pow):
                return float(left**right) if abs(right) < 64 else math.nan
        except (OverflowError, ZeroDivisionError, TypeError):
            return math.nan
    return None


def check_formula(catalogue: dict[str, str | None], code: str, formula: str) -> list[str]:
    """The codes ``formula`` names; ``FieldError("formula", …)`` when it cannot be saved.

    ``catalogue`` maps every usable (unretired) code to its own formula, for the circle check.

    >>> check_formula({"A": None, "B": None}, "R", "A / B * 100")
    ['A', 'B']
    >>> check_formula({"A": None}, "R", "A / (2 - 2)")
    Traceback (most recent call last):
    ...
    yrdplan.errors.FieldError: formula: divides by a constant zero
    """
    try:
        names = formula_references(formula)
    except ValueError as err:
        raise FieldError("formula", str(err), "fe.formula_syntax", detail=str(err)) from err
    text = unicodedata.normalize("NFKC", formula).replace("×", "*").replace("÷", "/")
    for node in ast.walk(ast.parse(text.strip(), mode="eval")):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            if _constant_value(node.right) == 0:
                raise FieldError("formula", "divides by a constant zero", "fe.divide_zero")
    unknown = [name for name in names if name not in catalogue and name != code]
    if unknown:
        raise FieldError(
            "formula",
            f"unknown indicator code(s): {', '.join(unknown)}",
            "fe.unknown_codes",
            codes=", ".join(unknown),
        )
    if code in names:
        raise FieldError(
            "formula", f"the formula of {code} uses {code} itself", "fe.formula_self", code=code
        )
    # A circle through other formulas: follow references from each named code back to ``code``.
    seen, stack = set(), list(names)
    while stack:
        name = stack.pop()
        if name == code:
            raise FieldError(
                "formula",
                f"circular: {code} is used by the formula of a code it names",
                "fe.formula_circle",
                code=code,
            )
        if name in seen:
            continue
        seen.add(name)
        own = catalogue.get(name)
        if own:
            stack.extend(formula_references(own))
    return names


def _choice(value: str, aliases: dict[str, tuple[str, ...]], field: str) -> str:
    if value not in aliases:
        raise FieldError(
            field, f"one of {', '.join(aliases)}", "fe.one_of", choices=", ".join(aliases)
        )
    return value


def save_indicator(session: Session, user: UserInfo, form: IndicatorForm, *, new: bool) -> dict:
    """Add (``new``) or edit a catalogue entry (office); nothing is written on a ``FieldError``."""
    _require_catalogue_editor(user)
    code = form.code.strip()
    rows = {r.code: r for r in session.scalars(select(IndicatorRecord))}
    if new:
        if not _CODE.match(code) or len(code) > 64:
            raise FieldError(
                "code",
                "a letter, then letters, digits or _ (formulas name it)",
                "fe.indicator_code",
            )
        if code.upper() in {c.upper() for c in rows}:
            raise FieldError("code", f"indicator {code!r} exists already", "fe.exists", code=code)
    elif code not in rows:
        raise NotFoundError(f"unknown indicator {code!r}")
    if not form.name.strip():
        raise FieldError("name", "an indicator needs a name", "fe.required")
    direction = _choice(form.direction, DIRECTION_ALIASES, "direction")
    kind = _choice(form.kind, KIND_ALIASES, "kind")
    frequency = _choice(form.frequency, FREQUENCY_ALIASES, "frequency")
    formula = form.formula.strip() or None
    aggregation = _choice(
        form.aggregation or ("recompute" if formula else "none"), AGGREGATION_ALIASES, "aggregation"
    )
    usable = {c: r.formula for c, r in rows.items() if r.retired_at is None and c != code}
    if formula:
        check_formula(usable, code, formula)
    weight = form.weight_indicator.strip() or None
    if aggregation == "weighted_mean" and not weight:
        raise FieldError(
            "weight_indicator", "weighted_mean needs a weight indicator", "fe.weight_needed"
        )
    if weight and weight not in usable:
        raise FieldError(
            "weight_indicator",
            f"unknown indicator code {weight!r}",
            "fe.unknown_codes",
            codes=weight,
        )
    values = {
        "name": form.name.strip(),
        "name_en": form.name_en.strip(),
        "unit": form.unit.strip(),
        "direction": direction,
        "kind": kind,
        "aggregation": aggregation,
        "weight_indicator": weight,
        "formula": formula,
        "frequency": frequency,
        "source": form.source.strip()[:200],
        "definition": form.definition.strip(),
    }
    row = rows.get(code)
    if row is None:
        row = IndicatorRecord(code=code, synonyms=[], **values)
        session.add(row)
    else:
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
    session.flush()
    return indicator_row(row)


def retire_indicator(
    session: Session, user: UserInfo, code: str, retired: bool | Callable[[], bool]
) -> dict:
    """Retire (or bring back) an indicator; its observations and targets stay.

    ``retired`` may be a function that reads it from a form, so that its errors come after the
    caller's rights are checked. A code that an unretired formula still names cannot be retired.
    """
    _require_catalogue_editor(user)
    retired = retired() if callable(retired) else retired
    row = session.scalar(select(IndicatorRecord).where(IndicatorRecord.code == code))
    if row is None:
        raise NotFoundError(f"unknown indicator {code!r}")
    if retired:
        users = [
            r.code
            for r in session.scalars(
                select(IndicatorRecord).where(IndicatorRecord.retired_at.is_(None))
            )
            if r.formula and code in formula_references(r.formula)
        ]
        if users:
            raise FieldError(
                "code",
                f"the formula of {', '.join(users)} uses {code}",
                "fe.still_used",
                codes=", ".join(users),
            )
        row.retired_at = row.retired_at or utcnow()
    else:
        row.retired_at = None
    session.flush()
    return indicator_row(row)


# -- targets ----------------------------------------------------------------------------------


@dataclass
class TargetForm:
    """The target form's fields, as typed (numbers as text, so a bad one comes back as typed)."""

    indicator_code: str = ""
    region_code: str = ""  # a region or a region group code
    year: str = ""
    comparator: str = ">="
    value: str = ""
    value_high: str = ""
    base_year: str = ""
    base_value: str = ""
    relative_change: str = ""
    standard: str = ""
    reason: str = ""
    revision: str = ""  # the revision the form was opened on (0: a new target); empty: unchecked


def _number(text: str, field: str, *, required: bool) -> float | None:
    text = text.strip().replace(",", "")
    if not text:
        if required:
            raise FieldError(field, "a number is needed", "fe.required")
        return None
    try:
        value = float(text)
    except ValueError as err:
        raise FieldError(field, f"{text!r} is not a number", "fe.not_number", text=text) from err
    if not math.isfinite(value):
        raise FieldError(field, "a finite number", "fe.finite")
    return value


def _year(text: str, field: str, *, required: bool) -> int | None:
    value = _number(text, field, required=required)
    if value is None:
        return None
    if value != int(value) or not 1949 <= value <= 2100:
        raise FieldError(field, "a year between 1949 and 2100", "fe.year")
    return int(value)


def target_from_form(session: Session, form: TargetForm) -> Target:
    """The target the form describes; ``FieldError`` naming the field when it cannot be one."""
    indicator = session.scalar(
        select(IndicatorRecord).where(IndicatorRecord.code == form.indicator_code.strip())
    )
    if indicator is None:
        raise FieldError(
            "indicator_code",
            f"unknown indicator {form.indicator_code!r}",
            "fe.unknown_codes",
            codes=form.indicator_code,
        )
    if indicator.retired_at is not None:
        raise FieldError(
            "indicator_code", f"{indicator.code} is retired", "fe.retired", code=indicator.code
        )
    lookup = region_lookup(session)
    place = lookup.resolve(form.region_code.strip()) if form.region_code.strip() else None
    if place is None:
        raise FieldError(
            "region_code",
            f"unknown region or group {form.region_code!r}",
            "fe.unknown_region",
            code=form.region_code,
        )
    region, group = (None, place) if place in lookup.groups else (place, None)
    year = _year(form.year, "year", required=True)
    comparator = form.comparator
    if comparator not in TARGET_COMPARATORS:
        raise FieldError(
            "comparator",
            f"one of {', '.join(TARGET_COMPARATORS)}",
            "fe.one_of",
            choices=", ".join(TARGET_COMPARATORS),
        )
    target = Target(indicator.code, year, ">=", None, region_code=region, group_code=group)
    if comparator in (">=", "<="):
        target.comparator = comparator
        target.value = _number(form.value, "value", required=True)
    elif comparator == "between":
        target.comparator = "between"
        target.value = _number(form.value, "value", required=True)
        target.value_high = _number(form.value_high, "value_high", required=True)
        if target.value > target.value_high:
            raise FieldError(
                "value_high", "the band's high end is below its low end", "fe.band_order"
            )
    elif comparator == "relative":
        target.comparator = "relative"
        target.base_year = _year(form.base_year, "base_year", required=True)
        if target.base_year >= year:
            raise FieldError(
                "year",
                f"the target year {year} is not after the base year",
                "fe.year_before_base",
                year=year,
            )
        target.base_value = _number(form.base_value, "base_value", required=True)
        change = _number(form.relative_change, "relative_change", required=True)
        target.relative_change = change / 100  # the form asks for per cent
        target.value = target.base_value * (1 + target.relative_change)
    else:  # a named standard: its limit, in the direction the indicator wants
        from yrdplan.services.indicator_data import resolve_standard

        if not form.standard.strip():
            raise FieldError(
                "standard", "name the standard (e.g. GB 3095-2012)", "fe.standard_needed"
            )
        target.standard = form.standard.strip()
        target.comparator = "<=" if indicator.direction == "lower" else ">="
        target.value = _number(form.value, "value", required=False)
        if target.value is None:
            target.value = resolve_standard(target.standard, indicator.code)
        if target.value is None:
            raise FieldError(
                "value",
                "this standard sets no known limit here; give the value",
                "fe.standard_value",
            )
    if form.revision.strip():
        if not form.revision.strip().isdigit():
            raise FieldError(
                "revision", f"{form.revision!r} is not a revision number", "fe.revision"
            )
        target.edited_from = int(form.revision.strip())
    return target


def save_target(session: Session, user: UserInfo, form: TargetForm) -> dict:
    """Add a target or a new revision of it (office), kept with the reason given."""
    actor_id = user_id_of(require_manager(user, "set targets"))
    target = target_from_form(session, form)
    if not form.reason.strip():
        raise FieldError(
            "reason", "say why (the plan's text, a revision notice …)", "fe.reason_needed"
        )
    summary = repo.add_targets(session, [target], created_by=actor_id, note=form.reason.strip())
    history = repo.target_history(session, repo.target_key(target))
    return {
        "added": summary.added,
        "revised": summary.revised,
        "unchanged": summary.unchanged,
        "history": [target_public(r) for r in history],
    }


def target_revisions(session: Session, user: UserInfo, key: str) -> list[dict]:
    """Every revision of one target, oldest first, each with its note (the reason)."""
    require_caller(user)
    rows = repo.target_history(session, key)
    if not rows:
        raise NotFoundError(f"no target {key!r}")
    return [target_public(r) | {"created_at": r.created_at} for r in rows]


def link_tasks(session: Session, user: UserInfo, indicator_code: str, task_ids: list[int]) -> int:
    """Link tasks to the indicator a target measures (office); how many links were new."""
    require_manager(user, "link tasks to targets")
    if (
        session.scalar(select(IndicatorRecord.id).where(IndicatorRecord.code == indicator_code))
        is None
    ):
        raise NotFoundError(f"unknown indicator {indicator_code!r}")
    for task_id in task_ids:
        if session.get(Task, task_id) is None:
            raise FieldError("task_ids", f"no task {task_id}", "fe.no_task", task=task_id)
    new = [t for t in task_ids if session.get(TaskIndicator, (t, indicator_code)) is None]
    return repo.add_task_links(session, [(t, indicator_code) for t in new])
