"""Free text typed into forms, the command line and checklist cells, made storable.

Not plan documents (those go through :mod:`yrdplan.ingest.clean`, which keeps offsets): these are
short texts — progress notes, milestones, titles, comments — stored as an export/import round
trip of the checklist gives them back, so that the round trip changes nothing.
"""

from __future__ import annotations

import re
from datetime import date

from yrdplan.ingest.checklist_xlsx import split_milestone_line

_UNPORTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_free_text(text: str | None) -> str:
    """Normalise free text the way a checklist cell reads back: LF line ends, no control chars.

    Storing exactly what an export/import round trip gives back is what makes that round trip
    change nothing.
    """
    if not text:
        return ""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _UNPORTABLE.sub("", text).strip()


def normalise_milestone(title: str, due: date | None) -> tuple[str, date | None]:
    """One line of text; a dateless title that starts with a date becomes a dated milestone.

    So the checklist's ``2025-12-31：…`` lines mean the same thing however a milestone was entered.
    """
    title = " ".join(clean_free_text(title).split())
    if due is None:
        parsed_title, parsed_due = split_milestone_line(title)
        if parsed_due is not None:
            return parsed_title, parsed_due
    return title, due
