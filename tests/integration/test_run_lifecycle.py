"""The run lifecycle against a real CSW-speaking server on 127.0.0.1 that fails on cue:
faults end with every valid record kept and the right verdict; records are retired only
after complete runs, a grace period and the circuit breaker; they come back with history;
interrupted runs resume at their checkpoint."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harvester.base import Page
from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import RetirementSettings, Settings
from moisson.errors import Conflict
from moisson.record import Harvested, Query, record_id
from pipeline.harvest import HarvestResult, harvest_source
from pipeline.ingest import Ingestor
from pipeline.retirement import Verdict, apply_run, approve_review, record_history, reviews
from pipeline.runs import RunReport, RunStatus, run_source
from pipeline.runtime import Runtime
from testkit.http_replay import ReplayServer, Reply, Request
from tests.integration.csw_fault_server import HTML_ERROR, CswCatalogue, iso_record
from tests.integration.sinks import FAST_POLICY

SOURCE = "csw"
IDS = [f"rec-{n:02d}" for n in range(1, 51)]


@dataclass
class Env:
    catalogue: CswCatalogue
    server: ReplayServer
    store: Store
    backend: SearchBackend
    tmp: Path

    source: dict[str, Any] | None = None  # extra source options

    def settings(self, **retirement: Any) -> Settings:
        return Settings(
            store={"url": f"sqlite:///{self.tmp}/store.db"},
            index={"url": f"sqlite:///{self.tmp}/index.db"},
            harvest=FAST_POLICY,
            retirement=RetirementSettings(**retirement),
            sources=[
                {
                    "id": SOURCE,
                    "kind": "csw",
                    "url": self.server.url,
                    "page_size": 10,
                    "output_schema": "iso19139",
                    "incremental": False,
                    **(self.source or {}),
                }
            ],
        )

    def harvest(self, **retirement: Any) -> HarvestResult:
        settings = self.settings(**retirement)
        with Runtime(settings, store=self.store, backend=self.backend) as runtime:
            return harvest_source(runtime, settings.source(SOURCE))

    def interrupt_after(self, pages: int) -> None:
        """Run a harvest that stops as Ctrl-C would, once `pages` pages are written."""
        settings = self.settings()

        def stop(report: RunReport) -> None:
            if report.pages == pages:
                raise KeyboardInterrupt

        runtime = Runtime(settings, store=self.store, backend=self.backend)
        with runtime, pytest.raises(KeyboardInterrupt):
            harvest_source(runtime, settings.source(SOURCE), progress=stop)

    def indexed(self) -> int:
        return self.backend.search(Query(size=0)).total


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    catalogue = CswCatalogue(list(IDS))
    backend = build_backend(f"sqlite:///{tmp_path}/index.db")
    with ReplayServer(catalogue) as server, Store(f"sqlite:///{tmp_path}/store.db") as store:
        backend.open()
        try:
            yield Env(catalogue, server, store, backend, tmp_path)
        finally:
            backend.close()


def rid(original: str) -> str:
    return record_id(SOURCE, original)


def verdict(result: HarvestResult) -> tuple[RunStatus, Verdict]:
    return result.report.status, result.retirement.verdict


# -- faults: every valid record stays, the verdict is right, nothing retired ---------------


def test_a_run_failing_on_page_3_retires_nothing(env: Env) -> None:
    assert verdict(env.harvest(grace_runs=1)) == (RunStatus.COMPLETE, Verdict.NOTHING)
    env.catalogue.ids = IDS[5:]  # five records really gone ...
    env.catalogue.fail(21, [Reply(b"", status=500)] * 30)  # ... but page 3 fails for good
    result = env.harvest(grace_runs=1)
    assert verdict(result) == (RunStatus.PARTIAL, Verdict.NOT_ELIGIBLE)
    assert "HTTP 500" in (result.report.error or "")
    assert (env.store.count(), env.indexed()) == (50, 50)
    assert record_history(env.store, rid("rec-01"))["missing_runs"] == 0


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Reply(b"", status=503), RunStatus.COMPLETE),  # retried
        (Reply(b"", status=429, headers={"Retry-After": "1"}), RunStatus.COMPLETE),
        (Reply(b"", reset=True), RunStatus.COMPLETE),  # connection reset, retried
        (Reply(b"<csw:GetRecordsResponse", truncate=10), RunStatus.COMPLETE),  # cut short
        (Reply(b"late", delay=3), RunStatus.COMPLETE),  # client timeout, retried
        (HTML_ERROR, RunStatus.COMPLETE),  # status 200, not CSW: asked again (issue 18)
        (Reply(b"<csw:GetRecordsResponse xmlns:csw='x'><unclosed"), RunStatus.COMPLETE),
    ],
    ids=["500", "429", "reset", "truncated", "timeout", "html-200", "bad-xml"],
)
def test_faults_keep_every_valid_record_and_get_the_right_status(
    env: Env, fault: Reply, status: RunStatus
) -> None:
    env.harvest()
    env.catalogue.ids = IDS[:45]  # records missing: nothing may be retired unless complete
    env.catalogue.fail(21, [fault])
    result = env.harvest(grace_runs=1, breaker_share=1.0)
    assert result.report.status is status
    if status is RunStatus.COMPLETE:
        assert (result.retirement.verdict, len(result.retirement.retired)) == (Verdict.RETIRED, 5)
        assert (env.store.count(), env.indexed()) == (45, 45)
    else:
        assert result.retirement.verdict is Verdict.NOT_ELIGIBLE
        assert (env.store.count(), env.indexed()) == (50, 50)


def test_retry_after_is_honoured_during_a_run(env: Env) -> None:
    env.catalogue.fail(11, [Reply(b"", status=429, headers={"Retry-After": "1"})])
    assert env.harvest().report.status is RunStatus.COMPLETE
    arrivals = [r.at for r in env.server.requests]
    # requests 2 (the 429 for page 2) and 3 (page 2 again) are a second apart
    assert arrivals[2] - arrivals[1] >= 0.95


def test_page_size_adapts_to_a_server_that_fails_on_large_pages(env: Env) -> None:
    def small_pages_only(request: Request) -> Reply:
        return (
            Reply(b"", status=500) if b'maxRecords="10"' in request.body else env.catalogue(request)
        )

    env.server.handler = small_pages_only
    result = env.harvest()
    assert result.report.status is RunStatus.COMPLETE
    assert (result.report.pages, result.report.seen, env.indexed()) == (10, 50, 50)
    sizes = [re.search(rb'maxRecords="(\d+)"', r.body).group(1) for r in env.server.requests]
    assert sizes[:4] == [b"10", b"10", b"10", b"5"]  # one page's retries, then halved
    assert set(sizes[4:]) == {b"5"}  # and kept


def test_a_server_declaring_more_than_it_sends_is_partial(env: Env) -> None:
    env.harvest()
    env.catalogue.ids = IDS[:40]
    env.catalogue.declared = 50  # claims 50, sends 40
    result = env.harvest(grace_runs=1, breaker_share=1.0)
    assert verdict(result) == (RunStatus.PARTIAL, Verdict.NOT_ELIGIBLE)
    assert "declared 50 records but 40 arrived" in " ".join(result.report.notes)
    assert env.indexed() == 50


def test_a_repeated_page_is_partial(env: Env) -> None:
    page_two = env.catalogue(Request("POST", "/", {}, b'startPosition="11" maxRecords="10"'))
    env.catalogue.starts.clear()
    env.catalogue.fail(21, [page_two])
    result = env.harvest(grace_runs=1, breaker_share=1.0)
    assert result.report.status is RunStatus.PARTIAL
    assert any("repeated" in note for note in result.report.notes)
    assert env.store.count() == 20  # pages 1 and 2 kept


def test_an_empty_result_set_trips_the_breaker(env: Env) -> None:
    env.harvest()
    env.catalogue.ids = []
    result = env.harvest(grace_runs=1)
    assert verdict(result) == (RunStatus.COMPLETE, Verdict.HELD)
    assert (env.store.count(), env.indexed()) == (50, 50)


def test_an_invalid_record_is_quarantined_and_retried_next_run(env: Env) -> None:
    env.catalogue.invalid = {"rec-03"}
    result = env.harvest()
    assert result.report.status is RunStatus.COMPLETE
    assert (env.store.count(), env.indexed()) == (49, 49)
    [entry] = env.store.quarantined(SOURCE, include_resolved=False)
    assert (entry["original_id"], entry["reason"]) == (
        "rec-03",
        "no title in ISO 19139 record 'rec-03'",
    )
    assert b"rec-03" in env.store.raw_payload(entry["raw_sha256"])[0]

    env.catalogue.invalid = set()  # fixed at the source
    env.harvest()
    assert env.store.quarantined(SOURCE, include_resolved=False) == []
    assert (env.store.count(), env.indexed()) == (50, 50)


# -- retirement ----------------------------------------------------------------------------


def test_a_removed_record_is_retired_after_the_grace_runs_and_revived_with_history(
    env: Env,
) -> None:
    env.harvest(grace_runs=2)
    first_seen = env.store.get(rid("rec-07")).provenance.first_seen
    env.catalogue.ids = [i for i in IDS if i != "rec-07"]

    missing_once = env.harvest(grace_runs=2)
    assert verdict(missing_once) == (RunStatus.COMPLETE, Verdict.NOTHING)
    assert env.indexed() == 50  # missing for fewer than grace_runs runs: still visible

    retired = env.harvest(grace_runs=2)
    assert retired.retirement.retired == [rid("rec-07")]
    assert (env.store.count(), env.store.count(include_retired=True), env.indexed()) == (
        49,
        50,
        49,
    )
    assert env.backend.search(Query(q="rec-07")).total == 0

    env.catalogue.ids = list(IDS)  # it comes back
    env.harvest(grace_runs=2)
    assert (env.store.count(), env.indexed()) == (50, 50)
    history = record_history(env.store, rid("rec-07"))
    assert [e["event"] for e in history["events"]] == ["retired", "revived"]
    assert history["retired"] is None
    assert env.store.get(rid("rec-07")).provenance.first_seen == first_seen


def test_grace_days_keep_a_missing_record_visible(env: Env) -> None:
    env.harvest()
    env.catalogue.ids = IDS[1:]
    for _ in range(3):
        result = env.harvest(grace_runs=1, grace_days=2)
        assert result.retirement.verdict is Verdict.NOTHING
    assert env.indexed() == 50


def test_a_source_returning_a_tenth_of_its_records_trips_the_breaker(env: Env) -> None:
    env.harvest()
    env.catalogue.ids = IDS[:5]
    result = env.harvest(grace_runs=1, breaker_share=0.2)
    assert verdict(result) == (RunStatus.COMPLETE, Verdict.HELD)
    assert (env.store.count(), env.indexed()) == (50, 50)  # last known good state served
    [review] = reviews(env.store)
    assert (review["candidates"], review["active"], len(review["record_ids"])) == (45, 50, 45)

    again = env.harvest(grace_runs=1, breaker_share=0.2)  # still short: same review updated
    assert again.retirement.review_id == review["id"]
    assert len(reviews(env.store)) == 1

    retired = approve_review(env.store, env.backend, review["id"])
    assert len(retired) == 45
    assert (env.store.count(), env.indexed()) == (5, 5)


# -- checkpoints -----------------------------------------------------------------------------


def test_an_interrupted_run_resumes_at_its_checkpoint(env: Env) -> None:
    env.interrupt_after(pages=2)
    [interrupted] = env.store.runs(SOURCE)
    assert (interrupted.status, interrupted.pages, interrupted.cursor) == ("interrupted", 2, "21")
    env.catalogue.starts.clear()

    result = env.harvest()
    assert result.report.resumed and result.report.run_id == interrupted.id
    assert env.catalogue.starts == [21, 31, 41]  # pages 1 and 2 were not fetched again
    assert result.report.status is RunStatus.COMPLETE and result.report.seen == 50
    assert (env.store.count(), env.indexed()) == (50, 50)
    [run] = env.store.runs(SOURCE)
    assert (run.status, run.seen, run.pages) == ("complete", 50, 5)


# -- incremental runs and quarantine retries -------------------------------------------------


def test_incremental_runs_with_a_periodic_full_reconciliation(env: Env) -> None:
    env.source = {"incremental": True, "schedule": {"interval": 3600, "full_every": 3}}
    env.harvest()
    env.catalogue.ids = IDS[1:]  # rec-01 deleted at the source
    kinds, verdicts = [], []
    for _ in range(3):
        env.server.requests.clear()
        result = env.harvest(grace_runs=1)
        kinds.append("incremental" if result.report.since else "full")
        verdicts.append(result.retirement.verdict)
        constrained = [b"apiso:Modified" in r.body for r in env.server.requests]
        assert all(constrained) if result.report.since else not any(constrained)
    assert kinds == ["incremental", "incremental", "full"]
    # Incremental runs do not list unchanged records: only the full one may retire.
    assert verdicts == [Verdict.NOT_ELIGIBLE, Verdict.NOT_ELIGIBLE, Verdict.RETIRED]
    assert env.indexed() == 49


def test_a_quarantined_payload_that_parses_now_is_recovered_next_run(env: Env) -> None:
    # As an older parser would have left it: a valid ISO record, quarantined by mistake.
    run = env.store.begin_run(SOURCE)
    raw = iso_record("rec-99").encode()
    env.store.write_page(
        run, SOURCE, [Harvested(original_id="rec-99", raw=raw, error="old parser bug")]
    )
    env.store.finish_run(run, status="complete", complete=True)
    assert len(env.store.quarantined(SOURCE, include_resolved=False)) == 1

    result = env.harvest()
    assert result.retried == 1
    assert env.store.quarantined(SOURCE, include_resolved=False) == []
    assert env.store.get(rid("rec-99")).title == "Jeu de données rec-99"
    assert env.indexed() == 51


def test_a_not_modified_catalogue_is_an_unchanged_run_that_retires_nothing(env: Env) -> None:
    env.harvest()

    class NotModified:
        def harvest(self, since: object = None, cursor: object = None) -> Iterator[Page]:
            yield Page([], not_modified=True)

    report = run_source(NotModified(), SOURCE, Ingestor(env.store, env.backend))  # type: ignore[arg-type]
    assert report.status is RunStatus.UNCHANGED
    retirement = apply_run(env.store, env.backend, RetirementSettings(grace_runs=1), report)
    assert retirement.verdict is Verdict.NOT_ELIGIBLE
    assert env.indexed() == 50


def test_validators_are_saved_per_source(env: Env) -> None:
    env.store.save_validators(SOURCE, {"http://a/dump.rdf": ('"e1"', None)})
    env.store.save_validators(SOURCE, {"http://a/dump.rdf": ('"e2"', "Mon, 01 Jan 2024")})
    assert env.store.validators(SOURCE) == {"http://a/dump.rdf": ('"e2"', "Mon, 01 Jan 2024")}
    assert env.store.validators("other") == {}


def test_a_second_harvest_of_a_running_source_is_refused(env: Env) -> None:
    settings = env.settings()
    refused: list[str] = []

    def try_again_meanwhile(report: RunReport) -> None:
        if report.pages == 1:
            try:
                env.harvest()
            except Conflict as exc:
                refused.append(exc.message)

    with Runtime(settings, store=env.store, backend=env.backend) as runtime:
        result = harvest_source(runtime, settings.source(SOURCE), progress=try_again_meanwhile)
    assert result.report.status is RunStatus.COMPLETE
    assert refused and "already being harvested" in refused[0]
    assert len(env.store.runs(SOURCE)) == 1


def test_a_resumed_run_indexes_pages_the_crash_left_in_the_store_only(env: Env) -> None:
    env.interrupt_after(pages=2)
    # The state a kill -9 between page 2's store commit and its indexing leaves behind.
    env.backend.delete([rid(i) for i in IDS[10:20]])
    assert (env.store.count(), env.indexed()) == (20, 10)

    assert env.harvest().report.resumed
    assert (env.store.count(), env.indexed()) == (50, 50)
