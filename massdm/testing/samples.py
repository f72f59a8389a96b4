"""Small valid files for tests that need media (a paid message needs some): made with the standard library."""

from __future__ import annotations

import struct
import zlib


def sample_png(width: int = 16, height: int = 16, rgb: tuple[int, int, int] = (200, 60, 120)) -> bytes:
    """A PNG of one colour, `width` x `height` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))
