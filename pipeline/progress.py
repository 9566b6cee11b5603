"""A rich progress line for `moisson harvest` on a terminal; nothing when output is piped."""

from __future__ import annotations

import sys

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
from rich.progress import Progress as RichProgress

from pipeline.runs import RunReport

__all__ = ["Progress"]


class Progress:
    """Use as `with Progress(source_id) as progress:`; `progress` is None when stderr is not
    a terminal, else a callable taking each page's RunReport (a runs.ProgressCallback)."""

    def __init__(self, source_id: str) -> None:
        self.source_id = source_id
        self._progress: RichProgress | None = None
        self._task: int | None = None

    def __enter__(self) -> Progress | None:
        if not sys.stderr.isatty():
            return None
        self._progress = RichProgress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True
        )
        self._progress.start()
        self._task = self._progress.add_task(self.source_id, total=None)
        return self

    def __call__(self, report: RunReport) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=report.seen, total=report.declared_total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
