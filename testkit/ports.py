"""A free TCP port on 127.0.0.1 for a server a test or benchmark starts (the port is free
when asked; the server binds it right after)."""

from __future__ import annotations

import socket

__all__ = ["free_port"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
