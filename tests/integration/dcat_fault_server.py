"""A small paged DCAT catalogue (Turtle, hydra PartialCollectionView) for fault-injection
tests, served by ReplayServer on 127.0.0.1: `?page=N` pages of ten datasets, faults scripted
per page number, a lying `hydra:totalItems`, datasets the parser must quarantine (no title)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from testkit.http_replay import Reply, Request

PREFIXES = (
    "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
    "@prefix dct: <http://purl.org/dc/terms/> .\n"
    "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
)


def dataset(dataset_id: str, valid: bool = True) -> str:
    title = f' ;\n  dct:title "Jeu de données {dataset_id}"@fr' if valid else ""
    return (
        f'<ds/{dataset_id}> a dcat:Dataset ;\n  dct:identifier "{dataset_id}" ;\n'
        f'  dct:description "Résumé de {dataset_id}"@fr{title} .\n'
    )


@dataclass
class DcatCatalogue:
    ids: list[str]
    faults: dict[int, list[Reply]] = field(default_factory=dict)
    declared: int | None = None
    invalid: set[str] = field(default_factory=set)
    page_size: int = 10
    starts: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, page: int, replies: list[Reply]) -> None:
        with self._lock:
            self.faults.setdefault(page, []).extend(replies)

    def __call__(self, request: Request) -> Reply:
        number = int(request.query.get("page", ["1"])[0])
        with self._lock:
            self.starts.append(number)
            scripted = self.faults.get(number)
            if scripted:
                return scripted.pop(0)
            ids = list(self.ids)
        first = (number - 1) * self.page_size
        page = ids[first : first + self.page_size]
        total = len(ids) if self.declared is None else self.declared
        more = first + self.page_size < total
        body = PREFIXES + "<catalog> a dcat:Catalog"
        if page:
            body += " ;\n  dcat:dataset " + ", ".join(f"<ds/{i}>" for i in page)
        body += " .\n" + "".join(dataset(i, i not in self.invalid) for i in page)
        body += f"<catalog?page={number}> a hydra:PartialCollectionView ;\n"
        body += f"  hydra:totalItems {total}"
        if more:
            body += f" ;\n  hydra:next <catalog?page={number + 1}>"
        body += " .\n"
        return Reply(body.encode(), content_type="text/turtle")
