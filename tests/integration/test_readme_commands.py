"""The `moisson ...` command lines of README.md and docs/ run as written, against a copy of
the bundled samples (harvested first). Placeholders are filled in (`my.toml` is that copy,
`record.xml` a sample record, `RECORD_ID` a stored record); commands that run until stopped
(`serve`, `scheduler`) are checked with `--help`; lines that only make sense on a forge
runner or a server (a git range, a snapshot path on a server) are left out by name below.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINE = re.compile(r"^\s*(?:\.venv/bin/)?moisson (?P<args>.+?)\s*(?:#.*)?$")
BLOCKING = {"serve", "scheduler"}
# Forge CI lines (a git range, a runner's files) and server paths: run by tests/forge.
ELSEWHERE = ("--git", "/srv/", "thesaurus apply", "check....")


def _lines() -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for doc in DOCS:
        in_shell = False
        for line in doc.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("```"):
                in_shell = not in_shell and line.strip() in ("```sh", "```bash", "```shell")
                continue
            match = LINE.match(line) if in_shell else None
            if match and not any(skip in line for skip in ELSEWHERE):
                found.setdefault(match.group("args"), doc.name)
    return sorted(found.items())


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples")
    shutil.copytree(SAMPLES, folder, dirs_exist_ok=True)
    path = folder / "moisson.toml"
    assert main(["--config", str(path), "harvest"]) == 0
    return path


def test_the_docs_have_command_lines() -> None:
    assert len(_lines()) >= 10


@pytest.mark.parametrize(("args", "doc"), _lines())
def test_a_documented_command_runs(
    args: str, doc: str, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = shlex.split(args)
    if "--config" in words:  # `--config my.toml`: the user's file is our copy
        words[words.index("--config") + 1] = str(config)
    else:
        words = ["--config", str(config), *words]
    words = [
        str(SAMPLES / "csw" / "fr-zones-humides-vilaine-ofb.xml") if w == "record.xml" else w
        for w in words
    ]
    if "RECORD_ID" in words:
        assert main(["--config", str(config), "search", "zones humides", "--json"]) == 0
        first = re.search(r'"id": "([0-9a-f]{24})"', capsys.readouterr().out)
        assert first is not None
        words[words.index("RECORD_ID")] = first.group(1)
    command = next(w for w in words[2:] if not w.startswith("-"))
    if command in BLOCKING:
        with pytest.raises(SystemExit) as stopped:
            main([*words, "--help"])
        assert stopped.value.code == 0
        return
    code = main(words)
    out, err = capsys.readouterr()
    assert code == 0, f"{doc}: moisson {args} -> exit {code}\n{out}\n{err}"
    assert "Traceback" not in err
