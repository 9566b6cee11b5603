"""Before/after check for work on the ISO mappers: every ISO record must map identically.

    .venv/bin/python -m bench.iso_snapshot save /tmp/before.pickle     # on the old commit
    .venv/bin/python -m bench.iso_snapshot compare /tmp/before.pickle  # on the new code

Maps every ISO record of ../shared/fixtures and samples/ (each record element through
`parse_iso`, each file through `read_document`) and N generated records, and keeps per
record its dump, its fields set and field order (or the rejection / error). `compare` lists
the records that differ. The unit tests compare the fast paths with their references; this
compares whole Records across commits, which no test inside one commit can.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from bench.generate import generate_iso_records
from bench.snapshot_file import save_or_compare
from harvester.formats.csw_response import read_document
from harvester.formats.iso19139 import parse_iso
from harvester.formats.xmlsafe import parse_xml
from moisson.errors import MoissonError, RecordRejected

ROOT = Path(__file__).resolve().parents[1]
RECORD_TAGS = {"MD_Metadata", "MI_Metadata", "CHE_MD_Metadata"}


def mapped(root: etree._Element) -> object:
    try:
        record = parse_iso(root, "src")
    except RecordRejected as exc:
        return ("rejected", exc.message)
    except Exception as exc:  # a crash is a difference to report
        return ("error", type(exc).__name__, str(exc))
    return (record.model_dump(), sorted(record.model_fields_set), list(record.__dict__))


def snapshot(generated: int) -> Iterator[tuple[str, object]]:
    files = sorted((ROOT.parent / "shared" / "fixtures").rglob("*.xml"))
    for path in files + sorted((ROOT / "samples").rglob("*.xml")):
        label = "/".join(path.parts[-3:])  # the same label whatever the checkout's location
        data = path.read_bytes()
        try:
            root = parse_xml(data)
            items = read_document(data, "src").items
        except MoissonError as exc:
            yield f"{label}#doc", ("refused", str(exc))
            continue
        yield f"{label}#doc", [(item.original_id, item.error) for item in items]
        elements = (el for el in root.iter() if isinstance(el.tag, str))
        records = [el for el in elements if etree.QName(el).localname in RECORD_TAGS]
        for index, element in enumerate(records):
            yield f"{label}#{index}", mapped(element)
    for index, (_, xml) in enumerate(generate_iso_records(generated)):
        yield f"generated#{index}", mapped(parse_xml(xml))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--generated", type=int, default=2000)
    args = parser.parse_args(argv)
    return save_or_compare(args.action, args.file, dict(snapshot(args.generated)))


if __name__ == "__main__":
    sys.exit(main())
