"""Real servers for the source tests: a PostGIS database on the session's throw-away
PostgreSQL cluster (testkit/postgres_cluster.py), loaded with business tables; a Samba share."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from testkit.postgres_cluster import find_bin
from tests.conftest import require
from tests.sources.azurite_server import azurite_binary, azurite_blob
from tests.sources.postgis_data import load_business_tables
from tests.sources.samba_server import SambaShare, samba_share, smbd_binary


def postgis_installed() -> bool:
    bin_dir = find_bin()
    if bin_dir is None:
        return False
    version = bin_dir.parent.name
    return Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists()


@pytest.fixture
def business_db(postgres_url: str) -> Iterator[str]:
    """A fresh database with the business tables; yields its libpq URL (no password)."""
    require(
        postgis_installed(),
        "PostGIS not installed for the test cluster "
        "(apt-get install postgresql-15-postgis-3; scripts/test.sh does it)",
    )
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    database = urlsplit(dsn).path.lstrip("/")
    load_business_tables(dsn, database)
    yield dsn


@pytest.fixture(scope="session")
def samba() -> Iterator[SambaShare]:
    """A real smbd on a loopback port for the whole session (tests/sources/samba_server.py)."""
    require(
        smbd_binary() is not None,
        "Samba not installed (apt-get install samba; scripts/test.sh does it)",
    )
    require(os.geteuid() == 0, "the throw-away smbd serves its share as root: run as root")
    with samba_share() as share:
        yield share


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """Azurite's Blob service for the whole session; yields its connection string."""
    require(
        azurite_binary() is not None,
        "Azurite not installed (npm install --prefix ~/.cache/moisson/azurite azurite; "
        "scripts/test.sh does it)",
    )
    with azurite_blob() as connection_string:
        yield connection_string


def run_sql(dsn: str, statement: str) -> None:
    """One statement as the cluster's superuser, with its statistics flushed at once (so
    the next harvest sees the counters move)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement)
        conn.execute("SELECT pg_stat_force_next_flush()")
