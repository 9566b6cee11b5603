"""The service functions behind the admin workbench (issue 16), over a catalogue really
harvested from the bundled samples (testkit/admin_catalogue.py): the duplicate review
queue and side-by-side comparison, the evidence mix per concept, removing a mapping rule,
each source's health and the next scheduled run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from indexer.cluster_review import REVIEW_ORDERS, comparison, review_queue
from indexer.retheme import retheme, unmapped
from indexer.rule_removal import preview_removal, remove_rule
from indexer.rules import Rule, load_rules
from indexer.rules_file import delete_rule, save_rule
from indexer.theme_evidence import evidence_mix
from indexer.thesaurus import label_keys
from moisson.errors import NotFound
from pipeline.runtime import Runtime
from pipeline.scheduler import JOB_PREFIX, next_run_times, sync_jobs
from pipeline.source_health import source_health
from testkit.admin_catalogue import LEGACY, admin_settings, build_admin_catalogue


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    folder = tmp_path_factory.mktemp("admin")
    with Runtime(admin_settings(folder)) as opened:
        build_admin_catalogue(opened, folder)
        yield opened


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Runtime]:
    """A catalogue of its own, for the tests that change rules."""
    with Runtime(admin_settings(tmp_path)) as opened:
        build_admin_catalogue(opened, tmp_path)
        yield opened


def test_review_queue_orders_clusters_three_ways(runtime: Runtime) -> None:
    by_size = review_queue(runtime.clusters, runtime.store, "size")
    assert len(by_size) == len(runtime.clusters.clusters())
    assert [s.size for s in by_size] == sorted((s.size for s in by_size), reverse=True)
    assert by_size[0].size == 3  # the wetlands inventory: producer, national copy, legacy
    for order in REVIEW_ORDERS:
        queue = review_queue(runtime.clusters, runtime.store, order)
        assert sorted(s.id for s in queue) == sorted(s.id for s in by_size)
    by_confidence = review_queue(runtime.clusters, runtime.store, "confidence")
    scores = [s.confidence for s in by_confidence]
    assert scores == sorted(scores)
    with pytest.raises(ValueError, match="order must be one of"):
        review_queue(runtime.clusters, runtime.store, "oldest")  # type: ignore[arg-type]


def test_review_queue_summary_names_sources_and_title(runtime: Runtime) -> None:
    top = review_queue(runtime.clusters, runtime.store, "size")[0]
    assert top.sources == [LEGACY, "sample-csw"]
    assert top.title.startswith("Zones humides")
    assert top.kinds == ["key"] and top.confidence == 1.0
    assert top.newest is not None


def test_comparison_puts_canonical_first_and_marks_differences(runtime: Runtime) -> None:
    top = review_queue(runtime.clusters, runtime.store, "size")[0]
    view = runtime.clusters.cluster(top.id)
    assert view is not None
    laid_out = comparison(view, runtime.store)
    assert laid_out.members[0].id == view.canonical
    assert len(laid_out.members) == 3 and not laid_out.missing
    rows = {f.name: f for f in laid_out.fields}
    assert rows["bbox"].differs is False  # same extent in every copy
    assert rows["organisation"].differs is True  # the producer and the national republisher
    # Themes are compared as sets (sorted), not in the order the matcher found them.
    themes = rows["themes"].values
    assert all(v == ", ".join(sorted(v.split(", "))) for v in themes)
    assert rows["themes"].differs is (len(set(themes)) > 1)


def test_evidence_mix_counts_records_per_step(runtime: Runtime) -> None:
    mix = evidence_mix(runtime.store.iter_records())
    records = list(runtime.store.iter_records())
    wetlands = [r for r in records if any(t.id == "wetlands" for t in r.themes)]
    assert mix["wetlands"].records == len(wetlands) > 0
    for entry in mix.values():
        assert 0 < max(entry.steps.values()) <= entry.records
        assert all(0.0 <= share <= 1.0 for share in entry.shares().values())


def test_removing_an_exclude_rule_gives_the_theme_back(fresh: Runtime) -> None:
    path = fresh.settings.themes.rules_path
    record = next(
        r for r in fresh.store.iter_records() if any(t.id == "wetlands" for t in r.themes)
    )
    keyword = record.keywords[0].label
    draft = Rule(id="no-wetlands", comment="test", action="exclude", keyword=keyword,
                 concept="wetlands")  # fmt: skip
    save_rule(path, draft)
    fresh.themer = fresh.themer.with_rules(load_rules(path))
    retheme(fresh.store, fresh.backend, fresh.themer)
    assert "wetlands" not in {t.id for t in fresh.store.get(record.id).themes}

    changes = preview_removal(fresh.store, fresh.themer, "no-wetlands")
    assert record.id in {c.record_id for c in changes}
    assert all("wetlands" in {t.id for t in c.gained} for c in changes)
    assert "no-wetlands" in path.read_text(encoding="utf-8")  # a preview writes nothing

    fresh.themer, applied = remove_rule(
        fresh.store, fresh.backend, fresh.themer, "no-wetlands", path
    )
    assert [c.record_id for c in applied] == [c.record_id for c in changes]
    assert "no-wetlands" not in path.read_text(encoding="utf-8")
    assert "wetlands" in {t.id for t in fresh.store.get(record.id).themes}
    with pytest.raises(NotFound, match="no mapping rule 'no-wetlands'"):
        preview_removal(fresh.store, fresh.themer, "no-wetlands")


def test_delete_rule_keeps_every_other_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    text = (
        "# header\n"
        "vocabularies: []\n"
        "rules:\n"
        "  - id: one  # first\n"
        "    comment: kept\n"
        "    keyword: a\n"
        "    concept: water\n"
        "  - id: two\n"
        "    comment: goes\n"
        "    keyword: b\n"
        "    concept: water\n"
        "  # group heading\n"
        "  - id: three\n"
        "    comment: kept too\n"
        "    keyword: c\n"
        "    concept: water\n"
    )
    path.write_text(text, encoding="utf-8")
    removed = delete_rule(path, "two")
    assert removed is not None and removed.comment == "goes"
    assert path.read_text(encoding="utf-8") == text.replace(
        "  - id: two\n    comment: goes\n    keyword: b\n    concept: water\n", ""
    )
    assert delete_rule(path, "two") is None


def test_source_health_reports_runs_schedule_and_held_reviews(runtime: Runtime) -> None:
    health = {h.id: h for h in source_health(runtime)}
    assert list(health) == [s.id for s in runtime.settings.sources]
    csw = health["sample-csw"]
    assert csw.status == "complete" and csw.records >= 36
    assert csw.last_run is not None and csw.last_run.quarantined == 1
    assert csw.duration is not None and csw.duration.total_seconds() >= 0
    assert csw.schedule is None and csw.next_run is None
    legacy = health[LEGACY]
    assert legacy.schedule == "cron 0 3 * * *"
    assert legacy.held_reviews == 1


def test_next_run_times_reads_the_scheduler_job_store(runtime: Runtime) -> None:
    assert next_run_times(runtime) == {}  # no scheduler ever ran
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_jobstore(
        SQLAlchemyJobStore(
            engine=runtime.store.engine, tablename=runtime.settings.scheduler.jobs_table
        )
    )
    scheduler.start(paused=True)
    try:
        assert sync_jobs(scheduler, runtime.settings) == [LEGACY]
        found = next_run_times(runtime)
        job = scheduler.get_job(JOB_PREFIX + LEGACY)
        assert job is not None
        assert found == {LEGACY: job.next_run_time}
        assert found[LEGACY] is not None and found[LEGACY] > datetime.now(UTC)
    finally:
        scheduler.shutdown(wait=False)


def test_unmapped_counts_records_without_a_stored_theme(fresh: Runtime) -> None:
    """`unthemed` counts the records with no theme in the store (what search shows; after a
    harvest or an applied rule, what the matcher gives), without re-matching every record."""

    def key(label: str) -> str:
        return (label_keys(label) or (label,))[0]

    def report() -> dict[str, dict[str, Any]]:
        return {key(str(i["keyword"])): i for i in unmapped(fresh.store, fresh.themer, 1000)}

    records = list(fresh.store.iter_records())
    before = report()
    for item_key, item in before.items():
        holding = [
            r for r in records if item_key in {key(k) for k in fresh.themer.unmatched_keywords(r)}
        ]
        assert item["records"] == len(holding), item
        assert item["unthemed"] == sum(1 for r in holding if not r.themes), item
    record = next(r for r in records if r.themes and fresh.themer.unmatched_keywords(r))
    fresh.store.set_themes([record.model_copy(update={"themes": []})])
    after = report()
    for label in fresh.themer.unmatched_keywords(record):
        assert after[key(label)]["unthemed"] == before[key(label)]["unthemed"] + 1
