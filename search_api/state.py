"""The app's Runtime inside a request: `state()`.

Its own module so that blueprint modules can import it while search_api/app.py imports them.
"""

from __future__ import annotations

from flask import current_app

from pipeline.runtime import Runtime

__all__ = ["EXTENSION", "state"]

EXTENSION = "moisson"


def state() -> Runtime:
    """The current app's Runtime (inside a request or app context)."""
    found: Runtime = current_app.extensions[EXTENSION]
    return found
