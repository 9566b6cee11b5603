"""docs/forge.md shows a real report computed from the fixtures; it must be what the code
produces today (regenerate with `.venv/bin/python -m tests.forge.docs_example`)."""

from __future__ import annotations

from pathlib import Path

from tests.forge.docs_example import example_report

PAGE = Path(__file__).resolve().parents[2] / "docs" / "forge.md"


def test_the_example_report_of_the_docs_is_what_the_code_produces(shared_fixtures: Path) -> None:
    text = PAGE.read_text(encoding="utf-8")
    block = text.split("<!-- example-report:start -->\n", 1)[1].split(
        "<!-- example-report:end -->"
    )[0]
    assert block.startswith("````markdown\n") and block.endswith("````\n")
    assert block.removeprefix("````markdown\n").removesuffix("````\n") == example_report(
        shared_fixtures
    )
