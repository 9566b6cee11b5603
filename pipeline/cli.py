"""The `moisson` command line: the arguments of each command, and `main`.

`main` loads the settings once, builds the one Runtime (pipeline/runtime.py) and hands both
to the command (pipeline/commands.py); nothing else reads configuration or builds pieces.
Exit codes: 0 success, 1 a source failed or a run was partial, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import forge.cli as forge
from moisson.config import load_settings
from moisson.errors import BadQuery, ConfigError, MoissonError
from pipeline import commands
from pipeline.runtime import Runtime

__all__ = ["main"]

logger = logging.getLogger("moisson")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moisson",
        description="Harvest spatial-data catalogues, file records under one theme "
        "thesaurus, fold duplicates, and serve search.",
    )
    parser.add_argument("--config", help="TOML config file (default: $MOISSON_CONFIG or sample)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    parser.add_argument(
        "--debug", action="store_true", help="log at DEBUG level, library tracebacks included"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    harvest = sub.add_parser("harvest", help="harvest sources into the store and index")
    harvest.add_argument("sources", nargs="*", help="source ids (default: every enabled source)")
    harvest.add_argument("--full", action="store_true", help="ignore incremental mode")

    serve = sub.add_parser("serve", help="serve the search API and web page")
    serve.add_argument("--host", help="bind address (default from config: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from config)")
    serve.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")

    search = sub.add_parser("search", help="search the index from the terminal")
    search.add_argument("query", nargs="?", default="")
    search.add_argument("--bbox", help="minx,miny,maxx,maxy in WGS84 (negative values are fine)")
    search.add_argument("--filter", action="append", default=[], metavar="FACET=VALUE")
    search.add_argument("--size", type=int, default=10)
    search.add_argument("--page", type=int, default=1)
    search.add_argument("--sort", help="relevance (default), date or title")
    search.add_argument("--from", dest="date_from", metavar="DATE", help="from this date")
    search.add_argument("--to", dest="date_to", metavar="DATE", help="up to this date")
    search.add_argument("--json", action="store_true", help="print the API's search response")
    search.add_argument(
        "--as-role",
        action="append",
        metavar="ROLE",
        help="see what a caller with these roles sees (repeatable; default: every record)",
    )
    search.add_argument(
        "--anonymous", action="store_true", help="see what an anonymous caller sees"
    )

    sub.add_parser("sources", help="list configured sources and record counts")

    parse = sub.add_parser("parse", help="parse a metadata file (or stdin) into Record JSON")
    parse.add_argument("file", nargs="?", help="XML file; '-' or nothing reads stdin")
    parse.add_argument("--source", default="cli", help="source id to stamp on records")

    sub.add_parser("reindex", help="rebuild the search index from the store (no harvest)")

    sub.add_parser("scheduler", help="run scheduled harvests in the foreground (Ctrl-C stops)")

    thesaurus = sub.add_parser("thesaurus", help="check the theme thesaurus and its mapping")
    actions = thesaurus.add_subparsers(dest="action", required=True)
    validate = actions.add_parser("validate", help="check thesaurus and rules (exit 1 if bad)")
    validate.add_argument("path", nargs="?", help="Turtle file (default: [themes] thesaurus)")
    validate.add_argument("--rules", help="rules YAML (default: [themes] rules)")
    coverage = actions.add_parser("coverage", help="per source: share of records with a theme")
    coverage.add_argument("--top", type=int, default=20, help="unmapped keywords to list")
    explain = actions.add_parser("explain", help="a record's themes and why")
    explain.add_argument("record_id")
    forge.add_thesaurus_commands(actions)  # diff, impact, apply (forge/cli.py)

    store = sub.add_parser("store", help="the record store: shareable snapshots")
    forge.add_store_commands(store.add_subparsers(dest="action", required=True))

    runs = sub.add_parser("runs", help="list recent harvest runs")
    runs.add_argument("source", nargs="?", help="only this source")
    runs.add_argument("--limit", type=int, default=20)

    dups = sub.add_parser("duplicates", help="list duplicate clusters and overlap per source pair")
    dups.add_argument("--source", help="only clusters with a record of this source")
    dups.add_argument(
        "--rebuild", action="store_true", help="recompute all fingerprints and clusters first"
    )
    tokens = sub.add_parser("tokens", help="API tokens for auth.mode = token")
    token_actions = tokens.add_subparsers(dest="action", required=True)
    create = token_actions.add_parser("create", help="create a token (printed once)")
    create.add_argument("name", help="who or what the token is for")
    create.add_argument("--role", action="append", default=[], help="a role (repeatable)")
    token_actions.add_parser("list", help="list tokens (never their secret)")
    revoke = token_actions.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id", type=int)

    qgis = sub.add_parser(
        "qgis", help="QGIS: projects for the IDG plugin, the Moisson plugin's zip (docs/qgis.md)"
    )
    qgis_actions = qgis.add_subparsers(dest="action", required=True)
    qgis_export = qgis_actions.add_parser(
        "export", help="write platforms.json, the projects and the icon to a folder"
    )
    qgis_export.add_argument("dir", help="folder to write (created if missing)")
    qgis_export.add_argument("--site-url", help="Moisson's public URL (default: [qgis] site_url)")
    qgis_export.add_argument(
        "--base-url", help="URL the folder is served at (default: <site-url>/qgis)"
    )
    plugin_zip = qgis_actions.add_parser(
        "plugin-zip", help="build the Moisson search plugin's installable zip"
    )
    plugin_zip.add_argument(
        "out", nargs="?", default=".", help="a .zip file, or a folder (default: .)"
    )
    return parser


# Options whose value may start with '-' (a bbox west of Greenwich): argparse would take
# `--bbox -5,47,-1,49` for two options, so the value is glued on as `--bbox=-5,...`.
_NEGATIVE_VALUES = frozenset({"--bbox"})


def _glue_values(argv: Sequence[str]) -> list[str]:
    glued: list[str] = []
    items = iter(argv)
    for item in items:
        if item in _NEGATIVE_VALUES:
            value = next(items, None)
            glued.append(item if value is None else f"{item}={value}")
        else:
            glued.append(item)
    return glued


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(_glue_values(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "parse":  # needs no configuration
            return commands.parse(args)
        if args.command == "qgis" and args.action == "plugin-zip":  # packages files only
            return commands.qgis_plugin_zip(args)
        settings = load_settings(args.config)
        if args.command == "thesaurus" and args.action == "validate":  # checks files only
            return commands.thesaurus_validate(settings, args)
        with Runtime(settings) as runtime:  # each piece is opened only if the command uses it
            if forge.is_forge_command(args):
                return forge.run(runtime, args)
            return commands.HANDLERS[args.command](runtime, args)
    except MoissonError as exc:
        print(f"moisson: {exc.message}", file=sys.stderr)
        if exc.detail:
            logger.info("detail: %s", exc.detail)
        return 2 if isinstance(exc, ConfigError | BadQuery) else 1


if __name__ == "__main__":
    sys.exit(main())
