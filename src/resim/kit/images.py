"""Uploaded images and PDFs: the type is read from the content, never from the file name,
and everything is redrawn from pixels, so no metadata or active content survives."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from resim.kit.telecom import _N, InvalidIdentifier

MAX_PIXELS = 40_000_000  # larger images are refused (decompression bombs)
MAX_PDF_PAGES = 5


def sniff(data: bytes) -> str | None:
    """The media type by magic number: JPEG, PNG or PDF; anything else is None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _unreadable() -> InvalidIdentifier:
    return InvalidIdentifier("UNREADABLE_FILE", _N("This file cannot be read as an image or PDF."))


def _open(data: bytes) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise InvalidIdentifier("IMAGE_TOO_LARGE", _N("This image has too many pixels."))
        image.load()
        return image
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise _unreadable() from exc


def redraw(data: bytes) -> tuple[bytes, str]:
    """A fresh PNG or JPEG of the pixels of an uploaded file, with its media type."""
    kind = sniff(data)
    if kind is None:
        raise InvalidIdentifier("UNSUPPORTED_FILE_TYPE", _N("Upload a JPEG, PNG or PDF file."))
    if kind == "application/pdf":
        return _png(_pdf_pages(data)), "image/png"
    image = _open(data)
    pixels = image.convert("RGB")
    if kind == "image/jpeg":
        out = io.BytesIO()
        pixels.save(out, "JPEG", quality=90)
        return out.getvalue(), "image/jpeg"
    return _png(pixels), "image/png"


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _pdf_pages(data: bytes) -> Image.Image:
    """Rasterise the first pages with poppler's pdftoppm and stack them into one image."""
    program = shutil.which("pdftoppm")
    if program is None:
        raise InvalidIdentifier(
            "PDF_UNSUPPORTED", _N("PDF files cannot be read here: upload a photo.")
        )
    with tempfile.TemporaryDirectory(prefix="resim-pdf-") as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        result = subprocess.run(  # noqa: S603 - fixed program, arguments we build
            [
                program,
                "-png",
                "-r",
                "110",
                "-l",
                str(MAX_PDF_PAGES),
                str(source),
                str(Path(folder) / "p"),
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        pages = sorted(Path(folder).glob("p*.png"))
        if result.returncode != 0 or not pages:
            raise _unreadable()
        images = [_open(page.read_bytes()).convert("RGB") for page in pages]
    width = max(i.width for i in images)
    stacked = Image.new("RGB", (width, sum(i.height for i in images)), "white")
    top = 0
    for image in images:
        stacked.paste(image, (0, top))
        top += image.height
    if stacked.width * stacked.height > MAX_PIXELS:
        raise InvalidIdentifier("IMAGE_TOO_LARGE", _N("This image has too many pixels."))
    return stacked
