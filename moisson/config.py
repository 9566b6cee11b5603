"""The one configuration model, loaded once at start and passed down explicitly.

Precedence (highest first): `MOISSON_*` environment variables (nested keys with `__`, e.g.
`MOISSON_INDEX__URL`), then the TOML file named by `--config` or `MOISSON_CONFIG`, then the
defaults below. Secrets (admin token, source passwords) come only from the environment.

Each source is validated against the options model of its `kind`, which the source class
owns (harvester/registry.py), so an unknown kind or a bad option fails here with the field
named, before anything runs. `docs/configuration.md` is generated from these models.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from moisson.errors import ConfigError

__all__ = [
    "ApiSettings",
    "HarvestSettings",
    "IndexSettings",
    "Settings",
    "SourceSettings",
    "StoreSettings",
    "load_settings",
]

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "samples" / "moisson.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Section):
    url: str = Field(
        "sqlite:///var/moisson.db",
        description="SQLAlchemy URL of the record store (raw payloads, records, runs). "
        "Relative SQLite paths are resolved against the config file's folder.",
    )


class IndexSettings(_Section):
    url: str = Field(
        "sqlite:///var/index.db",
        description="Search index: `sqlite:///PATH` for the embedded index; "
        "`http(s)://host:9200` for OpenSearch.",
    )


class ApiSettings(_Section):
    host: str = Field("127.0.0.1", description="Address `moisson serve` binds to.")
    port: int = Field(8080, ge=0, le=65535, description="Port `moisson serve` binds to.")
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token for /api/admin endpoints; set it with "
        "MOISSON_API__ADMIN_TOKEN, never in the file.",
    )
    max_page_size: int = Field(100, ge=1, le=1000, description="Largest `size` a search accepts.")


class HarvestSettings(_Section):
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for a remote server.")
    max_response_bytes: int = Field(
        100 * 1024 * 1024, gt=0, description="Largest response accepted from a source, in bytes."
    )
    user_agent: str = Field(
        "Moisson-harvester/0.1 (+https://github.com/moisson)",
        description="User-Agent header sent to sources.",
    )


class SourceSettings(BaseModel):
    """Fields every source has. Each kind extends this with its own options (see
    harvester/registry.py); unknown fields are rejected by those models."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
        description="Stable short name: lower-case letters, digits, '-' and '_'.",
    )
    kind: str = Field(description="Source kind; see `moisson sources --kinds`.")
    url: str = Field(description="Endpoint URL, or file:///path (a file or a folder of files).")
    name: str = Field("", description="Human-readable name shown in facets.")
    enabled: bool = Field(True, description="Disabled sources are kept but not harvested.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOISSON_", env_nested_delimiter="__", extra="forbid"
    )

    store: StoreSettings = Field(default_factory=StoreSettings, description="Record store.")
    index: IndexSettings = Field(default_factory=IndexSettings, description="Search index.")
    api: ApiSettings = Field(default_factory=ApiSettings, description="Search API.")
    harvest: HarvestSettings = Field(
        default_factory=HarvestSettings, description="HTTP policy shared by all sources."
    )
    sources: list[SourceSettings] = Field(
        default_factory=list, description="Catalogues to harvest, one table per source."
    )

    @field_validator("sources", mode="before")
    @classmethod
    def _sources_by_kind(cls, value: Any) -> Any:
        # Imported here: the registry imports source modules, which import this module.
        from harvester.registry import options_model

        if not isinstance(value, list):
            return value
        out: list[Any] = []
        problems: list[Any] = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                out.append(item)
                continue
            model = options_model(str(item.get("kind", "")))
            try:
                out.append(model.model_validate(item))
            except ValidationError as exc:
                # Keep the list position in the location so the message names the source.
                problems += [{**e, "loc": (index, *e["loc"])} for e in exc.errors()]
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return out

    @field_validator("sources")
    @classmethod
    def _unique_ids(cls, value: list[SourceSettings]) -> list[SourceSettings]:
        seen: set[str] = set()
        for source in value:
            if source.id in seen:
                raise ValueError(f"source id {source.id!r} appears twice")
            seen.add(source.id)
        return value

    def source(self, source_id: str) -> SourceSettings:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError(f"unknown source {source_id!r}; configured sources: {known}")


def _resolve_relative(data: dict[str, Any], base: Path) -> None:
    """Make relative SQLite paths and `file:` URLs relative to the config file, not to
    whatever directory the command happened to run in."""
    for section in ("store", "index"):
        url = data.get(section, {}).get("url")
        if (
            isinstance(url, str)
            and url.startswith("sqlite:///")
            and not url.startswith("sqlite:////")
        ):
            data[section]["url"] = "sqlite:///" + str(base / url[len("sqlite:///") :])
    for source in data.get("sources", []):
        url = source.get("url") if isinstance(source, dict) else None
        if isinstance(url, str) and url.startswith("file:") and not url.startswith("file:/"):
            source["url"] = (base / url[len("file:") :]).resolve().as_uri()


def _format_validation(error: ValidationError, origin: str) -> str:
    lines = [f"invalid configuration in {origin}:"]
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def load_settings(path: str | Path | None = None) -> Settings:
    """Read the TOML file (argument, else $MOISSON_CONFIG, else the bundled sample config),
    apply environment overrides, validate. Raises ConfigError naming each bad field."""
    chosen = path or os.environ.get("MOISSON_CONFIG") or DEFAULT_CONFIG
    file = Path(chosen).expanduser().resolve()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {file}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {file} is not valid TOML: {exc}") from exc
    _resolve_relative(data, file.parent)
    try:
        # Init kwargs would rank above env vars; the file goes in as its own source instead.
        return _with_file_defaults(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc, str(file))) from exc
    except ConfigError as exc:
        raise ConfigError(f"invalid configuration in {file}: {exc.message}") from exc


class _FileValues(PydanticBaseSettingsSource):
    """The TOML file as a settings source ranked below environment variables."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self.data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.data)


def _with_file_defaults(data: dict[str, Any]) -> Settings:
    class _Loaded(Settings):
        @classmethod
        def settings_customise_sources(  # type: ignore[override]
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, _FileValues(settings_cls, data))

    return _Loaded()


def reference_markdown() -> str:
    """docs/configuration.md, generated from the models so the two cannot diverge (a test
    compares them). Regenerate with `python -m moisson.config > docs/configuration.md`."""
    from harvester.registry import known_kinds, options_model

    lines = [
        "# Configuration reference",
        "",
        "Generated from `moisson/config.py` by `python -m moisson.config`; do not edit.",
        "",
        "One TOML file (`--config FILE`, else `$MOISSON_CONFIG`, else `samples/moisson.toml`).",
        "Every key can be overridden by an environment variable: `MOISSON_` + section + `__` +",
        "key, upper-case (e.g. `MOISSON_INDEX__URL`). Secrets come only from the environment.",
        "",
    ]

    def table(model: type[BaseModel], skip: frozenset[str] = frozenset()) -> None:
        lines.extend(["| key | type | default | description |", "|---|---|---|---|"])
        for name, info in model.model_fields.items():
            if name in skip:
                continue
            kind = getattr(info.annotation, "__name__", str(info.annotation))
            default = (
                "required"
                if info.is_required()
                else f"`{info.get_default(call_default_factory=False)!r}`"
            )
            lines.append(f"| `{name}` | `{kind}` | {default} | {info.description or ''} |")
        lines.append("")

    for section in ("store", "index", "api", "harvest"):
        field = Settings.model_fields[section]
        lines.extend([f"## [{section}]", "", field.description or "", ""])
        table(field.annotation)  # type: ignore[arg-type]
    lines.extend(["## [[sources]]", "", "Fields every source has:", ""])
    table(SourceSettings)
    common = frozenset(SourceSettings.model_fields)
    for kind in known_kinds():
        lines.extend([f'### kind = "{kind}"', ""])
        table(options_model(kind), skip=common)
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference_markdown(), end="")
