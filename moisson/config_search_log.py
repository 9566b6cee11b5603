"""The `[search_log]` section: the anonymous search log behind the dashboard's top searches
(indexer/search_log.py). moisson/config.py composes it into `Settings`."""

from __future__ import annotations

from pydantic import Field

from moisson.config_sections import Section

__all__ = ["SearchLogSettings"]


class SearchLogSettings(Section):
    """What people search for, never who: per day, the normalised query text (e-mails and
    token-like words removed), the filters used and hit counts; no user, address or time."""

    enabled: bool = Field(
        True, description="Count searches (first pages only) for the activity dashboard."
    )
    retention_days: int = Field(
        365, ge=1, le=3660, description="Days a day's search counts are kept before deletion."
    )
    flush_seconds: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="Seconds between background writes of the counts gathered in memory "
        "(a crash loses at most this much; searches never wait for the write).",
    )
