"""Config: one TOML file, env overrides, clear errors naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from moisson.config import DEFAULT_CONFIG, load_settings, reference_markdown
from moisson.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """
[store]
url = "sqlite:///var/moisson.db"
[index]
url = "sqlite:///var/index.db"
[[sources]]
id = "sample-csw"
kind = "csw"
url = "file:csw"
name = "Sample regional SDI"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "moisson.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_loads_with_paths_resolved_against_the_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.store.url == f"sqlite:///{tmp_path}/var/moisson.db"
    assert settings.sources[0].url == (tmp_path / "csw").as_uri()
    assert settings.sources[0].kind == "csw"
    assert settings.sources[0].page_size == 50  # the csw kind's own option, defaulted


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOISSON_INDEX__URL", "sqlite:////srv/index.db")
    monkeypatch.setenv("MOISSON_API__PORT", "9999")
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.index.url == "sqlite:////srv/index.db"
    assert settings.api.port == 9999
    assert settings.store.url.endswith("var/moisson.db")  # untouched keys keep file values


def test_moisson_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOISSON_CONFIG", str(write(tmp_path, MINIMAL)))
    assert load_settings().sources[0].id == "sample-csw"


def test_unknown_kind_lists_known_kinds(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown source kind 'gopher'; known source kinds"):
        load_settings(write(tmp_path, MINIMAL.replace('kind = "csw"', 'kind = "gopher"')))


def test_bad_field_is_named(tmp_path: Path) -> None:
    text = MINIMAL.replace('name = "Sample regional SDI"', "page_size = 0")
    with pytest.raises(ConfigError, match=r"sources\.0\.page_size: Input should be greater"):
        load_settings(write(tmp_path, text))


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"store\.uri: Extra inputs are not permitted"):
        load_settings(write(tmp_path, MINIMAL.replace("[store]\nurl", "[store]\nuri")))


def test_duplicate_source_ids_are_refused(tmp_path: Path) -> None:
    source = MINIMAL[MINIMAL.index("[[sources]]") :]
    with pytest.raises(ConfigError, match="source id 'sample-csw' appears twice"):
        load_settings(write(tmp_path, MINIMAL + source))


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[store\n"))
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_bundled_sample_config_is_valid() -> None:
    settings = load_settings(DEFAULT_CONFIG)
    assert [(s.id, s.kind) for s in settings.sources] == [
        ("sample-csw", "csw"),
        ("sample-dcat", "dcat"),
        ("sample-ckan", "ckan"),
        ("sample-ogcapi", "ogcapi-records"),
    ]


def test_configuration_doc_is_generated_from_the_model() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert doc == reference_markdown(), (
        "docs/configuration.md is stale: run `python -m moisson.config > docs/configuration.md`"
    )
