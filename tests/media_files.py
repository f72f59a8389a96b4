"""Real media files for tests, made on the spot: Pillow for images, ffmpeg for video and audio."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from PIL import Image


def png(width: int = 1200, height: int = 800) -> bytes:
    """Left half red, right half blue: a scaled thumbnail keeps that split."""
    image = Image.new("RGB", (width, height), (255, 0, 0))
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 2000, height: int = 1000) -> bytes:
    """Top half green, bottom half white."""
    image = Image.new("RGB", (width, height), (0, 255, 0))
    image.paste((255, 255, 255), (0, height // 2, width, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def gif(width: int = 200, height: int = 100) -> bytes:
    frames = [Image.new("P", (width, height), color) for color in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def _ffmpeg(*args: str, target: Path) -> bytes:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg is required by the media tests (make test installs it)"
    subprocess.run([ffmpeg, "-v", "error", "-y", *args, str(target)], check=True, timeout=60)
    return target.read_bytes()


def mp4(directory: Path, seconds: int = 2, size: str = "320x240") -> bytes:
    return _ffmpeg("-f", "lavfi", "-i", f"testsrc=size={size}:rate=10", "-t", str(seconds), "-pix_fmt", "yuv420p",
                   target=directory / "clip.mp4")


def mp3(directory: Path, seconds: int = 3) -> bytes:
    return _ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-b:a", "128k",
                   target=directory / "tone.mp3")
