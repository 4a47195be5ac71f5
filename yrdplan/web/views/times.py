"""Times as the pages' JSON twins give them: the store keeps naive UTC (``schema.utcnow``);
a twin says so with an offset, so that each time is a valid RFC 3339 ``date-time``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: A stored (naive, UTC) datetime, written with its UTC offset: ``2026-12-05T16:42:24Z``.
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
