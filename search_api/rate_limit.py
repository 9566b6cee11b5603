"""The anonymous rate limit, counted once for all gunicorn workers of a server.

A per-process counter lets each client through `limit` times per worker: with 4 workers,
4 times the configured rate, and a client's 429 depends on which worker it reached. The
counters here live in one anonymous shared memory map (`mmap(-1)`, MAP_SHARED) guarded by
one `multiprocessing.Lock`, both created in the gunicorn master before it forks its
workers (`prepare_shared`, called by `moisson serve`), so every worker reads and writes the
same table. Without that call (tests, a single process) the same table is simply private
to the process.

The table is a fixed array of slots (client key hash, window start, count), open
addressing with a short probe: no allocation per client, constant memory. A probe with no
free slot reuses the slot whose window started longest ago; with the default 65,536 slots
that only happens under a flood of distinct addresses, and then costs the evicted client a
fresh window, never a wrongful 429. Time is CLOCK_MONOTONIC, the same in every process.
"""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import struct
import time
from collections.abc import Callable

__all__ = ["RateLimiter", "prepare_shared", "shared_limiter"]

_SLOT = struct.Struct("<Qdq")  # key hash (0: empty), window start, count
_PROBE = 16
DEFAULT_SLOTS = 65_536

_prepared: RateLimiter | None = None


class RateLimiter:
    """A fixed window per client: at most `limit` requests per `window` seconds."""

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        slots: int = DEFAULT_SLOTS,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.slots = slots
        self._memory = mmap.mmap(-1, slots * _SLOT.size)  # anonymous, shared across fork
        self._lock = multiprocessing.get_context("fork").Lock()

    @staticmethod
    def _key(client: str) -> int:
        digest = hashlib.blake2b(client.encode("utf-8", "replace"), digest_size=8).digest()
        return int.from_bytes(digest, "little") or 1  # 0 marks an empty slot

    def hit(self, client: str) -> float | None:
        """Count one request; None if allowed, else seconds until the window ends."""
        key = self._key(client)
        now = self.clock()
        memory, size = self._memory, _SLOT.size
        with self._lock:
            probe = [((key + step) % self.slots) * size for step in range(_PROBE)]
            found = [(position, *_SLOT.unpack_from(memory, position)) for position in probe]
            own = [f for f in found if f[1] == key]
            free = [f for f in found if f[1] == 0 or now - f[2] >= self.window]
            # Its own slot, else a free one or one whose window ended, else the slot whose
            # window started longest ago.
            chosen = (own or free or [min(found, key=lambda f: f[2])])[0][0]
            held, start, count = _SLOT.unpack_from(memory, chosen)
            if held != key or now - start >= self.window:
                start, count = now, 0
            if count >= self.limit:
                return start + self.window - now
            _SLOT.pack_into(memory, chosen, key, start, count + 1)
            return None


def prepare_shared(limit: int, window: float) -> RateLimiter | None:
    """Create the table every worker will share; call in the server's master process,
    before the workers are forked. `limit` 0: no limit, nothing created."""
    global _prepared
    _prepared = RateLimiter(limit, window) if limit else None
    return _prepared


def shared_limiter(limit: int, window: float) -> RateLimiter:
    """The table prepared before fork when it is for these settings, else a new one (this
    process only)."""
    found = _prepared
    if found is not None and (found.limit, found.window) == (limit, window):
        return found
    return RateLimiter(limit, window)
