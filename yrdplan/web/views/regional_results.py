"""The shapes of the regional-coordination answers of the API, which are also what
``yrdplan disparity | convergence | benchmark | index … --format json`` print: disparity in one
period, convergence over a span, benchmarking, and stored integration-index builds.

Keys a command adds only when asked (``decomposition`` with ``--by``, ``intervals`` with
``--bootstrap``, ``clubs`` with ``--clubs`` …) are optional here, and the routes leave them out
when absent, so that the API and the command line print the same object."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ExcludedRegion(BaseModel):
    code: str
    name: str
    reason: str  # no_value, no_weight, not_positive, too_many_missing
    detail: str | None = None


class GroupPart(BaseModel):
    code: str
    name: str
    n: int
    mean: float
    share: float
    within: float | None
    contribution: float | None


class Decomposition(BaseModel):
    total: float
    between: float
    within: float
    between_share: float | None
    groups: list[GroupPart]


class NestedDecomposition(BaseModel):
    measure: str
    total: float
    components: dict[str, float]


class Interval(BaseModel):
    low: float
    high: float
    level: float


class PermutationTest(BaseModel):
    between_share: float
    p_value: float
    permutations: int
    seed: int


class DisparityResultPublic(BaseModel):
    """Every disparity measure of one indicator across the regions in one period."""

    indicator: str
    indicator_name: str
    unit: str
    period: str
    regions: str
    weight: str | None
    by: str | None
    n: int
    mean: float | None
    sd: float | None
    cv: float | None
    weighted_cv: float | None
    theil_t: float | None
    theil_l: float | None
    ge2: float | None
    gini: float | None
    max_min_ratio: float | None
    range: float | None
    undefined: dict[str, str]  # measure -> why it has no value
    excluded: list[ExcludedRegion]
    simulated: bool
    decomposition: dict[str, Decomposition | None] | None = None
    nested: NestedDecomposition | None = None
    intervals: dict[str, Interval] | None = None
    permutation_test: PermutationTest | None = None


class SigmaPoint(BaseModel):
    period: str
    cv: float
    n: int


class Trend(BaseModel):
    slope: float
    slope_se: float | None


class CovariateEffect(BaseModel):
    code: str
    coefficient: float
    se: float | None


class ClubConvergence(BaseModel):
    code: str
    name: str
    n: int
    beta: float
    beta_se: float | None
    half_life: float | None


class ConvergenceResultPublic(BaseModel):
    """σ- and β-convergence between two periods (``from`` and ``to``, as the command's options)."""

    model_config = ConfigDict(populate_by_name=True)

    indicator: str
    indicator_name: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    regions: str
    sigma: list[SigmaPoint]
    sigma_trend: Trend | None
    beta: float
    beta_se: float | None
    half_life: float | None
    speed: float | None
    alpha: float
    r2: float | None
    n: int
    covariates: list[CovariateEffect]
    excluded: list[ExcludedRegion]
    simulated: bool
    clubs: list[ClubConvergence] | None = None


class BenchmarkRow(BaseModel):
    code: str
    name: str
    value: float
    rank: int
    gap_best: float
    gap_best_pct: float | None
    gap_top_quartile: float
    gap_peer_best: float | None
    previous_rank: int | None
    rank_change: int | None


class BenchmarkResultPublic(BaseModel):
    """对照学习: each region against the best, the top quartile and the peers' best."""

    indicator: str
    indicator_name: str
    unit: str
    direction: str
    period: str
    previous: str | None
    regions: str
    peers: str | None
    field_size: int
    best: float
    best_region: str
    top_quartile: float
    peer_best: float | None
    rows: list[BenchmarkRow]
    excluded: list[ExcludedRegion]
    simulated: bool


class IndexBuildSummary(BaseModel):
    """A stored integration-index build, without its results."""

    id: int
    name: str
    period: str
    regions: str
    created_at: str
    data_vintage: str | None
    simulated: bool


class IndexBuildHeader(IndexBuildSummary):
    fingerprint: str
    runs: int | None
    seed: int | None


class RankedRegion(BaseModel):
    code: str
    name: str
    score: float
    rank: int
    rank_p05: int | None
    rank_p50: int | None
    rank_p95: int | None
    dimensions: dict[str, float | None]  # dimension code -> score
    imputed: list[str]  # indicators whose value was imputed


class IndexDimension(BaseModel):
    code: str
    name: str
    name_en: str | None = None
    weight: float


class LeagueTablePublic(BaseModel):
    """A stored build with its league table, as ``yrdplan index build --format json`` prints it."""

    build: IndexBuildHeader
    regions: list[RankedRegion]
    dimensions: list[IndexDimension]
    indicators: list[dict[str, Any]]  # code, weight, dimension and drop-one effects
    montecarlo: dict[str, Any]  # runs, seed and the choices drawn
    excluded: list[dict[str, Any]]
    warnings: list[str]
    config: dict[str, Any]  # the config the build was made from, as parsed
