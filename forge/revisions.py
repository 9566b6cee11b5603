"""Thesaurus and rules files at a git revision, for `thesaurus diff --git REV1..REV2`.

A file at a revision is copied out with `git show REV:path` into a temporary folder, under
its path in the repository, so validation problems can be shown as `thesaurus/themes.ttl:42`
(the `display` map of indexer/theme_versions.py). Only the real `git` command is used, and
its failures (not a repository, unknown revision, file absent at that revision) become a
ConfigError that says which.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from indexer.theme_versions import content_digest
from moisson.errors import ConfigError

__all__ = ["Materialised", "git", "materialise", "split_range", "version_label"]


def git(folder: Path, *args: str) -> str:
    """Run git in `folder`; its stdout, or ConfigError with its message."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, check=False, timeout=60
        )
    except FileNotFoundError as exc:
        raise ConfigError("git is not installed; it is needed for --git") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise ConfigError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return done.stdout.decode(errors="replace")


def split_range(spec: str) -> tuple[str, str | None]:
    """'A..B' -> (A, B); 'A..' or 'A' -> (A, None): B None means the working tree."""
    old, dots, new = spec.partition("..")
    if not old or new.startswith("."):
        raise ConfigError(f"--git wants REV1..REV2 (or REV1 for the working tree), got {spec!r}")
    return old, (new or None) if dots else None


@dataclass
class Materialised:
    path: Path  # where the copy is
    shown: str  # its path in the repository


def _in_repo(path: Path) -> tuple[Path, str]:
    absolute = path.resolve()
    root = Path(git(absolute.parent, "rev-parse", "--show-toplevel").strip())
    return root, absolute.relative_to(root.resolve()).as_posix()


def materialise(revision: str, path: Path, into: Path) -> Materialised:
    """`path` (a file in a git working tree) as it is at `revision`, copied under `into`."""
    root, relative = _in_repo(path)
    try:
        body = subprocess.run(
            ["git", "-C", str(root), "show", f"{revision}:{relative}"],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except FileNotFoundError as exc:
        raise ConfigError("git is not installed; it is needed for --git") from exc
    if body.returncode != 0:
        raise ConfigError(
            f"{relative} at {revision}: "
            + (body.stderr.decode(errors="replace").strip() or "not found")
        )
    copy = into / revision.replace("/", "_") / relative
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(body.stdout)
    return Materialised(copy, relative)


def version_label(thesaurus: Path, rules: Path) -> str:
    """What `thesaurus apply` records: `git:<short revision> sha256:<digest>` when both
    files are committed unchanged in a git repository, else the content digest alone."""
    digest = content_digest(thesaurus, rules)
    try:
        root, _ = _in_repo(thesaurus)
        dirty = git(root, "status", "--porcelain", "--", str(thesaurus), str(rules)).strip()
        revision = git(root, "log", "-1", "--format=%h", "--", str(thesaurus), str(rules))
    except (ConfigError, ValueError):  # not in git, or the rules outside the repository
        return digest
    revision = revision.strip()
    if dirty or not revision:
        return digest
    return f"git:{revision} {digest}"
