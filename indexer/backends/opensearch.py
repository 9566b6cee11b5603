"""The scale-out search backend: OpenSearch through opensearch-py.

URL: `http(s)://[user:password@]host:port[,host2:port...]/ALIAS[?replicas=N&shards=N]`. ALIAS
(default `moisson`) is what searches and writes go to; it points at one concrete index,
`ALIAS-<build id>`, created from mappings/opensearch-index.json.

- Zero-downtime reindex: `reindex` fills a new concrete index while the alias keeps serving
  the old one, then moves the alias in one `_aliases` call (atomic in OpenSearch) and drops
  the old index. A failed rebuild deletes the half-built index; the alias never moved. Writes
  made by `index`/`delete` while a rebuild runs go to the old index only: run `moisson reindex`
  between harvests (it reads the store, so nothing is lost, only re-done).
- Bulk indexing (indexer/backends/opensearch_bulk.py): batches of 1,000 records, SENDERS
  requests at a time (the next batch is prepared meanwhile), so a busy cluster slows the
  writer down instead of queueing without bound. Items rejected with 429 (write queue full)
  or 5xx are retried with exponential backoff; items that still fail are counted and
  reported in the BackendError, never dropped silently.
- Text is stemmed by the client (analysis.paired_stems) into fields whose analyser only
  splits the stems; an index built before that (its text fields analyse on the node) is
  detected at open() and still gets plain text, with a warning, until `moisson reindex`.
- A rebuild fills its new index without refreshes and with an asynchronous translog (the
  bulk-load settings), and restores the serving settings and flushes before the swap.
- Every write (`index`, `delete`) ends with a refresh of the alias, so a search right after
  it sees it, through this backend or another instance (another API worker), as with the
  embedded index: the contract. A harvest run writes inside `deferred_refresh()`
  (pipeline/harvest.py) instead, where writes only mark the backend stale, a read through
  it (`search`, `count`, `suggest`) refreshes first, and the end of the block refreshes
  once: a refresh per page of 1,000 made the node write, and merge, one small segment per
  page (~20% more of its indexing CPU at 50k records; bench/README.md). Other instances see the
  run's writes on the node's own schedule meanwhile: the mapping leaves `refresh_interval`
  unset, so a shard searched in the last 30 s refreshes every second, and an idle one
  (nobody searching during the harvest) refreshes when a search arrives, before answering
  (an index built before keeps its explicit 1 s until `moisson reindex`).
- opensearch-py's errors are translated here: connection failures and timeouts raise
  BackendUnavailable, anything else BackendError; a user's query is never sent as syntax the
  server parses (indexer/backends/opensearch_query.py), so BadQuery is raised before sending.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import opensearchpy
from opensearchpy import OpenSearch

from indexer.analysis import analyse_leaf
from indexer.backends.documents import (
    check_filters,
    merged_suggestions,
    page_hit,
    suggest_key,
)
from indexer.backends.opensearch_bulk import (
    BATCH,
    SUGGEST_SEPARATOR,
    bulk,
    document,
    line,
    send,
    translated,
)
from indexer.backends.opensearch_query import facet_buckets, search_body
from indexer.query_text import positive_leaves, text_tree
from moisson.errors import BackendError, ConfigError
from moisson.record import PUBLIC, Query, Record, Results

__all__ = ["MAPPING_PATH", "OpenSearchBackend", "document"]

logger = logging.getLogger(__name__)

MAPPING_PATH = Path(str(files("mappings") / "opensearch-index.json"))  # package data
# While a reindex fills a new index nobody searches yet: no refreshes, and the translog synced
# in the background rather than at every bulk request (a crash only fails the rebuild, which
# leaves the old index serving). The serving settings are restored, and the index flushed,
# before the alias moves.
_BUILDING = {"refresh_interval": "-1", "translog": {"durability": "async"}}
# None resets refresh_interval to the node's default: 1 s, skipped while nobody searches.
_SERVING = {"refresh_interval": None, "translog": {"durability": "request"}}
# Fields added to the mapping after indexes were built: open() adds them to an existing index
# so writes keep working; what they hold for older records comes with `moisson reindex`.
_ADDED_FIELDS = ("outranked", "cluster_source", "fields", "dates")
_STEMMED = "moisson_stemmed"  # the text fields' analyser when the client stems (see open())


def _parse_url(url: str) -> tuple[list[str], str, dict[str, int]]:
    """(host URLs, alias, index settings) from the index URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"index URL {url!r} must look like http://host:9200/alias")
    auth, _, hostlist = parts.netloc.rpartition("@")
    prefix = f"{parts.scheme}://{auth + '@' if auth else ''}"
    hosts = [prefix + host for host in hostlist.split(",") if host]
    alias = unquote(parts.path.strip("/")) or "moisson"
    if "/" in alias or alias != alias.lower() or alias.startswith(("_", "-", "+")):
        raise ConfigError(
            f"index URL {url!r}: the path names the index alias and must be one lowercase "
            "name (for example /moisson)"
        )
    settings: dict[str, int] = {}
    for key, values in parse_qs(parts.query).items():
        if key not in {"replicas", "shards"} or not values[-1].isdigit():
            raise ConfigError(
                f"index URL {url!r}: unknown or bad parameter {key!r} (known: replicas=N, shards=N)"
            )
        settings[key] = int(values[-1])
    return hosts, alias, settings


class OpenSearchBackend:
    """SearchBackend on an OpenSearch cluster (see the module docstring)."""

    capabilities: frozenset[str] = frozenset(
        {"fulltext", "bbox", "daterange", "facets", "highlight", "suggest", "advanced"}
    )

    def __init__(
        self,
        hosts: Sequence[str],
        alias: str = "moisson",
        *,
        replicas: int = 0,
        shards: int = 1,
        timeout: float = 30.0,
    ) -> None:
        self.hosts = list(hosts)
        self.alias = alias
        self.replicas = replicas
        self.shards = shards
        self.timeout = timeout
        self._client: OpenSearch | None = None
        self._stem = True  # False while the alias serves an index built before _STEMMED
        self._stale = False  # written since the last refresh (see _fresh)
        self._deferring = 0  # open deferred_refresh() blocks, any thread
        self._deferring_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> OpenSearchBackend:
        hosts, alias, settings = _parse_url(url)
        return cls(hosts, alias, **settings)

    def __repr__(self) -> str:
        hosts = [
            urlsplit(h)._replace(netloc=urlsplit(h).netloc.rpartition("@")[2]).geturl()
            for h in self.hosts
        ]
        return f"OpenSearchBackend({hosts!r}, {self.alias!r})"

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self) -> None:
        if self._client is not None:
            return
        client = OpenSearch(
            hosts=self.hosts,
            timeout=self.timeout,
            max_retries=3,
            retry_on_timeout=True,
            retry_on_status=(502, 503, 504),
            http_compress=False,
            pool_maxsize=16,  # the API searches from several threads per worker
        )
        with translated("opening the index"):
            if not client.indices.exists_alias(name=self.alias):
                try:
                    self._create(client, aliased=True)
                except opensearchpy.RequestError as exc:
                    # Another process created it first: fine if the alias now exists.
                    if not client.indices.exists_alias(name=self.alias):
                        raise BackendError(
                            f"cannot create the index for alias {self.alias!r}: {exc.error}",
                            detail=str(exc),
                        ) from exc
            else:  # an index built before a field was added takes it (mapping is strict)
                properties = json.loads(MAPPING_PATH.read_text(encoding="utf-8"))["mappings"]
                added = {f: properties["properties"][f] for f in _ADDED_FIELDS}
                client.indices.put_mapping(index=self.alias, body={"properties": added})
                self._stem = self._stems_on_client(client)
        self._client = client
        logger.info("opened %r", self)

    def close(self) -> None:
        if self._client is not None:
            try:
                self._fresh()  # what this process wrote is searchable once it is gone
            finally:
                self._client.close()
            self._client = None

    def _stems_on_client(self, client: OpenSearch) -> bool:
        """Whether the alias's index takes client-stemmed text (built with _STEMMED)."""
        mappings = client.indices.get_mapping(index=self.alias).values()
        analysers = {m["mappings"]["properties"]["title"].get("analyzer") for m in mappings}
        if analysers == {_STEMMED}:
            return True
        logger.warning(
            "the index behind %r analyses text on the node (built before %s): writes send "
            "plain text; run `moisson reindex` for faster indexing",
            self.alias,
            _STEMMED,
        )
        return False

    def _require(self) -> OpenSearch:
        if self._client is None:
            raise BackendError(f"the search index {self!r} is not open; call open() first")
        return self._client

    def _fresh(self) -> OpenSearch:
        """The client, after refreshing the alias if this backend wrote since the last
        refresh: read-your-writes without a refresh per write (module docstring)."""
        client = self._require()
        if self._stale:
            self._stale = False  # before refreshing: a write meanwhile marks it again
            try:
                with translated("refreshing the index"):
                    client.indices.refresh(index=self.alias)
            except BaseException:
                self._stale = True
                raise
        return client

    @contextmanager
    def deferred_refresh(self) -> Iterator[None]:
        """Writes inside the block skip their refresh; reads through this backend still see
        them (they refresh first), and the block's end refreshes once. For a harvest run,
        whose pages would otherwise each leave a small segment to merge (module docstring)."""
        with self._deferring_lock:
            self._deferring += 1
        failed = True
        try:
            yield
            failed = False
        finally:
            with self._deferring_lock:
                self._deferring -= 1
                last = self._deferring == 0
            if last and self._client is not None:
                try:
                    self._fresh()
                except BackendError:
                    if not failed:
                        raise
                    logger.exception("could not refresh %r after a failed run", self)

    def _written(self) -> None:
        """After a write: refresh now, unless a deferred_refresh() block is open. Marked
        stale again here: another thread's read may have refreshed while this was sending."""
        self._stale = True
        if not self._deferring:
            self._fresh()

    def _create(self, client: OpenSearch, *, aliased: bool) -> str:
        """Create a new concrete index from the mapping file; its name."""
        body = json.loads(MAPPING_PATH.read_text(encoding="utf-8"))
        body.pop("_comment", None)
        body["settings"]["index"].update(
            number_of_shards=self.shards, number_of_replicas=self.replicas
        )
        if aliased:
            body["aliases"] = {self.alias: {}}
        name = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        client.indices.create(index=name, body=body, params={"wait_for_active_shards": "1"})
        return name

    # -- writing -----------------------------------------------------------------------------

    def index(self, records: Sequence[Record]) -> int:
        client = self._require()
        unique = list({r.id: r for r in records}.values())
        self._stale = True  # before sending: a failed bulk may still have written some
        written = bulk(client, self.alias, iter(unique), stem=self._stem)
        self._written()
        return written

    def delete(self, ids: Sequence[str]) -> None:
        client = self._require()
        lines = [line({"delete": {"_id": record_id}}) for record_id in dict.fromkeys(ids)]
        self._stale = self._stale or bool(lines)
        for start in range(0, len(lines), BATCH):
            send(client, self.alias, lines[start : start + BATCH], missing_ok=True)
        self._written()

    def reindex(self, records: Iterable[Record]) -> int:
        """Build a new index from `records`, then move the alias to it atomically (see the
        module docstring). On any failure the new index is deleted and the old one serves."""
        client = self._require()
        with translated("creating the new index"):
            new = self._create(client, aliased=False)
            client.indices.put_settings(index=new, body={"index": _BUILDING})
        try:
            written = bulk(client, new, iter(records))
            with translated("finishing the new index"):
                client.indices.put_settings(index=new, body={"index": _SERVING})
                client.indices.flush(index=new)  # durable before it serves
                client.indices.refresh(index=new)
                old = (
                    list(client.indices.get_alias(name=self.alias))
                    if client.indices.exists_alias(name=self.alias)
                    else []
                )
                actions: list[dict[str, Any]] = [
                    {"remove": {"index": name, "alias": self.alias}} for name in old
                ]
                actions.append({"add": {"index": new, "alias": self.alias}})
                client.indices.update_aliases(body={"actions": actions})
        except BaseException:
            logger.warning(
                "reindex into %s failed; the alias %s still serves the old index", new, self.alias
            )
            try:
                client.indices.delete(index=new, params={"ignore_unavailable": "true"})
            except opensearchpy.OpenSearchException:
                logger.exception("could not delete the failed index %s", new)
            raise
        self._stem = True  # the alias now serves the new index, built from the mapping file
        self._stale = False  # refreshed above, before the swap
        for name in old:
            with translated("dropping the old index"):
                client.indices.delete(index=name, params={"ignore_unavailable": "true"})
        logger.info("reindexed %s into %s: %d records", self.alias, new, written)
        return self.count()

    # -- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        client = self._fresh()
        with translated("counting records"):
            return int(client.count(index=self.alias)["count"])

    def search(self, query: Query) -> Results:
        check_filters(query)
        body = search_body(query)
        tree = text_tree(query)
        texts = [n for n in [tree, *query.conditions()] if n for n in positive_leaves(n)]
        found = [analyse_leaf(leaf) for leaf in dict.fromkeys(texts)]
        client = self._fresh()
        with translated("searching"):
            response = client.search(index=self.alias, body=body)
        marks = ({s for leaf in found for s in leaf.stems}, [p for f in found for p in f.prefixes])
        ranked = body["track_scores"]
        hits = [
            page_hit(
                dict(raw["_source"]["payload"]),
                query,
                marks if texts else None,
                raw["_score"] if ranked else None,
            )
            for raw in response["hits"]["hits"]
        ]
        facets, infos = facet_buckets(response.get("aggregations", {}), query)
        if response.get("timed_out"):
            # The cluster's search timeout (search.default_search_timeout) cut the search
            # short: OpenSearch cannot cut one aggregation alone, so every facet may be
            # partial (and so may the hits: the total is what was counted).
            infos = {
                name: info.model_copy(update={"timed_out": True}) for name, info in infos.items()
            }
        return Results(
            total=int(response["hits"]["total"]["value"]),
            page=query.page,
            size=query.size,
            start=query.offset(),
            hits=hits,
            facets=facets,
            facet_info=infos,
        )

    def suggest(self, prefix: str, size: int = 10, roles: Sequence[str] | None = ()) -> list[str]:
        """Keywords (most used first), then titles, that start with `prefix`, ignoring case
        and accents: the embedded index's rule, on keyword fields. Only from records a
        caller with `roles` may see (the default: public records; None: every record)."""
        key = suggest_key(prefix)
        if not key or size <= 0:
            return []
        client = self._fresh()
        escaped = "".join(f"\\{c}" if not c.isalnum() else c for c in key)
        title_query: dict[str, Any] = {"prefix": {"title_key": {"value": key}}}
        # Keywords of every visible record, not only of the title matches: a global
        # aggregation, narrowed to what the caller may see by a filter inside it.
        allowed: dict[str, Any] = {"match_all": {}}
        if roles is not None:
            allowed = {"terms": {"access": [PUBLIC, *roles]}}
            title_query = {"bool": {"must": [title_query], "filter": [allowed]}}
        body = {
            "size": size,
            "query": title_query,
            "sort": [{"title_key": "asc"}, {"id": "asc"}],
            "_source": ["payload.title"],
            "aggs": {
                "everything": {
                    "global": {},
                    "aggs": {
                        "visible": {
                            "filter": allowed,
                            "aggs": {
                                "keywords": {
                                    "terms": {
                                        "field": "keyword_suggest",
                                        "include": f"{escaped}.*",
                                        "size": 50,
                                        "order": [{"_count": "desc"}, {"_key": "asc"}],
                                    }
                                }
                            },
                        }
                    },
                }
            },
        }
        with translated("suggesting"):
            response = client.search(index=self.alias, body=body)
        keywords = [
            (b["doc_count"], b["key"].partition(SUGGEST_SEPARATOR)[2])
            for b in response["aggregations"]["everything"]["visible"]["keywords"]["buckets"]
        ]
        keywords.sort(key=lambda item: (-item[0], item[1]))
        titles = [hit["_source"]["payload"]["title"] for hit in response["hits"]["hits"]]
        return merged_suggestions((k for _, k in keywords), titles, size)
