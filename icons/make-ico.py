#!/usr/bin/env python3
"""Packs PNG icons into one Windows .ico (PNG-compressed entries, Windows Vista and
later), which tauri-build embeds into Windows executables.

usage: make-ico.py OUT.ico IN.png...   (each IN is square, at most 256 px)
"""
import struct
import sys


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG")
    return struct.unpack(">II", data[16:24])


def main() -> None:
    out, inputs = sys.argv[1], sys.argv[2:]
    images = [open(path, "rb").read() for path in inputs]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for data in images:
        width, height = png_size(data)
        if width != height or width > 256:
            raise SystemExit(f"{width}x{height}: icons are square, at most 256 px")
        # 0 means 256 in the directory entry.
        entries += struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        blobs += data
    with open(out, "wb") as ico:
        ico.write(header + entries + blobs)


if __name__ == "__main__":
    main()
