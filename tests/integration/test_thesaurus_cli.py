"""`moisson thesaurus coverage | explain` and `moisson reindex` re-theming, end to end on the
bundled sample catalogue (real files, real SQLite, no server)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer.store import Store
from moisson.config import BUNDLED_RULES, load_settings
from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The sample config on a copy of the sample folders, with its own copy of the rules."""
    shutil.copytree(ROOT / "samples", tmp_path, dirs_exist_ok=True)
    shutil.copy(BUNDLED_RULES, tmp_path / "rules.yaml")
    path = tmp_path / "moisson.toml"
    sample = (ROOT / "samples" / "moisson.toml").read_text(encoding="utf-8")
    path.write_text(
        sample.replace("../var/", "var/") + '\n[themes]\nrules = "rules.yaml"\n', encoding="utf-8"
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, _ = capsys.readouterr()
    return code, out


def test_harvest_files_records_and_coverage_reports_it(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "--config", str(config), "harvest")[0] == 0
    with Store(load_settings(config).store.url) as store:
        records = list(store.iter_records("sample-csw"))
    themed = sum(1 for r in records if r.themes)
    code, out = run(capsys, "--config", str(config), "thesaurus", "coverage", "--top", "5")
    assert code == 0
    assert f"sample-csw\t{themed}/{len(records)}\t" in out
    assert len(out.split("without any theme):")[1].strip().splitlines()) == 5


def test_explain_prints_each_theme_with_its_evidence(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "--config", str(config), "harvest")
    with Store(load_settings(config).store.url) as store:
        record = next(r for r in store.iter_records() if any(t.id == "wetlands" for t in r.themes))
    code, out = run(capsys, "--config", str(config), "thesaurus", "explain", record.id)
    assert code == 0
    assert out.splitlines()[0].startswith(f"{record.id}  {record.title}")
    assert "- wetlands (Zones humides)" in out
    assert "    label: keyword " in out or "    uri: " in out or "    text: " in out


def test_reindex_rethemes_from_the_store_after_a_rule_change(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "--config", str(config), "harvest")
    code, out = run(capsys, "--config", str(config), "search", "", "--filter", "theme=landscape")
    assert (code, out.splitlines()[0]) == (0, "0 records")
    rules = config.parent / "rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8")
        + "  - id: camargue-landscape\n    comment: test\n    keyword: Camargue\n"
        "    concept: landscape\n",
        encoding="utf-8",
    )
    assert run(capsys, "--config", str(config), "reindex")[0] == 0
    code, out = run(
        capsys, "--config", str(config), "search", "", "--filter", "theme=landscape",
        "--json",
    )  # fmt: skip
    body = json.loads(out)
    assert body["total"] == 5  # the five records with the keyword 'Camargue'
    with Store(load_settings(config).store.url) as store:
        stored = [r for r in store.iter_records() if any(t.id == "landscape" for t in r.themes)]
    assert len(stored) == 5
    assert all(
        t.evidence[0].rule == "camargue-landscape"
        for r in stored
        for t in r.themes
        if t.id == "landscape"
    )
