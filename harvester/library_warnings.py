"""Third-party warnings during a harvest: one line each, counted, never a traceback.

rdflib logs a full traceback (a warning with exc_info) for every literal whose lexical form
does not fit its datatype ('2019-13-45'^^xsd:date) and for every IRI it finds odd; other
libraries use Python's `warnings`. A DCAT harvest of a few thousand datasets then prints
pages of tracebacks that bury the summary lines, for problems that cost nothing (the record
is kept, the bad value is read as text).

`captured(source_id, where)` goes around the third-party calls of a source (RDF parsing:
harvester/dcat.py, formats/rdf_stream.py). While it is active in a thread, records of the
watched libraries' loggers and Python warnings are taken off the console and logged again
by this module's logger as one line each — source, record or document, problem — and
counted per source (`count`, `take_count`) for the run's summary. The traceback is kept at
DEBUG level only, so it shows when logging is at DEBUG (`--debug`) and never otherwise.
Outside a capture (or in another thread) those libraries log as before.
"""

from __future__ import annotations

import logging
import re
import threading
import types
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["WATCHED", "add_count", "captured", "count", "take_count"]

logger = logging.getLogger(__name__)

WATCHED = ("rdflib", "pyld", "owslib", "pyproj", "shapely")
_MAX_TEXT = 300
_NOISE = re.compile(r",? ?Converter=<function [^>]*>")  # rdflib's repr of its own code
_state = threading.local()
_counts: Counter[str] = Counter()
_counts_lock = threading.Lock()
_installed: set[str] = set()
_install_lock = threading.Lock()


@dataclass
class _Capture:
    source_id: str
    where: str

    def report(self, origin: str, problem: str, exc_info: object = None) -> None:
        problem = _NOISE.sub("", problem)
        if isinstance(exc_info, tuple) and len(exc_info) == 3 and exc_info[1] is not None:
            value = _lexical_value(exc_info[2])
            problem += f": {value!r}" if value is not None else ""
            problem += f" ({exc_info[1]})"
        text = " ".join(problem.split())[:_MAX_TEXT]
        logger.warning("%s: %s: %s: %s", self.source_id, self.where, origin, text)
        if exc_info and logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s: traceback of the warning above", origin, exc_info=exc_info)  # type: ignore[arg-type]
        with _counts_lock:
            _counts[self.source_id] += 1


def _lexical_value(trace: object) -> str | None:
    """The literal rdflib failed to convert: its message names only the datatype, the value
    is the `lexical` argument of the frame that logged (rdflib.term)."""
    while isinstance(trace, types.TracebackType):
        value = trace.tb_frame.f_locals.get("lexical")
        if isinstance(value, str):
            return value[:80]
        trace = trace.tb_next
    return None


class _Divert(logging.Filter):
    """On a watched logger: hands its records to the capture active in this thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        capture: _Capture | None = getattr(_state, "capture", None)
        if capture is None or record.levelno < logging.WARNING:
            return True
        capture.report(record.name, record.getMessage(), record.exc_info)
        return False


_DIVERT = _Divert()


def _install() -> None:
    """Put the filter on every logger of the watched libraries that exists (filters of a
    parent logger do not see its children's records). Idempotent; new loggers are found on
    the next capture."""
    names = [
        name
        for name in list(logging.Logger.manager.loggerDict)
        if name.split(".")[0] in WATCHED and name not in _installed
    ]
    names += [name for name in WATCHED if name not in _installed]
    with _install_lock:
        for name in names:
            if name not in _installed:
                logging.getLogger(name).addFilter(_DIVERT)
                _installed.add(name)


@contextmanager
def captured(source_id: str, where: str) -> Iterator[None]:
    """Within the block, this thread's third-party warnings become one counted line each,
    attributed to `source_id` and `where` (a record id or a document URL)."""
    _install()
    outer = getattr(_state, "capture", None)
    capture = _Capture(source_id, where)
    _state.capture = capture
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        _state.capture = outer
    for item in caught:
        capture.report(item.category.__name__, str(item.message))


def count(source_id: str) -> int:
    """Third-party warnings captured for `source_id` since the last `take_count`."""
    with _counts_lock:
        return _counts[source_id]


def take_count(source_id: str) -> int:
    """The count for `source_id`, reset to zero (read once per run for its summary)."""
    with _counts_lock:
        return _counts.pop(source_id, 0)


def add_count(source_id: str, n: int) -> None:
    """Add warnings counted elsewhere for `source_id` (a harvest worker process's count,
    pipeline/page_workers.py), so the run's summary still holds them."""
    if n:
        with _counts_lock:
            _counts[source_id] += n
