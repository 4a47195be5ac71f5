"""The indicator catalogue in the store: the shipped one at init, and user imports."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.indicators import Indicator
from yrdplan.ingest.catalogue import load_catalogue
from yrdplan.store.schema import DataSource, IndicatorRecord


def indicator_row(indicator: Indicator) -> IndicatorRecord:
    return IndicatorRecord(
        code=indicator.code,
        name=indicator.name,
        name_en=indicator.name_en,
        unit=indicator.unit,
        direction=indicator.direction,
        kind=indicator.kind,
        area=indicator.area,
        definition=indicator.definition,
        aggregation=indicator.aggregation,
        weight_indicator=indicator.weight_indicator,
        formula=indicator.formula,
        frequency=indicator.frequency,
        synonyms=list(indicator.synonyms),
    )


def to_indicator(row: IndicatorRecord) -> Indicator:
    return Indicator(
        code=row.code,
        name=row.name,
        unit=row.unit,
        direction=row.direction,
        name_en=row.name_en,
        kind=row.kind,
        area=row.area,
        definition=row.definition,
        aggregation=row.aggregation,
        weight_indicator=row.weight_indicator,
        formula=row.formula,
        frequency=row.frequency,
        synonyms=list(row.synonyms or []),
    )


def stored_indicators(session: Session) -> dict[str, Indicator]:
    return {
        row.code: to_indicator(row)
        for row in session.scalars(select(IndicatorRecord).order_by(IndicatorRecord.code))
    }


def load_default_catalogue(session: Session) -> str:
    catalogue = load_catalogue()
    session.add(
        DataSource(
            kind="catalogue",
            name="yrdplan/data/indicators.csv",
            note="indicators named in the seed plans, with units, directions and synonyms",
        )
    )
    session.add_all(indicator_row(indicator) for indicator in catalogue)
    return f"{len(catalogue)} indicators"
