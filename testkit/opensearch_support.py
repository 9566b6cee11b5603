"""Throw-away aliases on the test OpenSearch node, removed with their indices afterwards."""

from __future__ import annotations

import uuid

from opensearchpy import OpenSearch

__all__ = ["drop_alias", "fresh_alias"]


def fresh_alias(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def drop_alias(base_url: str, alias: str) -> None:
    """Delete every concrete index of `alias` (its builds are named `alias-*`)."""
    client = OpenSearch(hosts=[base_url])
    try:
        client.indices.delete(
            index=f"{alias}-*", params={"ignore_unavailable": "true", "allow_no_indices": "true"}
        )
    finally:
        client.close()
