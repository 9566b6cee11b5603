"""`moisson tokens create|list|revoke` against a real store, and the token against the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.backends import build_backend
from indexer.store import Store
from moisson.config import load_settings
from pipeline.cli import main
from pipeline.runtime import Runtime
from search_api.app import create_app


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "moisson.toml"
    path.write_text(
        '[store]\nurl = "sqlite:///store.db"\n[index]\nurl = "sqlite:///index.db"\n'
        '[auth]\nmode = "token"\n',
        encoding="utf-8",
    )
    return path


def test_create_list_revoke_and_use(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--config", str(config), "tokens", "create", "ops", "--role", "ROLE_MOISSON_ADMIN"
    )
    assert code == 0
    secret = out.splitlines()[-1]
    assert secret.startswith("mst_") and len(secret) > 40
    assert "roles: ROLE_MOISSON_ADMIN" in out

    code, listed, _ = run(capsys, "--config", str(config), "tokens", "list")
    assert code == 0
    assert secret not in listed
    assert listed.startswith("1\tops\tROLE_MOISSON_ADMIN\t") and listed.rstrip().endswith("active")
    store_bytes = (config.parent / "store.db").read_bytes()
    assert secret.encode() not in store_bytes  # only the hash is stored

    settings = load_settings(config)
    backend = build_backend(settings.index.url)
    with Store(settings.store.url) as store:
        backend.open()
        try:
            client = create_app(Runtime(settings, store=store, backend=backend)).test_client()
            bearer = {"Authorization": f"Bearer {secret}"}
            assert client.get("/api/admin/runs", headers=bearer).status_code == 200
            assert run(capsys, "--config", str(config), "tokens", "revoke", "1")[0] == 0
            assert client.get("/api/admin/runs", headers=bearer).status_code == 401
        finally:
            backend.close()
    assert "revoked" in run(capsys, "--config", str(config), "tokens", "list")[1]
    code, _, err = run(capsys, "--config", str(config), "tokens", "revoke", "7")
    assert code == 1 and "no API token 7" in err
