"""A PostGIS table, view or materialised view as a Record (pure: no database, no clock).

harvester/postgis_catalog.py reads the facts of one relation from the database catalogue into
a `TableFacts`; this module turns them into the Record the rest of Moisson knows. The facts
are also the record's raw payload (canonical JSON), so a re-index needs no database and an
unchanged table gives byte-identical payloads.

What each fact becomes (docs/sources-postgis.md has the table):

- title: the first line of `COMMENT ON TABLE`, else a readable name from the table name
- abstract: the rest of the comment, then the geometry, row count and the column list
  (name, type, comment), so a search for a column name finds the table
- bboxes: the extent in WGS84 (already transformed by the database)
- revised: the largest value of the configured `updated_at` column
- contacts: the PostgreSQL owner role (role `owner`)
- links: the configured templates, and a `postgresql://` URI without credentials
- keywords: the configured table-name/comment rules
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date

from moisson.geometry import BBox
from moisson.record import Contact, Harvested, Keyword, Link, Record

__all__ = [
    "ColumnFacts",
    "GeometryFacts",
    "KeywordRule",
    "LinkTemplate",
    "TableFacts",
    "readable_name",
    "table_record",
]

RELATION_KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view"}


@dataclass(frozen=True)
class ColumnFacts:
    name: str
    type: str
    comment: str | None = None


@dataclass(frozen=True)
class GeometryFacts:
    """One geometry or geography column as geometry_columns / geography_columns tell it."""

    column: str
    type: str  # POINT, MULTIPOLYGON, GEOMETRY...
    srid: int
    geography: bool = False


@dataclass(frozen=True)
class TableFacts:
    database: str
    host: str
    port: int
    schema: str
    name: str
    relkind: str  # pg_class.relkind: r, p, v, m
    owner: str
    comment: str | None
    columns: list[ColumnFacts] = field(default_factory=list)
    geometries: list[GeometryFacts] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None  # WGS84 west, south, east, north
    rows: int | None = None
    rows_estimated: bool = False
    updated: date | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def payload(self) -> bytes:
        """Canonical JSON of the facts: the record's raw payload."""
        facts = asdict(self)
        facts["updated"] = self.updated.isoformat() if self.updated else None
        return json.dumps(facts, sort_keys=True, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class KeywordRule:
    """Keywords given to every table whose name or comment matches `pattern` (a regular
    expression, case-insensitive)."""

    pattern: str
    keywords: list[str]


@dataclass(frozen=True)
class LinkTemplate:
    """A link built for every table: `url` and `name` are str.format templates over
    {host} {port} {database} {schema} {table} {geometry_column}."""

    url: str
    protocol: str | None = None
    name: str | None = None
    description: str | None = None


def readable_name(name: str) -> str:
    """`parcelles_cadastrales_2024` -> `Parcelles cadastrales 2024`."""
    words = re.sub(r"[_\-.]+", " ", name).strip()
    return words[:1].upper() + words[1:] if words else name


def table_record(
    source_id: str,
    facts: TableFacts,
    keyword_rules: list[KeywordRule] = [],  # noqa: B006 - never mutated
    link_templates: list[LinkTemplate] = [],  # noqa: B006 - never mutated
) -> Harvested:
    """The Harvested item of one relation (a quarantine entry when its facts cannot make a
    valid Record, e.g. an extent outside WGS84 bounds)."""
    original_id = f"{facts.database}.{facts.qualified}"
    raw = facts.payload()
    comment = (facts.comment or "").strip()
    first, _, rest = comment.partition("\n")
    title = first.strip() or f"{readable_name(facts.name)} ({facts.schema})"
    try:
        bboxes = [BBox(west=b[0], south=b[1], east=b[2], north=b[3]) for b in [facts.bbox] if b]
        record = Record.new(
            source_id,
            original_id,
            title=title,
            abstract=_abstract(facts, rest.strip()),
            keywords=_keywords(facts, keyword_rules),
            contacts=[Contact(name=facts.owner, role="owner")] if facts.owner else [],
            bboxes=bboxes,
            revised=facts.updated,
            formats=["PostGIS" if facts.geometries else "PostgreSQL"],
            links=_links(facts, link_templates),
        )
    except ValueError as exc:
        return Harvested(
            original_id=original_id,
            raw=raw,
            content_type="application/json",
            error=f"{facts.qualified}: {exc}",
        )
    return Harvested(
        original_id=original_id, raw=raw, content_type="application/json", record=record
    )


def _abstract(facts: TableFacts, comment_rest: str) -> str:
    kind = RELATION_KINDS.get(facts.relkind, "table")
    lines = [comment_rest] if comment_rest else []
    lines.append(f"PostgreSQL {kind} {facts.qualified} in database {facts.database}.")
    for geometry in facts.geometries:
        what = "geography" if geometry.geography else "geometry"
        lines.append(
            f"{what.capitalize()} {geometry.column}: {geometry.type}, EPSG:{geometry.srid}."
        )
    if facts.rows is not None:
        about = "about " if facts.rows_estimated else ""
        lines.append(f"Rows: {about}{facts.rows:,}.".replace(",", " "))
    if facts.columns:
        lines.append("Columns:")
        for column in facts.columns:
            described = f" — {column.comment}" if column.comment else ""
            lines.append(f"- {column.name} ({column.type}){described}")
    return "\n".join(lines)


def _keywords(facts: TableFacts, rules: list[KeywordRule]) -> list[Keyword]:
    haystacks = [facts.name, facts.comment or ""]
    found: list[str] = []
    for rule in rules:
        if any(re.search(rule.pattern, text, re.IGNORECASE) for text in haystacks):
            found += [k for k in rule.keywords if k not in found]
    return [Keyword(label=label) for label in found]


def _links(facts: TableFacts, templates: list[LinkTemplate]) -> list[Link]:
    values = {
        "host": facts.host,
        "port": facts.port,
        "database": facts.database,
        "schema": facts.schema,
        "table": facts.name,
        "geometry_column": facts.geometries[0].column if facts.geometries else "",
    }
    links = [
        Link(
            url=template.url.format(**values),
            protocol=template.protocol,
            name=template.name.format(**values) if template.name else None,
            description=template.description,
        )
        for template in templates
    ]
    # For QGIS (Add PostgreSQL layer): where the table is, never who reads it.
    links.append(
        Link(
            url=f"postgresql://{facts.host}:{facts.port}/{facts.database}",
            protocol="PostgreSQL",
            name=facts.qualified,
            description="PostGIS table; connect with your own account",
        )
    )
    return links
