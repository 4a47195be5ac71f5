"""Inputs of the progress engine: encodings, the observation :class:`Panel`, the :class:`TargetTable`.

Both classes coerce their arrays to the engine's dtypes and validate them on construction, so
a bad input fails with a ``ValueError`` that names the argument before any work is done.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from yrdplan.analytics.progress_trends import TIME_SLACK, reduce_segments
from yrdplan.domain.indicators import COMPARATORS, DIRECTIONS

# -- encodings --------------------------------------------------------------------------------
#: Comparator codes are indices into this tuple; "none" marks a direction-only (no-target) row.
COMPARATOR_NAMES: tuple[str, ...] = (*COMPARATORS, "none")
GE, LE, EQ, APPROX, BETWEEN, RELATIVE, NO_TARGET = range(7)
#: Direction codes are indices into this tuple (higher, lower, band).
DIRECTION_NAMES: tuple[str, ...] = DIRECTIONS
HIGHER, LOWER, BAND = range(3)


def _encode(name: str, data: Any, names: tuple[str, ...]) -> np.ndarray:
    arr = np.asarray(data)
    if arr.dtype.kind in "USO":
        lookup = {text: code for code, text in enumerate(names)}
        codes = np.fromiter(
            (lookup.get(str(text).strip(), -1) for text in arr.ravel()), np.int8, arr.size
        )
        bad = codes < 0
        if bad.any():
            raise ValueError(
                f"{name} has unknown value {arr.ravel()[bad][0]!r} at row "
                f"{int(np.flatnonzero(bad)[0])}; expected one of {names}"
            )
        return codes.reshape(arr.shape)
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must be integer codes or names, not {arr.dtype}")
    codes = arr.astype(np.int8)
    bad = (arr < 0) | (arr >= len(names))
    if bad.any():
        raise ValueError(
            f"{name} has unknown code {int(arr[bad][0])} at row {int(np.flatnonzero(bad)[0])}; "
            f"expected 0..{len(names) - 1} for {names}"
        )
    return codes


def encode_comparators(comparators: Any) -> np.ndarray:
    """Turn comparator names (``">="``, ..., ``"relative"``, ``"none"``) into int8 codes.

    Examples
    --------
    >>> encode_comparators([">=", "<=", "between", "none"])
    array([0, 1, 4, 6], dtype=int8)
    """
    return _encode("comparator", comparators, COMPARATOR_NAMES)


def encode_directions(directions: Any) -> np.ndarray:
    """Turn direction names (``"higher"``, ``"lower"``, ``"band"``) into int8 codes.

    Examples
    --------
    >>> encode_directions(["higher", "lower", "band"])
    array([0, 1, 2], dtype=int8)
    """
    return _encode("direction", directions, DIRECTION_NAMES)


def _floats(name: str, data: Any, size: int | None = None) -> np.ndarray:
    if data is None:
        return np.full(size or 0, np.nan)
    try:
        arr = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numbers: {err}") from err
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _ints(name: str, data: Any) -> np.ndarray:
    arr = np.asarray(data)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must be integers, not {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _reject(name: str, bad: np.ndarray, what: str) -> None:
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(str(int(r)) for r in rows[:5]) + (", ..." if rows.size > 5 else "")
        raise ValueError(f"{name}: {what} (row {shown})")


def _finite_and_ordered(offsets: np.ndarray, times: np.ndarray, values: np.ndarray) -> bool:
    """True when every time and value is finite and times increase strictly within each series.

    Block by block, so that each block of times is read from memory once for both checks. A
    sum is finite exactly when every term is (unless it overflows: then this returns False and
    the caller's full check clears it), one fast reduction instead of a boolean array. False
    means the caller has to find the bad rows.
    """
    size = times.size
    inner = offsets[1:-1]
    ordered = np.empty(min(size, _CHECK_BLOCK), dtype=np.bool_)
    total = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for lo in range(0, size, _CHECK_BLOCK):
            hi = min(lo + _CHECK_BLOCK, size)
            total += times[lo:hi].sum() + values[lo:hi].sum()
            pairs = min(hi, size - 1) - lo  # pair j compares times j and j + 1
            if pairs > 0:
                bad = np.less_equal(
                    times[lo + 1 : lo + 1 + pairs], times[lo : lo + pairs], out=ordered[:pairs]
                )
                # A series starting at b may start below where the previous one ended: pair
                # b - 1 is exempt.
                cut = inner[
                    np.searchsorted(inner, lo + 1) : np.searchsorted(inner, lo + pairs, "right")
                ]
                bad[cut - 1 - lo] = False
                if bad.any():
                    return False
    return bool(np.isfinite(total))


#: Observations per block of :func:`_finite_and_ordered` (0.5 MiB of float64: stays in L2).
_CHECK_BLOCK = 1 << 16


# -- inputs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Panel:
    """Observations grouped per series (region × indicator), CSR layout.

    Series ``k`` is ``times[series_offsets[k]:series_offsets[k + 1]]`` with the matching
    ``values``. Validated on construction: ``ValueError`` names the bad argument.

    Parameters
    ----------
    series_offsets : array of int, length S + 1
        Starts from 0, non-decreasing, ends at ``len(times)``. Empty series are allowed.
    times : array of float64
        Decimal years (``2024.0``; ``2024Q2`` is ``2024.5``), strictly increasing within each
        series.
    values : array of float64
        Finite values; drop missing observations before building the panel.
    """

    series_offsets: np.ndarray
    times: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        offsets = _ints("series_offsets", self.series_offsets)
        times = _floats("times", self.times)
        values = _floats("values", self.values)
        if offsets.size == 0 or offsets[0] != 0:
            raise ValueError("series_offsets must start with 0")
        _reject("series_offsets", np.diff(offsets) < 0, "must be non-decreasing")
        if offsets[-1] != times.size:
            raise ValueError(
                f"series_offsets ends at {int(offsets[-1])} but times has {times.size} elements"
            )
        if values.size != times.size:
            raise ValueError(f"values has {values.size} elements but times has {times.size}")
        if not _finite_and_ordered(offsets, times, values):
            _reject("times", ~np.isfinite(times), "must be finite")
            _reject("values", ~np.isfinite(values), "must be finite (drop missing observations)")
            inner = offsets[1:-1]
            out_of_order = np.less_equal(times[1:], times[:-1])
            out_of_order[inner[(inner > 0) & (inner < times.size)] - 1] = False  # series starts
            _reject(
                "times",
                np.concatenate([[False], out_of_order]),
                "must be strictly increasing within each series (unsorted or duplicate period)",
            )
        object.__setattr__(self, "series_offsets", offsets)
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "values", values)

    @property
    def n_series(self) -> int:
        """Number of series, S."""
        return self.series_offsets.shape[0] - 1

    @classmethod
    def from_long(cls, series: Any, times: Any, values: Any, n_series: int | None = None) -> Panel:
        """Build a panel from long arrays in any order.

        Parameters
        ----------
        series : array of int
            Series index per observation, ``0 <= series < n_series`` (for instance from
            ``pandas.factorize`` of region × indicator).
        times, values : array of float
            As in :class:`Panel`.
        n_series : int, optional
            Number of series; defaults to ``max(series) + 1``.

        Examples
        --------
        >>> p = Panel.from_long([1, 0, 1], [2020, 2019, 2019], [5.0, 1.0, 4.0])
        >>> p.series_offsets.tolist(), p.times.tolist(), p.values.tolist()
        ([0, 1, 3], [2019.0, 2019.0, 2020.0], [1.0, 4.0, 5.0])
        """
        series = _ints("series", series)
        times = _floats("times", times)
        values = _floats("values", values)
        if not series.size == times.size == values.size:
            raise ValueError(
                f"series, times and values differ in length: "
                f"{series.size}, {times.size}, {values.size}"
            )
        size = int(series.max()) + 1 if n_series is None and series.size else (n_series or 0)
        _reject("series", (series < 0) | (series >= size), f"must be in 0..{size - 1}")
        order = np.lexsort((times, series))
        offsets = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(series, minlength=size), out=offsets[1:])
        return cls(offsets, times[order], values[order])

    def until(self, as_of: float) -> Panel:
        """The panel without observations after ``as_of`` (a decimal year).

        Examples
        --------
        >>> Panel([0, 2], [2019.0, 2021.0], [1.0, 2.0]).until(2020).series_offsets.tolist()
        [0, 1]
        """
        keep = self.times <= as_of + TIME_SLACK
        counts = reduce_segments(np.add, keep, self.series_offsets, 0)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        return Panel(offsets, self.times[keep], self.values[keep])


@dataclass(frozen=True)
class TargetTable:
    """Targets, one row per (series, target); validated on construction.

    Parameters
    ----------
    series : array of int
        Index of the target's series in the panel.
    target_year : array of float64
        Milestone year (decimal year); may be NaN only for comparator ``none``.
    comparator : array of int8 codes or names
        Index into :data:`COMPARATOR_NAMES`: 0 ``>=``, 1 ``<=``, 2 ``=``, 3 ``~``,
        4 ``between``, 5 ``relative``, 6 ``none`` (no target: direction only).
    direction : array of int8 codes or names
        Index into :data:`DIRECTION_NAMES`: 0 higher, 1 lower, 2 band. Required, never guessed.
        ``>=``/``<=`` targets take their direction from the comparator; ``=`` and ``relative``
        from this (``band`` turns them into a band of ``approx_tolerance``).
    target_value : array of float64, optional
        Target (low edge for ``between``); required except for ``relative`` and ``none``.
    target_value_high : array of float64, optional
        High edge for ``between`` (required) and ``~`` (optional; without it the band is
        ``target_value`` ± ``approx_tolerance``).
    base_year, base_value : array of float64, optional
        The target's baseline; NaN where not given. A base value needs a base year.
    relative_change : array of float64, optional
        For ``relative``: the target is ``base_value * (1 + relative_change)``, so
        "较2017年下降10%" is ``base_year=2017, relative_change=-0.10``.
    natural_limit : array of float64, optional
        For no-target rows: the natural limit in the desired direction (100 for a share that
        should rise), NaN where none.

    Examples
    --------
    Energy use per unit of GDP "较2020年下降13.5%" by 2025, and a share with no target:

    >>> t = TargetTable(series=[0, 1], target_year=[2025, np.nan],
    ...                 comparator=["relative", "none"], direction=["lower", "higher"],
    ...                 base_year=[2020, np.nan], relative_change=[-0.135, np.nan],
    ...                 natural_limit=[np.nan, 100.0])
    >>> t.comparator.tolist(), t.direction.tolist(), len(t)
    ([5, 6], [1, 0], 2)
    """

    series: np.ndarray
    target_year: np.ndarray
    comparator: np.ndarray
    direction: np.ndarray
    target_value: np.ndarray | None = None
    target_value_high: np.ndarray | None = None
    base_year: np.ndarray | None = None
    base_value: np.ndarray | None = None
    relative_change: np.ndarray | None = None
    natural_limit: np.ndarray | None = None

    def __post_init__(self) -> None:
        series = _ints("series", self.series)
        size = series.size
        columns: dict[str, np.ndarray] = {"series": series}
        columns["comparator"] = encode_comparators(self.comparator)
        columns["direction"] = encode_directions(self.direction)
        for spec in fields(self):
            if spec.name not in columns:
                columns[spec.name] = _floats(spec.name, getattr(self, spec.name), size)
        for name, column in columns.items():
            if column.shape != (size,):
                raise ValueError(f"{name} has shape {column.shape} but series has {size} rows")
        comp = columns["comparator"]
        _reject("series", series < 0, "must be non-negative")
        finite = {name: np.isfinite(column) for name, column in columns.items()}
        _reject("target_year", (comp != NO_TARGET) & ~finite["target_year"], "must be given")
        needs_value = (comp != RELATIVE) & (comp != NO_TARGET)
        _reject("target_value", needs_value & ~finite["target_value"], "must be given")
        high, low = columns["target_value_high"], columns["target_value"]
        _reject("target_value_high", (comp == BETWEEN) & ~finite["target_value_high"], "needed")
        _reject("target_value_high", high < low, "must not be below target_value")
        _reject("relative_change", (comp == RELATIVE) & ~finite["relative_change"], "must be given")
        _reject("base_value", finite["base_value"] & ~finite["base_year"], "needs a base_year")
        _reject(
            "base_year", columns["base_year"] >= columns["target_year"], "must precede target_year"
        )
        for name, column in columns.items():
            object.__setattr__(self, name, column)

    def __len__(self) -> int:
        return self.series.shape[0]
