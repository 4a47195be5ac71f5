"""PDF by printing the self-contained HTML with Debian's headless chromium.

Chromium embeds the fonts it uses; Chinese needs a CJK font installed (fontconfig), and without
one the PDF would show empty boxes, so this refuses with a message naming the fonts it looked
for. The font used is reported with the result.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from yrdplan.errors import YrdplanError
from yrdplan.reports.static_charts import CJK_FONTS, MissingFont

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
TIMEOUT_SECONDS = 600  # a bulletin of thousands of rows takes chromium minutes on a busy machine


class PdfUnavailable(YrdplanError):
    """No browser to print the PDF with."""


def installed_cjk_font() -> str:
    """The first of ``CJK_FONTS`` that fontconfig knows for Chinese (``fc-list :lang=zh``)."""
    fc_list = shutil.which("fc-list")
    families = ""
    if fc_list:
        families = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
        ).stdout
    for family in CJK_FONTS:
        if family in families:
            return family
    raise MissingFont(
        "cannot write a PDF: no CJK font for Chinese text (looked for "
        + ", ".join(CJK_FONTS)
        + " with `fc-list :lang=zh`); install one, e.g. `apt-get install fonts-noto-cjk`"
    )


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfUnavailable(
        "cannot write a PDF: no chromium found (install Debian's `chromium`, or leave pdf out of --format)"
    )


def html_to_pdf(html: str, timeout: float = TIMEOUT_SECONDS) -> tuple[bytes, str]:
    """(PDF bytes, the CJK font family used)."""
    font = installed_cjk_font()
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="yrdplan-pdf-") as tmp:
        source, target = Path(tmp) / "document.html", Path(tmp) / "document.pdf"
        source.write_text(html, encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        # Its own process group: on a timeout the renderer and helper processes go too.
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as err:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PdfUnavailable(
                f"chromium did not finish printing the PDF in {timeout:g} s"
            ) from err
        if not target.exists() or target.stat().st_size == 0:
            reason = (stderr or "").strip().splitlines()[-1:] or ["no output"]
            raise PdfUnavailable(f"chromium could not print the PDF: {reason[0]}")
        return target.read_bytes(), font
