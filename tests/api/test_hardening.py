"""Service hardening: every admin route behind an admin role, security headers, CORS, the
request size limit, the anonymous rate limit, access logs without secrets, and query
parameter fuzzing that never gives a 500."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import Settings
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import assert_error, check_against

GATEWAY = "10.0.0.1"
ADMIN = {"sec-username": "root", "sec-roles": "ROLE_MOISSON_ADMIN"}
USER = {"sec-username": "alice", "sec-roles": "ROLE_USER"}


def with_api(settings: Settings, auth: dict[str, Any] | None = None, **api: Any) -> Settings:
    data = settings.model_dump(mode="python")
    data["api"].update(api)
    data["auth"].update(auth or {"mode": "georchestra", "trusted_proxies": [GATEWAY]})
    return Settings.model_validate(data)


@pytest.fixture
def gated(settings: Settings, store: Store, backend: SearchBackend, records: Any) -> Flask:
    return create_app(
        Runtime(with_api(settings, anonymous_rate_limit=0), store=store, backend=backend)
    )


def _admin_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, concrete path) of every /api/admin rule Flask serves, dummy values filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/admin"):
            continue
        path = re.sub(r"<int:[^>]+>", "0", rule.rule)
        path = re.sub(r"<[^>]+>", "nope", path)
        found += [(m, path) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_every_admin_route_needs_an_admin_role(gated: Flask) -> None:
    routes = _admin_routes(gated)
    assert len(routes) >= 10  # runs, quarantine, harvest, retirements, mappings, clusters...
    client = gated.test_client()
    gateway = {"REMOTE_ADDR": GATEWAY}
    for method, path in routes:
        anonymous = client.open(path, method=method)
        assert_error(anonymous, 401)
        user = client.open(path, method=method, headers=USER, environ_base=gateway)
        assert_error(user, 403)
        forged = client.open(path, method=method, headers=ADMIN)  # not from the gateway
        assert_error(forged, 401)
        admin = client.open(path, method=method, headers=ADMIN, environ_base=gateway)
        assert admin.status_code not in {401, 403}, (method, path)
        assert admin.status_code < 500, (method, path, admin.get_data(as_text=True))


def test_security_headers_on_every_kind_of_response(gated: Flask) -> None:
    client = gated.test_client()
    for path in ("/api/search", "/api/nope", "/api/search?size=-1", "/openapi.json", "/"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "Authorization" in response.headers["Vary"]
        assert "Access-Control-Allow-Origin" not in response.headers  # CORS off by default
        response.close()


def test_cors_answers_configured_origins_only(
    settings: Settings, store: Store, backend: SearchBackend, records: Any
) -> None:
    app = create_app(
        Runtime(
            with_api(settings, cors_origins=["https://datahub.example.org"]),
            store=store,
            backend=backend,
        )
    )
    client = app.test_client()
    good = client.get("/api/search", headers={"Origin": "https://datahub.example.org"})
    assert good.headers["Access-Control-Allow-Origin"] == "https://datahub.example.org"
    assert "Origin" in good.headers["Vary"]
    bad = client.get("/api/search", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in bad.headers
    preflight = client.options(
        "/api/search",
        headers={"Origin": "https://datahub.example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_a_request_body_over_the_limit_is_refused(
    settings: Settings, store: Store, backend: SearchBackend, records: Any
) -> None:
    app = create_app(
        Runtime(
            with_api(settings, max_request_bytes=2048, admin_open=True),
            store=store,
            backend=backend,
        )
    )
    big = json.dumps({"concept": "x" * 5000})
    response = app.test_client().post(
        "/api/admin/mappings/preview", data=big, content_type="application/json"
    )
    assert_error(response, 413, contains="api.max_request_bytes")


def test_the_anonymous_rate_limit_answers_429_with_retry_after(
    settings: Settings, store: Store, backend: SearchBackend, records: Any
) -> None:
    app = create_app(
        Runtime(
            with_api(settings, anonymous_rate_limit=5, rate_limit_window=60),
            store=store,
            backend=backend,
        )
    )
    client = app.test_client()
    for _ in range(5):
        assert client.get("/api/search?size=0").status_code == 200
    refused = client.get("/api/search?size=0")
    assert_error(refused, 429, contains="api.anonymous_rate_limit")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other = client.get("/api/search?size=0", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200  # per client
    signed_in = client.get(
        "/api/search?size=0", headers=USER, environ_base={"REMOTE_ADDR": GATEWAY}
    )
    assert signed_in.status_code == 200  # identified callers are not limited
    assert client.get("/healthz").status_code == 200  # health checks are never limited


def test_access_logs_are_structured_and_hold_no_secret(
    settings: Settings,
    store: Store,
    backend: SearchBackend,
    records: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = "s3cret-admin-token-value"
    app = create_app(
        Runtime(
            with_api(settings, {"mode": "anonymous"}, admin_token=token),
            store=store,
            backend=backend,
        )
    )
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        client.get("/api/admin/runs", headers={"Authorization": f"Bearer {token}"})
        client.get("/api/admin/runs", headers={"Authorization": "Bearer wrong-guess-value"})
        client.get(f"/api/search?q=eau&token={token}&api_key={token}")
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in everything
    assert "wrong-guess-value" not in everything
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "moisson.access"]
    assert [(x["path"], x["status"], x["auth"]) for x in lines] == [
        ("/api/admin/runs", 200, "admin-token"),
        ("/api/admin/runs", 401, "anonymous"),
        ("/api/search", 400, "anonymous"),
    ]
    assert "token=[redacted]" in lines[2]["query"]
    assert all(isinstance(x["ms"], float) for x in lines)


_VALUES = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(['"', "(", "a AND", "NEAR(", "*", "1,2,3,4", "nan,0,1,1", "2020-13-45", ""]),
)


def _documented_gets(app: Flask) -> list[tuple[str, list[str]]]:
    """(path, query parameter names) of every public GET operation without path parameters,
    read from the app's own OpenAPI document."""
    doc = app.test_client().get("/openapi.json").get_json()
    found = []
    for path, item in doc["paths"].items():
        operation = item.get("get")
        if operation is None or "{" in path or path.startswith("/api/admin") or path == "/":
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        found.append((path, names))
    return found


@hsettings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis folder in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzzing_from_the_openapi_document_never_gives_a_500(gated: Flask, data: Any) -> None:
    """Parameters named in /openapi.json (plus an unknown one) with arbitrary values: every
    answer is a documented status whose body matches the documented schema; never a 500."""
    doc = gated.test_client().get("/openapi.json").get_json()
    path, names = data.draw(st.sampled_from(_documented_gets(gated)))
    params = data.draw(
        st.dictionaries(st.sampled_from([*names, "zzz"]), _VALUES, max_size=5), label="params"
    )
    response = gated.test_client().get(path, query_string=params)
    assert response.status_code < 500, (path, params, response.get_data(as_text=True))
    check_against(doc, path, "get", response)
