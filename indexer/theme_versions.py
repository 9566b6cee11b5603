"""One version of the theme configuration (a thesaurus file and a rules file), loaded for
comparison: its validation problems, the parsed thesaurus and rules when they can be read,
and a short content digest that names the version when no git revision does.

`display` maps the paths the files were read from to the paths a reviewer knows: a version
taken from a git revision is read from a temporary copy (forge/revisions.py), but its
problems must point at `thesaurus/themes.ttl:42`, not at /tmp/....
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from indexer.rules import RuleSet, load_rules
from indexer.themes import Themer
from indexer.thesaurus import Thesaurus, load_thesaurus
from indexer.thesaurus_check import Problem, validate
from moisson.errors import ConfigError

__all__ = ["ThemeVersion", "content_digest", "load_version"]

logger = logging.getLogger(__name__)


def content_digest(thesaurus_path: Path, rules_path: Path) -> str:
    """`sha256:` and 12 hex digits of both files' bytes: equal files, equal digest, so a
    store can tell which thesaurus its themes came from even outside git."""
    digest = hashlib.sha256()
    for path in (thesaurus_path, rules_path):
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0missing\0")
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()[:12]


@dataclass
class ThemeVersion:
    label: str  # what reports call it: a file path or a git revision
    thesaurus_path: Path
    rules_path: Path
    digest: str
    problems: list[Problem] = field(default_factory=list)
    thesaurus: Thesaurus | None = None
    rules: RuleSet | None = None

    @property
    def loaded(self) -> bool:
        """Whether both files could be read, so the version can be diffed and matched."""
        return self.thesaurus is not None and self.rules is not None

    def themer(self, text_threshold: int = 3) -> Themer:
        if self.thesaurus is None or self.rules is None:
            raise ConfigError(
                f"{self.label}: the thesaurus or the rules cannot be read; fix the problems "
                "`moisson thesaurus validate` reports first"
            )
        return Themer(self.thesaurus, self.rules, text_threshold=text_threshold)


def _shown(problem: Problem, display: dict[str, str]) -> Problem:
    file, message = problem.file, problem.message
    for real, shown in display.items():
        file = file.replace(real, shown)
        message = message.replace(real, shown)
    return Problem(file, problem.line, message)


def load_version(
    thesaurus_path: Path,
    rules_path: Path,
    languages: list[str],
    *,
    label: str | None = None,
    display: dict[str, str] | None = None,
) -> ThemeVersion:
    """Validate and load one version. Never raises for a bad file: a file that cannot be
    read is a problem of the version (with its file and line), and `loaded` is False."""
    shown = display or {}
    version = ThemeVersion(
        label=label or _shown(Problem(str(thesaurus_path), 1, ""), shown).file,
        thesaurus_path=thesaurus_path,
        rules_path=rules_path,
        digest=content_digest(thesaurus_path, rules_path),
        problems=[_shown(p, shown) for p in validate(thesaurus_path, rules_path, languages)],
    )
    try:
        version.thesaurus = load_thesaurus(thesaurus_path)
        version.rules = load_rules(rules_path)
    except ConfigError as exc:  # already among the problems, with its line
        logger.info("%s cannot be loaded: %s", version.label, exc.message)
    return version
