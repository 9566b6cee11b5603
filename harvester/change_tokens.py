"""Change tokens between runs, for sources that are not read over HTTP (databases, files).

A token is a short string that changes when the thing changes: a table's statistics
counters and definition, a file's ETag or size + modified time. The conductor already keeps,
per source, "URL -> validators of the last complete run" for conditional HTTP requests
(HttpClient.known / .fresh, saved by pipeline/harvest.py only after a complete run); a token
is stored there as the ETag of the object's URL, so no new table and no new plug point.

Skipping is only allowed in incremental runs (`since` set): a full run must list every
object, or retirement would take the unchanged ones for deleted.
"""

from __future__ import annotations

from datetime import datetime

from harvester.base import SourceContext
from harvester.http import Validators

__all__ = ["ChangeTokens"]


class ChangeTokens:
    """The tokens of the last complete run, and those seen in this one."""

    def __init__(self, context: SourceContext, since: datetime | None) -> None:
        self._client = context.http()
        self._incremental = since is not None

    def unchanged(self, key: str, token: str | None) -> bool:
        """True when this run may skip `key`: incremental, and the same token as last time.
        The token is remembered either way (saved if the run completes)."""
        if token is None:
            return False
        self._client.fresh[key] = Validators(etag=token)
        known = self._client.known.get(key)
        return self._incremental and known is not None and known.etag == token
