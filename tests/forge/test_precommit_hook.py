"""The pre-commit hook of .pre-commit-hooks.yaml, run by the real `pre-commit` (PyPI) from a
real `git commit` in a temporary thesaurus repository: a commit introducing a broader cycle
is blocked, a good one goes through.

pre-commit would pip-install Moisson for a `language: python` hook, which needs the
network; the test keeps every other field of the published hook definition and runs its
entry from this environment (`language: system`), so what is tested is the definition, the
file filter and the check, on the real tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from forge.hook import main
from moisson.config import BUNDLED_RULES, BUNDLED_THESAURUS
from tests.conftest import require
from tests.forge.variants import CYCLE, NEW_SYNONYM, variant_thesaurus

ROOT = Path(__file__).resolve().parents[2]


def _hook() -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return next(h for h in hooks if h["id"] == "moisson-thesaurus-check")


def test_the_hook_entry_is_the_check_console_script() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert scripts[_hook()["entry"]] == "forge.hook:main"


def _run(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    precommit = Path(sys.executable).parent / "pre-commit"
    require(precommit.exists(), "pre-commit is not installed (pip install -e '.[test]')")
    require(shutil.which("git") is not None, "git is not installed")
    repo = tmp_path / "themes-repo"
    (repo / "thesaurus").mkdir(parents=True)
    (repo / "mappings").mkdir()
    shutil.copy(BUNDLED_THESAURUS, repo / "thesaurus" / "themes.ttl")
    shutil.copy(BUNDLED_RULES, repo / "mappings" / "theme-rules.yaml")
    hook = {**_hook(), "language": "system"}
    hook["entry"] = f"{sys.executable} -m forge.hook"
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "geomatician",
        "GIT_AUTHOR_EMAIL": "geo@example.org",
        "GIT_COMMITTER_NAME": "geomatician",
        "GIT_COMMITTER_EMAIL": "geo@example.org",
        "PYTHONPATH": str(ROOT),
    }
    for command in (
        ["git", "init", "-q", "-b", "main"],
        [str(precommit), "install"],
        ["git", "add", "."],
        ["git", "commit", "-qm", "the thesaurus as published"],
    ):
        done = _run(repo, env, *command)
        assert done.returncode == 0, done.stdout + done.stderr
    return repo, env


def test_the_hook_blocks_a_commit_that_introduces_a_cycle(
    repo: tuple[Path, dict[str, str]],
) -> None:
    folder, env = repo
    variant_thesaurus(folder / "thesaurus", CYCLE)
    _run(folder, env, "git", "add", "thesaurus/themes.ttl")
    done = _run(folder, env, "git", "commit", "-qm", "flora above biodiversity")
    shown = done.stdout + done.stderr  # git shows the hook's output on stderr
    assert done.returncode != 0
    assert "moisson thesaurus check" in shown and "Failed" in shown
    assert "thesaurus/themes.ttl:" in shown and "cycle in skos:broader" in shown
    log = _run(folder, env, "git", "log", "--oneline")
    assert len(log.stdout.splitlines()) == 1  # nothing committed


def test_the_hook_lets_a_good_change_through(repo: tuple[Path, dict[str, str]]) -> None:
    folder, env = repo
    variant_thesaurus(folder / "thesaurus", NEW_SYNONYM)
    _run(folder, env, "git", "add", "thesaurus/themes.ttl")
    done = _run(folder, env, "git", "commit", "-qm", "a synonym for farming")
    shown = done.stdout + done.stderr
    assert done.returncode == 0, shown
    assert "moisson thesaurus check" in shown and "Passed" in shown


def test_the_check_prints_problems_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = variant_thesaurus(tmp_path, CYCLE)
    assert main([str(bad), "--rules", str(BUNDLED_RULES)]) == 1
    assert f"{bad}:" in capsys.readouterr().out
    assert main([str(BUNDLED_THESAURUS), "--rules", str(BUNDLED_RULES), "--format", "junit"]) == 0
    assert 'failures="0"' in capsys.readouterr().out
