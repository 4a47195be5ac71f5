"""Users and roles: who may see and change what."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES: tuple[str, ...] = (
    "admin",
    "office",
    "unit_reporter",
    "data_steward",
    "viewer",
    "assessor",  # a third-party evaluator (第三方评估机构): enters third-party assessments
)
ROLE_LABELS_ZH = {
    "admin": "系统管理员",
    "office": "区域合作办公室",
    "unit_reporter": "责任单位填报员",
    "data_steward": "数据管理员",
    "viewer": "只读用户",
    "assessor": "第三方评估机构",
}
ROLE_LABELS_EN = {
    "admin": "Administrator",
    "office": "Cooperation office",
    "unit_reporter": "Unit reporter",
    "data_steward": "Data steward",
    "viewer": "Viewer",
    "assessor": "Third-party assessor",
}


# The command line runs as whoever owns the database file or URL; it says so explicitly by
# passing SYSTEM_CALLER, so that no service grants rights to a missing caller.
SYSTEM_CALLER_ID = 0
SYSTEM_CALLER_NAME = "system"


@dataclass(slots=True)
class UserInfo:
    """A signed-in user as the services see one."""

    id: int
    username: str
    role: str
    display_name: str = ""
    unit_id: int | None = None
    region_codes: list[str] = field(default_factory=list)
    language: str = "zh"
    must_change_password: bool = False  # after an admin's reset: set a new password first

    @property
    def is_system(self) -> bool:
        """The command line acting as the installation's operator (see ``SYSTEM_CALLER``)."""
        return self.id == SYSTEM_CALLER_ID and self.username == SYSTEM_CALLER_NAME

    @property
    def sees_all(self) -> bool:
        """Admin and office read every unit's and region's data."""
        return self.role in ("admin", "office")

    @property
    def can_manage(self) -> bool:
        """Assign, review, publish, load plans."""
        return self.role in ("admin", "office")

    def can_report_for(self, unit_id: int | None) -> bool:
        return self.role == "unit_reporter" and unit_id is not None and unit_id == self.unit_id

    def can_read_unit(self, unit_id: int | None) -> bool:
        if self.sees_all:
            return True
        return self.role == "unit_reporter" and unit_id is not None and unit_id == self.unit_id

    def can_edit_region_data(self, region_code: str) -> bool:
        if self.role == "admin":
            return True
        return self.role == "data_steward" and region_code in self.region_codes


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


SYSTEM_CALLER = UserInfo(
    id=SYSTEM_CALLER_ID, username=SYSTEM_CALLER_NAME, role="admin", display_name="command line"
)
