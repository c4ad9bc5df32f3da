"""What resim needs of OCR: the text of an image, for machine-readable zones."""

from __future__ import annotations

from typing import Protocol


class Ocr(Protocol):
    def available(self) -> bool: ...

    def mrz_text(self, image_png_or_jpeg: bytes) -> str:
        """The text read from an image, restricted to the MRZ alphabet (A-Z, 0-9, <)."""
        ...
