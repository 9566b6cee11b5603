"""A real SQLite store holding the fixture records (through `Store.write_page`, as a
harvest writes them), themed with the bundled thesaurus, with one source restricted."""

from __future__ import annotations

import argparse
from pathlib import Path

from forge.cli import add_store_commands, add_thesaurus_commands
from indexer.store import Store
from indexer.themes import Themer
from moisson.config import IndexSettings, Settings, StoreSettings, ThemesSettings
from moisson.record import Harvested, Record

__all__ = ["RESTRICTED", "fill", "parse", "settings_for"]

RESTRICTED = "dcat-udata"  # its records are for the `staff` role only


def settings_for(
    folder: Path, records: list[Record], thesaurus: Path | None = None, rules: Path | None = None
) -> Settings:
    sources = sorted({r.provenance.source_id for r in records})
    return Settings(
        store=StoreSettings(url=f"sqlite:///{folder / 'store.db'}"),
        index=IndexSettings(url=f"sqlite:///{folder / 'index.db'}"),
        themes=ThemesSettings(thesaurus=thesaurus, rules=rules),
        sources=[
            {
                "id": source,
                "kind": "csw",
                "url": f"https://{source}.example.org/csw",
                **(
                    {"access": {"public": False, "roles": ["staff"]}}
                    if source == RESTRICTED
                    else {}
                ),
            }
            for source in sources
        ],
    )


def fill(settings: Settings, records: list[Record], themer: Themer) -> None:
    """Store `records`, themed by `themer`, one complete run per source."""
    by_source: dict[str, list[Record]] = {}
    for record in records:
        by_source.setdefault(record.provenance.source_id, []).append(record)
    with Store(settings.store.url) as store:
        for source, items in sorted(by_source.items()):
            run = store.begin_run(source)
            store.write_page(
                run,
                source,
                [
                    Harvested(
                        original_id=r.provenance.original_id,
                        raw=r.model_dump_json().encode(),
                        content_type="application/json",
                        record=themer.themed(r),
                    )
                    for r in items
                ],
            )
            store.finish_run(run, status="complete", complete=True)


def parse(*argv: str) -> argparse.Namespace:
    """Parse as `moisson` will once the lead wires the forge commands in."""
    parser = argparse.ArgumentParser(prog="moisson")
    sub = parser.add_subparsers(dest="command", required=True)
    thesaurus = sub.add_parser("thesaurus")
    add_thesaurus_commands(thesaurus.add_subparsers(dest="action", required=True))
    store = sub.add_parser("store")
    add_store_commands(store.add_subparsers(dest="action", required=True))
    return parser.parse_args(list(argv))
