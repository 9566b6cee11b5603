"""A throw-away PostgreSQL cluster on 127.0.0.1 for the store contract suite.

Uses the server binaries of the Debian `postgresql` package (scripts/test.sh installs it):
initdb into a temporary folder, pg_ctl start on a free port with trust authentication and
fsync off (the data is thrown away), stop and delete at the end. PostgreSQL refuses to run as
root, so under root the cluster runs as the `postgres` user the package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from testkit.ports import free_port

__all__ = ["find_bin", "postgres_cluster", "temporary_database"]

USER = "moisson"


def find_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> tuple[int, ...]:
    part = Path(path).parents[1].name
    return tuple(int(p) for p in part.split(".") if p.isdigit())


@contextmanager
def postgres_cluster(bin_dir: Path) -> Iterator[str]:
    """Start a cluster; yield the SQLAlchemy URL of its `postgres` database."""
    root = Path(tempfile.mkdtemp(prefix="moisson-pg-"))
    data = root / "data"
    data.mkdir()
    as_user: Callable[[list[str]], list[str]] = lambda command: command  # noqa: E731
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (root, data):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        as_user = lambda command: ["runuser", "-u", "postgres", "--", *command]  # noqa: E731
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "cwd": root}
    try:
        subprocess.run(
            as_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    USER,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--no-sync",
                ]
            ),
            **run,  # type: ignore[call-overload]
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += " -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            as_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(root / "log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            **run,  # type: ignore[call-overload]
        )
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{log}") from exc
    try:
        yield f"postgresql+psycopg://{USER}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            as_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def temporary_database(server_url: str) -> Iterator[str]:
    """A fresh database on the cluster, dropped afterwards; yields its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    dsn = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
