"""API token rows: only each token's SHA-256, its name, roles and dates (indexer/tokens.py
makes and checks the secrets). The table is created on first use."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from indexer.store.base import StoreBase, new_id
from indexer.store.schema import api_tokens, token_metadata

__all__ = ["TokenTable"]


def _token(row: Any) -> dict[str, Any]:
    token = dict(row._mapping)
    token["roles"] = list(json.loads(str(token["roles"])))
    return token


class TokenTable(StoreBase):
    """Rows of `api_tokens`, as dicts with `roles` decoded to a list."""

    def _tokens(self) -> sa.Engine:
        return self._ensure(token_metadata, "the token table")

    def add_token(self, name: str, sha256: str, roles: list[str], created: datetime) -> int:
        """Store a new token's hash; its id."""
        with self._tokens().begin() as conn:
            result = conn.execute(
                api_tokens.insert().values(
                    name=name, sha256=sha256, roles=json.dumps(roles), created=created
                )
            )
        return new_id(result)

    def token_rows(self) -> list[dict[str, Any]]:
        """Every token, revoked ones too, in creation order."""
        with self._tokens().connect() as conn:
            rows = conn.execute(api_tokens.select().order_by(api_tokens.c.id)).fetchall()
        return [_token(r) for r in rows]

    def revoke_token(self, token_id: int, at: datetime) -> tuple[dict[str, Any] | None, bool]:
        """Revoke a token unless it already was: its row (None if there is no such token)
        and whether this call revoked it."""
        with self._tokens().begin() as conn:
            done = conn.execute(
                api_tokens.update()
                .where(api_tokens.c.id == token_id, api_tokens.c.revoked.is_(None))
                .values(revoked=at)
            )
            row = conn.execute(api_tokens.select().where(api_tokens.c.id == token_id)).first()
        return (_token(row) if row is not None else None), bool(done.rowcount)

    def live_token(self, sha256: str) -> dict[str, Any] | None:
        """The unrevoked token with that hash, if any."""
        with self._tokens().connect() as conn:
            row = conn.execute(
                api_tokens.select().where(
                    api_tokens.c.sha256 == sha256, api_tokens.c.revoked.is_(None)
                )
            ).first()
        return _token(row) if row is not None else None
