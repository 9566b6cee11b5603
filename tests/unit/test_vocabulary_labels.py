"""thesaurus/vocabulary-labels.tsv and gemet-concepts.tsv are what
scripts/derive_vocabulary_labels.py derives from the shared fixtures' vocabularies: the
committed tables never drift from their sources."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from indexer.thesaurus import read_vocabulary_labels
from moisson.config import BUNDLED_THESAURUS

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "derive_vocabulary_labels.py"


def test_the_committed_label_tables_are_the_derived_ones(
    shared_fixtures: Path, tmp_path: Path
) -> None:
    spec = importlib.util.spec_from_file_location("derive_vocabulary_labels", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    output, gemet = tmp_path / "labels.tsv", tmp_path / "gemet.tsv"
    arguments = [str(shared_fixtures / "thesauri"), "--output", str(output)]
    assert module.main([*arguments, "--gemet-output", str(gemet)]) == 0
    committed = BUNDLED_THESAURUS.with_name("vocabulary-labels.tsv")
    assert output.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")
    committed = BUNDLED_THESAURUS.with_name("gemet-concepts.tsv")
    assert gemet.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")


def test_the_table_covers_every_inspire_theme_in_five_languages() -> None:
    rows = read_vocabulary_labels(BUNDLED_THESAURUS.with_name("vocabulary-labels.tsv"))
    inspire = {(uri, lang) for uri, lang, _ in rows if "inspire.ec.europa.eu/theme/" in uri}
    assert len({uri for uri, _ in inspire}) == 34
    assert {lang for _, lang in inspire} == {"en", "fr", "de", "nl", "it"}
    assert len(inspire) == 34 * 5
