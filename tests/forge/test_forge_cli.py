"""The forge commands end to end through `forge.cli.run`: real files, a real git repository,
a real SQLite store and index holding the fixture records."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from forge.cli import run
from indexer.rules import load_rules
from indexer.snapshot import read_snapshot, snapshot_header
from indexer.store import Store
from indexer.theme_publish import themes_version
from indexer.themes import Themer
from indexer.thesaurus import VOCABULARY_LABELS, load_thesaurus
from moisson.config import BUNDLED_RULES, BUNDLED_THESAURUS, Settings
from moisson.record import Record
from pipeline.retirement import record_history
from pipeline.runtime import Runtime
from testkit.fixture_records import fixture_records
from tests.conftest import require
from tests.forge.store_setup import RESTRICTED, fill, parse, settings_for
from tests.forge.variants import CYCLE, NEW_SYNONYM, removed_weather, variant_thesaurus


@pytest.fixture(scope="module")
def records(shared_fixtures: Path) -> list[Record]:
    """Fixture records, one per id (some catalogues answer the same record twice)."""
    return list({r.id: r for r in fixture_records(shared_fixtures)}.values())


@pytest.fixture(scope="module")
def current() -> Themer:
    return Themer(load_thesaurus(BUNDLED_THESAURUS), load_rules(BUNDLED_RULES))


@pytest.fixture
def stored(tmp_path: Path, records: list[Record], current: Themer) -> Settings:
    settings = settings_for(tmp_path, records)
    fill(settings, records, current)
    return settings


def _run(settings: Settings, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with Runtime(settings) as runtime:
        code = run(runtime, parse(*argv))
    return code, capsys.readouterr().out


def test_diff_of_two_files_exits_0_and_1_when_the_new_one_is_broken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings()
    good = variant_thesaurus(tmp_path, NEW_SYNONYM, "good.ttl")
    bad = variant_thesaurus(tmp_path, CYCLE, "bad.ttl")
    code, out = _run(settings, capsys, "thesaurus", "diff", str(BUNDLED_THESAURUS), str(good))
    assert code == 0 and "| labels added | 1 |" in out
    code, out = _run(
        settings, capsys, "thesaurus", "diff", str(BUNDLED_THESAURUS), str(bad), "--format", "json"
    )
    assert code == 1
    assert any(p["message"].startswith("cycle") for p in json.loads(out)["new"]["problems"])


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A thesaurus repository: the bundled files committed, then a change committed."""
    require(shutil.which("git") is not None, "git is not installed (apt-get install git)")
    repo = tmp_path / "themes-repo"
    (repo / "thesaurus").mkdir(parents=True)
    (repo / "mappings").mkdir()
    shutil.copy(BUNDLED_THESAURUS, repo / "thesaurus" / "themes.ttl")
    shutil.copy(BUNDLED_THESAURUS.with_name(VOCABULARY_LABELS), repo / "thesaurus")
    shutil.copy(BUNDLED_RULES, repo / "mappings" / "theme-rules.yaml")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "initial")
    variant_thesaurus(repo / "thesaurus", removed_weather())
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "drop")
    return repo


def test_diff_between_git_revisions(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings()
    paths = [
        "--thesaurus",
        str(repo / "thesaurus/themes.ttl"),
        "--rules",
        str(repo / "mappings/theme-rules.yaml"),
    ]
    code, out = _run(
        settings, capsys, "thesaurus", "diff", "--git", "HEAD~1..HEAD", *paths, "--format", "json"
    )
    data = json.loads(out)
    assert code == 0
    assert [(c["kind"], c["subject"]) for c in data["changes"]] == [("concept-removed", "weather")]
    assert (data["old"]["label"], data["new"]["label"]) == ("HEAD~1", "HEAD")
    # A broken working tree: problems point at the file in the repository.
    variant_thesaurus(repo / "thesaurus", CYCLE)
    code, out = _run(settings, capsys, "thesaurus", "diff", "--git", "HEAD", *paths)
    assert code == 1
    assert "thesaurus/themes.ttl:" in out and "cycle in skos:broader" in out


def test_impact_between_git_revisions_is_the_impact_between_the_files(
    repo: Path, stored: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The copies taken out of git carry the vocabulary labels the thesaurus borrows: without
    them, every record filed through a borrowed label would look like it loses its theme."""
    paths = [
        "--thesaurus",
        str(repo / "thesaurus/themes.ttl"),
        "--rules",
        str(repo / "mappings/theme-rules.yaml"),
    ]
    argv = ["thesaurus", "impact", "--format", "json"]
    code, out = _run(stored, capsys, *argv, "--git", "HEAD~1..HEAD", *paths)
    from_git = json.loads(out)["impact"]
    new = variant_thesaurus(tmp_path, removed_weather())
    code2, out = _run(stored, capsys, *argv, str(BUNDLED_THESAURUS), str(new))
    from_files = json.loads(out)["impact"]
    assert code == code2 == 0
    assert from_git == from_files
    assert [t["concept"] for t in from_git["themes"]] == ["weather"]


def test_git_errors_are_config_errors(repo: Path) -> None:
    from moisson.errors import ConfigError

    with pytest.raises(ConfigError, match="nope"):
        run(
            Runtime(Settings()),
            parse(
                "thesaurus",
                "diff",
                "--git",
                "nope..HEAD",
                "--thesaurus",
                str(repo / "thesaurus/themes.ttl"),
                "--rules",
                str(repo / "mappings/theme-rules.yaml"),
            ),
        )


def test_snapshot_keeps_only_what_the_matcher_reads_and_no_restricted_record(
    stored: Settings, records: list[Record], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "snap.jsonl.gz"
    code, out = _run(stored, capsys, "store", "snapshot", str(path))
    public = [r for r in records if r.provenance.source_id != RESTRICTED]
    assert code == 0 and f": {len(public)} records" in out
    assert snapshot_header(path)["records"] == len(public)
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()[1:]
    assert {tuple(sorted(json.loads(line))) for line in lines} == {
        (
            "abstract",
            "id",
            "keywords",
            "language",
            "original_id",
            "source",
            "title",
            "topic_categories",
        )
    }
    read = list(read_snapshot(path))
    assert sorted(r.id for r in read) == sorted(r.id for r in public)
    assert RESTRICTED not in {r.provenance.source_id for r in read}
    _run(stored, capsys, "store", "snapshot", str(path), "--include-restricted")
    assert len(list(read_snapshot(path))) == len(records)


def test_impact_on_a_snapshot_equals_impact_on_the_store(
    stored: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = tmp_path / "snap.jsonl.gz"
    _run(stored, capsys, "store", "snapshot", str(snapshot))
    new = variant_thesaurus(tmp_path, removed_weather())
    argv = ["thesaurus", "impact", str(BUNDLED_THESAURUS), str(new), "--format", "json"]
    code, out = _run(stored, capsys, *argv)
    from_store = json.loads(out)["impact"]
    code2, out = _run(stored, capsys, *argv, "--snapshot", str(snapshot), "--workers", "2")
    from_snapshot = json.loads(out)["impact"]
    assert code == code2 == 0
    assert from_store.pop("against") == "the store"
    assert from_snapshot.pop("against") == "snapshot snap.jsonl.gz"
    assert from_store == from_snapshot
    assert from_store["emptied_themes"] == ["weather"]


def test_a_bad_snapshot_is_a_clear_error(stored: Settings, tmp_path: Path) -> None:
    from moisson.errors import ConfigError

    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"not gzip")
    argv = ["thesaurus", "impact", str(BUNDLED_THESAURUS), str(BUNDLED_THESAURUS)]
    with pytest.raises(ConfigError, match="not a Moisson snapshot"):
        run(Runtime(stored), parse(*argv, "--snapshot", str(bad)))


def test_apply_rethemes_store_and_index_and_records_the_version(
    tmp_path: Path, records: list[Record], current: Themer, capsys: pytest.CaptureFixture[str]
) -> None:
    from indexer.backends import build_backend
    from moisson.record import Query

    new = variant_thesaurus(tmp_path, NEW_SYNONYM)
    settings = settings_for(tmp_path, records, thesaurus=new)
    fill(settings, records, current)
    gained = [
        r for r in records if any(k.label.lower() == "vegetation-cropland" for k in r.keywords)
    ]
    assert gained
    code, out = _run(settings, capsys, "thesaurus", "apply", "--label", "git:abc1234")
    assert code == 0 and out.startswith("applied git:abc1234: ")
    with Store(settings.store.url) as store:
        for record in gained:
            assert "agriculture" in [t.id for t in store.get(record.id).themes]
            assert themes_version(store, record.id) == "git:abc1234"
            events = record_history(store, record.id)["events"]
            assert [(e["event"], json.loads(e["detail"])) for e in events] == [
                ("rethemed", {"thesaurus": "git:abc1234", "gained": ["agriculture"], "lost": []})
            ]
        untouched = next(r for r in records if r not in gained)
        assert themes_version(store, untouched.id) == "git:abc1234"
        assert record_history(store, untouched.id)["events"] == []
    backend = build_backend(settings.index.url)
    backend.open()
    try:
        found = backend.search(Query(filters={"theme": ["agriculture"]}, size=100))
    finally:
        backend.close()
    assert {r.id for r in gained} <= {hit.id for hit in found.hits}


def test_apply_refuses_a_broken_thesaurus(
    tmp_path: Path, records: list[Record], current: Themer, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(tmp_path, records[:5], thesaurus=variant_thesaurus(tmp_path, CYCLE))
    fill(settings, records[:5], current)
    with Runtime(settings) as runtime:
        assert run(runtime, parse("thesaurus", "apply")) == 1
    assert "not applied" in capsys.readouterr().err
    with Store(settings.store.url) as store:
        assert themes_version(store, records[0].id) is None


def test_a_snapshot_line_of_unbounded_length_is_refused(tmp_path: Path) -> None:
    from moisson.errors import ConfigError

    path = tmp_path / "long.jsonl.gz"
    header = b'{"moisson_snapshot": 1, "records": 1}\n'
    path.write_bytes(gzip.compress(header + b'{"id": "' + b"x" * (5 << 20) + b'"}\n'))
    with pytest.raises(ConfigError, match=r"long.jsonl.gz:2: line longer than"):
        list(read_snapshot(path))


def test_a_store_from_before_the_version_column_gains_it_on_opening(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.db'}"
    with Store(url) as store, store.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE records DROP COLUMN themes_version"))
    with Store(url) as store:
        columns = {c["name"] for c in sa.inspect(store.engine).get_columns("records")}
    assert "themes_version" in columns
