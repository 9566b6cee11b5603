"""The `f=html` views: plain, valid, server-rendered HTML5 built from the same JSON documents
the API returns (the web UI issue improves on it). Every value is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["html_page"]


def _links(links: list[dict[str, Any]]) -> str:
    items = "".join(
        f'<li><a href="{escape(str(link.get("href", "")))}">'
        f"{escape(str(link.get('title') or link.get('rel') or link.get('href')))}</a>"
        f" <small>{escape(str(link.get('rel', '')))} {escape(str(link.get('type', '')))}</small>"
        "</li>"
        for link in links
    )
    return f"<ul>{items}</ul>" if items else ""


def _feature(feature: dict[str, Any], url: str | None) -> str:
    p = feature.get("properties") or {}
    title = escape(str(p.get("title", feature.get("id"))))
    head = f'<a href="{escape(url)}">{title}</a>' if url else title
    themes = ", ".join(
        escape(str(c.get("title") or c.get("id")))
        for t in p.get("themes") or []
        for c in t.get("concepts") or []
    )
    parts = [f"<h2>{head}</h2>", f"<p><small>{escape(str(p.get('type', '')))}</small></p>"]
    if p.get("description"):
        parts.append(f"<p>{escape(str(p['description']))}</p>")
    if themes:
        parts.append(f"<p>Themes: {themes}</p>")
    if not url:
        parts.append(_links([link for link in feature.get("links") or []]))
    return "<article>" + "".join(parts) + "</article>"


def _body(kind: str, doc: dict[str, Any]) -> str:
    if kind == "items":
        counts = f"<p>{doc.get('numberReturned', 0)} of {doc.get('numberMatched', 0)} records</p>"
        features = "".join(
            _feature(
                f, next((x["href"] for x in f.get("links", []) if x.get("rel") == "self"), None)
            )
            for f in doc.get("features", [])
        )
        nav = _links([link for link in doc.get("links", []) if link.get("rel") in ("prev", "next")])
        return counts + features + nav
    if kind == "item":
        return _feature(doc, None)
    if kind == "collections":
        return "".join(
            f"<section><h2>{escape(str(c.get('title')))}</h2>"
            f"<p>{escape(str(c.get('description', '')))}</p>{_links(c.get('links', []))}</section>"
            for c in doc.get("collections", [])
        )
    if kind == "conformance":
        return "<ul>" + "".join(f"<li>{escape(c)}</li>" for c in doc["conformsTo"]) + "</ul>"
    description = doc.get("description")
    text = f"<p>{escape(str(description))}</p>" if description else ""
    return text + _links(doc.get("links", []))


def html_page(kind: str, title: str, doc: dict[str, Any]) -> str:
    """A whole HTML5 page for one API document (`kind`: landing, conformance, collections,
    collection, items, item)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        f"<body><header><h1>{escape(title)}</h1></header><main>{_body(kind, doc)}</main>"
        "</body></html>\n"
    )
