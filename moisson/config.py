"""The one configuration model, loaded once at start and passed down explicitly.

Precedence (highest first): `MOISSON_*` environment variables (nested keys with `__`, e.g.
`MOISSON_INDEX__URL`), then the TOML file named by `--config` or `MOISSON_CONFIG`, then the
defaults below. Secrets (admin token, source passwords) come only from the environment.

Each source is validated against the options model of its `kind`, which the source class
owns (moisson/plugins.py), so an unknown kind or a bad option fails here with the field
named, before anything runs. `docs/configuration.md` is generated from these models.
"""

from __future__ import annotations

import os
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from moisson.config_outputs import CswSettings, Gn4Settings, QgisSettings
from moisson.config_search_log import SearchLogSettings
from moisson.config_sections import (
    BUNDLED_RULES,
    BUNDLED_THESAURUS,
    ApiSettings,
    AuthSettings,
    DataSettings,
    DuplicatesSettings,
    HarvestSettings,
    IndexSettings,
    RetirementSettings,
    SchedulerSettings,
    ScheduleSettings,
    SourceAccess,
    SourceAuth,
    SourceSettings,
    StoreSettings,
    ThemesSettings,
)
from moisson.config_webui import WebUiSettings
from moisson.errors import ConfigError
from moisson.plugins import known, options_model

__all__ = [
    "BUNDLED_RULES",
    "BUNDLED_THESAURUS",
    "ApiSettings",
    "AuthSettings",
    "CswSettings",
    "DataSettings",
    "DuplicatesSettings",
    "HarvestSettings",
    "IndexSettings",
    "RetirementSettings",
    "ScheduleSettings",
    "SchedulerSettings",
    "SearchLogSettings",
    "Settings",
    "SourceAccess",
    "SourceAuth",
    "SourceSettings",
    "StoreSettings",
    "ThemesSettings",
    "WebUiSettings",
    "load_settings",
]

# The bundled sample config (package data), read when no config file is named.
DEFAULT_CONFIG = Path(str(files("samples") / "moisson.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOISSON_", env_nested_delimiter="__", extra="forbid"
    )

    store: StoreSettings = Field(default_factory=StoreSettings, description="Record store.")
    data: DataSettings = Field(
        default_factory=DataSettings, description="Files Moisson writes (never the package)."
    )
    index: IndexSettings = Field(default_factory=IndexSettings, description="Search index.")
    api: ApiSettings = Field(default_factory=ApiSettings, description="Search API.")
    auth: AuthSettings = Field(
        default_factory=AuthSettings, description="Caller identity and admin roles."
    )
    harvest: HarvestSettings = Field(
        default_factory=HarvestSettings, description="HTTP policy shared by all sources."
    )
    scheduler: SchedulerSettings = Field(
        default_factory=SchedulerSettings, description="`moisson scheduler`."
    )
    retirement: RetirementSettings = Field(
        default_factory=RetirementSettings,
        description="Retiring records no longer present at their source.",
    )
    themes: ThemesSettings = Field(
        default_factory=ThemesSettings,
        description="Theme thesaurus and mapping rules.",
    )
    duplicates: DuplicatesSettings = Field(
        default_factory=DuplicatesSettings,
        description="Duplicate detection and clusters.",
    )
    csw: CswSettings = Field(
        default_factory=CswSettings, description="OGC CSW 2.0.2 / ISO AP endpoint."
    )
    qgis: QgisSettings = Field(
        default_factory=QgisSettings, description="Generated QGIS projects (IDG plugin)."
    )
    search_log: SearchLogSettings = Field(
        default_factory=SearchLogSettings,
        description="Anonymous search counts for the activity dashboard.",
    )
    webui: WebUiSettings = Field(
        default_factory=WebUiSettings, description="The web interface (docs/webui.md)."
    )
    sources: list[SourceSettings] = Field(
        default_factory=list, description="Catalogues to harvest, one table per source."
    )
    gn4: list[Gn4Settings] = Field(
        default_factory=lambda: [Gn4Settings()],
        description="GeoNetwork 4 API facade mounts for geonetwork-ui datahubs (one table "
        "per mount; `gn4 = []` serves none).",
    )

    @field_validator("sources", mode="before")
    @classmethod
    def _sources_by_kind(cls, value: Any) -> Any:
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

    @model_validator(mode="after")
    def _rule_edits_in_data_folder(self) -> Settings:
        self.themes._edits = self.data.dir / "theme-rules.yaml"
        return self

    def source(self, source_id: str) -> SourceSettings:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError(f"unknown source {source_id!r}; configured sources: {known}")


def _resolve_relative(data: dict[str, Any], base: Path, writable: Path) -> None:
    """Make relative paths relative to the config file, not to whatever directory the
    command happened to run in: `file:` URLs and theme files against `base` (the config's
    folder), what Moisson writes (SQLite files, the data folder) against `writable` (the same
    folder, except for the bundled config, whose folder is inside the installed package)."""
    section = data.setdefault("data", {})
    if isinstance(section, dict):
        section["dir"] = str(writable / section.get("dir", "var"))
    for section in ("store", "index"):
        url = data.get(section, {}).get("url")
        if (
            isinstance(url, str)
            and url.startswith("sqlite:///")
            and not url.startswith("sqlite:////")
        ):
            data[section]["url"] = "sqlite:///" + str(writable / url[len("sqlite:///") :])
    themes = data.get("themes")
    if isinstance(themes, dict):
        for key in ("thesaurus", "rules"):
            if isinstance(themes.get(key), str):
                themes[key] = str(base / themes[key])  # absolute paths stay as they are
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
    bundled = file == DEFAULT_CONFIG.resolve()
    _resolve_relative(data, file.parent, Path.cwd() if bundled else file.parent)
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
        def settings_customise_sources(
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
            # Same text whether run as `python -m moisson.config` or imported.
            for module in ("__main__.", f"{__name__}.", "moisson.config_sections."):
                kind = kind.replace(module, "")
            default = (
                "required"
                if info.is_required()
                else f"`{info.get_default(call_default_factory=False)!r}`"
            )
            lines.append(f"| `{name}` | `{kind}` | {default} | {info.description or ''} |")
        lines.append("")

    sections = (
        "store",
        "data",
        "index",
        "api",
        "auth",
        "harvest",
        "scheduler",
        "retirement",
        "themes",
    )
    for section in (*sections, "duplicates", "csw", "qgis", "search_log", "webui"):
        field = Settings.model_fields[section]
        lines.extend([f"## [{section}]", "", field.description or "", ""])
        table(field.annotation)  # type: ignore[arg-type]
    lines.extend(["## [[gn4]]", "", " ".join((Gn4Settings.__doc__ or "").split()), ""])
    table(Gn4Settings)
    lines.extend(["## [[sources]]", "", "Fields every source has:", ""])
    table(SourceSettings)
    lines.extend(["### [sources.schedule]", "", ScheduleSettings.__doc__ or "", ""])
    table(ScheduleSettings)
    lines.extend(["### [sources.auth]", "", " ".join((SourceAuth.__doc__ or "").split()), ""])
    table(SourceAuth)
    lines.extend(["### [sources.access]", "", " ".join((SourceAccess.__doc__ or "").split()), ""])
    table(SourceAccess)
    common = frozenset(SourceSettings.model_fields)
    for kind in known("sources"):
        lines.extend([f'### kind = "{kind}"', ""])
        table(options_model(kind), skip=common)
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference_markdown(), end="")
