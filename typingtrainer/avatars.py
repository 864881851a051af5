"""A learner's picture: what we accept and what we store.

An upload is only ever read by Pillow and stored as a fresh encoding of its pixels: a file that
is not a whole PNG, JPEG, WebP or GIF image is refused, metadata (EXIF with its GPS position,
comments, colour profiles) is dropped, and the stored image is a WebP of at most 256×256. The
settings page and the API both call `reencode_avatar`, so the rules live here only."""

from __future__ import annotations

import io
import warnings
from typing import IO

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 256
# Far more than any photo a phone takes (48 MP ≈ 8000×6000): decoding more pixels than this
# is how a small file takes a server's memory (a "decompression bomb").
MAX_PIXELS = 50_000_000
FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "GIF": "GIF"}


class AvatarRejected(ValueError):
    """The upload is not a picture we store; `message` says why, for the learner."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


def reencode_avatar(upload: IO[bytes], *, size: int | None = None) -> ContentFile[bytes]:
    """The upload checked and re-encoded as a WebP of at most MAX_SIDE×MAX_SIDE, or
    AvatarRejected. `size` (bytes) is checked before anything is decoded; uploads from Django
    know it."""
    size = size if size is not None else getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _too_large()
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large()
    if not data:
        raise AvatarRejected(_("The file is empty."))
    image = _decoded(data)
    image = ImageOps.exif_transpose(image)  # phones store "rotate me" in EXIF, which we drop
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # Keep transparency where there is some; everything else becomes plain RGB.
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    clean = image.convert("RGBA" if has_alpha else "RGB")
    clean.info = {}  # no EXIF, XMP, ICC profile or comment is carried over
    out = io.BytesIO()
    clean.save(out, format="WEBP", quality=85, method=4)
    return ContentFile(out.getvalue(), name="avatar.webp")


def _decoded(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))  # reads the header only
            if probe.format not in FORMATS:
                raise AvatarRejected(_not_an_image())
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise AvatarRejected(
                    _too_many_pixels(
                        _("%(width)d×%(height)d pixels") % {"width": width, "height": height}
                    )
                )
            probe.verify()  # checksums and structure, without decoding the pixels
            image = Image.open(io.BytesIO(data))
            image.load()  # a truncated or corrupt file fails here
    except AvatarRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise AvatarRejected(_too_many_pixels(_("far too many pixels"))) from exc
    except UnidentifiedImageError as exc:
        raise AvatarRejected(_not_an_image()) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow's words for a damaged file: "image file is truncated", "broken PNG file", …
        raise AvatarRejected(_("The image is damaged or incomplete; try another file.")) from exc
    return image


def _too_many_pixels(what: str) -> str:
    megapixels = MAX_PIXELS // 1_000_000
    return _(
        "The image has %(what)s; pictures of up to %(megapixels)d megapixels are accepted."
    ) % {
        "what": what,
        "megapixels": megapixels,
    }


def _not_an_image() -> str:
    *first, last = FORMATS.values()
    return _("The file is not a %(formats)s or %(last)s image.") % {
        "formats": ", ".join(first),
        "last": last,
    }


def _too_large() -> AvatarRejected:
    return AvatarRejected(
        _("The file is larger than %(megabytes)d MB; choose a smaller picture.")
        % {"megabytes": MAX_BYTES // (1024 * 1024)},
        too_large=True,
    )
