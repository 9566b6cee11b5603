"""The Store contract, on every database the store supports: SQLite (the embedded default)
and a real PostgreSQL cluster started for the session (testkit/postgres_cluster.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.store import Store
from moisson.errors import NotFound
from moisson.record import Harvested, Keyword, Outcome, Record
from pipeline.runs import RunReport, RunStatus


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/store.db"
    else:
        url = request.getfixturevalue("postgres_url")
    with Store(url) as opened:
        yield opened


def item(original_id: str, title: str, **fields: object) -> Harvested:
    record = Record.new("src", original_id, title=title, **fields)
    raw = f"<record id='{original_id}'>{title}</record>".encode()
    return Harvested(original_id=original_id, raw=raw, record=record)


def bad(original_id: str, reason: str) -> Harvested:
    return Harvested(original_id=original_id, raw=b"<broken", error=reason)


def test_outcomes_new_then_unchanged_then_updated(store: Store) -> None:
    run1 = store.begin_run("src")
    first = store.write_page(run1, "src", [item("a", "Zones humides"), item("b", "Forêts")])
    assert first.outcomes[Outcome.NEW] == 2 and len(first.changed) == 2

    run2 = store.begin_run("src")
    again = store.write_page(run2, "src", [item("a", "Zones humides"), item("b", "Forêts")])
    assert again.outcomes[Outcome.UNCHANGED] == 2
    assert again.changed == []

    run3 = store.begin_run("src")
    edited = store.write_page(run3, "src", [item("a", "Zones humides 2024"), item("b", "Forêts")])
    assert (edited.outcomes[Outcome.UPDATED], edited.outcomes[Outcome.UNCHANGED]) == (1, 1)
    assert [r.title for r in edited.changed] == ["Zones humides 2024"]


def test_provenance_keeps_first_seen_and_moves_last_seen(store: Store) -> None:
    run1 = store.begin_run("src")
    store.write_page(run1, "src", [item("a", "Haies bocagères")])
    before = store.get(Record.new("src", "a", title="x").id)
    run2 = store.begin_run("src")
    store.write_page(run2, "src", [item("a", "Haies bocagères du Finistère")])
    after = store.get(before.id)
    assert after.provenance.first_seen == before.provenance.first_seen
    assert after.provenance.last_seen is not None and before.provenance.last_seen is not None
    assert after.provenance.last_seen >= before.provenance.last_seen
    assert (after.provenance.harvest_run, after.provenance.original_id) == (run2, "a")
    assert after.provenance.content_hash != before.provenance.content_hash


def test_raw_payload_is_kept_with_its_content_type(store: Store) -> None:
    run = store.begin_run("src")
    store.write_page(run, "src", [item("a", "Cours d'eau")])
    rid = Record.new("src", "a", title="x").id
    body, content_type = store.raw(rid)
    assert body == b"<record id='a'>Cours d'eau</record>"
    assert content_type == "application/xml"


def test_quarantine_keeps_reason_and_raw_and_counts_in_the_run(store: Store) -> None:
    run = store.begin_run("src")
    page = store.write_page(run, "src", [item("a", "Sols"), bad("b", "no title")])
    assert page.outcomes[Outcome.QUARANTINED] == 1
    [entry] = store.quarantined("src")
    assert (entry["original_id"], entry["reason"], entry["run_id"]) == ("b", "no title", run)
    assert store.raw_payload(entry["raw_sha256"])[0] == b"<broken"
    [row] = store.runs("src")
    assert (row.seen, row.new, row.quarantined) == (2, 1, 1)


def test_run_is_finished_with_status_and_cursor(store: Store) -> None:
    run = store.begin_run("src")
    store.write_page(run, "src", [item("a", "Bruit")], cursor="51", declared_total=120)
    store.finish_run(run, status="partial", complete=False, message="HTTP 503")
    [row] = store.runs("src")
    assert (row.status, row.complete, row.cursor, row.declared_total, row.message) == (
        "partial",
        False,
        "51",
        120,
        "HTTP 503",
    )
    assert store.last_complete_run("src") is None


def test_iter_records_pages_through_everything(store: Store) -> None:
    run = store.begin_run("src")
    store.write_page(run, "src", [item(str(n), f"Record {n}") for n in range(25)])
    titles = {r.title for r in store.iter_records(batch=7)}
    assert titles == {f"Record {n}" for n in range(25)}
    assert store.counts_by_source() == {"src": 25}


def test_a_record_keeps_everything_it_was_given(store: Store) -> None:
    keyword = Keyword(label="Hydrographie", uri="http://inspire.ec.europa.eu/theme/hy")
    run = store.begin_run("src")
    store.write_page(run, "src", [item("a", "BD Topage", keywords=[keyword])])
    assert store.get(Record.new("src", "a", title="x").id).keywords == [keyword]


def test_unknown_record_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="no record with id 'nope'"):
        store.get("nope")


def test_a_store_from_an_older_version_gets_the_new_columns(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path}/old.db"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # the records table as the first release created it
        conn.execute(
            sa.text(
                "CREATE TABLE records (id VARCHAR(64) PRIMARY KEY, source_id VARCHAR(64) NOT NULL,"
                " original_id TEXT NOT NULL, content_hash VARCHAR(64) NOT NULL, body TEXT NOT NULL,"
                " first_seen DATETIME NOT NULL, last_seen DATETIME NOT NULL,"
                " updated DATETIME NOT NULL, harvest_run INTEGER NOT NULL)"
            )
        )
    engine.dispose()
    with Store(url) as store:
        run = store.begin_run("src")
        store.write_page(run, "src", [item("a", "Zones humides")])
        assert store.count("src") == 1


def _complete_run(store: Store, ids: list[str]) -> RunReport:
    run = store.begin_run("src")
    store.write_page(run, "src", [item(i, f"Jeu {i}") for i in ids], declared_total=len(ids))
    store.finish_run(run, status="complete", complete=True)
    return RunReport("src", run, RunStatus.COMPLETE, outcomes=Counter({Outcome.NEW: len(ids)}))


def test_lifecycle_retire_hold_revive_and_activity(store: Store, tmp_path: Path) -> None:
    """Retirement, the breaker, revival, validators and activity queries on this database."""
    from indexer.activity import per_day, per_source
    from indexer.backends import build_backend
    from moisson.config import RetirementSettings
    from pipeline.retirement import Verdict, apply_run, record_history, reviews

    backend = build_backend(f"sqlite:///{tmp_path}/index.db")
    backend.open()
    try:
        policy = RetirementSettings(grace_runs=1, breaker_share=0.3)
        ids = [f"r{n}" for n in range(10)]
        assert (
            apply_run(store, backend, policy, _complete_run(store, ids)).verdict is Verdict.NOTHING
        )
        gone = apply_run(store, backend, policy, _complete_run(store, ids[1:]))
        assert gone.retired == [Record.new("src", "r0", title="x").id]
        assert (store.count(), store.count(include_retired=True)) == (9, 10)
        held = apply_run(store, backend, policy, _complete_run(store, ids[:2]))
        assert held.verdict is Verdict.HELD and len(reviews(store)) == 1
        _complete_run(store, ids)  # everything is back
        history = record_history(store, Record.new("src", "r0", title="x").id)
        assert [e["event"] for e in history["events"]] == ["retired", "revived"]
        assert store.count() == 10

        store.save_validators("src", {"http://a/dump": ('"e"', None)})
        assert store.validators("src") == {"http://a/dump": ('"e"', None)}

        assert per_source(store)["src"] == {
            "records": 10,
            "retired": 0,
            "with_themes": 0,
            "quarantined": 0,
        }
        [today] = per_day(store, 1)
        assert (today["runs"], today["records_seen"]) == (4, 10 + 9 + 2 + 10)
    finally:
        backend.close()


def test_a_plain_postgresql_url_uses_psycopg_3(postgres_url: str) -> None:
    """`postgresql://` is what people write (and compose.yaml sets); SQLAlchemy would pick
    psycopg2, which Moisson does not ship."""
    with Store(postgres_url.replace("postgresql+psycopg://", "postgresql://")) as store:
        assert store.engine.dialect.driver == "psycopg"
        assert store.count() == 0


def test_full_run_bookkeeping_for_the_periodic_reconciliation(store: Store) -> None:
    """What choose_since asks: the last complete full run, and complete runs since it."""
    assert store.last_full_run_id("src") is None
    full = store.begin_run("src")
    store.finish_run(full, status="complete", complete=True)
    since = store.runs("src")[0].started
    for status, complete in (("complete", True), ("partial", False), ("complete", True)):
        run = store.begin_run("src", since=since)
        store.finish_run(run, status=status, complete=complete)
    store.finish_run(store.begin_run("other"), status="complete", complete=True)
    assert store.last_full_run_id("src") == full
    assert store.complete_runs_after("src", full) == 2
    assert store.complete_runs_after("src", run) == 0


def test_open_quarantine_payloads_are_listed_once_for_a_retry(store: Store) -> None:
    run1 = store.begin_run("src")
    store.write_page(run1, "src", [bad("a", "no title"), bad("b", "no title"), bad("c", "x")])
    store.write_page(run1, "src", [item("c", "Réparé")])  # resolves c's entry (same payload)
    run2 = store.begin_run("src")
    store.write_page(run2, "src", [Harvested(original_id="d", raw=b"<other", error="bad")])
    [shared] = store.open_quarantine_payloads("src", except_run=run2)
    assert store.raw_payload(shared)[0] == b"<broken"
    assert len(store.open_quarantine_payloads("src", except_run=run1)) == 1
    assert store.open_quarantine_payloads("elsewhere", except_run=run2) == []


def test_tokens_are_kept_as_hashes_and_revoked_once(store: Store) -> None:
    from indexer.tokens import Tokens, hash_token

    tokens = Tokens(store)
    row, secret = tokens.create("alice", [" ROLE_USER", "ROLE_ADMIN", "ROLE_USER"])
    assert row.roles == ["ROLE_ADMIN", "ROLE_USER"]
    assert tokens.roles_of(secret) == ["ROLE_ADMIN", "ROLE_USER"]
    assert all(secret not in str(value) for value in store.token_rows()[0].values())
    assert store.token_rows()[0]["sha256"] == hash_token(secret)
    assert tokens.revoke(row.id).revoked is not None
    assert store.revoke_token(row.id, row.created) == (store.token_rows()[0], False)
    assert tokens.roles_of(secret) is None
    with pytest.raises(NotFound, match="no API token 99"):
        tokens.revoke(99)


def test_a_held_retirement_is_rejected_then_approved(store: Store, tmp_path: Path) -> None:
    from indexer.backends import build_backend
    from moisson.config import RetirementSettings
    from moisson.errors import Conflict
    from pipeline.retirement import Verdict, apply_run, approve_review, reject_review, reviews

    backend = build_backend(f"sqlite:///{tmp_path}/index.db")
    backend.open()
    try:
        policy = RetirementSettings(grace_runs=1, breaker_share=0.3)
        ids = [f"r{n}" for n in range(10)]
        _complete_run(store, ids)
        held = apply_run(store, backend, policy, _complete_run(store, ids[:5]))
        assert held.verdict is Verdict.HELD and held.review_id is not None
        reject_review(store, held.review_id)
        with pytest.raises(Conflict, match="already rejected"):
            approve_review(store, backend, held.review_id)
        assert [r["status"] for r in reviews(store, None)] == ["rejected"]
        again = apply_run(store, backend, policy, _complete_run(store, ids[:5]))
        assert again.verdict is Verdict.HELD and again.review_id != held.review_id
        [pending] = reviews(store)
        assert pending["record_ids"] == sorted(Record.new("src", i, title="x").id for i in ids[5:])
        retired = approve_review(store, backend, pending["id"])
        assert sorted(retired) == pending["record_ids"]
        assert (store.count(), store.count(include_retired=True)) == (5, 10)
        assert store.runs("src")[0].retired == 5
    finally:
        backend.close()
