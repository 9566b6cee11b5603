"""`moisson-thesaurus-check`: the thesaurus check for pre-commit hooks and forge CI jobs.

Unlike `moisson thesaurus validate` it needs no Moisson configuration, so it runs in the
bare environment pre-commit builds for a hook, in the thesaurus repository of the regional
geomaticians:

    moisson-thesaurus-check [thesaurus/themes.ttl] [--rules mappings/theme-rules.yaml]
                            [--languages fr,en] [--format text|markdown|json|junit]

Exit 0 when both files are fit to publish, 1 with every problem as `file:line: message`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from indexer.theme_reports import FORMATS, ChangeReport, render
from indexer.theme_versions import load_version
from indexer.thesaurus_diff import ThesaurusDiff

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="moisson-thesaurus-check", description=__doc__.splitlines()[0]
    )
    parser.add_argument("thesaurus", nargs="?", default="thesaurus/themes.ttl")
    parser.add_argument("--rules", default="mappings/theme-rules.yaml")
    parser.add_argument(
        "--languages", default="fr,en", help="languages every concept needs a prefLabel in"
    )
    parser.add_argument("--format", choices=["text", *sorted(FORMATS)], default="text")
    args = parser.parse_args(argv)
    languages = [lang.strip() for lang in args.languages.split(",") if lang.strip()]
    version = load_version(Path(args.thesaurus), Path(args.rules), languages)
    if args.format == "text":
        for problem in version.problems:
            print(problem)
        if version.problems:
            print(f"{len(version.problems)} problem(s)", file=sys.stderr)
        else:
            print(f"ok: {args.thesaurus} and {args.rules}")
    else:  # the same report as `thesaurus diff`, with no older version to compare
        diff = ThesaurusDiff() if version.loaded else None
        sys.stdout.write(render(ChangeReport(version, version, diff), args.format))
    return 1 if version.problems else 0


if __name__ == "__main__":
    sys.exit(main())
