"""`kind = "postgis"`: every table, view and materialised view of a business database.

The database describes itself: harvester/postgis_catalog.py reads the catalogue and measures
each relation (extent, rows, last change) in one read-only transaction with a statement
timeout; harvester/formats/postgis_table.py maps the facts to a Record. One page per
`page_size` relations, in schema.table order; the cursor is the last relation written, so a
resumed run starts after it.

Incremental runs (`incremental = true`, the default) skip relations whose change token
(statistics counters + definition, harvester/change_tokens.py) is the one of the last complete
run; views have no counters and are always read. The password comes from the environment
variable named by `password_env`, never from the file. docs/sources-postgis.md.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import psycopg
from pydantic import BaseModel, ConfigDict, Field, field_validator

from harvester.base import Page, SourceContext
from harvester.change_tokens import ChangeTokens
from harvester.formats.postgis_table import KeywordRule, LinkTemplate, table_record
from harvester.postgis_catalog import (
    Relation,
    connect_read_only,
    list_relations,
    measure_safely,
    pin_search_path,
)
from moisson.config import SourceSettings
from moisson.errors import ConfigError
from moisson.record import Harvested

__all__ = ["PostgisOptions", "PostgisSource"]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostgisKeywordRule(_Table):
    pattern: str = Field(description="Regular expression tried on the table name and comment.")
    keywords: list[str] = Field(description="Keywords given to the tables it matches.")


class PostgisLink(_Table):
    url: str = Field(
        description="URL template over {host} {port} {database} {schema} {table} "
        "{geometry_column}, e.g. a GeoServer WMS."
    )
    protocol: str | None = Field(None, description="Link protocol, e.g. `OGC:WMS`.")
    name: str | None = Field(None, description="Layer name template, e.g. `{schema}:{table}`.")
    description: str | None = Field(None, description="Shown beside the link.")


class PostgisOptions(SourceSettings):
    kind: Literal["postgis"] = "postgis"
    password_env: str | None = Field(
        None, description="Environment variable holding the password (never in the file)."
    )
    schemas: list[str] = Field([], description="Schemas to include (empty: all but system).")
    exclude_schemas: list[str] = Field([], description="Schemas to leave out.")
    tables: list[str] = Field(["*"], description="Table name patterns to include (fnmatch).")
    exclude_tables: list[str] = Field([], description="Table name patterns to leave out.")
    non_spatial: bool = Field(False, description="Also harvest tables without geometry.")
    statement_timeout_ms: int = Field(
        30_000, ge=100, description="Longest any one statement may run (then: quarantined)."
    )
    lock_timeout_ms: int = Field(
        500, ge=0, description="Longest wait for a table's lock (a running DDL): then skipped."
    )
    exact_count_below: int = Field(
        100_000,
        ge=0,
        description="Tables whose statistics say at least this many rows get the estimate "
        "instead of count(*).",
    )
    updated_at_column: str | None = Field(
        None, description="Column holding each row's last change (its max is `revised`)."
    )
    keyword_rules: list[PostgisKeywordRule] = Field(
        [], description="Keywords from table-name/comment patterns."
    )
    links: list[PostgisLink] = Field([], description="Links built for every table.")
    page_size: int = Field(50, ge=1, le=10_000, description="Relations per page.")
    incremental: bool = Field(
        True, description="Skip tables unchanged since the last complete run."
    )

    @field_validator("url")
    @classmethod
    def _no_secret_in_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError("a postgis source URL starts with postgresql://")
        if parts.password:
            raise ValueError("no password in the URL: name its variable in `password_env`")
        return value


class PostgisSource:
    kind: ClassVar[str] = "postgis"
    Options: ClassVar[type[SourceSettings]] = PostgisOptions

    def __init__(self, options: PostgisOptions, context: SourceContext) -> None:
        self.options = options
        self.context = context
        self.keyword_rules = [KeywordRule(r.pattern, r.keywords) for r in options.keyword_rules]
        self.link_templates = [
            LinkTemplate(t.url, t.protocol, t.name, t.description) for t in options.links
        ]

    def _password(self) -> str | None:
        name = self.options.password_env
        if name is None:
            return None
        value = os.environ.get(name)
        if not value:
            raise ConfigError(
                f"environment variable {name} (password of source {self.options.id}) is not set"
            )
        return value

    def wanted(self, relation: Relation) -> bool:
        options = self.options
        if options.schemas and relation.schema not in options.schemas:
            return False
        if relation.schema in options.exclude_schemas:
            return False
        if not relation.geometries and not options.non_spatial:
            return False
        name = relation.name
        return any(fnmatch.fnmatchcase(name, p) for p in options.tables) and not any(
            fnmatch.fnmatchcase(name, p) for p in options.exclude_tables
        )

    def harvest(self, since: datetime | None = None, cursor: str | None = None) -> Iterator[Page]:
        options = self.options
        tokens = ChangeTokens(self.context, since)
        with connect_read_only(
            options.url, self._password(), options.statement_timeout_ms, options.lock_timeout_ms
        ) as conn:
            pin_search_path(conn)
            info = conn.info
            where = (info.host, int(info.port), info.dbname)
            relations = [r for r in list_relations(conn) if self.wanted(r)]
            if cursor:
                relations = [r for r in relations if r.qualified > cursor]
            items: list[Harvested] = []
            for index, relation in enumerate(relations):
                key = f"postgresql://{where[0]}:{where[1]}/{where[2]}/{relation.qualified}"
                if not tokens.unchanged(key, relation.token()):
                    items.append(self._item(conn, relation, where))
                last = index + 1 == len(relations)
                if len(items) >= options.page_size or last:
                    yield Page(items, cursor=None if last else relation.qualified)
                    items = []
            if not relations:
                yield Page([])

    def _item(
        self, conn: psycopg.Connection[Any], relation: Relation, where: tuple[str, int, str]
    ) -> Harvested:
        measured = measure_safely(
            conn,
            relation,
            where,
            exact_count_below=self.options.exact_count_below,
            updated_at_column=self.options.updated_at_column,
        )
        if measured.facts is None:
            return Harvested(
                original_id=f"{where[2]}.{relation.qualified}",
                raw=relation.qualified.encode(),
                content_type="text/plain",
                error=measured.error or "unreadable",
            )
        return table_record(
            self.options.id, measured.facts, self.keyword_rules, self.link_templates
        )
