"""Reading the value of one ISO property element: the per-value half of the ISO mappers.

An ISO property (gmd:title, gmd:keyword, gmd:linkage...) holds its value in a child whose
kind varies (gco:CharacterString, gmx:Anchor, gmd:URL, a code list element, PT_FreeText), so
every value goes through `text_of` / `href_of`. They run ~40 times per record, which makes
them the hottest Python of a harvest: the usual single child is read by index (no iterator),
and `text_and_href` reads both for keywords in one look. `tests/unit/test_trusted_record.py`
checks `text_and_href` against `(text_of, href_of)` on every element of the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from lxml import etree

__all__ = ["XLINK_HREF", "first_text", "href_of", "text_and_href", "text_of", "texts_of", "unique"]

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Localised variants are only a fallback: the main CharacterString is the record's language.
_FREE_TEXT_SUFFIX = "}PT_FreeText"


def text_of(element: etree._Element | str) -> str | None:
    """The value of an ISO property element, whatever encodes it.

    In order: a child's codeListValue (code lists), a child's text (gco:CharacterString,
    gmx:Anchor, gmd:URL, gco:Date...), a child Anchor's href when its text is empty, then
    the first non-blank text below (PT_FreeText localised strings, che:PT_FreeURL). Empty
    elements (`<gco:CharacterString/>`, nilReason) give None. Strings (XPath attribute or
    text() results) are returned stripped.
    """
    if isinstance(element, str):
        return element.strip() or None
    if len(element) == 1:  # nearly every property: index the child, no iterator (faster)
        return _text_of_only_child(element)
    href: str | None = None
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        code: str | None = child.get("codeListValue")
        if code and not code.isspace():
            return code.strip()
        if tag.endswith(_FREE_TEXT_SUFFIX):
            continue
        text: str | None = child.text
        if text and not text.isspace():
            return text.strip()
        if href is None:
            href = child.get(XLINK_HREF)
    if href and not href.isspace():
        return href.strip()
    return _first_text_below(element)


def _text_of_only_child(element: etree._Element) -> str | None:
    """`text_of` for a property with exactly one child node (same rules, same order)."""
    child = element[0]
    tag = child.tag
    if isinstance(tag, str):
        code: str | None = child.get("codeListValue")
        if code and not code.isspace():
            return code.strip()
        if not tag.endswith(_FREE_TEXT_SUFFIX):
            text: str | None = child.text
            if text and not text.isspace():
                return text.strip()
            href: str | None = child.get(XLINK_HREF)
            if href and not href.isspace():
                return href.strip()
    return _first_text_below(element)


def _first_text_below(element: etree._Element) -> str | None:
    for chunk in cast("Iterator[str]", element.itertext()):  # parsed text is always str
        stripped = chunk.strip()
        if stripped:
            return stripped
    return None


def href_of(element: etree._Element | str) -> str | None:
    """The xlink:href of a property's Anchor (or of the property itself), if any."""
    if isinstance(element, str):
        return None
    href: str | None
    for child in element:
        href = child.get(XLINK_HREF) if isinstance(child.tag, str) else None
        if href and not href.isspace():
            return href.strip()
    href = element.get(XLINK_HREF)
    return href.strip() if href and not href.isspace() else None


def text_and_href(element: etree._Element | str) -> tuple[str | None, str | None]:
    """`(text_of(element), href_of(element))` with one look at the usual single child:
    keywords and thesaurus titles need both (label and concept URI)."""
    if isinstance(element, str) or len(element) != 1:
        return text_of(element), href_of(element)
    child = element[0]
    tag = child.tag
    if not isinstance(tag, str):
        return text_of(element), href_of(element)
    href: str | None = child.get(XLINK_HREF)
    if href and not href.isspace():
        href = href.strip()
    else:
        own: str | None = element.get(XLINK_HREF)
        href = own.strip() if own and not own.isspace() else None
    code: str | None = child.get("codeListValue")
    if code and not code.isspace():
        return code.strip(), href
    if not tag.endswith(_FREE_TEXT_SUFFIX):
        text: str | None = child.text
        if text and not text.isspace():
            return text.strip(), href
        if href is not None:  # the child's own href, non-blank: text_of's fallback too
            child_href: str | None = child.get(XLINK_HREF)
            if child_href and not child_href.isspace():
                return child_href.strip(), href
    return _first_text_below(element), href


def first_text(elements: Sequence[Any] | None) -> str | None:
    """The first value among property elements (None when none has one)."""
    if not elements:
        return None
    if len(elements) == 1:  # the usual case, one call less per value
        only = elements[0]
        if not isinstance(only, str) and len(only) == 1:
            return _text_of_only_child(only)
        return text_of(only)
    for element in elements:
        value = text_of(element)
        if value is not None:
            return value
    return None


def texts_of(elements: Iterable[Any] | None) -> list[str]:
    return [value for element in elements or () if (value := text_of(element)) is not None]


def unique(values: Iterable[Any]) -> list[Any]:
    """Order-preserving dedupe (pydantic models are compared by their dumped key)."""
    seen: set[Any] = set()
    kept = []
    for value in values:
        key = value if isinstance(value, str) else tuple(value.__dict__.values())
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept
