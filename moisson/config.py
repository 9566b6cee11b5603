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
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from moisson.errors import ConfigError

__all__ = [
    "ApiSettings",
    "AuthSettings",
    "DuplicatesSettings",
    "HarvestSettings",
    "IndexSettings",
    "RetirementSettings",
    "ScheduleSettings",
    "SchedulerSettings",
    "Settings",
    "SourceAccess",
    "SourceAuth",
    "SourceSettings",
    "StoreSettings",
    "ThemesSettings",
    "load_settings",
]

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "samples" / "moisson.toml"
BUNDLED_THESAURUS = Path(__file__).resolve().parent.parent / "thesaurus" / "themes.ttl"
BUNDLED_RULES = Path(__file__).resolve().parent.parent / "mappings" / "theme-rules.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Section):
    url: str = Field(
        "sqlite:///var/moisson.db",
        description="SQLAlchemy URL of the record store (raw payloads, records, runs): "
        "`sqlite:///PATH` (embedded) or `postgresql://user@host:5432/db` (psycopg 3). "
        "Relative SQLite paths are resolved against the config file's folder.",
    )


class IndexSettings(_Section):
    url: str = Field(
        "sqlite:///var/index.db",
        description="Search index: `sqlite:///PATH` for the embedded index; "
        "`http(s)://[user:password@]host:9200[,host2:9200]/ALIAS[?replicas=N&shards=N]` for "
        "OpenSearch (ALIAS defaults to `moisson`; `moisson reindex` swaps it to a new index).",
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
    admin_open: bool = Field(
        False,
        description="Treat every caller as an admin (local development only): all records "
        "and /api/admin endpoints without any credential.",
    )
    cors_origins: list[str] = Field(
        [],
        description="Origins allowed to call the API from a browser (CORS); `*` for any. "
        "Empty: no CORS headers (same-origin only).",
    )
    max_request_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest request body accepted, in bytes (larger: 413).",
    )
    anonymous_rate_limit: int = Field(
        120,
        ge=0,
        description="Requests an anonymous client (by address) may make per "
        "`rate_limit_window` seconds; beyond that 429 with Retry-After. 0: no limit. "
        "Counted per worker process.",
    )
    rate_limit_window: float = Field(
        60.0, gt=0, description="Length of the anonymous rate-limit window, in seconds."
    )


class AuthSettings(_Section):
    """Who the caller is (search_api/auth.py). Anonymous callers always see public records
    only; a record of a restricted source is seen by callers holding one of its roles and
    by admins."""

    mode: Literal["anonymous", "georchestra", "token"] = Field(
        "anonymous",
        description="`georchestra`: trust the gateway's `sec-username`, `sec-roles` "
        "(`;`-separated) and `sec-org` headers from `trusted_proxies` only; `token`: API "
        "tokens created by `moisson tokens create`, sent as `Authorization: Bearer`; "
        "`anonymous`: nobody is identified (public records only).",
    )
    trusted_proxies: list[str] = Field(
        [],
        description="Addresses or CIDR networks of the security gateway whose sec-* headers "
        "are trusted (georchestra mode); sec-* headers from anywhere else are ignored and "
        "logged.",
    )
    admin_roles: list[str] = Field(
        ["ROLE_MOISSON_ADMIN", "ROLE_SUPERUSER"],
        description="Roles that make a caller an admin: every record and /api/admin.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
        return value


class HarvestSettings(_Section):
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for a remote server.")
    max_response_bytes: int = Field(
        100 * 1024 * 1024, gt=0, description="Largest response accepted from a source, in bytes."
    )
    user_agent: str = Field(
        "Moisson-harvester/0.1 (+https://github.com/moisson)",
        description="User-Agent header sent to sources.",
    )
    connect_timeout: float = Field(
        10.0, gt=0, description="Seconds to wait for a TCP/TLS connection to a source."
    )
    retries: int = Field(
        4,
        ge=0,
        le=20,
        description="Retries after a timeout, a connection error, a 5xx or a 429 "
        "(exponential backoff with jitter).",
    )
    backoff_base: float = Field(
        1.0, ge=0, description="First retry delay in seconds; doubles at each retry."
    )
    backoff_max: float = Field(60.0, ge=0, description="Longest delay between two retries.")
    retry_after_max: float = Field(
        300.0,
        ge=0,
        description="Longest Retry-After (seconds) honoured; a server asking more fails the "
        "request instead of stalling the run.",
    )
    rate_limit: float = Field(
        4.0,
        ge=0,
        description="Most requests per second to one host (0: no limit).",
    )
    allow_files: bool = Field(
        False,
        description="Harvest `file:` source URLs (local files and folders). Off by default; "
        "the bundled sample config turns it on.",
    )
    allowed_hosts: list[str] = Field(
        [],
        description="Host names, addresses or CIDR networks harvested even though they are "
        "loopback, link-local or reserved (refused otherwise), e.g. `127.0.0.1` for a "
        "catalogue on this machine.",
    )
    denied_hosts: list[str] = Field(
        [],
        description="Host names, addresses or CIDR networks never harvested, whatever they "
        "resolve to; checked on every request, redirects included.",
    )


class ScheduleSettings(_Section):
    """A cron expression or an interval; exactly one of the two."""

    cron: str | None = Field(
        None, description="Crontab expression (5 fields, scheduler timezone), e.g. `0 3 * * *`."
    )
    interval: float | None = Field(
        None, gt=0, description="Seconds between two runs (alternative to `cron`)."
    )
    full_every: int = Field(
        7,
        ge=1,
        description="Every Nth run is a full reconciliation (no `since`); the others are "
        "incremental where the source kind allows it.",
    )

    @model_validator(mode="after")
    def _one_trigger(self) -> ScheduleSettings:
        if (self.cron is None) == (self.interval is None):
            raise ValueError("give exactly one of `cron` or `interval`")
        return self


class SourceAuth(_Section):
    """Per-source credentials. Only the *name* of the environment variable holding the secret
    goes in the config file."""

    type: Literal["basic", "bearer", "header"] = Field(description="How credentials are sent.")
    username: str | None = Field(None, description="User name for `basic`.")
    header: str | None = Field(None, description="Header name for `header`, e.g. `X-API-Key`.")
    secret_env: str = Field(
        description="Environment variable holding the password (basic), token (bearer) or "
        "header value (header)."
    )

    @model_validator(mode="after")
    def _complete(self) -> SourceAuth:
        if self.type == "basic" and not self.username:
            raise ValueError("basic auth needs `username`")
        if self.type == "header" and not self.header:
            raise ValueError("header auth needs `header`")
        return self

    def secret(self) -> str:
        """The secret, read from the environment when needed (never stored in settings)."""
        value = os.environ.get(self.secret_env)
        if not value:
            raise ConfigError(
                f"environment variable {self.secret_env} (source auth secret) is not set"
            )
        return value


class SchedulerSettings(_Section):
    timezone: str = Field("UTC", description="Timezone of cron expressions.")
    misfire_grace_time: int = Field(
        3600,
        ge=1,
        description="Seconds a missed run may start late; missed runs of one source are "
        "coalesced into one.",
    )
    jobs_table: str = Field(
        "scheduler_jobs", description="Table of the persistent job store (in the store database)."
    )


class RetirementSettings(_Section):
    """When records that disappeared from their source are retired (hidden, never deleted)."""

    grace_runs: int = Field(
        2,
        ge=1,
        description="Complete full runs a record must be missing from before it is retired.",
    )
    grace_days: float = Field(
        0.0, ge=0, description="Days a record must have been missing before it is retired."
    )
    breaker_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="If a run would retire more than this share of a source's records, "
        "nothing is retired until an admin approves.",
    )


class DuplicatesSettings(_Section):
    """Folding copies of one dataset into a cluster (indexer/fingerprints.py, clusters.py)."""

    enabled: bool = Field(
        True, description="Fingerprint and cluster records as they are harvested."
    )
    source_priority: list[str] = Field(
        [],
        description="Source ids, most authoritative first: the canonical member of a cluster "
        "comes from the first listed source present, then the most complete, then the freshest.",
    )
    text_similarity: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Smallest estimated Jaccard similarity of title+abstract word shingles "
        "(MinHash) for two records without a shared identifier to be near-duplicates.",
    )
    title_similarity: float = Field(
        0.8, ge=0, le=1, description="Smallest similarity of the normalised titles."
    )
    bbox_overlap: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Smallest intersection over union of the bounding boxes, when both "
        "records have one.",
    )


class ThemesSettings(_Section):
    """The company theme thesaurus and the keyword -> theme rules (indexer/themes.py)."""

    thesaurus: Path | None = Field(
        None,
        description="SKOS Turtle file of the theme thesaurus (default: the bundled "
        "thesaurus/themes.ttl). Relative paths are resolved against the config file's folder.",
    )
    rules: Path | None = Field(
        None,
        description="YAML mapping rules (default: the bundled mappings/theme-rules.yaml); "
        "admin endpoints that apply a rule rewrite this file.",
    )
    languages: list[str] = Field(
        ["fr", "en"],
        min_length=1,
        description="Languages every concept must have a prefLabel in; the first is the "
        "default language of theme labels in the API.",
    )
    text_threshold: int = Field(
        3,
        ge=1,
        description="Title/abstract step: a concept is assigned when its labels occur at least "
        "this many times (a title occurrence counts double).",
    )

    @property
    def thesaurus_path(self) -> Path:
        return self.thesaurus or BUNDLED_THESAURUS

    @property
    def rules_path(self) -> Path:
        return self.rules or BUNDLED_RULES


class SourceAccess(_Section):
    """Who may see a source's records. Changes apply at the next `moisson reindex` (no
    re-harvest); the record endpoint applies them at once."""

    public: bool = Field(True, description="Everyone, anonymous callers included.")
    roles: list[str] = Field(
        [],
        description="When not public: roles that may see the records (admins always may; "
        "no roles: admins only).",
    )

    @model_validator(mode="after")
    def _roles_need_restriction(self) -> SourceAccess:
        if self.public and self.roles:
            raise ValueError(
                "a public source is seen by everyone: set `public = false` to "
                "restrict it to `roles`"
            )
        return self


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
    schedule: ScheduleSettings | None = Field(
        None, description="When `moisson scheduler` harvests this source (none: never)."
    )
    auth: SourceAuth | None = Field(
        None, description="Credentials sent to this source; the secret comes from the environment."
    )
    access: SourceAccess = Field(
        default_factory=SourceAccess,
        description="Who may see this source's records, e.g. "
        '`{ public = false, roles = ["ROLE_AGENCY_X"] }`.',
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOISSON_", env_nested_delimiter="__", extra="forbid"
    )

    store: StoreSettings = Field(default_factory=StoreSettings, description="Record store.")
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
            # Same text whether run as `python -m moisson.config` or imported.
            kind = kind.replace("__main__.", "").replace(f"{__name__}.", "")
            default = (
                "required"
                if info.is_required()
                else f"`{info.get_default(call_default_factory=False)!r}`"
            )
            lines.append(f"| `{name}` | `{kind}` | {default} | {info.description or ''} |")
        lines.append("")

    sections = ("store", "index", "api", "auth", "harvest", "scheduler", "retirement", "themes")
    for section in (*sections, "duplicates"):
        field = Settings.model_fields[section]
        lines.extend([f"## [{section}]", "", field.description or "", ""])
        table(field.annotation)  # type: ignore[arg-type]
    lines.extend(["## [[sources]]", "", "Fields every source has:", ""])
    table(SourceSettings)
    lines.extend(["### [sources.schedule]", "", ScheduleSettings.__doc__ or "", ""])
    table(ScheduleSettings)
    lines.extend(["### [sources.auth]", "", " ".join((SourceAuth.__doc__ or "").split()), ""])
    table(SourceAuth)
    lines.extend(["### [sources.access]", "", " ".join((SourceAccess.__doc__ or "").split()), ""])
    table(SourceAccess)
    common = frozenset(SourceSettings.model_fields)
    for kind in known_kinds():
        lines.extend([f'### kind = "{kind}"', ""])
        table(options_model(kind), skip=common)
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference_markdown(), end="")
