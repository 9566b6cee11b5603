"""A small PostGIS business database for the source tests: what internal tools and QField
leave behind. Points, lines and polygons in Lambert-93 (EPSG:2154) and WGS84, a view, a
table without comment, an empty table, a table whose statistics claim millions of rows, a
non-spatial table, and a table the harvesting account may not read."""

from __future__ import annotations

import psycopg

__all__ = ["READER_PASSWORD", "load_business_tables", "reader_role"]

READER_PASSWORD = "lecture-seule"

SCHEMA_SQL = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA metier;
CREATE SCHEMA prive;

CREATE TABLE metier.parcelles_agricoles (
    id serial PRIMARY KEY,
    culture text,
    surface_ha numeric,
    updated_at timestamptz,
    geom geometry(MultiPolygon, 2154)
);
COMMENT ON TABLE metier.parcelles_agricoles IS
    'Parcellaire agricole des exploitations suivies
Îlots culturaux déclarés, saisis sous QField lors des visites.';
COMMENT ON COLUMN metier.parcelles_agricoles.culture IS 'Code culture PAC';
INSERT INTO metier.parcelles_agricoles (culture, surface_ha, updated_at, geom) VALUES
  ('BTH', 12.5, '2025-03-14 10:00+01',
   ST_Multi(ST_MakeEnvelope(350000, 6780000, 352000, 6782000, 2154))),
  ('MIS', 8.0, '2025-06-02 09:30+02',
   ST_Multi(ST_MakeEnvelope(360000, 6790000, 361500, 6791000, 2154)));

CREATE TABLE metier.observations_faune (
    id serial PRIMARY KEY,
    espece text,
    observe_le date,
    geom geometry(Point, 4326)
);
COMMENT ON TABLE metier.observations_faune IS 'Observations de faune (inventaires de terrain)';
INSERT INTO metier.observations_faune (espece, observe_le, geom) VALUES
  ('Lutra lutra', '2024-05-01', ST_SetSRID(ST_MakePoint(-1.68, 48.11), 4326)),
  ('Castor fiber', '2024-06-12', ST_SetSRID(ST_MakePoint(-1.52, 48.20), 4326));

CREATE TABLE metier.troncons_cours_eau (
    id serial PRIMARY KEY,
    nom text,
    geom geometry(LineString, 2154)
);
INSERT INTO metier.troncons_cours_eau (nom, geom) VALUES
  ('La Vilaine', ST_GeomFromText('LINESTRING(351000 6785000, 355000 6789000)', 2154));

CREATE VIEW metier.v_parcelles_ble AS
  SELECT id, culture, geom FROM metier.parcelles_agricoles WHERE culture = 'BTH';
COMMENT ON VIEW metier.v_parcelles_ble IS 'Parcelles en blé tendre';

CREATE TABLE metier.releves_vides (id serial PRIMARY KEY, geom geometry(Point, 2154));
COMMENT ON TABLE metier.releves_vides IS 'Relevés à venir';

CREATE TABLE metier.capteurs_mesures (
    id bigserial PRIMARY KEY, valeur real, geom geometry(Point, 4326)
);
COMMENT ON TABLE metier.capteurs_mesures IS 'Mesures des capteurs de qualité de l''air';
INSERT INTO metier.capteurs_mesures (valeur, geom)
  SELECT g, ST_SetSRID(ST_MakePoint(2.3 + g / 1000.0, 48.8), 4326)
  FROM generate_series(1, 200) AS g;
ANALYZE metier.capteurs_mesures;
-- What the planner believes of a table too big to count: the harvester must trust it.
UPDATE pg_class SET reltuples = 25000000 WHERE oid = 'metier.capteurs_mesures'::regclass;

CREATE TABLE metier.nomenclature_cultures (code text PRIMARY KEY, libelle text);
INSERT INTO metier.nomenclature_cultures VALUES ('BTH', 'Blé tendre d''hiver');

CREATE TABLE prive.salaires (id serial PRIMARY KEY, geom geometry(Point, 2154));
"""


def reader_role(database: str) -> str:
    return f"lecteur_{database}"


def load_business_tables(dsn: str, database: str) -> None:
    """Create the tables and a read-only login that may read `metier` but not `prive`."""
    role = reader_role(database)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA_SQL)
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{READER_PASSWORD}'")
        conn.execute(f"GRANT USAGE ON SCHEMA metier, prive TO {role}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA metier TO {role}")
        conn.execute("SELECT pg_stat_force_next_flush()")
