"""compose.yaml against the code: Docker does not run here, so the deployment file is checked
by reading it. Every MOISSON_* variable it sets must be a field of the config model (a typo
would be silently ignored by pydantic-settings), the values must validate, and the services the
app needs must be there, healthy before the app starts, with commands the CLI has."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from indexer.backends import build_backend
from indexer.backends.opensearch import OpenSearchBackend
from moisson.config import Settings, load_settings
from pipeline.cli import _parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = ("api", "scheduler")
# Read by load_settings() itself rather than being a field of Settings.
NOT_FIELDS = {"MOISSON_CONFIG"}
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[?-][^}]*)?\}")


def environment(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in SERVICES[service].get("environment", {}).items()}


def interpolated(value: str) -> str:
    """The value as compose would pass it, with every ${VAR...} given a dummy value."""
    return _INTERPOLATION.sub(lambda m: f"dummy-{m.group(1).lower()}", value)


def field_of(name: str) -> tuple[type[BaseModel], str]:
    """Walk MOISSON_A__B to Settings.a.b; fails the test when a step is not a field."""
    model: type[BaseModel] = Settings
    *sections, last = name.removeprefix("MOISSON_").lower().split("__")
    for section in sections:
        assert section in model.model_fields, f"{name}: {section!r} is not a config section"
        annotation = model.model_fields[section].annotation
        assert isinstance(annotation, type) and issubclass(annotation, BaseModel), name
        model = annotation
    assert last in model.model_fields, f"{name}: {last!r} is not a field of {model.__name__}"
    return model, last


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_moisson_variable_is_a_config_field(service: str) -> None:
    names = [n for n in environment(service) if n.startswith("MOISSON_")]
    assert names
    for name in names:
        if name not in NOT_FIELDS:
            field_of(name)


@pytest.mark.parametrize("service", APP_SERVICES)
def test_the_environment_loads_into_valid_settings(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment(service).items():
        if name.startswith("MOISSON_") and name not in NOT_FIELDS:
            monkeypatch.setenv(name, interpolated(value))
    settings = load_settings(ROOT / "samples" / "moisson.toml")
    assert settings.store.url.startswith("postgresql://")
    assert "@postgres:5432/" in settings.store.url
    backend = build_backend(settings.index.url)  # no I/O: only parses the URL
    assert isinstance(backend, OpenSearchBackend)
    assert backend.hosts == ["http://opensearch:9200"]
    assert settings.api.admin_token is not None


def test_the_app_needs_opensearch_and_postgres_healthy_first() -> None:
    for service in APP_SERVICES:
        depends = SERVICES[service]["depends_on"]
        assert {name: d["condition"] for name, d in depends.items()} == {
            "opensearch": "service_healthy",
            "postgres": "service_healthy",
        }


def test_every_service_has_a_health_check_and_restarts() -> None:
    assert set(SERVICES) == {"opensearch", "postgres", "api", "scheduler", "datahub"}
    for name, service in SERVICES.items():
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name


def test_the_commands_are_cli_commands() -> None:
    commands = {c for c in _parser()._subparsers._group_actions[0].choices}  # type: ignore[union-attr]
    for service in APP_SERVICES:
        command = SERVICES[service]["command"]
        assert command[0] == "moisson" and command[1] in commands, service
        _parser().parse_args(command[1:])  # the options exist too
    assert SERVICES["api"]["command"][1] == "serve"  # gunicorn, not Flask's dev server
    assert SERVICES["scheduler"]["command"][1] == "scheduler"


def test_the_app_services_share_one_image_built_here() -> None:
    images = {SERVICES[s]["image"] for s in APP_SERVICES}
    assert images == {"moisson:latest"}
    assert all(SERVICES[s]["build"] == "." for s in APP_SERVICES)
    assert (ROOT / "Dockerfile").is_file()


def test_the_api_listens_where_its_port_and_health_check_say() -> None:
    env = environment("api")
    port = env["MOISSON_API__PORT"]
    api = SERVICES["api"]
    assert api["command"][api["command"].index("--port") + 1] == port
    assert any(p.endswith(f":{port}") for p in api["ports"])
    assert f":{port}/healthz" in " ".join(api["healthcheck"]["test"])


def test_named_volumes_are_declared_and_data_is_kept() -> None:
    declared = set(COMPOSE["volumes"])
    used = {
        v.split(":")[0]
        for service in SERVICES.values()
        for v in service.get("volumes", [])
        if not v.startswith((".", "/"))
    }
    assert used == declared
    mounts = {name: " ".join(s.get("volumes", [])) for name, s in SERVICES.items()}
    assert "/usr/share/opensearch/data" in mounts["opensearch"]
    assert "/var/lib/postgresql/data" in mounts["postgres"]


def test_opensearch_is_the_version_the_tests_run() -> None:
    pom = (ROOT / "scripts" / "opensearch" / "pom.xml").read_text(encoding="utf-8")
    runner = re.search(r"<version>(\d+\.\d+\.\d+)\.\d+</version>", pom)
    assert runner is not None
    assert SERVICES["opensearch"]["image"] == f"opensearchproject/opensearch:{runner.group(1)}"


def test_the_image_copies_every_package_the_wheel_holds() -> None:
    """The Dockerfile builds the wheel from copied folders: a package left out of the COPY
    lines would be missing from the image while every test here passes."""
    include = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["packages"]["find"]["include"]
    packages = {name.split(".")[0].rstrip("*") for name in include}
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.M))
    assert packages <= copied, sorted(packages - copied)
