"""The composition root: the one place where Moisson's pieces are built from the settings.

    settings ──► Runtime ──► store       (indexer.store.Store, from [store] url)
                        ├──► backend     (a SearchBackend chosen by [index] url's scheme)
                        ├──► themer      (thesaurus + rules, loaded once)
                        ├──► clusters    (ClusterStore over the store's cluster tables)
                        ├──► access      (AccessPolicy, from each source's [access])
                        ├──► search      (SearchService: expansion, backend, labels)
                        ├──► search_log  (SearchLog: anonymous search counts, [search_log])
                        └──► http        (HttpClient, built on first use: only harvests need it)

The CLI, the scheduler, the admin API and `create_app` all receive a Runtime; none builds its
own pieces. Open it once (`with Runtime(settings) as runtime:`), hand it down, close it at
the end. Pieces passed in (tests, an app embedding Moisson) are used as they are and left
open on close: whoever opened them closes them. Under gunicorn each worker builds its own.
"""

from __future__ import annotations

import threading
from types import TracebackType

from harvester.http import HttpClient
from indexer.access import AccessPolicy
from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.cluster_store import ClusterStore
from indexer.search_log import SearchLog
from indexer.search_service import SearchService
from indexer.store import Store
from indexer.themes import Themer, load_themer
from moisson.config import Settings
from moisson.plugins import load

__all__ = ["Runtime"]


class Runtime:
    """Everything a command or a request needs, built once per process from the settings.

    The constructor does no I/O. Each piece is opened or loaded on first use, once, so a
    command that only reads the store never connects to the index nor reads the thesaurus;
    `open()` loads and opens everything at once (a server fails at start, not at its first
    request); `close()` closes what was opened.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        backend: SearchBackend | None = None,
        themer: Themer | None = None,
    ) -> None:
        self.settings = settings
        self._themer = themer
        self.access = AccessPolicy(settings.sources)
        self._given = (store, backend)
        self._store: Store | None = store
        self._backend: SearchBackend | None = backend
        self._clusters: ClusterStore | None = None
        self._http: HttpClient | None = None
        self._search: SearchService | None = None
        self._search_log: SearchLog | None = None
        self._owned: list[Store | SearchBackend] = []
        self._lock = threading.RLock()  # request threads may ask for a piece at once

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self) -> Runtime:
        """Load the thesaurus and rules, open the store and the index now."""
        _ = self.themer, self.store, self.backend
        return self

    def close(self) -> None:
        """Close what this runtime opened itself (never what the caller passed in)."""
        with self._lock:
            if self._search_log is not None:  # before the store it writes through
                self._search_log.close()
                self._search_log = None
                self._search = None
            if self._http is not None:
                self._http.__exit__(None, None, None)
                self._http = None
            for resource in reversed(self._owned):
                resource.close()
            self._owned.clear()
            self._store, self._backend = self._given
            self._clusters = None

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the pieces, each opened on first use ------------------------------------------------

    @property
    def themer(self) -> Themer:
        """The theme matcher (thesaurus + rules); ConfigError when either file is bad."""
        if self._themer is None:
            with self._lock:
                if self._themer is None:
                    self._themer = load_themer(self.settings.themes)
        return self._themer

    @themer.setter
    def themer(self, themer: Themer) -> None:  # an admin rule edit replaces it
        self._themer = themer

    @property
    def store(self) -> Store:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    url = self.settings.store.url
                    scheme = url.partition(":")[0].lower()
                    store: Store = load("stores", scheme)(url).open()
                    self._owned.append(store)
                    self._store = store
        return self._store

    @property
    def backend(self) -> SearchBackend:
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    backend = build_backend(self.settings.index.url)
                    backend.open()
                    self._owned.append(backend)
                    self._backend = backend
        return self._backend

    @property
    def clusters(self) -> ClusterStore:
        """The duplicate clusters (readable even when detection is off)."""
        if self._clusters is None:
            with self._lock:
                if self._clusters is None:
                    self._clusters = ClusterStore(self.store, self.settings.duplicates).open()
        return self._clusters

    @property
    def clustering(self) -> ClusterStore | None:
        """The clusters new records join; None when `[duplicates] enabled = false`."""
        return self.clusters if self.settings.duplicates.enabled else None

    @property
    def search(self) -> SearchService:
        """Search as every protocol runs it: thesaurus expansion, the backend, theme labels
        in the caller's language. Follows the themer when an admin edit replaces it."""
        service = self._search
        if (
            service is None
            or service.backend is not self.backend
            or service.themer is not self.themer
        ):
            service = SearchService(
                self.backend, self.themer, self.settings.themes.languages, self.search_log
            )
            self._search = service
        return service

    @property
    def search_log(self) -> SearchLog | None:
        """The search counts the SearchService adds to (written in the background); None
        when `[search_log] enabled = false`."""
        config = self.settings.search_log
        if not config.enabled:
            return None
        if self._search_log is None:
            with self._lock:
                if self._search_log is None:
                    self._search_log = SearchLog(
                        self.store,
                        retention_days=config.retention_days,
                        flush_seconds=config.flush_seconds,
                    ).start()
        return self._search_log

    @property
    def http(self) -> HttpClient:
        """The shared HTTP client (per-host rate limits span every source)."""
        if self._http is None:
            with self._lock:
                if self._http is None:
                    self._http = HttpClient(self.settings.harvest).__enter__()
        return self._http
