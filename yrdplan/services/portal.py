"""The public portal's switch (公众参与): the office opens or closes it on the settings page.

While it is closed, nothing reaches the public: the portal page, the published documents and
their downloads through the portal, and the feedback form all answer ``PortalClosed`` (403: the
documents exist and nothing is wrong with the request; the office has said no, for now), and
an anonymous visitor's home page is the log-in. Signed-in users keep what their role gives them
(the office still sees and publishes bulletins under ``/bulletins``). Default: open.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError, PermissionDenied
from yrdplan.services.callers import require_manager
from yrdplan.store.repos.instance_settings import read_setting, write_setting

PORTAL_OPEN_KEY = "portal.open"
DEFAULT_PORTAL_OPEN = True
# How the settings form may spell the switch (stored as "1" or "0").
_ON = ("1", "on", "true", "yes", "开", "开启", "是")
_OFF = ("0", "off", "false", "no", "关", "关闭", "否")


class PortalClosed(PermissionDenied):
    """The office has closed the public portal."""

    template = "portal_closed.html"  # the page a browser gets instead of the generic error


def portal_open(session: Session) -> bool:
    """Whether the public portal is open (``DEFAULT_PORTAL_OPEN`` until the office says)."""
    value = read_setting(session, PORTAL_OPEN_KEY)
    return DEFAULT_PORTAL_OPEN if value is None else value == "1"


def require_portal_open(session: Session) -> None:
    """``PortalClosed`` while the office has closed the portal."""
    if not portal_open(session):
        raise PortalClosed("公众参与门户已关闭 (the public portal is closed by the office)")


def parse_switch(text: str) -> bool:
    """``on``/``off`` (and their usual spellings, 1/0, 开/关) as a bool; ``InputError`` else."""
    word = str(text).strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    raise InputError(f"{text!r} is neither on (1) nor off (0)")


def set_portal_open(session: Session, value: bool, user: UserInfo) -> bool:
    """Open (``True``) or close the public portal; audited like every instance setting."""
    require_manager(user, "open or close the public portal")
    if not isinstance(value, bool):
        raise InputError(f"the portal switch is on or off, got {value!r}")
    write_setting(session, PORTAL_OPEN_KEY, "1" if value else "0")
    return value
