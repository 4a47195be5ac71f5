"""Every text key a template or route names has both a Chinese and an English text."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from yrdplan.web.i18n import MESSAGES

WEB = Path(str(resources.files("yrdplan.web")))
# t('key'), t("key"), translate("key", …), and keys that are only a prefix ('b.st.' ~ status) aside.
LITERAL_KEY = re.compile(r"""\b(?:t|translate)\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""")


def _used_keys() -> dict[str, str]:
    used = {}
    for path in sorted([*WEB.rglob("*.html"), *WEB.rglob("*.py")]):
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, path.name)
    return used


def test_every_literal_key_has_both_languages():
    used = _used_keys()
    assert len(used) > 300
    missing = sorted(f"{key} ({where})" for key, where in used.items() if key not in MESSAGES)
    assert missing == []
    for key, (zh, en) in MESSAGES.items():
        assert zh.strip() and en.strip(), key
