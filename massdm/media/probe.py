"""Video and audio facts from ffprobe, and a poster frame from ffmpeg.

Both are optional: without them a video or audio upload is still accepted and typed
from its bytes, with `duration: 0` and no poster (massdm says so in the logs once).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("massdm.media")
_warned: set[str] = set()


@dataclass(frozen=True)
class AvFacts:
    duration: int  # whole seconds, rounded; at least 1 for anything that plays
    width: int
    height: int
    has_video: bool
    has_audio: bool


@dataclass(frozen=True)
class AvTools:
    ffprobe: str | None
    ffmpeg: str | None

    @classmethod
    def find(cls, ffprobe: str, ffmpeg: str) -> AvTools:
        return cls(shutil.which(ffprobe), shutil.which(ffmpeg))


def _missing(tool: str) -> None:
    if tool not in _warned:
        _warned.add(tool)
        log.warning("%s not found: video/audio uploads get duration 0 and no poster frame", tool)


def probe(path: Path, tools: AvTools, timeout: float = 60) -> AvFacts | None:
    if tools.ffprobe is None:
        _missing("ffprobe")
        return None
    try:
        result = subprocess.run(
            [tools.ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
            capture_output=True, timeout=timeout, check=False,
        )
        info = json.loads(result.stdout or b"{}")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    streams = info.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        return None
    try:
        seconds = float((info.get("format") or {}).get("duration") or 0)
    except ValueError:
        seconds = 0.0
    return AvFacts(
        duration=max(1, round(seconds)) if seconds > 0 else 0,
        width=int((video or {}).get("width") or 0),
        height=int((video or {}).get("height") or 0),
        has_video=video is not None,
        has_audio=audio is not None,
    )


def poster_frame(path: Path, out: Path, tools: AvTools, timeout: float = 60) -> bool:
    """Write the first frame of a video as a JPEG; False when it cannot."""
    if tools.ffmpeg is None:
        _missing("ffmpeg")
        return False
    try:
        result = subprocess.run(
            [tools.ffmpeg, "-v", "error", "-y", "-i", str(path), "-frames:v", "1", "-f", "image2", str(out)],
            capture_output=True, timeout=timeout, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and out.exists() and out.stat().st_size > 0
