"""The embedded default: what `yrdplan init` loads into a new database.

Each step is a function of a session; ``DEFAULT_STEPS`` lists them in order. All run inside the
one transaction that `yrdplan init` opens, so an interrupted init leaves nothing behind.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from yrdplan.demo.delivery import load_demo_delivery, load_demo_units
from yrdplan.demo.indicators import load_demo_indicators
from yrdplan.demo.seed_plans import load_seed_plans
from yrdplan.ingest.regions import (
    SOURCE_LICENCE,
    SOURCE_PACKAGE,
    read_builtin_groups,
    read_regions,
    source_version,
)
from yrdplan.services.accounts import create_user
from yrdplan.services.catalogue import load_default_catalogue
from yrdplan.store.repos.regions import add_group, add_regions
from yrdplan.store.schema import DataSource, InstanceSetting

DEMO_PASSWORD = "yrdplan-demo"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    unit_code: str | None = None
    region_codes: tuple[str, ...] = ()


# Demo accounts for trying the system; `yrdplan init --no-demo` leaves them out.
DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount("admin", "admin", "系统管理员"),
    DemoAccount("office", "office", "长三角区域合作办公室"),
    DemoAccount("viewer", "viewer", "公众（只读）"),
    DemoAccount("steward_nj", "data_steward", "南京市统计数据管理员", region_codes=("320100",)),
    # delivery tracking: unit reporters of Nanjing units (made by the "delivery units" step)
    DemoAccount("nj_fgw", "unit_reporter", "南京市发展改革委填报员", unit_code="nj-fgw"),
    DemoAccount("nj_kjj", "unit_reporter", "南京市科技局填报员", unit_code="nj-kjj"),
    DemoAccount("nj_jtj", "unit_reporter", "南京市交通运输局填报员", unit_code="nj-jtj"),
    DemoAccount("nj_sthjj", "unit_reporter", "南京市生态环境局填报员", unit_code="nj-sthjj"),
    DemoAccount("nj_jbxq", "unit_reporter", "江北新区管委会填报员", unit_code="nj-jbxq"),
    # evaluations: a third-party assessor (第三方评估机构)
    DemoAccount("assessor", "assessor", "第三方评估机构（演示）"),
]


def load_regions(session: Session) -> str:
    regions = read_regions()
    source = DataSource(
        kind="regions",
        name=SOURCE_PACKAGE,
        version=source_version(),
        licence=SOURCE_LICENCE,
        note="GB/T 2260 codes and current boundaries from the package's province/city/district "
        "GeoJSON; history of the 2021 Hangzhou adjustment from yrdplan/data/region_history.csv",
    )
    count = add_regions(session, regions, source)
    session.flush()
    groups = read_builtin_groups(regions)
    for group in groups:
        add_group(session, group)
    return f"{count} regions, {len(groups)} groups"


def make_instance_secret(session: Session) -> str:
    session.add(InstanceSetting(key="session_secret", value=secrets.token_urlsafe(48)))
    return "session key"


def add_demo_accounts(session: Session) -> str:
    for account in DEMO_ACCOUNTS:
        create_user(
            session,
            username=account.username,
            password=DEMO_PASSWORD,
            role=account.role,
            display_name=account.display_name,
            unit_code=account.unit_code,
            region_codes=list(account.region_codes),
        )
    return f"{len(DEMO_ACCOUNTS)} demo accounts"


Step = tuple[str, Callable[[Session], str]]

BASE_STEPS: list[Step] = [
    ("regions", load_regions),
    ("instance", make_instance_secret),
    ("indicator catalogue", load_default_catalogue),
    ("seed plans", load_seed_plans),
]
DEMO_STEPS: list[Step] = [
    ("delivery units", load_demo_units),  # before the accounts: unit reporters belong to units
    ("demo accounts", add_demo_accounts),
    ("delivery demo", load_demo_delivery),
    ("indicator demo", load_demo_indicators),
]


def steps(with_demo: bool) -> list[Step]:
    return BASE_STEPS + (DEMO_STEPS if with_demo else [])
