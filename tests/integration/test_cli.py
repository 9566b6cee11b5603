"""The `moisson` command end to end on the bundled sample catalogue: harvest, search, sources,
parse, reindex — real files, real SQLite, no server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The sample config, pointed at a copy of the sample folders and a fresh var/."""
    shutil.copytree(ROOT / "samples", tmp_path, dirs_exist_ok=True)
    path = tmp_path / "moisson.toml"
    path.write_text(
        (ROOT / "samples" / "moisson.toml").read_text(encoding="utf-8").replace("../var/", "var/"),
        encoding="utf-8",
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_harvest_then_search(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = len(list((config.parent / "csw").glob("*.xml")))
    code, out, _ = run(capsys, "--config", str(config), "harvest")
    assert code == 0, out
    assert f"sample-csw: complete — {files} seen (new {files}," in out

    code, out, _ = run(capsys, "--config", str(config), "search", "zones humides", "--json")
    assert code == 0
    response = json.loads(out)
    assert response["total"] >= 1
    assert set(response) >= {"total", "page", "size", "hits", "facets"}
    assert response["facets"]["source"][0]["value"] == "sample-csw"


def test_second_harvest_writes_nothing(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "--config", str(config), "harvest")
    code, out, _ = run(capsys, "--config", str(config), "harvest", "--full")
    assert code == 0
    files = len(list((config.parent / "csw").glob("*.xml")))
    assert f"new 0, updated 0, unchanged {files}, quarantined 0" in out


def test_a_bad_file_is_quarantined_and_the_rest_goes_on(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config.parent / "csw" / "zz-broken.xml").write_bytes(b"<gmd:MD_Metadata><unclosed>")
    code, out, _ = run(capsys, "--config", str(config), "harvest")
    assert code == 0  # a bad record is data, not a failed run
    assert "quarantined 1" in out


def test_sources_lists_counts(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "--config", str(config), "harvest")
    code, out, _ = run(capsys, "--config", str(config), "sources")
    files = len(list((config.parent / "csw").glob("*.xml")))
    assert code == 0
    assert out.startswith(f"sample-csw\tcsw\t{files} records\t")


def test_reindex_rebuilds_the_same_results(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "--config", str(config), "harvest")
    before = run(capsys, "--config", str(config), "search", "eau", "--json")[1]
    code, out, _ = run(capsys, "--config", str(config), "reindex")
    assert code == 0 and out.startswith("reindexed ")
    after = run(capsys, "--config", str(config), "search", "eau", "--json")[1]
    assert json.loads(after)["total"] == json.loads(before)["total"]


def test_bad_config_exits_2_with_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[api]\nport = "eighty"\n', encoding="utf-8")
    code, _, err = run(capsys, "--config", str(bad), "sources")
    assert code == 2
    assert "api.port" in err


def test_bad_bbox_exits_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--config", str(config), "search", "x", "--bbox", "1,2,3")
    assert code == 2
    assert "bbox" in err


def test_parse_prints_record_json(capsys: pytest.CaptureFixture[str]) -> None:
    sample = sorted((ROOT / "samples" / "csw").glob("*.xml"))[0]
    code, out, _ = run(capsys, "parse", str(sample))
    assert code == 0
    record = json.loads(out)
    assert record["title"] and record["provenance"]["source_id"] == "cli"
