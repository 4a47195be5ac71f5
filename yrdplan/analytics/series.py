"""Indicator series by region: observed, derived from a formula, or aggregated up the hierarchy.

:class:`SeriesBook` answers "the series of indicator I in region R" from observations alone,
with no database: the monitor asks it for every region × indicator it assesses.

Rules, in order, for one region and indicator:

1. *Observed* values are used as they are.
2. *Derived*: an indicator with a formula (``RAIL_KM / AREA_KM2 * 10000``) is computed per
   period from its components' series in the same region, wherever every component has a
   value; an observed value of the derived indicator wins over the computed one for its period.
   A division by zero leaves the period out.
3. *Aggregated*: a region (a province, the YRD, a region group) with no value at all from 1
   or 2 takes its children's series, per period where **every** child has a value (a sum over
   some of the cities would be a fall in the series, not in the indicator):
   ``sum`` adds them; ``mean`` averages them; ``weighted_mean`` weights each child by its value
   of the indicator's ``weight_indicator`` in the same period (every weight needed);
   ``recompute`` is covered by rule 2, its components being aggregated in turn; ``none`` is
   never aggregated.

Every value carries whether any input to it was simulated, and how it was obtained.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from yrdplan.domain.indicators import Indicator

How = Literal["observed", "derived", "aggregated", "crosswalk"]


class Point(NamedTuple):
    """One value of a series: the number, whether any input was simulated, how it was made."""

    value: float
    simulated: bool
    how: How = "observed"


Series = dict[str, Point]  # period label -> point

_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[float], float]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}


@dataclass(frozen=True, slots=True)
class Formula:
    """An arithmetic formula over indicator codes, parsed once and evaluated many times.

    Examples
    --------
    >>> f = Formula.parse("RAIL_KM / AREA_KM2 * 10000")
    >>> f.references
    ('RAIL_KM', 'AREA_KM2')
    >>> f.evaluate({"RAIL_KM": 650.0, "AREA_KM2": 6587.0}).__round__(1)
    986.8
    """

    text: str
    tree: ast.Expression
    references: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Formula:
        """Parse ``text``; ``ValueError`` naming it if it is not plain arithmetic over codes."""
        cleaned = text.replace("×", "*").replace("÷", "/").strip()
        try:
            tree = ast.parse(cleaned, mode="eval")
        except SyntaxError as err:
            raise ValueError(f"formula {text!r} is not an arithmetic expression") from err
        names: list[str] = []
        for node in ast.walk(tree):
            allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant)
            if isinstance(node, ast.Constant) and type(node.value) not in (int, float):
                raise ValueError(f"formula {text!r}: only numbers are allowed as constants")
            if not isinstance(node, allowed + tuple(_BINARY) + tuple(_UNARY)):
                raise ValueError(f"formula {text!r} may use only codes, numbers, + - * / **")
            if isinstance(node, ast.Name) and node.id not in names:
                names.append(node.id)
        return cls(text, tree, tuple(names))

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The formula's value; ``ZeroDivisionError`` or ``KeyError`` propagate to the caller."""

        def walk(node: ast.AST) -> float:
            if isinstance(node, ast.Expression):
                return walk(node.body)
            if isinstance(node, ast.BinOp):
                return _BINARY[type(node.op)](walk(node.left), walk(node.right))
            if isinstance(node, ast.UnaryOp):
                return _UNARY[type(node.op)](walk(node.operand))
            if isinstance(node, ast.Name):
                return float(values[node.id])
            return float(node.value)  # a Constant: checked in parse

        return walk(self.tree)


class SeriesBook:
    """Series of indicators by region from observations, formulas and the region hierarchy.

    Parameters
    ----------
    observed : mapping
        ``(region_code, indicator_code) -> {period: Point}``.
    indicators : mapping
        The catalogue, code -> :class:`~yrdplan.domain.indicators.Indicator`.
    children : mapping
        Region or group code -> the codes one level below it (cities of a province, members of
        a group) that rule 3 aggregates.

    Examples
    --------
    >>> from yrdplan.domain.indicators import Indicator
    >>> cat = {
    ...     "GDP": Indicator("GDP", "GDP", "亿元", "higher", aggregation="sum"),
    ...     "POP": Indicator("POP", "人口", "万人", "higher", aggregation="sum"),
    ...     "GDP_PC": Indicator("GDP_PC", "人均", "元", "higher", aggregation="recompute",
    ...                         formula="GDP / POP * 10000"),
    ... }
    >>> obs = {("A", "GDP"): {"2024": Point(10.0, False)}, ("A", "POP"): {"2024": Point(2.0, False)},
    ...        ("B", "GDP"): {"2024": Point(30.0, True)}, ("B", "POP"): {"2024": Point(3.0, True)}}
    >>> book = SeriesBook(obs, cat, {"P": ["A", "B"]})
    >>> book.series("A", "GDP_PC")["2024"]
    Point(value=50000.0, simulated=False, how='derived')
    >>> book.series("P", "GDP_PC")["2024"]  # (10 + 30) / (2 + 3) * 10000
    Point(value=80000.0, simulated=True, how='derived')
    """

    def __init__(
        self,
        observed: Mapping[tuple[str, str], Series],
        indicators: Mapping[str, Indicator],
        children: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.observed = observed
        self.indicators = indicators
        self.children = children or {}
        self._formulas: dict[str, Formula | None] = {}
        self._memo: dict[tuple[str, str], Series] = {}
        self._busy: set[tuple[str, str]] = set()

    def formula(self, code: str) -> Formula | None:
        if code not in self._formulas:
            indicator = self.indicators.get(code)
            text = indicator.formula if indicator is not None else None
            self._formulas[code] = Formula.parse(text) if text else None
        return self._formulas[code]

    def series(self, region: str, code: str) -> Series:
        """The series of ``code`` in ``region``, period -> :class:`Point` (empty if none)."""
        key = (region, code)
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:  # a formula cycle the catalogue check missed: no value, no loop
            return {}
        self._busy.add(key)
        try:
            result = dict(self.observed.get(key, {}))
            formula = self.formula(code)
            if formula is not None:
                for period, point in self._derive(region, formula).items():
                    result.setdefault(period, point)
            if not result:
                result = self._aggregate(region, code)
        finally:
            self._busy.discard(key)
        self._memo[key] = result
        return result

    def _derive(self, region: str, formula: Formula) -> Series:
        parts = [self.series(region, ref) for ref in formula.references]
        if not parts or not all(parts):
            return {}
        periods = set(parts[0]).intersection(*parts[1:])
        out: Series = {}
        for period in periods:
            points = [part[period] for part in parts]
            values = {ref: p.value for ref, p in zip(formula.references, points, strict=True)}
            try:
                value = formula.evaluate(values)
            except (ZeroDivisionError, OverflowError):
                continue
            if value == value:  # NaN from inf - inf
                out[period] = Point(value, any(p.simulated for p in points), "derived")
        return dict(sorted(out.items()))

    def _aggregate(self, region: str, code: str) -> Series:
        indicator = self.indicators.get(code)
        members = self.children.get(region, ())
        if indicator is None or not members or indicator.aggregation in ("none", "recompute"):
            return {}
        parts = [self.series(member, code) for member in members]
        if not all(parts):
            return {}
        weights: list[Series] = []
        if indicator.aggregation == "weighted_mean":
            if not indicator.weight_indicator:
                return {}
            weights = [self.series(member, indicator.weight_indicator) for member in members]
            if not all(weights):
                return {}
        periods = set(parts[0]).intersection(*parts[1:])
        for weight in weights:
            periods &= set(weight)
        out: Series = {}
        for period in sorted(periods):
            points = [part[period] for part in parts]
            simulated = any(p.simulated for p in points)
            values = [p.value for p in points]
            if indicator.aggregation == "sum":
                value = sum(values)
            elif indicator.aggregation == "mean":
                value = sum(values) / len(values)
            else:
                w = [weight[period] for weight in weights]
                total = sum(p.value for p in w)
                if total == 0:
                    continue
                value = sum(v * p.value for v, p in zip(values, w, strict=True)) / total
                simulated = simulated or any(p.simulated for p in w)
            out[period] = Point(value, simulated, "aggregated")
        return out
