"""Arguments the CLI and the web share: parsing what a person typed into an option or a form."""

from __future__ import annotations

from datetime import date

from yrdplan.errors import InputError


def parse_iso_date(text: str | None, name: str) -> date | None:
    """``YYYY-MM-DD`` from an option or form field called ``name``; None when empty.

    >>> parse_iso_date("2025-12-31", "--as-of")
    datetime.date(2025, 12, 31)
    >>> parse_iso_date("2025/12/31", "--as-of")
    Traceback (most recent call last):
    ...
    yrdplan.errors.InputError: --as-of '2025/12/31' is not a date (YYYY-MM-DD)
    """
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise InputError(f"{name} {text!r} is not a date (YYYY-MM-DD)") from err
