"""Photos: decoded and re-encoded from pixels only, so no EXIF/GPS/XMP/IPTC block survives.

Anything that is not really a JPEG, PNG or WebP, or that would decompress to more pixels than a
phone photo has, is refused with a reason the form can show.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow loads with the first photo (see clean)
    from PIL import Image

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # ~ a 50-megapixel photo; beyond that we refuse (decompression bombs)
# A JPEG is decoded at a reduced scale (draft), so a 50-megapixel one costs no more than a
# 12-megapixel one; a PNG or WebP is decoded whole, so it may be at most 16.8 megapixels (a
# phone screenshot has under 6): 7070 x 7070 would cost seconds and gigabytes per photo.
MAX_FULL_DECODE_PIXELS = 4096 * 4096
MAX_SIDE = 2560  # stored photos are scaled down to this; plenty to read a number plate
ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoError(ValueError):
    """A photo we will not store; `code` picks the message the form shows."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def clean(data: bytes) -> tuple[bytes, str]:
    """Return (re-encoded bytes, media type) with no metadata, or raise PhotoError."""
    # Imported here: about 5 MB in every worker otherwise, for the few tips that carry a
    # photo (at most 250 MB per worker).
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise PhotoError("too_big")
    if not data:
        raise PhotoError("empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED:
                    raise PhotoError("not_image")
                # Image.open has read the header only: the size is known, nothing decoded.
                width, height = probe.size
                if width * height > MAX_PIXELS or (
                        probe.format != "JPEG" and width * height > MAX_FULL_DECODE_PIXELS):
                    raise PhotoError("bomb")
                if probe.format == "JPEG":
                    probe.draft("RGB", (MAX_SIDE, MAX_SIDE))  # no smaller than what we keep
                probe.load()
                image = ImageOps.exif_transpose(probe)  # keep it upright, then drop EXIF
                if image is None:
                    image = probe
                pixels = _pixels_only(image)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError("bomb") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PhotoError("not_image") from exc
    pixels.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if pixels.mode == "RGBA":
        pixels.save(out, format="PNG", optimize=True)
        return out.getvalue(), "image/png"
    pixels.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue(), "image/jpeg"


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding only pixel data: no info dict, no EXIF, no ICC, no text chunks."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    converted = image.convert(mode)
    from PIL import Image as PilImage  # loaded already by clean

    fresh = PilImage.new(mode, converted.size)
    fresh.paste(converted)
    return fresh
