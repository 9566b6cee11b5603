"""The web interface speaks French and English everywhere: every message exists in both
languages, and every key a template or page module asks for is defined."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from webui.i18n import LANGUAGES, MESSAGES_DIR, messages

WEBUI = MESSAGES_DIR.parent
# t("key") and t('key'), with or without parameters; not keys built with `~` or f-strings.
_CALL = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-zA-Z0-9_]+)+)["']\s*[,)]""")


def _used_keys() -> dict[str, Path]:
    used: dict[str, Path] = {}
    sources = [*WEBUI.rglob("*.html"), *WEBUI.glob("*.py"), *WEBUI.glob("*/*.py")]
    for path in sources:
        for key in _CALL.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, path)
    return used


def test_every_message_file_has_both_languages_and_nothing_else() -> None:
    files = sorted(MESSAGES_DIR.glob("*.toml"))
    assert files
    for path in files:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert set(data) == set(LANGUAGES), path.name


def test_every_key_exists_in_both_languages() -> None:
    table = messages()
    keys = {lang: set(table[lang]) for lang in LANGUAGES}
    assert keys["en"] - keys["fr"] == set(), "missing in French"
    assert keys["fr"] - keys["en"] == set(), "missing in English"
    for lang in LANGUAGES:
        assert all(text.strip() for text in table[lang].values()), lang


def test_every_key_used_is_defined() -> None:
    used = _used_keys()
    assert "common.site_name" in used  # the scan itself works
    missing = {
        key: str(path.relative_to(WEBUI))
        for key, path in used.items()
        if key not in messages()["en"]
    }
    assert missing == {}


def test_placeholders_agree_between_languages() -> None:
    table = messages()
    field = re.compile(r"\{(\w+)\}")
    for key, english in table["en"].items():
        assert set(field.findall(english)) == set(field.findall(table["fr"][key])), key
