"""`kind = "files"`: every geodata file below a folder or share, as searchable records.

The store (harvester/file_stores.py) lists files safely; each data file is grouped with its
companions (a Shapefile's .dbf/.shx/.prj/.cpg) and sidecars (harvester/file_sidecars.py);
GDAL reads its headers (harvester/file_readers.py); harvester/formats/geofile.py maps the
facts to one record per layer and lays the sidecar over it. A file that cannot be read,
a zip bomb, a text file too big to parse, a link out of the root or a loop becomes a
quarantine entry with its reason; the run goes on.

Incremental runs skip data files whose change token (size + modified time of the file, its
companions and sidecars; the ETag on object stores) is the one of the last complete run
(harvester/change_tokens.py). Full runs read everything, so a deleted file goes through
the normal retirement guard. docs/sources-files.md.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import PurePosixPath
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field

from harvester.base import Page, SourceContext
from harvester.change_tokens import ChangeTokens
from harvester.file_graph import GraphStore
from harvester.file_readers import DATA_SUFFIXES, read_layers
from harvester.file_remote import RemoteStore
from harvester.file_sidecars import parse_sidecar, sidecar_names
from harvester.file_stores import LocalStore, Refused, StoredFile
from harvester.formats.geofile import FileFacts, file_record, harvested, merge_sidecar
from harvester.library_warnings import captured
from moisson.config import SourceSettings
from moisson.errors import ConfigError, SourceError
from moisson.record import Harvested, Record

__all__ = ["FilesOptions", "FilesSource"]

logger = logging.getLogger(__name__)

SHAPEFILE_COMPANIONS = (".shx", ".dbf", ".prj", ".cpg")


class FilesOptions(SourceSettings):
    kind: Literal["files"] = "files"
    include: list[str] = Field(["*"], description="Path patterns to include (fnmatch).")
    exclude: list[str] = Field(
        ["*/.*", ".*", "*~$*"], description="Path patterns to leave out (hidden, Office locks)."
    )
    folder_keywords: bool = Field(
        True, description="Each folder name on a file's path becomes a keyword."
    )
    link_template: str | None = Field(
        None,
        description="Link shown to open a file, over {path} (e.g. a UNC path or the share's "
        "web address); none: the store URL.",
    )
    max_text_bytes: int = Field(
        200_000_000,
        ge=1,
        description="GeoJSON, KML, GML and CSV larger than this are refused (GDAL parses "
        "them whole).",
    )
    max_unzipped_bytes: int = Field(
        2_000_000_000, ge=1, description="A zip that would unzip to more is refused."
    )
    max_sidecar_bytes: int = Field(5_000_000, ge=1, description="Larger sidecars are ignored.")
    max_copy_bytes: int = Field(
        1_000_000_000,
        ge=1,
        description="Remote stores: a vector set larger than this is refused (it is copied "
        "to a temporary folder to be read; rasters are read by ranges).",
    )
    username: str | None = Field(None, description="SMB: the account's user name.")
    password_env: str | None = Field(
        None, description="SMB: environment variable holding the account's password."
    )
    account_name: str | None = Field(None, description="Azure: the storage account name.")
    account_key_env: str | None = Field(
        None, description="Azure: environment variable holding the account key."
    )
    sas_token_env: str | None = Field(
        None, description="Azure: environment variable holding a SAS token."
    )
    connection_string_env: str | None = Field(
        None,
        description="Azure: environment variable holding a connection string (Azurite).",
    )
    tenant_id: str | None = Field(None, description="Graph: the Entra ID tenant of the app.")
    client_id: str | None = Field(None, description="Graph: the app registration's client id.")
    client_secret_env: str | None = Field(
        None, description="Graph: environment variable holding the app's client secret."
    )
    token_url: str | None = Field(
        None,
        description="Graph: token endpoint; default "
        "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token.",
    )
    page_size: int = Field(100, ge=1, le=10_000, description="Data files per page.")
    incremental: bool = Field(True, description="Skip files unchanged since the last run.")


def _secret(name: str | None) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"environment variable {name} (files source secret) is not set")
    return value


Store = LocalStore | RemoteStore | GraphStore


def build_store(options: FilesOptions, context: SourceContext) -> Store:
    """The store the URL's scheme names: file:, smb://, az://, or https:// for a Microsoft
    Graph drive (over the source's HTTP client)."""
    scheme = urlsplit(options.url).scheme
    if scheme in ("http", "https"):
        if not (options.client_id and options.client_secret_env):
            raise ConfigError(
                f"files source {options.id}: a Graph drive needs client_id and client_secret_env"
            )
        token_url = options.token_url or (
            f"https://login.microsoftonline.com/{options.tenant_id}/oauth2/v2.0/token"
        )
        return GraphStore(
            options.url,
            context.http(),
            token_url=token_url,
            client_id=options.client_id,
            client_secret=_secret(options.client_secret_env) or "",
            max_copy_bytes=options.max_copy_bytes,
        )
    if scheme == "file":
        return LocalStore(options.url)
    if scheme == "smb":
        return RemoteStore.smb(
            options.url,
            options.username,
            _secret(options.password_env),
            max_copy_bytes=options.max_copy_bytes,
        )
    if scheme in ("az", "abfs"):
        return RemoteStore.azure(
            options.url,
            account_name=options.account_name,
            account_key=_secret(options.account_key_env),
            sas_token=_secret(options.sas_token_env),
            connection_string=_secret(options.connection_string_env),
            max_copy_bytes=options.max_copy_bytes,
        )
    raise ConfigError(
        f"files source {options.id}: URL scheme {scheme!r} is not file, smb, az or https"
    )


class FilesSource:
    kind: ClassVar[str] = "files"
    Options: ClassVar[type[SourceSettings]] = FilesOptions

    def __init__(self, options: FilesOptions, context: SourceContext) -> None:
        self.options = options
        self.context = context
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """Built on first use: a remote store connects, and the constructor does no I/O."""
        if self._store is None:
            self._store = build_store(self.options, self.context)
        return self._store

    def wanted(self, path: str) -> bool:
        return any(fnmatch.fnmatch(path, p) for p in self.options.include) and not any(
            fnmatch.fnmatch(path, p) for p in self.options.exclude
        )

    def harvest(self, since: datetime | None = None, cursor: str | None = None) -> Iterator[Page]:
        tokens = ChangeTokens(self.context, since)
        listed: dict[str, StoredFile] = {}
        refused: list[Refused] = []
        for entry in self.store.listing():
            if not self.wanted(entry.path):
                continue
            if isinstance(entry, Refused):
                refused.append(entry)
            else:
                listed[entry.path] = entry
        data = sorted(p for p in listed if PurePosixPath(p).suffix.lower() in DATA_SUFFIXES)
        if cursor:
            data = [p for p in data if p > cursor]
        items: list[Harvested] = [] if cursor else [self._refused(r) for r in refused]
        for index, path in enumerate(data):
            group = self._group(path, listed)
            token = "|".join(f"{f.path}={f.token}" for f in group)
            if not tokens.unchanged(self.store.url_of(path), token):
                items += self._read(listed[path], group)
            last = index + 1 == len(data)
            if len(items) >= self.options.page_size or last:
                yield Page(items, cursor=None if last else path)
                items = []
        if not data:
            yield Page(items)

    def _group(self, path: str, listed: dict[str, StoredFile]) -> list[StoredFile]:
        """The data file, its companions and its sidecars, as listed."""
        stem = path.rsplit(".", 1)[0]
        names = [path]
        if path.lower().endswith(".shp"):
            names += [stem + s for s in SHAPEFILE_COMPANIONS]
            names += [stem + s.upper() for s in SHAPEFILE_COMPANIONS]
        names += sidecar_names(path)
        return [listed[n] for n in dict.fromkeys(names) if n in listed]

    def _read(self, file: StoredFile, group: list[StoredFile]) -> list[Harvested]:
        url = self.store.url_of(file.path)
        try:
            with (
                captured(self.options.id, file.path),  # GDAL's warnings: one line each
                self.store.materialised(file, group) as (path, opener),
            ):
                layers = read_layers(
                    path,
                    size=file.size,
                    max_text_bytes=self.options.max_text_bytes,
                    max_unzipped_bytes=self.options.max_unzipped_bytes,
                    opener=opener,
                )
        except SourceError as exc:
            return [self._error(url, f"{file.path}: {exc.message}")]
        shown = (
            self.options.link_template.format(path=file.path) if self.options.link_template else url
        )
        facts = FileFacts(
            url=shown, path=file.path, size=file.size, modified=file.modified, owner=file.owner
        )
        sidecar = self._sidecar(file.path, group)
        items = []
        for layer in layers:
            try:
                record = file_record(
                    self.options.id, facts, layer, folder_keywords=self.options.folder_keywords
                )
                if sidecar is not None:
                    title = record.title
                    record = merge_sidecar(record, sidecar)
                    if layer.layer_count > 1:  # one sidecar, several layers: keep them apart
                        record = record.model_copy(
                            update={"title": f"{record.title} — {layer.layer or title}"}
                        )
            except ValueError as exc:
                items.append(self._error(url, f"{file.path}: {exc}"))
                continue
            items.append(harvested(facts, layer, record))
        return items

    def _sidecar(self, path: str, group: list[StoredFile]) -> Record | None:
        present = {f.path for f in group}
        for name in sidecar_names(path):
            if name not in present:
                continue
            data = self.store.read_bytes(name, self.options.max_sidecar_bytes)
            if data is None:
                logger.info("%s: sidecar %s too big or unreadable", self.options.id, name)
                continue
            record, why = parse_sidecar(data, self.options.id, name)
            if record is not None:
                return record
            logger.info("%s: sidecar ignored: %s", self.options.id, why)
        return None

    def _refused(self, refused: Refused) -> Harvested:
        return self._error(self.store.url_of(refused.path), f"{refused.path}: {refused.reason}")

    @staticmethod
    def _error(url: str, reason: str) -> Harvested:
        return Harvested(original_id=url, raw=b"", content_type="text/plain", error=reason)
