"""French and English for the web interface: `t(key, **params)` in every template.

Messages live in `webui/messages/<area>.toml`, one `[en]` and one `[fr]` table each; a key is
`<area>.<name>` (`t("search.submit")` reads `submit` from search.toml). Files are read once.
The locale of a request: `?lang=` (remembered in a cookie), then the `lang` cookie, then the
browser's Accept-Language, then English. A missing key shows the key itself, so a gap is
visible on the page rather than an error; tests/unit/test_webui_messages.py keeps both
languages complete and every key used by a template defined.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Response, g, request

__all__ = ["LANGUAGES", "MESSAGES_DIR", "has", "locale", "messages", "remember_locale", "t", "t_or"]

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
LANGUAGES = ("en", "fr")
DEFAULT = "en"
COOKIE = "lang"


def _flatten(table: dict[str, Any], prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name))
        else:
            out[name] = str(value)
    return out


@cache
def messages() -> dict[str, dict[str, str]]:
    """Every message by language, then by full key (`area.name`)."""
    found: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for path in sorted(MESSAGES_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for lang in LANGUAGES:
            found[lang].update(_flatten(data.get(lang, {}), path.stem))
    return found


def _from_accept_language() -> str | None:
    for value, _quality in request.accept_languages:
        primary = value.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return None


def locale() -> str:
    """The language of the current request (decided once, cached on flask.g)."""
    found = g.get("webui_lang")
    if found is None:
        asked = request.args.get("lang", "").lower()
        cookie = request.cookies.get(COOKIE, "").lower()
        if asked in LANGUAGES:
            found = asked
        elif cookie in LANGUAGES:
            found = cookie
        else:
            found = _from_accept_language() or DEFAULT
        g.webui_lang = found
    return found  # type: ignore[no-any-return]


def remember_locale(response: Response) -> Response:
    """After a `?lang=` switch, keep the choice for the next pages."""
    asked = request.args.get("lang", "").lower()
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(
            COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure
        )
    return response


def t(key: str, /, **params: Any) -> str:
    """The message `key` in the request's language, `{name}` placeholders filled."""
    table = messages()
    text = table[locale()].get(key) or table[DEFAULT].get(key)
    if text is None:
        return key
    return text.format(**params) if params else text


def has(key: str) -> bool:
    """Whether `key` is a message (for values that have a label only sometimes)."""
    return key in messages()[DEFAULT]


def t_or(key: str, default: str) -> str:
    """The message `key`, or `default` (an untranslated value) when there is none."""
    return t(key) if has(key) else default
