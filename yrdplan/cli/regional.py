"""`yrdplan disparity`, `convergence`, `benchmark` and `index build|list|show`: regional
coordination (区域协调发展评价) from the command line, thin over :mod:`yrdplan.services.regional`
and :mod:`yrdplan.services.index_builds`."""

from __future__ import annotations

from typing import Annotated

import typer

from yrdplan.cli.common import (
    DbOption,
    OutputFormat,
    err_console,
    open_database,
    print_json,
    print_rows,
)
from yrdplan.domain.people import UserInfo
from yrdplan.errors import NotFoundError
from yrdplan.services import index_builds
from yrdplan.services import regional as service
from yrdplan.store.repos import users as user_repo

app = typer.Typer(help="The composite integration index (一体化指数).", no_args_is_help=True)

FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format: table, json or csv.")
]
IndicatorOpt = Annotated[str, typer.Option("--indicator", "-i", help="Indicator code.")]
RegionsOpt = Annotated[
    str | None,
    typer.Option(
        "--regions",
        help="Region group (cities, central, sunan…), province code or region codes, comma-separated "
        "(default: the 41 cities).",
    ),
]
LevelOpt = Annotated[
    str, typer.Option("--level", help="city or county: the level a province code expands to.")
]
VintageOpt = Annotated[str | None, typer.Option(help="Use the data as they stood at this vintage.")]
SIMULATED_NOTE = "note: simulated demo values (source 'simulated', 演示数据), not statistics"


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"
    return str(value)


def _notes(result: dict) -> None:
    for row in result.get("excluded", []):
        err_console.print(
            f"excluded {row['code']} {row['name']}: {row['detail']}", markup=False, highlight=False
        )
    for measure, why in result.get("undefined", {}).items():
        err_console.print(f"{measure} undefined: {why}", markup=False, highlight=False)
    if result.get("simulated"):
        err_console.print(SIMULATED_NOTE, markup=False)


def _long_rows(pairs) -> list[dict]:
    return [{"measure": m, "group": g, "value": v} for m, g, v in pairs]


def disparity(
    indicator: IndicatorOpt,
    period: Annotated[str, typer.Option("--period", "-p", help="Period, e.g. 2024.")],
    regions: RegionsOpt = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Decompose by province, city (county regions) or region groups GROUP,GROUP…",
        ),
    ] = None,
    weight: Annotated[
        str | None, typer.Option("--weight", "-w", help="Weight indicator code, e.g. POP.")
    ] = None,
    level: LevelOpt = "city",
    nested: Annotated[
        bool, typer.Option("--nested", help="Province → city → county decomposition.")
    ] = False,
    bootstrap: Annotated[
        int, typer.Option(help="Bootstrap replications for confidence intervals (0: none).")
    ] = 0,
    permutations: Annotated[
        int, typer.Option(help="Permutations testing the between-group share (needs --by).")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and permutations.")] = 0,
    vintage: VintageOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Disparity of an indicator across regions in one period (CV, Theil, Gini, …)."""
    with open_database(db) as database, database.read() as session:
        result = service.disparity_of(
            session,
            indicator,
            period,
            regions=regions,
            level=level,
            by=by,
            weight=weight,
            vintage=vintage,
            bootstrap=bootstrap,
            permutations=permutations,
            seed=seed,
            nested=nested,
        )
    if fmt is OutputFormat.json:
        print_json(result)
    else:
        pairs = [(m, "", result[m]) for m in (*service.DISPARITY_FIELDS, "range")]
        for measure, part in (result.get("decomposition") or {}).items():
            if part is None:
                continue
            pairs += [(f"{measure}_between", "", part["between"])]
            pairs += [(f"{measure}_within", "", part["within"])]
            pairs += [(f"{measure}_within", g["name"], g["within"]) for g in part["groups"]]
        for name, value in (result.get("nested") or {}).get("components", {}).items():
            pairs.append(("theil_t", name, value))
        for name, ci in (result.get("intervals") or {}).items():
            pairs += [(f"{name}_low", "", ci["low"]), (f"{name}_high", "", ci["high"])]
        if "permutation_test" in result:
            pairs.append(("permutation_p_value", "", result["permutation_test"]["p_value"]))
        rows = _long_rows(pairs)
        if fmt is OutputFormat.table:
            rows = [r | {"value": _number(r["value"])} for r in rows]
        title = f"{result['indicator_name']} {period}"
        print_rows(rows, ["measure", "group", "value"], fmt, title=title)
    _notes(result)


def convergence(
    indicator: IndicatorOpt,
    start: Annotated[str, typer.Option("--from", help="First period, e.g. 2015.")],
    end: Annotated[str, typer.Option("--to", help="Last period, e.g. 2024.")],
    regions: RegionsOpt = None,
    weight: Annotated[
        str | None, typer.Option("--weight", "-w", help="Weight indicator for the σ series.")
    ] = None,
    covariate: Annotated[
        list[str] | None,
        typer.Option("--covariate", help="Condition β on this indicator's first-period value."),
    ] = None,
    clubs: Annotated[
        str | None, typer.Option("--clubs", help="β within each group: province or GROUP,GROUP…")
    ] = None,
    level: LevelOpt = "city",
    vintage: VintageOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """σ- and β-convergence of an indicator between two periods."""
    with open_database(db) as database, database.read() as session:
        result = service.convergence_of(
            session,
            indicator,
            start,
            end,
            regions=regions,
            level=level,
            weight=weight,
            covariates=covariate or [],
            clubs=clubs,
            vintage=vintage,
        )
    if fmt is OutputFormat.json:
        print_json(result)
    else:
        pairs = [("sigma_cv", r["period"], r["cv"]) for r in result["sigma"]]
        if result["sigma_trend"]:
            pairs += [("sigma_slope", "", result["sigma_trend"]["slope"])]
            pairs += [("sigma_slope_se", "", result["sigma_trend"]["slope_se"])]
        pairs += [(m, "", result[m]) for m in ("beta", "beta_se", "half_life", "n")]
        pairs += [(f"beta[{c['code']}]", "", c["coefficient"]) for c in result["covariates"]]
        for club in result.get("clubs", []):
            pairs += [("club_beta", club["name"], club["beta"])]
            pairs += [("club_beta_se", club["name"], club["beta_se"])]
        rows = [{"measure": m, "period_or_group": p, "value": v} for m, p, v in pairs]
        if fmt is OutputFormat.table:
            rows = [r | {"value": _number(r["value"])} for r in rows]
        print_rows(rows, ["measure", "period_or_group", "value"], fmt, title=indicator)
    _notes(result)


BENCHMARK_COLUMNS = [
    "code",
    "name",
    "value",
    "rank",
    "gap_best",
    "gap_best_pct",
    "gap_top_quartile",
    "gap_peer_best",
    "previous_rank",
    "rank_change",
]


def benchmark(
    indicator: IndicatorOpt,
    period: Annotated[str, typer.Option("--period", "-p", help="Period, e.g. 2024.")],
    regions: RegionsOpt = None,
    peers: Annotated[
        str | None,
        typer.Option("--peers", help="Peer group (e.g. 310000,320000,330000: the 沪苏浙 cities)."),
    ] = None,
    previous: Annotated[
        str | None, typer.Option(help="Period for the rank change (default: the one before).")
    ] = None,
    level: LevelOpt = "city",
    vintage: VintageOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """对照学习: gaps to the best, the top quartile and the peers' best; rank change."""
    with open_database(db) as database, database.read() as session:
        result = service.benchmark_of(
            session,
            indicator,
            period,
            regions=regions,
            peers=peers,
            level=level,
            previous=previous,
            vintage=vintage,
        )
    if fmt is OutputFormat.json:
        print_json(result)
    else:
        rows = result["rows"]
        if fmt is OutputFormat.table:
            rows = [{k: _number(v) for k, v in r.items()} for r in rows]
        title = f"{result['indicator_name']} {period}: best {result['best_region']} {_number(result['best'])}"
        print_rows(rows, BENCHMARK_COLUMNS, fmt, title=title)
    _notes(result)


def _operator(session, username: str | None) -> UserInfo:
    """The user a build is made as: ``--as NAME``, else the terminal's operator (an admin: whoever
    runs the CLI already holds the database itself)."""
    if username is None:
        return UserInfo(id=0, username="system", role="admin")
    row = user_repo.find_user(session, username)
    if row is None or not row.is_active:
        raise NotFoundError(f"--as {username!r}: no active user of that name")
    return user_repo.to_info(session, row)


def index_rows(result: dict) -> list[dict]:
    """League-table rows with one column per dimension, for table and CSV output."""
    rows = []
    for r in result["regions"]:
        row = {k: r[k] for k in ("code", "name", "score", "rank", "rank_p05", "rank_p95")}
        row.update(r["dimensions"])
        rows.append(row)
    return rows


def _print_index(result: dict, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        print_json(result)
        return
    rows = index_rows(result)
    if fmt is OutputFormat.table:
        # Dimension scores are in json and csv; a terminal gets the ranks with their intervals.
        rows = [
            r | {"score": _number(r["score"]), "interval": f"{r['rank_p05']}–{r['rank_p95']}"}
            for r in rows
        ]
        print_rows(
            rows, ["rank", "interval", "code", "name", "score"], fmt, title=result["build"]["name"]
        )
    else:
        dims = [d["code"] for d in result["dimensions"]]
        print_rows(rows, ["code", "name", "score", "rank", "rank_p05", "rank_p95", *dims], fmt)


@app.command("build")
def build(
    config: Annotated[
        str, typer.Argument(help="Index config (TOML), e.g. yrdplan/data/index_demo.toml.")
    ],
    as_user: Annotated[
        str | None, typer.Option("--as", help="Build as this user (office or admin).")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Build the integration index from CONFIG and store the build (config, data vintage, results)."""
    text = index_builds.read_config_file(config)
    with open_database(db) as database:
        with database.read() as session:
            user = _operator(session, as_user)
        with err_console.status("building the index (Monte Carlo rank intervals)…"):
            result = index_builds.build_index(database, text, user, where=config)
    _print_index(result, fmt)
    for warning in result["warnings"]:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)
    _notes(result | {"simulated": result["build"]["simulated"]})
    err_console.print(
        f"index build {result['build']['id']} stored ({result['build']['runs']} Monte Carlo runs, "
        f"seed {result['build']['seed']})",
        markup=False,
        highlight=False,
    )


@app.command("show")
def show(
    build_id: Annotated[int | None, typer.Argument(help="Build id (default: the latest).")] = None,
    fmt: FormatOpt = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Show a stored index build: scores, ranks with their 5–95 % rank intervals, dimensions."""
    with open_database(db) as database:
        result = service.league_table(database, build_id)
    if result is None:
        raise NotFoundError("no index build yet (run `yrdplan index build CONFIG`)")
    _print_index(result, fmt)


@app.command("list")
def list_(fmt: FormatOpt = OutputFormat.table, db: DbOption = None) -> None:
    """List the stored index builds, newest first."""
    with open_database(db) as database, database.read() as session:
        rows = index_builds.list_builds(session)
    print_rows(
        rows, ["id", "name", "period", "regions", "created_at", "data_vintage", "simulated"], fmt
    )
