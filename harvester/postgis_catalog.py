"""Reading a PostGIS database's own description of its tables (the psycopg adapter).

Everything here runs inside one READ ONLY transaction with a statement timeout and a short
lock timeout: the only lock taken is ACCESS SHARE (what any SELECT takes), and a table whose
lock cannot be had at once (a running ALTER TABLE) is given up rather than waited for, so
the harvester never queues in front of the business applications. Each table is measured
inside its own savepoint: one that times out or cannot be read becomes a reason, and the
transaction goes on with the next. psycopg errors are converted here and nowhere else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg import sql

from harvester.formats.postgis_table import ColumnFacts, GeometryFacts, TableFacts
from moisson.errors import SourceUnavailable

__all__ = [
    "Measured",
    "Relation",
    "connect_read_only",
    "list_relations",
    "measure",
    "measure_safely",
    "pin_search_path",
    "postgis_schema",
]

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "topology", "tiger", "tiger_data")


@dataclass(frozen=True)
class Relation:
    """What the catalogue says about one relation, before anything is read from its rows."""

    schema: str
    name: str
    relkind: str
    owner: str
    comment: str | None
    reltuples: float
    counters: tuple[int, int, int] | None  # inserts, updates, deletes (pg_stat_user_tables)
    columns: list[ColumnFacts]
    geometries: list[GeometryFacts]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def token(self) -> str | None:
        """Changes when rows or the definition change; None (always read) for views, whose
        rows PostgreSQL cannot tell, and for tables without statistics since the last
        server restart."""
        if self.counters is None:
            return None
        definition: list[object] = [self.relkind, self.owner, self.comment, self.counters]
        definition += [[c.name, c.type, c.comment] for c in self.columns]
        definition += [[g.column, g.type, g.srid, g.geography] for g in self.geometries]
        return hashlib.sha256(json.dumps(definition).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Measured:
    """A relation's facts, or why they could not be read."""

    facts: TableFacts | None
    error: str | None = None


@contextmanager
def connect_read_only(
    conninfo: str, password: str | None, statement_timeout_ms: int, lock_timeout_ms: int
) -> Iterator[psycopg.Connection[Any]]:
    """A connection whose one transaction is READ ONLY, with the timeouts set. Raises
    SourceUnavailable when the database cannot be reached or refuses the account."""
    options = (
        "-c default_transaction_read_only=on"
        f" -c statement_timeout={statement_timeout_ms}"
        f" -c lock_timeout={lock_timeout_ms}"
        f" -c idle_in_transaction_session_timeout={max(statement_timeout_ms * 4, 60_000)}"
    )
    extra: dict[str, Any] = {"password": password} if password else {}
    try:
        conn = psycopg.connect(
            conninfo,
            options=options,
            connect_timeout=max(1, statement_timeout_ms // 1000),
            application_name="moisson-harvester",
            **extra,
        )
    except psycopg.Error as exc:
        raise SourceUnavailable(f"cannot connect to the database: {_first_line(exc)}") from exc
    try:
        conn.read_only = True
        with conn.transaction():
            yield conn
    except psycopg.Error as exc:
        raise SourceUnavailable(f"database error: {_first_line(exc)}") from exc
    finally:
        conn.close()


_RELATIONS = """
SELECT n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner),
       obj_description(c.oid, 'pg_class'), c.reltuples, c.oid,
       s.n_tup_ins, s.n_tup_upd, s.n_tup_del
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND NOT c.relispartition
  AND n.nspname <> ALL(%(system)s) AND n.nspname NOT LIKE 'pg\\_%%'
  AND has_table_privilege(c.oid, 'SELECT')
ORDER BY n.nspname, c.relname
"""

_COLUMNS = """
SELECT attrelid, attname, format_type(atttypid, atttypmod), col_description(attrelid, attnum)
FROM pg_attribute
WHERE attrelid = ANY(%s) AND attnum > 0 AND NOT attisdropped
ORDER BY attrelid, attnum
"""


def postgis_schema(conn: psycopg.Connection[Any]) -> str | None:
    """The schema PostGIS is installed in, or None (a database without PostGIS)."""
    row = conn.execute(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'postgis'"
    ).fetchone()
    return str(row[0]) if row else None


def pin_search_path(conn: psycopg.Connection[Any]) -> None:
    """Resolve the PostGIS functions in the schema PostGIS lives in, and nothing else: tables
    are always named with their schema, so no object of a business schema can stand in for
    ST_Extent or count (and a PostGIS installed outside `public` still works)."""
    where = postgis_schema(conn)
    path = [where, "pg_catalog"] if where else ["pg_catalog"]
    conn.execute(
        sql.SQL("SET LOCAL search_path = {}").format(
            sql.SQL(", ").join(sql.Identifier(p) for p in path)
        )
    )


def list_relations(conn: psycopg.Connection[Any]) -> list[Relation]:
    """Every relation the account may SELECT from, outside the system schemas, with its
    columns and geometry columns: catalogue reads only, no row is touched."""
    rows = conn.execute(_RELATIONS, {"system": list(SYSTEM_SCHEMAS)}).fetchall()
    columns: dict[int, list[ColumnFacts]] = {}
    for oid, name, type_, comment in conn.execute(_COLUMNS, [[r[6] for r in rows]]):
        columns.setdefault(oid, []).append(ColumnFacts(name, type_, comment))
    geometries = _geometry_columns(conn)
    found = []
    for schema, name, relkind, owner, comment, reltuples, oid, ins, upd, dele in rows:
        counters = (int(ins), int(upd), int(dele)) if ins is not None else None
        found.append(
            Relation(
                schema=schema,
                name=name,
                relkind=relkind,
                owner=owner,
                comment=comment,
                reltuples=float(reltuples),
                counters=counters,
                columns=columns.get(oid, []),
                geometries=geometries.get((schema, name), []),
            )
        )
    return found


def _geometry_columns(conn: psycopg.Connection[Any]) -> dict[tuple[str, str], list[GeometryFacts]]:
    where = postgis_schema(conn)
    if where is None:
        return {}
    found: dict[tuple[str, str], list[GeometryFacts]] = {}
    for view, geography in (("geometry_columns", False), ("geography_columns", True)):
        column = "f_geography_column" if geography else "f_geometry_column"
        query = sql.SQL(
            "SELECT f_table_schema, f_table_name, {column}, type, srid FROM {view} "
            "ORDER BY f_table_schema, f_table_name, {column}"
        ).format(column=sql.Identifier(column), view=sql.Identifier(where, view))
        for schema, table, name, type_, srid in conn.execute(query):
            found.setdefault((schema, table), []).append(
                GeometryFacts(name, str(type_).upper(), int(srid or 0), geography)
            )
    return found


def measure(
    conn: psycopg.Connection[Any],
    relation: Relation,
    *,
    exact_count_below: int,
    updated_at_column: str | None,
) -> tuple[tuple[float, float, float, float] | None, int | None, bool, date | None]:
    """The extent in WGS84, the row count (and whether it is an estimate) and the last
    change of one relation. Raises psycopg errors (the caller's savepoint catches them)."""
    table = sql.Identifier(relation.schema, relation.name)
    bbox = _extent(conn, relation, table) if relation.geometries else None
    has_stats = relation.relkind in ("r", "p", "m") and relation.reltuples >= 0
    if has_stats and relation.reltuples >= exact_count_below:
        rows, estimated = int(relation.reltuples), True
    else:
        count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        rows, estimated = int(count[0]) if count else 0, False
    updated = None
    if updated_at_column and any(c.name == updated_at_column for c in relation.columns):
        latest = conn.execute(
            sql.SQL("SELECT max({}) FROM {}").format(sql.Identifier(updated_at_column), table)
        ).fetchone()
        value = latest[0] if latest else None
        updated = value.date() if isinstance(value, datetime) else value
    return bbox, rows, estimated, updated


def _extent(
    conn: psycopg.Connection[Any], relation: Relation, table: sql.Identifier
) -> tuple[float, float, float, float] | None:
    """From ST_EstimatedExtent when the planner has statistics (no scan), else ST_Extent
    (a scan, bounded by the statement timeout); transformed to WGS84 by PostGIS."""
    geometry = relation.geometries[0]
    srid = 4326 if geometry.geography else geometry.srid
    if srid <= 0:
        return None  # unknown CRS: no honest WGS84 extent
    column = sql.Identifier(geometry.column)
    box = None
    if relation.relkind in ("r", "m") and relation.reltuples > 0 and not geometry.geography:
        with conn.transaction():  # a savepoint: older PostGIS raise instead of NULL
            row = conn.execute(
                "SELECT ST_EstimatedExtent(%s, %s, %s)::text",
                [relation.schema, relation.name, geometry.column],
            ).fetchone()
            box = row[0] if row else None
    if box is None:
        expression = sql.SQL("{}::geometry").format(column) if geometry.geography else column
        row = conn.execute(
            sql.SQL("SELECT ST_Extent({})::text FROM {}").format(expression, table)
        ).fetchone()
        box = row[0] if row else None
    if box is None:
        return None  # an empty table
    row = conn.execute(
        "SELECT ST_XMin(t), ST_YMin(t), ST_XMax(t), ST_YMax(t) FROM ("
        " SELECT ST_Transform(ST_SetSRID(%s::box2d::geometry, %s), 4326) AS t) AS x",
        [box, srid],
    ).fetchone()
    if row is None or any(v is None for v in row):
        return None
    west, south, east, north = (round(float(v), 6) for v in row)
    return west, south, east, north


def measure_safely(
    conn: psycopg.Connection[Any],
    relation: Relation,
    where: tuple[str, int, str],
    *,
    exact_count_below: int,
    updated_at_column: str | None,
) -> Measured:
    """`measure` in a savepoint: a timeout, a lock that cannot be had or a refused read
    becomes the relation's reason, and the transaction stays usable."""
    host, port, database = where
    try:
        with conn.transaction():
            bbox, rows, estimated, updated = measure(
                conn,
                relation,
                exact_count_below=exact_count_below,
                updated_at_column=updated_at_column,
            )
    except psycopg.errors.QueryCanceled:
        return Measured(None, f"{relation.qualified}: statement timeout while reading it")
    except psycopg.errors.LockNotAvailable:
        return Measured(None, f"{relation.qualified}: locked by another session, skipped")
    except psycopg.Error as exc:
        return Measured(None, f"{relation.qualified}: {_first_line(exc)}")
    return Measured(
        TableFacts(
            database=database,
            host=host,
            port=port,
            schema=relation.schema,
            name=relation.name,
            relkind=relation.relkind,
            owner=relation.owner,
            comment=relation.comment,
            columns=relation.columns,
            geometries=relation.geometries,
            bbox=bbox,
            rows=rows,
            rows_estimated=estimated,
            updated=updated,
        )
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
