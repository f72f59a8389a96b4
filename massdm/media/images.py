"""Image facts and variants with Pillow: dimensions, a 300x300 thumbnail, a preview at most
960 wide and a square preview, all decoded from the real pixels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from massdm.domain.media import PREVIEW_MAX_WIDTH, SQUARE_PREVIEW_SIZE, THUMB_SIZE

MAX_PIXELS = 120_000_000  # larger images are refused rather than decoded into gigabytes of RAM
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class NotAnImage(ValueError):
    pass


@dataclass(frozen=True)
class Rendered:
    variant: str  # thumb | preview | squarePreview
    path: Path
    width: int
    height: int


def image_size(path: Path) -> tuple[int, int]:
    """Width and height as displayed (EXIF rotation applied); NotAnImage if it does not decode."""
    try:
        with Image.open(path) as image:
            image.verify()  # structural check without decoding everything
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, ValueError) as error:
        raise NotAnImage(str(error) or "the file does not decode as an image") from None
    if width <= 0 or height <= 0:
        raise NotAnImage("the image has no pixels")
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def render_variants(source: Path, out_dir: Path, stem: str) -> list[Rendered]:
    """Write the thumbnail, preview and square preview of `source` (first frame for GIFs) as JPEG."""
    try:
        with Image.open(source) as original:
            original.draft("RGB", (PREVIEW_MAX_WIDTH * 2, PREVIEW_MAX_WIDTH * 2))  # cheap JPEG downscale
            frame = ImageOps.exif_transpose(original)
            frame = frame.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, ValueError) as error:
        raise NotAnImage(str(error) or "the file does not decode as an image") from None

    width, height = frame.size
    rendered = []
    thumb = ImageOps.fit(frame, (THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    rendered.append(_save(thumb, out_dir / f"{stem}-thumb.jpg", "thumb"))

    if width > PREVIEW_MAX_WIDTH:
        preview = frame.resize((PREVIEW_MAX_WIDTH, max(1, round(height * PREVIEW_MAX_WIDTH / width))),
                               Image.Resampling.LANCZOS)
    else:
        preview = frame
    rendered.append(_save(preview, out_dir / f"{stem}-preview.jpg", "preview"))

    side = min(SQUARE_PREVIEW_SIZE, width, height)
    square = ImageOps.fit(frame, (side, side), Image.Resampling.LANCZOS)
    rendered.append(_save(square, out_dir / f"{stem}-square.jpg", "squarePreview"))
    return rendered


def _save(image: Image.Image, path: Path, variant: str) -> Rendered:
    image.save(path, "JPEG", quality=85, optimize=True)
    return Rendered(variant, path, image.width, image.height)
