"""The contract between harvester/, indexer/ and search_api/.

A `Record` is one catalogue entry normalised from whatever format it came in (ISO 19139,
Dublin Core, DCAT, CKAN, OGC API - Records). Harvesters build Records and know nothing of
themes or backends; the indexer stores and indexes them; the API only serialises them.

`Query` (defined in moisson/query.py with its condition tree, re-exported here) and `Results`
are what a `SearchBackend` takes and returns, so the API, the protocols and both backends
speak the same typed language instead of passing dicts around.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from moisson.geometry import BBox
from moisson.query import PUBLIC, Query, ThemeExpansion

__all__ = [
    "PUBLIC",
    "BBox",
    "ClusterMember",
    "Collapse",
    "Contact",
    "FacetBucket",
    "FacetInfo",
    "Harvested",
    "Hit",
    "HitSource",
    "Identifier",
    "Keyword",
    "Link",
    "Outcome",
    "Provenance",
    "Query",
    "RawPayload",
    "Record",
    "Results",
    "TemporalExtent",
    "Theme",
    "ThemeEvidence",
    "ThemeExpansion",
    "record_id",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Identifier(_Model):
    """A resource identifier: ISO MD_Identifier/RS_Identifier code, DOI, dct:identifier."""

    code: str
    codespace: str | None = None


class Keyword(_Model):
    """A keyword as the source gave it; `uri` is kept from gmx:Anchor or SKOS concepts."""

    label: str
    uri: str | None = None
    thesaurus: str | None = None
    thesaurus_uri: str | None = None


class Contact(_Model):
    organisation: str | None = None
    name: str | None = None
    email: str | None = None
    role: str | None = None  # ISO CI_RoleCode value: pointOfContact, owner, publisher...


class TemporalExtent(_Model):
    start: date | None = None
    end: date | None = None


class Link(_Model):
    """An online resource or distribution.

    `protocol` is normalised where recognised (OGC:WMS, OGC:WFS, OGC:WMTS, OGC:WCS,
    OGC API - Features, download, landing page) and otherwise kept as given.
    """

    url: str
    protocol: str | None = None
    name: str | None = None  # layer name for OGC services
    description: str | None = None
    function: str | None = None  # ISO CI_OnLineFunctionCode: download, information...
    media_type: str | None = None


class RawPayload(_Model):
    """Reference to the original bytes kept by the store (content-addressed)."""

    sha256: str
    content_type: str


class Provenance(_Model):
    """Where a record came from. Harvesters fill source_id and original_id; the store fills
    the rest when it writes the record."""

    source_id: str
    original_id: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    harvest_run: int | None = None
    content_hash: str | None = None


def record_id(source_id: str, original_id: str) -> str:
    """Stable internal id: the same (source, original id) always gives the same id, and ids
    stay short and URL-safe whatever the source's identifiers look like."""
    digest = hashlib.sha256(f"{source_id}\x00{original_id}".encode()).hexdigest()
    return digest[:24]


class ThemeEvidence(_Model):
    """Why a record is filed under a theme: which matcher step fired, on what.

    Steps run in this order (indexer/themes.py): `uri` (a keyword or topic-category URI
    equal to a concept's *Match target), `label` (a keyword label equal to a concept's
    pref/alt/hidden label after normalisation and stemming), `rule` (a rule of
    mappings/*.yaml), `text` (concept labels found in the title/abstract, above a threshold).
    """

    step: Literal["uri", "label", "rule", "text"]
    field: str  # record field the evidence comes from: keyword, topic_category, title, ...
    matched: str  # the record's text or URI that matched
    target: str | None = None  # the concept label, *Match URI or rule pattern it matched
    rule: str | None = None  # mapping rule id (step `rule`)


class Theme(_Model):
    """One concept of the company thesaurus (thesaurus/*.ttl) a record is filed under.

    `id` is the concept's local name, the value of the `theme` facet and filter; `broader`
    lists its ancestors (nearest first), which the facet counts as implied themes.
    """

    id: str
    uri: str
    labels: dict[str, str] = {}  # language -> prefLabel
    broader: list[str] = []
    evidence: list[ThemeEvidence] = []


class ClusterMember(_Model):
    """One copy of a duplicate cluster as the index sees it: its source and original id
    (what a collapsed hit's `sources` lists) and who may see it (the copy's `access`)."""

    id: str  # source id
    original_id: str
    access: list[str] = [PUBLIC]


class Collapse(_Model):
    """A record's place among its duplicates (indexer/clusters.py), stamped by
    indexer/collapse.py on the record's way into the index; never stored, never in the API's
    record view. A record with no stamp stands alone and is its own canonical.

    Members are ranked canonical first. A collapsed search shows, per cluster, the first
    member the caller may see: the canonical, or, when the caller may not see it, the next
    copy they may see; so `outranked_by` holds the `access` values of the members ranked
    before this one (a caller holding one of them sees a better copy)."""

    canonical: bool = True
    members: list[ClusterMember] = []  # every copy, canonical first; [] when alone
    outranked_by: list[str] = []


class Record(_Model):
    id: str
    provenance: Provenance
    title: str
    abstract: str | None = None
    language: str | None = None  # ISO 639-2/B three-letter code when known (fre, eng, ger...)
    identifiers: list[Identifier] = []
    keywords: list[Keyword] = []
    topic_categories: list[str] = []
    contacts: list[Contact] = []
    bboxes: list[BBox] = []
    temporal: TemporalExtent | None = None
    created: date | None = None
    published: date | None = None
    revised: date | None = None
    metadata_date: date | None = None
    resource_type: str = "dataset"  # ISO MD_ScopeCode: dataset, series, service, ...
    formats: list[str] = []
    links: list[Link] = []
    licence: str | None = None
    constraints: list[str] = []
    # How often the resource is updated: an ISO MD_MaintenanceFrequencyCode (annually,
    # asNeeded...) when the source's value maps to one (harvester/formats/frequency.py).
    maintenance_frequency: str | None = None
    lineage: str | None = None
    thumbnails: list[str] = []
    raw: RawPayload | None = None
    # Assigned by the indexer (never by harvesters); excluded from the content hash.
    themes: list[Theme] = []
    # Who may see the record: PUBLIC, or the roles of its source's access config (stamped by
    # indexer/access.py from config at every index and reindex); [] = admins only.
    access: list[str] = [PUBLIC]
    # Its duplicate cluster, stamped for the index only (excluded from dumps, so never stored).
    collapse: Collapse | None = Field(default=None, exclude=True)

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("title is empty")
        return value

    @classmethod
    def new(cls, source_id: str, original_id: str, **fields: object) -> Record:
        """Build a record whose id and provenance derive from (source, original id)."""
        return cls(
            id=record_id(source_id, original_id),
            provenance=Provenance(source_id=source_id, original_id=original_id),
            **fields,
        )

    def reference_date(self) -> date | None:
        """The date users mean by 'when': last revision, else publication, else creation."""
        return self.revised or self.published or self.created or self.metadata_date


class Harvested(_Model):
    """One item a Source yields: a parsed Record, or a quarantine entry with its reason.

    Bad records are data, not exceptions: `record is None` and `error` says why, and the raw
    bytes are kept so an admin can see what arrived.
    """

    original_id: str | None
    raw: bytes
    content_type: str = "application/xml"
    record: Record | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _record_or_error(self) -> Harvested:
        if (self.record is None) == (self.error is None):
            raise ValueError("Harvested needs exactly one of record or error")
        return self


_Date = date  # Hit has a field named `date`


class HitSource(_Model):
    id: str
    original_id: str
    name: str | None = None  # the source's name from config, set by the API for display


class Hit(_Model):
    id: str
    title: str
    abstract: str | None = None
    snippet: str | None = None
    bbox: list[float] | None = None
    resource_type: str | None = None
    date: _Date | None = None  # the record's reference date
    links: list[Link] = []
    sources: list[HitSource] = []
    themes: list[dict[str, object]] = []
    score: float | None = None


class FacetBucket(_Model):
    value: str
    label: str
    count: int
    selected: bool = False


class FacetInfo(_Model):
    """`truncated`: values were left out (more than facet_size). `timed_out`: the backend
    stopped counting this facet to keep the search within its time budget; its buckets
    are missing or partial, the hits and total are not affected."""

    truncated: bool = False
    timed_out: bool = False


class Results(_Model):
    total: int
    page: int
    size: int
    start: int = 0  # position of the first hit among all matches (Query.offset())
    hits: list[Hit]
    facets: dict[str, list[FacetBucket]] = {}
    facet_info: dict[str, FacetInfo] = {}
    # "did you mean": the query with its misspelt words corrected against the index
    # vocabulary (indexer/fuzzy.py); `corrected` says the hits are already the suggestion's
    # (the exact query found nothing), else they are the exact query's.
    suggestion: str | None = None
    corrected: bool = False


class Outcome(StrEnum):
    """What the store did with one harvested item."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    QUARANTINED = "quarantined"
