"""Read an indicator catalogue table into :class:`~yrdplan.domain.indicators.Indicator` records.

The exchange format (README): ``code,name,unit,direction`` plus optional ``name_en``, ``kind``,
``aggregation``, ``weight_indicator``, ``formula``, ``frequency``, ``synonyms``, ``definition``,
``area``; Chinese headers (指标代码, 指标名称, 单位, 方向 …) and Chinese values (正向/逆向/区间,
预期性/约束性, 求和/加权平均 …) are accepted.

``direction`` is required and never defaulted: whether more is better decides every status the
progress engine computes, so a blank is an error, not "higher". Codes are identifiers (a letter,
then letters, digits or ``_``) because formulas name them: ``RAIL_KM / AREA_KM2 * 10000``.
"""

from __future__ import annotations

import ast
import difflib
import re
import unicodedata
from collections.abc import Iterable

from yrdplan.domain.indicators import Indicator
from yrdplan.domain.problems import Problem, Reading
from yrdplan.ingest.source import Readable
from yrdplan.ingest.tables import INDICATOR_COLUMNS, Row, Table, cell_text, open_table

_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_SYNONYM_SEPARATORS = re.compile(r"[;；,，、|]")

# No "up"/"down" or arrows: they may say where the values go rather than which way is better,
# and the shipped catalogue, read by this same reader, has always refused them.
DIRECTION_ALIASES: dict[str, tuple[str, ...]] = {
    "higher": ("higher", "正向", "正", "越高越好", "越大越好", "positive"),
    "lower": ("lower", "逆向", "负向", "逆", "越低越好", "越小越好", "negative"),
    "band": ("band", "区间", "适度", "区间型", "适度型", "range"),
}
KIND_ALIASES: dict[str, tuple[str, ...]] = {
    "indicative": ("indicative", "预期性", "预期"),
    "binding": ("binding", "约束性", "约束"),
}
AGGREGATION_ALIASES: dict[str, tuple[str, ...]] = {
    "sum": ("sum", "求和", "加总", "合计"),
    "mean": ("mean", "平均", "均值", "算术平均"),
    "weighted_mean": ("weighted_mean", "weighted mean", "加权平均"),
    "recompute": ("recompute", "重新计算", "重算", "由分项计算"),
    "none": ("none", "不汇总", "无"),
}
FREQUENCY_ALIASES: dict[str, tuple[str, ...]] = {
    "year": ("year", "annual", "yearly", "年", "年度"),
    "quarter": ("quarter", "quarterly", "季", "季度"),
    "month": ("month", "monthly", "月", "月度"),
}

_FORMULA_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.USub,
    ast.UAdd,
)


def choose(cell: object, aliases: dict[str, tuple[str, ...]]) -> str | None:
    """The canonical value a cell names among ``aliases`` (case- and width-insensitive), or None.

    >>> choose("逆向", DIRECTION_ALIASES), choose("Binding", KIND_ALIASES), choose("?", KIND_ALIASES)
    ('lower', 'binding', None)
    """
    key = unicodedata.normalize("NFKC", cell_text(cell)).strip().lower()  # type: ignore[arg-type]
    for name, names in aliases.items():
        if key in names:
            return name
    return None


def formula_references(formula: str) -> list[str]:
    """The indicator codes a formula names, in order of first use.

    Only numbers, codes, ``+ - * / **`` (``×`` and ``÷`` too) and brackets are allowed; anything
    else (calls, attributes, comparisons) is a ``ValueError``, so a formula can never run code.

    >>> formula_references("RAIL_KM / AREA_KM2 × 10000")
    ['RAIL_KM', 'AREA_KM2']
    """
    text = unicodedata.normalize("NFKC", formula).replace("×", "*").replace("÷", "/")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"formula {formula!r} is not an arithmetic expression") from err
    names: list[str] = []
    for node in ast.walk(tree):
        constant_ok = not isinstance(node, ast.Constant) or type(node.value) in (int, float)
        if not isinstance(node, _FORMULA_NODES) or not constant_ok:
            raise ValueError(
                f"formula {formula!r} may use only codes, numbers, + - * / and brackets"
            )
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
    return names


def read_indicators(
    source: Readable,
    *,
    existing: Iterable[str] = (),
    sheet: str | None = None,
    name: str | None = None,
) -> Reading[Indicator]:
    """Read an indicator catalogue from a CSV, Excel or Parquet file.

    Parameters
    ----------
    source : path, binary file object or Source
        The table, on disk or uploaded; see the module docstring for its columns.
    existing : iterable of str
        Codes already in the catalogue, which formulas and weight indicators may name.
    sheet : str, optional
        Excel sheet to read (default the first).

    Returns
    -------
    indicators : list of Indicator
        The rows without errors, in file order.
    problems : list of Problem
        Each names file, sheet, row, column and value. Errors: a missing or malformed code, a
        duplicated code (naming both rows), a missing name, a missing or unknown direction, an
        unknown kind, aggregation or frequency, ``weighted_mean`` without a weight indicator, a
        weight indicator or formula reference that names no known code, a formula that is not
        arithmetic, refers to itself or is circular.

    Raises
    ------
    InputError
        If the file is missing, unreadable or of an unsupported type.
    """
    table = open_table(source, INDICATOR_COLUMNS, sheet=sheet, name=name)
    problems = table.require("code", "name", "unit", "direction")
    if problems:
        return Reading([], table.problems + problems)
    rows: list[tuple[Row, Indicator]] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        indicator, row_problems = _read_row(table, row)
        code_key = indicator.code.upper()
        if indicator.code and code_key in seen:
            row_problems.append(
                _problem(table, row, "code", "duplicate_code", f"duplicate of row {seen[code_key]}")
            )
        elif indicator.code:
            seen[code_key] = row.number
        problems += row_problems
        if not row_problems or all(p.severity != "error" for p in row_problems):
            rows.append((row, indicator))
    reference_problems = _check_references(table, rows, set(existing))
    bad_rows = {p.row for p in reference_problems if p.severity == "error"}
    indicators = [indicator for row, indicator in rows if row.number not in bad_rows]
    return Reading(indicators, table.problems + problems + reference_problems)


def _problem(table: Table, row: Row, name: str, kind: str, message: str) -> Problem:
    return table.problem(
        kind,
        message,
        row=row.number,
        column=table.label_of(name),
        value=cell_text(table.cell(row, name)) or None,
    )


def _read_row(table: Table, row: Row) -> tuple[Indicator, list[Problem]]:
    problems: list[Problem] = []

    def text(name: str) -> str:
        return cell_text(table.cell(row, name))

    def need(name: str, kind: str, message: str) -> None:
        problems.append(_problem(table, row, name, kind, message))

    code, name = text("code"), text("name")
    if not code:
        need("code", "missing_code", "code is empty")
    elif not _CODE.match(code):
        need("code", "bad_code", "a code is a letter then letters, digits or _ (formulas name it)")
    if not name:
        need("name", "missing_name", "name is empty")
    direction = choose(text("direction"), DIRECTION_ALIASES)
    if not text("direction"):
        need(
            "direction",
            "missing_direction",
            "direction is required (higher/lower/band, 正向/逆向/区间); it is never guessed",
        )
    elif direction is None:
        need(
            "direction",
            "unknown_direction",
            "direction must be higher, lower or band (正向, 逆向 or 区间)",
        )
    choices = {}
    for column, aliases in (
        ("kind", KIND_ALIASES),
        ("aggregation", AGGREGATION_ALIASES),
        ("frequency", FREQUENCY_ALIASES),
    ):
        choices[column] = choose(text(column), aliases)
        if text(column) and choices[column] is None:
            need(column, f"unknown_{column}", f"{column} must be one of {', '.join(aliases)}")
    formula = text("formula") or None
    # A derived indicator (a ratio) is recomputed from its summed components, never summed itself.
    aggregation = choices["aggregation"] or ("recompute" if formula else "none")
    weight = text("weight_indicator") or None
    if aggregation == "weighted_mean" and weight is None:
        need(
            "weight_indicator",
            "missing_weight",
            "weighted_mean needs a weight_indicator (e.g. a population code)",
        )
    indicator = Indicator(
        code=code,
        name=name,
        unit=text("unit"),
        direction=direction or "higher",  # type: ignore[arg-type] - a missing one is an error above
        name_en=text("name_en"),
        kind=choices["kind"] or "indicative",  # type: ignore[arg-type]
        area=text("area"),
        definition=text("definition"),
        aggregation=aggregation,  # type: ignore[arg-type]
        weight_indicator=weight,
        formula=formula,
        frequency=choices["frequency"] or "year",
        synonyms=[s.strip() for s in _SYNONYM_SEPARATORS.split(text("synonyms")) if s.strip()],
    )
    return indicator, problems


def _check_references(
    table: Table, rows: list[tuple[Row, Indicator]], existing: set[str]
) -> list[Problem]:
    """Formula and weight references must name known codes; formulas must not be circular."""
    known = existing | {indicator.code for _, indicator in rows}
    graph: dict[str, list[str]] = {}
    row_of: dict[str, Row] = {}
    problems = []
    for row, indicator in rows:
        row_of[indicator.code] = row
        if indicator.weight_indicator and indicator.weight_indicator not in known:
            problems.append(
                _problem(
                    table,
                    row,
                    "weight_indicator",
                    "unknown_reference",
                    _unknown(indicator.weight_indicator, known),
                )
            )
        if not indicator.formula:
            continue
        try:
            references = formula_references(indicator.formula)
        except ValueError as err:
            problems.append(_problem(table, row, "formula", "bad_formula", str(err)))
            continue
        if indicator.code in references:
            problems.append(
                _problem(
                    table,
                    row,
                    "formula",
                    "circular_formula",
                    f"the formula of {indicator.code} uses {indicator.code} itself",
                )
            )
            continue
        for reference in references:
            if reference not in known:
                problems.append(
                    _problem(table, row, "formula", "unknown_reference", _unknown(reference, known))
                )
        graph[indicator.code] = [r for r in references if r in known]
    for cycle in _cycles(graph):
        row = row_of[cycle[0]]
        problems.append(
            _problem(
                table,
                row,
                "formula",
                "circular_formula",
                "circular formulas: " + " -> ".join(cycle + [cycle[0]]),
            )
        )
    return problems


def _unknown(code: str, known: set[str]) -> str:
    close = difflib.get_close_matches(code, sorted(known), n=3)
    return f"{code!r} names no known indicator" + (
        f"; did you mean {', '.join(close)}?" if close else ""
    )


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One list per cycle among formulas (self-references are reported before this runs)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    cycles: list[list[str]] = []

    def visit(code: str, path: list[str]) -> None:
        state[code] = 1
        path.append(code)
        for reference in graph.get(code, []):
            if state.get(reference) == 1:
                cycles.append(path[path.index(reference) :])
            elif reference not in state:
                visit(reference, path)
        path.pop()
        state[code] = 2

    for code in graph:
        if code not in state:
            visit(code, [])
    return cycles
