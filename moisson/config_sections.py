"""The sections of the configuration: one pydantic model per TOML table.

moisson/config.py composes them into the one `Settings` model and loads it; they live here so
that file stays about loading. Field descriptions become docs/configuration.md.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

from moisson.errors import ConfigError

__all__ = [
    "ApiSettings",
    "AuthSettings",
    "DataSettings",
    "DuplicatesSettings",
    "HarvestSettings",
    "IndexSettings",
    "RetirementSettings",
    "ScheduleSettings",
    "SchedulerSettings",
    "Section",
    "SourceAccess",
    "SourceAuth",
    "SourceSettings",
    "StoreSettings",
    "ThemesSettings",
]

# Package data (the `thesaurus` and `mappings` data packages), wherever Moisson is installed.
BUNDLED_THESAURUS = Path(str(files("thesaurus") / "themes.ttl"))
BUNDLED_RULES = Path(str(files("mappings") / "theme-rules.yaml"))


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(Section):
    url: str = Field(
        "sqlite:///var/moisson.db",
        description="SQLAlchemy URL of the record store (raw payloads, records, runs): "
        "`sqlite:///PATH` (embedded) or `postgresql://user@host:5432/db` (psycopg 3). "
        "Relative SQLite paths are resolved against the config file's folder.",
    )


class IndexSettings(Section):
    url: str = Field(
        "sqlite:///var/index.db",
        description="Search index: `sqlite:///PATH` for the embedded index; "
        "`http(s)://[user:password@]host:9200[,host2:9200]/ALIAS[?replicas=N&shards=N]` for "
        "OpenSearch (ALIAS defaults to `moisson`; `moisson reindex` swaps it to a new index); "
        "`tantivy:///DIR` for a tantivy index in folder DIR (no NEAR; bench/README.md).",
    )


class DataSettings(Section):
    """Where Moisson writes files of its own (never into the installed package)."""

    dir: Path = Field(
        Path("var"),
        description="Data folder: admin rule edits (`theme-rules.yaml`, when `[themes] rules` "
        "is not set) are written here. Relative to the config file's folder; for the bundled "
        "sample config, relative to the current directory.",
    )


class ApiSettings(Section):
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
        "Counted once for all workers of `moisson serve`; behind a proxy listed in "
        "`auth.trusted_proxies`, the client is the address it forwarded for.",
    )
    rate_limit_window: float = Field(
        60.0, gt=0, description="Length of the anonymous rate-limit window, in seconds."
    )


class AuthSettings(Section):
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
        description="Addresses or CIDR networks of the security gateway or reverse proxies: "
        "their sec-* headers are trusted (georchestra mode), and their `Forwarded` / "
        "`X-Forwarded-For` name the client for the anonymous rate limit (any mode). The "
        "same headers from anywhere else are ignored (sec-* ones logged).",
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


class HarvestSettings(Section):
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
    workers: int = Field(
        0,
        ge=0,
        le=64,
        description="Processes sharing a harvest's work, the writer included: 1 reads, "
        "parses, matches themes and writes in one process; 2 or more read, parse and match "
        "themes in worker processes while the first writes (pages still committed in order, "
        "each with its checkpoint); 0 (default): one per CPU core.",
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


class ScheduleSettings(Section):
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


class SourceAuth(Section):
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


class SchedulerSettings(Section):
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


class RetirementSettings(Section):
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


class DuplicatesSettings(Section):
    """Folding copies of one dataset into a cluster (indexer/fingerprints.py, clusters.py)."""

    enabled: bool = Field(
        True, description="Fingerprint and cluster records as they are harvested."
    )
    source_priority: list[str] = Field(
        [],
        description="Source ids, most authoritative first: the canonical member of a cluster "
        "comes from the first listed source present, then the producer's own copy, then the "
        "most complete, then the freshest.",
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


class ThemesSettings(Section):
    """The company theme thesaurus and the keyword -> theme rules (indexer/themes.py)."""

    thesaurus: Path | None = Field(
        None,
        description="SKOS Turtle file of the theme thesaurus (default: the bundled "
        "thesaurus/themes.ttl). Relative paths are resolved against the config file's folder.",
    )
    rules: Path | None = Field(
        None,
        description="YAML mapping rules (default: `theme-rules.yaml` in the data folder if an "
        "admin has edited the rules, else the bundled mappings/theme-rules.yaml); admin "
        "endpoints that apply a rule rewrite this file, or create the data folder's copy.",
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

    # `[data] dir`/theme-rules.yaml, set by Settings: where admin edits of the bundled rules go.
    _edits: Path | None = PrivateAttr(None)

    @property
    def thesaurus_path(self) -> Path:
        return self.thesaurus or BUNDLED_THESAURUS

    @property
    def rules_path(self) -> Path:
        """The rules file read: the configured one, else the admins' edited copy in the data
        folder once there is one, else the bundled rules."""
        if self.rules is not None:
            return self.rules
        if self._edits is not None and self._edits.exists():
            return self._edits
        return BUNDLED_RULES

    @property
    def rules_edit_path(self) -> Path:
        """The rules file an admin edit writes: the configured one, else the data folder's
        copy (the bundled rules are package data and are never written)."""
        return self.rules or self._edits or Path("var") / "theme-rules.yaml"


class SourceAccess(Section):
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
    moisson/plugins.py); unknown fields are rejected by those models."""

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
