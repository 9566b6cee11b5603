"""API tokens (auth mode `token`): created, listed and revoked by `moisson tokens`.

A token is shown once, at creation; the store keeps only its SHA-256 (tokens are 256 random
bits, so a plain hash is enough: nothing to brute-force, no need for a slow KDF) with a
name, its roles and its creation and revocation times. The table lives in the store
database under its own MetaData, created on first use, like the duplicate tables.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from indexer.store import Store
from moisson.errors import NotFound

__all__ = ["PREFIX", "TokenRow", "Tokens", "hash_token"]

logger = logging.getLogger(__name__)

PREFIX = "mst_"  # recognisable in a leaked file, and by secret scanners


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    roles: list[str]
    created: datetime
    revoked: datetime | None


def _row(data: dict[str, Any]) -> TokenRow:
    return TokenRow(
        id=int(data["id"]),
        name=str(data["name"]),
        roles=list(data["roles"]),
        created=data["created"],
        revoked=data["revoked"],
    )


class Tokens:
    """The token table over an open Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, name: str, roles: list[str]) -> tuple[TokenRow, str]:
        """A new token: its row and the secret, which is never stored nor shown again."""
        secret = PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(UTC).replace(tzinfo=None)
        clean = sorted({r.strip() for r in roles if r.strip()})
        new_id = self.store.add_token(name, hash_token(secret), clean, now)
        return TokenRow(new_id, name, clean, now, None), secret

    def list(self) -> list[TokenRow]:
        return [_row(r) for r in self.store.token_rows()]

    def revoke(self, token_id: int) -> TokenRow:
        now = datetime.now(UTC).replace(tzinfo=None)
        row, done = self.store.revoke_token(token_id, now)
        if row is None:
            raise NotFound(f"no API token {token_id}; see `moisson tokens list`")
        if not done:
            logger.info("token %d was already revoked", token_id)
        return _row(row)

    def roles_of(self, secret: str) -> builtins.list[str] | None:
        """The roles of a valid, unrevoked token; None for anything else."""
        digest = hash_token(secret)
        row = self.store.live_token(digest)
        if row is None or not hmac.compare_digest(str(row["sha256"]), digest):
            return None
        return list(row["roles"])
