"""API tokens (auth mode `token`): created, listed and revoked by `moisson tokens`.

A token is shown once, at creation; the store keeps only its SHA-256 (tokens are 256 random
bits, so a plain hash is enough: nothing to brute-force, no need for a slow KDF) with a
name, its roles and its creation and revocation times. The table lives in the store
database under its own MetaData, created on first use, like the duplicate tables.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from indexer.store import Store
from moisson.errors import BackendUnavailable, NotFound

__all__ = ["PREFIX", "TokenRow", "Tokens", "hash_token"]

logger = logging.getLogger(__name__)

PREFIX = "mst_"  # recognisable in a leaked file, and by secret scanners

token_metadata = sa.MetaData()

api_tokens = sa.Table(
    "api_tokens",
    token_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("roles", sa.Text, nullable=False),  # JSON list
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("revoked", sa.DateTime),
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    roles: list[str]
    created: datetime
    revoked: datetime | None


def _row(row: sa.Row[tuple[object, ...]]) -> TokenRow:
    data = row._mapping
    return TokenRow(
        id=int(data["id"]),
        name=str(data["name"]),
        roles=list(json.loads(str(data["roles"]))),
        created=data["created"],  # type: ignore[arg-type]
        revoked=data["revoked"],  # type: ignore[arg-type]
    )


class Tokens:
    """The token table over an open Store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._ready = False

    def _engine(self) -> sa.Engine:
        engine = self.store.engine
        if not self._ready:
            try:
                token_metadata.create_all(engine)
            except SQLAlchemyError as exc:
                raise BackendUnavailable("cannot create the token table", detail=str(exc)) from exc
            self._ready = True
        return engine

    def create(self, name: str, roles: list[str]) -> tuple[TokenRow, str]:
        """A new token: its row and the secret, which is never stored nor shown again."""
        secret = PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(UTC).replace(tzinfo=None)
        clean = sorted({r.strip() for r in roles if r.strip()})
        with self._engine().begin() as conn:
            new_id = conn.execute(
                api_tokens.insert().values(
                    name=name, sha256=hash_token(secret), roles=json.dumps(clean), created=now
                )
            ).inserted_primary_key[0]
        return TokenRow(int(new_id), name, clean, now, None), secret

    def list(self) -> list[TokenRow]:
        with self._engine().connect() as conn:
            rows = conn.execute(api_tokens.select().order_by(api_tokens.c.id)).fetchall()
        return [_row(r) for r in rows]

    def revoke(self, token_id: int) -> TokenRow:
        now = datetime.now(UTC).replace(tzinfo=None)
        with self._engine().begin() as conn:
            done = conn.execute(
                api_tokens.update()
                .where(api_tokens.c.id == token_id, api_tokens.c.revoked.is_(None))
                .values(revoked=now)
            )
            row = conn.execute(api_tokens.select().where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise NotFound(f"no API token {token_id}; see `moisson tokens list`")
        if not done.rowcount:
            logger.info("token %d was already revoked", token_id)
        return _row(row)

    def roles_of(self, secret: str) -> list[str] | None:
        """The roles of a valid, unrevoked token; None for anything else."""
        digest = hash_token(secret)
        with self._engine().connect() as conn:
            row = conn.execute(
                api_tokens.select().where(
                    api_tokens.c.sha256 == digest, api_tokens.c.revoked.is_(None)
                )
            ).first()
        if row is None or not hmac.compare_digest(str(row._mapping["sha256"]), digest):
            return None
        return list(json.loads(str(row._mapping["roles"])))
