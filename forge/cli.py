"""The forge commands, wired into `moisson` by the CLI (pipeline): call
`add_thesaurus_commands` with the `thesaurus` sub-parsers, `add_store_commands` with the
`store` sub-parsers, and hand the parsed arguments of those commands to `run`.

    moisson thesaurus diff OLD.ttl NEW.ttl [--old-rules R --new-rules R] [--format F]
    moisson thesaurus diff --git origin/main..HEAD [--thesaurus P --rules P] [--format F]
    moisson thesaurus impact (same versions) [--snapshot FILE] [--workers N] [--format F]
    moisson thesaurus apply [--label LABEL]
    moisson store snapshot FILE [--include-restricted]

Exit codes: 0 done, 1 the new version does not validate (the report is still written), 2
bad usage or configuration (as the rest of `moisson`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forge.revisions import materialise, split_range, version_label
from indexer.collapse import Collapser
from indexer.impact_workers import VersionFiles, auto_workers, parallel_impact
from indexer.snapshot import read_snapshot, snapshot_header, write_snapshot
from indexer.theme_impact import Impact
from indexer.theme_publish import publish
from indexer.theme_reports import FORMATS, ChangeReport, render
from indexer.theme_versions import ThemeVersion, load_version
from indexer.thesaurus import VOCABULARY_LABELS
from indexer.thesaurus_diff import diff_versions
from moisson.config import Settings
from moisson.errors import ConfigError
from moisson.record import Record
from pipeline.runtime import Runtime

__all__ = ["add_store_commands", "add_thesaurus_commands", "is_forge_command", "run"]


_HANDLER = "forge_command"


def _version_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", nargs="?", help="the current thesaurus (Turtle file)")
    parser.add_argument("new", nargs="?", help="the proposed thesaurus (Turtle file)")
    parser.add_argument("--old-rules", help="rules of the current version (default: [themes])")
    parser.add_argument("--new-rules", help="rules of the proposed version (default: --old-rules)")
    parser.add_argument(
        "--git",
        metavar="REV1..REV2",
        help="compare the files at two git revisions instead (REV1 alone, or REV1..: "
        "against the working tree)",
    )
    parser.add_argument("--thesaurus", help="with --git: the thesaurus file in the repository")
    parser.add_argument("--rules", help="with --git: the rules file in the repository")
    parser.add_argument("--format", choices=sorted(FORMATS), default="markdown")
    parser.add_argument("--output", "-o", help="write the report here (default: stdout)")


def add_thesaurus_commands(actions: Any) -> None:
    """Add `diff`, `impact` and `apply` to the `thesaurus` sub-parsers."""
    diff = actions.add_parser(
        "diff", help="what changed between two thesaurus versions (exit 1 if the new is bad)"
    )
    _version_arguments(diff)
    diff.set_defaults(**{_HANDLER: _diff})
    impact = actions.add_parser(
        "impact", help="which records would gain or lose which theme (writes nothing)"
    )
    _version_arguments(impact)
    impact.add_argument("--snapshot", help="records from this snapshot (default: the store)")
    impact.add_argument(
        "--examples", type=int, default=5, help="records listed per theme and direction"
    )
    impact.add_argument(
        "--workers",
        type=int,
        help="processes to match in (default: one per core, at most 4, from 5,000 records)",
    )
    impact.add_argument(
        "--include-restricted",
        action="store_true",
        help="with the store: also records of non-public sources (titles show in the report)",
    )
    impact.set_defaults(**{_HANDLER: _impact})
    apply = actions.add_parser(
        "apply", help="re-theme the store and the index with the configured thesaurus"
    )
    apply.add_argument(
        "--label",
        help="the version to record (default: git revision and content digest of the files)",
    )
    apply.set_defaults(**{_HANDLER: _apply})


def add_store_commands(actions: Any) -> None:
    """Add `snapshot` to the `store` sub-parsers."""
    snapshot = actions.add_parser(
        "snapshot", help="write what the theme matcher needs, for `thesaurus impact` in CI"
    )
    snapshot.add_argument("output", help="snapshot file to write (gzip JSON Lines)")
    snapshot.add_argument(
        "--include-restricted", action="store_true", help="also records of non-public sources"
    )
    snapshot.set_defaults(**{_HANDLER: _snapshot})


def is_forge_command(args: argparse.Namespace) -> bool:
    return getattr(args, _HANDLER, None) is not None


def run(runtime: Runtime, args: argparse.Namespace) -> int:
    """Run the forge command `args` was parsed for. MoissonError propagates to the CLI,
    which prints its message (exit 2 for ConfigError). The runtime opens only what the
    command uses: `diff` and a snapshot `impact` never touch the store or the index."""
    handler = getattr(args, _HANDLER, None)
    if handler is None:
        raise ConfigError("not a forge command")
    return int(handler(runtime, args))


# -- versions ------------------------------------------------------------------------------


@contextmanager
def _versions(
    settings: Settings, args: argparse.Namespace
) -> Iterator[tuple[ThemeVersion, ThemeVersion]]:
    """The old and new versions the arguments name (files, or git revisions)."""
    themes = settings.themes
    if args.git:
        if args.old or args.new:
            raise ConfigError("give either two thesaurus files or --git, not both")
        old_rev, new_rev = split_range(args.git)
        thesaurus = Path(args.thesaurus) if args.thesaurus else themes.thesaurus_path
        rules = Path(args.rules) if args.rules else themes.rules_path
        with tempfile.TemporaryDirectory(prefix="moisson-forge-") as folder:
            found = []
            for revision in (old_rev, new_rev):
                if revision is None:  # the working tree
                    found.append(
                        load_version(thesaurus, rules, themes.languages, label="working tree")
                    )
                    continue
                ttl = materialise(revision, thesaurus, Path(folder))
                yaml = materialise(revision, rules, Path(folder))
                _materialise_labels(revision, thesaurus, Path(folder))
                display = {str(ttl.path): ttl.shown, str(yaml.path): yaml.shown}
                found.append(
                    load_version(
                        ttl.path, yaml.path, themes.languages, label=revision, display=display
                    )
                )
            yield found[0], found[1]
        return
    if not (args.old and args.new):
        raise ConfigError("give the old and the new thesaurus files, or --git REV1..REV2")
    old_rules = Path(args.old_rules) if args.old_rules else themes.rules_path
    new_rules = Path(args.new_rules) if args.new_rules else old_rules
    yield (
        load_version(Path(args.old), old_rules, themes.languages),
        load_version(Path(args.new), new_rules, themes.languages),
    )


def _materialise_labels(revision: str, thesaurus: Path, folder: Path) -> None:
    """The vocabulary labels the thesaurus borrows (vocabulary-labels.tsv beside it) at
    `revision`, copied beside the thesaurus copy; without them every borrowed label would
    look removed. A revision without the file has no borrowed labels."""
    try:
        materialise(revision, thesaurus.with_name(VOCABULARY_LABELS), folder)
    except ConfigError:  # absent at that revision: a thesaurus that borrows nothing
        return


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _report(old: ThemeVersion, new: ThemeVersion) -> ChangeReport:
    diff = None
    if old.thesaurus and old.rules and new.thesaurus and new.rules:
        diff = diff_versions(old.thesaurus, old.rules, new.thesaurus, new.rules)
    return ChangeReport(old, new, diff)


def _diff(runtime: Runtime, args: argparse.Namespace) -> int:
    with _versions(runtime.settings, args) as (old, new):
        report = _report(old, new)
        _write(render(report, args.format), args.output)
    return 0 if report.valid else 1


def _impact(runtime: Runtime, args: argparse.Namespace) -> int:
    settings = runtime.settings
    threshold = settings.themes.text_threshold
    with _versions(settings, args) as (old, new):
        report = _report(old, new)
        if report.diff is not None:
            files = [VersionFiles(v.thesaurus_path, v.rules_path, threshold) for v in (old, new)]

            def impact(records: Iterable[Record], count: int | None) -> Impact:
                workers = args.workers or auto_workers(count)
                return parallel_impact(records, files[0], files[1], args.examples, workers)

            if args.snapshot:
                path = Path(args.snapshot)
                report.against = f"snapshot {path.name}"
                report.impact = impact(read_snapshot(path), snapshot_header(path).get("records"))
            else:
                policy, store = runtime.access, runtime.store
                records = store.iter_records()
                if not args.include_restricted:
                    records = (r for r in records if policy.may_see(r.provenance.source_id, []))
                report.against = "the store"
                report.impact = impact(records, store.count())
        _write(render(report, args.format), args.output)
    return 0 if report.valid else 1


def _apply(runtime: Runtime, args: argparse.Namespace) -> int:
    themes = runtime.settings.themes
    version = load_version(themes.thesaurus_path, themes.rules_path, themes.languages)
    if version.problems:
        for problem in version.problems:
            print(problem, file=sys.stderr)
        print(
            f"not applied: {len(version.problems)} problem(s) in the thesaurus or the rules",
            file=sys.stderr,
        )
        return 1
    label = args.label or version_label(themes.thesaurus_path, themes.rules_path)
    access = runtime.access
    collapser = Collapser(runtime.store, runtime.clustering, access)

    def stamp(records: Any) -> Any:
        return collapser.stamped(access.stamped(records))

    done = publish(
        runtime.store,
        runtime.backend,
        version.themer(themes.text_threshold),
        label,
        at=datetime.now(UTC).replace(tzinfo=None),
        stamp=stamp,
    )
    print(f"applied {done.version}: {len(done.changed)} of {done.records} records re-themed")
    return 0


def _snapshot(runtime: Runtime, args: argparse.Namespace) -> int:
    info = write_snapshot(
        runtime.store.iter_records(),
        Path(args.output),
        created=datetime.now(UTC),
        policy=runtime.access,
        include_restricted=args.include_restricted,
    )
    left = f", {info.left_out} restricted left out" if info.left_out else ""
    print(f"snapshot {info.path}: {info.written} records, {info.bytes} bytes{left}")
    return 0
