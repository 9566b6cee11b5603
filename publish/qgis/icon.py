"""The platforms' icon: the IDG plugin shows a platform with the image a project metadata
link named `icon` points at. Drawn here (a green disc with three golden map sheets, 64 px,
PNG written with zlib) so no binary file ships in the package; `[qgis] icon` serves an
admin's own PNG instead."""

from __future__ import annotations

import struct
import zlib
from functools import cache

__all__ = ["icon_png"]

_SIZE = 64
_GREEN = (46, 125, 50, 255)
_GOLD = (242, 176, 30, 255)
_CLEAR = (0, 0, 0, 0)


def _pixel(x: int, y: int) -> tuple[int, int, int, int]:
    cx = cy = (_SIZE - 1) / 2
    if (x - cx) ** 2 + (y - cy) ** 2 > (_SIZE / 2 - 1) ** 2:
        return _CLEAR
    for top in (16, 27, 38):  # three stacked sheets, drawn as flat diamonds
        dy = y - (top + 5)
        if abs(dy) <= 5 and abs(x - cx) + 2.2 * abs(dy) <= 20:
            return _GOLD
    return _GREEN


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@cache
def icon_png() -> bytes:
    """The bundled icon, PNG bytes (the same on every call)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(_pixel(x, y)) for x in range(_SIZE)) for y in range(_SIZE)
    )
    header = struct.pack(">IIBBBBB", _SIZE, _SIZE, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )
