"""The site's icon: a rising line on a blue tile, as SVG for the page and as PNG for
``/favicon.ico`` (what browsers ask for on pages that name none, such as the JSON ones).

Both are made here from the same shapes, with the standard library only: nothing to ship
as a binary file, nothing fetched.
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from urllib.parse import quote

SIZE = 32
CORNER = 6
BLUE = (0x2F, 0x6F, 0xDB)
LINE = ((5, 22), (12, 15), (18, 19), (27, 9))
LINE_WIDTH = 3.0

SVG = (
    f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}">'
    f'<rect width="{SIZE}" height="{SIZE}" rx="{CORNER}" fill="#{bytes(BLUE).hex()}"/>'
    f'<polyline points="{" ".join(f"{x},{y}" for x, y in LINE)}" fill="none" stroke="#fff" '
    f'stroke-width="{LINE_WIDTH:g}" stroke-linecap="round" stroke-linejoin="round"/></svg>'
)
FAVICON_SVG_URL = "data:image/svg+xml," + quote(SVG, safe="")


def _segment_distance(px: float, py: float, a: tuple[int, int], b: tuple[int, int]) -> float:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _tile_coverage(px: float, py: float) -> float:
    """How much of the pixel centred at (px, py) the rounded tile covers, roughly."""
    cx = min(max(px, CORNER), SIZE - CORNER)
    cy = min(max(py, CORNER), SIZE - CORNER)
    outside = math.hypot(px - cx, py - cy) - CORNER
    return max(0.0, min(1.0, 0.5 - outside))


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    raw = b"".join(b"\x00" + row for row in rows)  # filter 0 on every row
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _favicon_png() -> bytes:
    rows = []
    for y in range(SIZE):
        row = bytearray()
        for x in range(SIZE):
            px, py = x + 0.5, y + 0.5
            distance = min(_segment_distance(px, py, a, b) for a, b in itertools.pairwise(LINE))
            white = max(0.0, min(1.0, LINE_WIDTH / 2 + 0.5 - distance))
            red, green, blue = (round(c + (255 - c) * white) for c in BLUE)
            row += bytes((red, green, blue, round(255 * _tile_coverage(px, py))))
        rows.append(bytes(row))
    return _png(SIZE, SIZE, rows)


FAVICON_PNG = _favicon_png()
