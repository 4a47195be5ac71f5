"""Regions: the 41-city map, groups, one region's page; and their API."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request

from yrdplan.store.computed import cached
from yrdplan.store.repos import regions as region_repo
from yrdplan.web.deps import DatabaseDep, OptionalUser, SessionDep
from yrdplan.web.render import render, wants_json
from yrdplan.web.views import regions as views

router = APIRouter()


@router.get("/regions", response_model=views.RegionsPagePublic, tags=["regions"])
def regions_page(request: Request, session: SessionDep, user: OptionalUser):
    """The 41 cities (province, area, counties) and the region groups."""
    model = cached(session, ("regions.view",), views.regions_page)
    extra = {}
    if not wants_json(request):
        extra["map_svg"] = cached(session, ("regions.city_map_svg",), views.city_map_svg)
    return render(request, "regions.html", model.model_dump(mode="json"), user, extra=extra)


@router.get("/regions/{code}", response_model=views.RegionPagePublic, tags=["regions"])
def region_page(
    code: str, request: Request, session: SessionDep, database: DatabaseDep, user: OptionalUser
):
    """One region, the regions below it and its indicators with their status."""
    model = cached(
        session, ("regions.region", code), lambda s: views.region_page(s, database, code)
    )
    return render(request, "region.html", model.model_dump(mode="json"), user)


@router.get("/api/regions", response_model=list[views.RegionPublic], tags=["regions"])
def api_regions(
    session: SessionDep,
    level: Literal["region", "province", "city", "county"] | None = None,
    group: str | None = None,
):
    """Current regions, optionally of one level (province, city, county) or one group."""
    return [
        views.region_public(r) for r in region_repo.list_regions(session, level=level, group=group)
    ]


@router.get("/api/regions/groups", response_model=list[views.RegionGroupPublic], tags=["regions"])
def api_groups(session: SessionDep):
    """Region groups with their member codes."""
    return [views.group_public(g) for g in region_repo.list_groups(session)]
